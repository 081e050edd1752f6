from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db import models
from django.db.models import BooleanField, F, Func, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from casedesk.core.crypto import key_new
from casedesk.core.fields import (
    BlindIndexField,
    DataKeyField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
    PersonKeysField,
    PersonMatchKeysField,
    PersonTypoKeysField,
)


class ServiceType(models.TextChoices):
    MOBILIZED = "mobilized", _("mobilized")
    CONTRACT = "contract", _("contract soldier")
    CONSCRIPT = "conscript", _("conscript")
    VOLUNTEER = "volunteer", _("volunteer")
    UNKNOWN = "unknown", _("unknown")


class Person(models.Model):
    """An applicant or a service member (or both).

    Names, birth dates, contacts, addresses and units are encrypted with the person's own
    data key (``key_id``, casedesk.core.crypto); exact lookups go through blind indexes
    (keyed hashes). Erasure destroys the key: the row stays, for the statistics, with only
    its non-personal fields (service type, region) readable."""

    key_id = DataKeyField(db_index=False)  # indexed in Meta: no LIKE index for a key id
    full_name = EncryptedCharField(_("full name"), max_length=300)
    birth_date = EncryptedDateField(_("birth date"), null=True, blank=True)
    email = EncryptedCharField(_("email"), max_length=254, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    postal_address = EncryptedTextField(_("postal address"), blank=True)
    # Service details; empty for an applicant who is not a service member.
    service_type = models.CharField(
        _("service type"), max_length=20, choices=ServiceType.choices, blank=True
    )
    unit = EncryptedCharField(_("military unit"), max_length=100, blank=True)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    # Blind indexes for the duplicate check and lookups by contact.
    # Indexed in Meta (equality only: Django's db_index would add a LIKE index to each,
    # which every insert pays for and no query uses).
    name_birth_index = BlindIndexField(sources=("full_name", "birth_date"),
                                       purpose="name+birth", db_index=False)
    name_unit_index = BlindIndexField(sources=("full_name", "unit"), purpose="name+unit",
                                      db_index=False)
    phone_index = BlindIndexField(sources=("phone",), purpose="phone", db_index=False)
    email_index = BlindIndexField(sources=("email",), purpose="email", db_index=False)
    # The person search (staff queues): keyed hashes of the name lemmas and their
    # phonetic codes, the birth date, unit number, phone (E.164) and email
    # (casedesk.core.tokens.person_tokens). On PostgreSQL a GIN index over its words
    # (migration people.0004_person_search_keys, PERSON_SEARCH_EXPRESSION).
    search_keys = PersonKeysField(
        sources=("full_name", "birth_date", "unit", "phone", "email"))
    # The forms one letter apart of the name's words, keyed, for a misspelt name
    # (casedesk.core.tokens.person_typo_tokens); apart from ``search_keys`` because the
    # case search rows copy those (cases.0017_case_people). GIN index: people.0006.
    typo_keys = PersonTypoKeysField(sources=("full_name",))
    # The duplicate check's lookups (casedesk.people.duplicates): keyed hashes of pairs,
    # two name words, a name word with the birth date or with the unit, and the phone and
    # email (casedesk.core.tokens.person_match_tokens). GIN index: people.0007.
    match_keys = PersonMatchKeysField(
        sources=("full_name", "birth_date", "unit", "phone", "email"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    # A duplicate record merged into another (people.lifecycle.merge): it keeps only this
    # link, its personal columns blank and its data key destroyed; never shown again.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    editable=False, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["key_id"], name="person_key"),
            models.Index(fields=["name_birth_index"], name="person_name_birth"),
            models.Index(fields=["name_unit_index"], name="person_name_unit"),
            models.Index(fields=["phone_index"], name="person_phone"),
            models.Index(fields=["email_index"], name="person_email"),
            # Only the few merged-away records: a new person pays no index entry.
            models.Index(fields=["merged_into"], name="person_merged_into",
                         condition=models.Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def data_key_id(self) -> str:
        if not self.key_id:
            if self.erased_at is not None:
                raise ValueError("the data of an erased person cannot be written")
            self.key_id = key_new()
        return self.key_id


class PersonUnit(models.Model):
    """A unit a service member was stated to serve in, and when: the units over time
    beside the current ``Person.unit``. Written when a unit is recorded that differs from
    the person's current one (merging two records, linking a case to a person).
    Encrypted with the person's data key; erasure blanks it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="units")
    unit = EncryptedCharField(_("military unit"), max_length=100)
    # The day the unit was stated: the receipt of the case that stated it.
    seen_on = models.DateField(_("stated on"))
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seen_on", "id"]
        verbose_name = _("unit over time")
        verbose_name_plural = _("units over time")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.seen_on}"

    def data_key_id(self) -> str:
        return self.person.data_key_id()


# The expression the GIN index of ``Person.search_keys`` is built on (PostgreSQL only);
# a query must use the same expression to be answered from it.
# The keys are cast, not parsed: each is one lexeme as stored.
PERSON_SEARCH_EXPRESSION = "(COALESCE(search_keys, ''))::tsvector"
PERSON_TYPO_EXPRESSION = "(COALESCE(typo_keys, ''))::tsvector"
PERSON_MATCH_EXPRESSION = "(COALESCE(match_keys, ''))::tsvector"


class _Matches(Func):
    """``vector @@ query``."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def keys_tsquery(groups: list[list[str]], operator: str = "&") -> str:
    """The tsquery text of key ``groups``: one key of each group, the groups joined by
    ``operator``. Keys are hex digits after a letter (core.tokens): nothing to quote."""
    return f" {operator} ".join(
        "(" + " | ".join(f"'{key}'" for key in group) + ")" for group in groups)


def keys_match(column: str, query) -> _Matches:
    """On PostgreSQL: the person's keys ``column`` ("search_keys", "typo_keys" or
    "match_keys") match the tsquery text ``query`` (a string, or an expression giving
    one), in the expression of the column's GIN index (PERSON_SEARCH_EXPRESSION,
    PERSON_TYPO_EXPRESSION, PERSON_MATCH_EXPRESSION)."""
    return _Matches(
        Cast(Coalesce(F(column), Value("")), output_field=SearchVectorField()),
        Cast(Value(query) if isinstance(query, str) else query,
             output_field=SearchQueryField()))
