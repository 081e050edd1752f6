"""Cases, the appeals they are made of, their timeline, deadlines and documents."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.core.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
    SearchTokensField,
    SimilarityField,
)
from casedesk.core.models import WriteOnce
from casedesk.core.states import CaseState


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    LETTER = "letter", _("letter")
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    VISIT = "visit", _("personal visit")
    IMPORT = "import", _("bulk import")
    API = "api", _("API")
    FORWARDED = "forwarded", _("forwarded from another body")


class Relation(models.TextChoices):
    SELF = "self", _("the service member")
    MOTHER = "mother", _("mother")
    FATHER = "father", _("father")
    WIFE = "wife", _("wife")
    HUSBAND = "husband", _("husband")
    SIBLING = "sibling", _("brother or sister")
    CHILD = "child", _("son or daughter")
    OTHER_RELATIVE = "other_relative", _("other relative")
    LAWYER = "lawyer", _("lawyer")
    OTHER = "other", _("other")


class ForwardBody(models.TextChoices):
    """The kinds of body an appeal is forwarded to (59-FZ art. 8 part 3). The code is stored
    plainly (it names no person); the body's name and details typed by staff are encrypted
    (``Case.forwarded_to``)."""

    MILITARY_PROSECUTOR = "military_prosecutor", _("military prosecutor's office")
    MILITARY_INVESTIGATIONS = "military_investigations", _("military investigative department")
    UNIT_COMMAND = "unit_command", _("military unit or higher command")
    COMMISSARIAT = "commissariat", _("military commissariat")
    MEDICAL_COMMISSION = "medical_commission", _("military medical commission")
    INSURER = "insurer", _("insurer")
    OTHER = "other", _("other body")


class DeadlineFlag(models.TextChoices):
    OK = "ok", _("on time")
    DUE_SOON = "due_soon", _("due soon")
    OVERDUE = "overdue", _("overdue")


class CaseNumberCounter(models.Model):
    """The last sequence number used for an office in a year (rows locked to allocate)."""

    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="counter_office_year")
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last}"


class Case(models.Model):
    """The matter that one or more appeals are about, with one subject service member.
    Its free texts (notes, event texts, documents, commission papers) are encrypted with
    the service member's data key; each appeal with its submitter's."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    # No index of its own for office and assignee: the composite indexes below start with
    # them (one index less for every insert to maintain).
    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT,
        related_name="cases", db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    state = models.CharField(
        _("state"), max_length=30, choices=CaseState.choices, default=CaseState.RECEIVED
    )
    category = models.CharField(_("category"), max_length=50)
    subcategory = models.CharField(_("sub-category"), max_length=50, blank=True)
    service_member = models.ForeignKey(
        "people.Person",
        verbose_name=_("service member"),
        on_delete=models.PROTECT,
        related_name="cases_as_subject",
    )
    applicants = models.ManyToManyField(
        "people.Person", through="CaseApplicant", related_name="cases_as_applicant"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        db_index=False,
    )
    rulebook_version = models.CharField(_("rulebook version"), max_length=20)
    procedure = models.CharField(_("procedure"), max_length=50)
    received_at = models.DateTimeField(_("received"))
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    violation_known_on = models.DateField(
        _("violation happened or became known on"), null=True, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=50, blank=True)
    # Set by "forward": the kind of body (a code) and, encrypted with the service member's
    # data key, its name and details as staff typed them.
    forward_body = models.CharField(_("forwarded to (kind of body)"), max_length=30,
                                    choices=ForwardBody.choices, blank=True)
    forwarded_to = EncryptedCharField(_("forwarded to"), max_length=300, blank=True)
    unanswered_ground = models.CharField(_("ground for no answer"), max_length=50, blank=True)
    # A repeated appeal (59-FZ art. 11 part 5): the earlier case of the same office, same
    # applicant and same matter that had been answered when this one was received. Set
    # after the receipt, never on the intake path (``intake.services.repeats_flag``).
    # Indexed only where set (``case_repeated_of``): a new case pays no index entry.
    repeated_of = models.ForeignKey(
        "self", verbose_name=_("repeat of"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+", db_index=False, editable=False,
    )
    # The applicant's access code, as a keyed hash (casedesk.core.secrets); empty if none
    # was issued yet.
    access_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Derived from the open deadlines at each transition and by the sweep, for queues.
    next_due_on = models.DateField(_("next deadline"), null=True, blank=True)
    deadline_flag = models.CharField(
        _("deadline status"), max_length=10, choices=DeadlineFlag.choices, default=DeadlineFlag.OK
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "sequence"], name="case_office_year_sequence"
            )
        ]
        indexes = [
            models.Index(fields=["office", "state", "next_due_on"], name="case_queue"),
            models.Index(fields=["assignee", "state", "next_due_on"], name="case_assignee_queue"),
            models.Index(fields=["deadline_flag", "next_due_on"], name="case_deadline_flag"),
            # The queues' order within an office (selectors.case_queue: next_due_on ASC
            # NULLS LAST, the btree default, then received_at, id): a page of "all" or of a
            # search is read in order instead of sorting the office's cases; its office_id
            # and id also let a search count read the office's case ids from the index.
            models.Index(fields=["office", "next_due_on", "received_at", "id"],
                         name="case_office_order"),
            models.Index(fields=["repeated_of"], name="case_repeated_of",
                         condition=models.Q(repeated_of__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    def data_key_id(self) -> str:
        return self.service_member.data_key_id()


class CaseApplicant(models.Model):
    # Indexed by case_applicant_once, which starts with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="applicant_links",
                             db_index=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT)
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="case_applicant_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.relation}"


class Appeal(WriteOnce):
    """One incoming message, as it arrived. Never changed once stored; registration is a
    step of its case (``Case.registered_at``)."""

    write_once_message = "a registered appeal cannot be changed"

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="appeals")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"))
    language = models.CharField(_("language"), max_length=8, default="ru")
    # Encrypted with the submitter's data key; searched through ``search_tokens``.
    text = EncryptedTextField(_("text of the appeal"))
    request = EncryptedTextField(_("what the applicant asks for"), blank=True)
    search_tokens = SearchTokensField(sources=("text", "request"))
    # A keyed MinHash of the text (core.similarity): groups near-identical appeals into
    # campaigns without a readable fingerprint of the words.
    similarity = SimilarityField(sources=("text",))
    submitter = models.ForeignKey(
        "people.Person", verbose_name=_("submitted by"), on_delete=models.PROTECT,
        related_name="appeals",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Unique by Meta.constraints (unique=True would add a LIKE index no query uses).
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # Channel "forwarded": the body that sent the appeal on, with its outgoing number (исх.
    # №) and date. They can tell whose case it is: encrypted like the text.
    sender_body = EncryptedCharField(_("forwarded by"), max_length=300, blank=True)
    sender_number = EncryptedCharField(_("their outgoing number"), max_length=100,
                                       blank=True)
    sender_date = EncryptedDateField(_("their outgoing date"), null=True, blank=True)
    # Filed through the portal's pathways guide: the answers given ({question key:
    # value}), which tell a lot about the person (status, health, family): encrypted like
    # the text. ``guide_version``: the rulebook version whose guide asked, so the answers
    # are read back with the questions they answered.
    guide_answers = EncryptedJSONField(_("answers given in the guide"))
    guide_version = models.CharField(_("guide's rulebook version"), max_length=20, blank=True)

    class Meta:
        ordering = ["received_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [models.UniqueConstraint(fields=["idempotency_key"],
                                               name="appeal_idempotency_once")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.pk}"

    def data_key_id(self) -> str:
        return self.submitter.data_key_id()


class IncomingEntry(WriteOnce):
    """An appeal's entry in its office's register of incoming mail: the incoming number
    (вх. №, ``accounts.services.register_number_next``). Written when the appeal is
    registered, which for an appeal from the public (web, API, import) comes after the
    appeal itself was stored: the number is a row of its own, not a field of the
    write-once appeal, so that every appeal has it in one place. Numbers say nothing
    about the person (office code, year, sequence)."""

    write_once_message = "an incoming number, once given, is never changed"

    appeal = models.OneToOneField(Appeal, primary_key=True, on_delete=models.CASCADE,
                                  related_name="incoming", verbose_name=_("appeal"))
    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT)
    number = models.CharField(_("incoming number"), max_length=32)
    registered_at = models.DateTimeField(_("registered"))

    class Meta:
        verbose_name = _("incoming register entry")
        verbose_name_plural = _("incoming register entries")
        # Number first: the queue search looks a number up without its office.
        constraints = [models.UniqueConstraint(fields=["number", "office"],
                                               name="incoming_number_office")]

    def __str__(self) -> str:
        return self.number



class CaseEvent(models.Model):
    """One entry of a case's timeline; written only through ``cases.events``."""

    # Indexed by event_case_at, which starts with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events",
                             db_index=False)
    kind = models.CharField(_("kind"), max_length=40)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL,
        null=True, blank=True,
    )
    public = models.BooleanField(_("shown to the applicant"), default=False)
    # Codes and ids (queried); the free texts of the event (reason, message to the
    # applicant) are in ``texts``, encrypted with the service member's data key.
    data = models.JSONField(default=dict, blank=True)
    texts = EncryptedJSONField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "at"], name="event_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()


class CaseNote(models.Model):
    """An internal note of staff on a case; never shown to the applicant."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    text = EncryptedTextField(_("note"))
    search_tokens = SearchTokensField(sources=("text",))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"{self.case_id}: note {self.pk}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()


class CaseSearch(models.Model):
    """The search words of one case, for full-text search on PostgreSQL (cases.search).

    ``vector`` holds the ``search_tokens`` of all the case's appeals and notes, the words
    of the n-th of those texts at position n; ``documents`` is how many texts have words.
    A case without words has no row. ``office`` is the case's office (a copy of
    ``Case.office_id``), so that a search limited to the actor's offices is answered from
    this table alone. Written only by PostgreSQL triggers on ``cases_appeal`` and
    ``cases_casenote`` (migration cases.0007) and, for ``office``, on ``cases_case``
    (cases.0009), so every write path (services, ``bulk_create``, COPY, ``update()``, raw
    SQL) keeps it right; never written from Python. Its GIN index
    (``case_search_vector``), the triggers, the partitions by office and the out-of-line
    storage of ``vector`` are made by those migrations (cases.0009 explains the storage).
    Empty on SQLite, where the search reads the texts' tokens."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    office = models.ForeignKey("accounts.Office", on_delete=models.DO_NOTHING,
                               db_constraint=False, db_index=False, related_name="+")
    vector = SearchVectorField()
    documents = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.case_id}: {self.documents} texts"


class CasePeople(models.Model):
    """The search keys of one case's people, for the person search on PostgreSQL
    (cases.search): ``keys`` holds the ``search_keys`` of its service member, each key
    marked ``m`` instead of ``k``, at position 1, and of its n-th applicant, marked ``a``,
    at position n + 1, so that one GIN lookup finds the cases whose people a query names,
    ``<0>`` tells the keys are one person's, and the mark whose. ``office`` is the case's
    office, as in :class:`CaseSearch`. Apart from the texts' words (a second lookup of the
    same kind), so that the texts' vectors stay as small as before. Written only by
    PostgreSQL triggers on cases, applicants and people (migration
    cases.0017_case_people); empty on SQLite, where the search reads the people's keys.
    Its foreign key to the case is made by that migration, ON DELETE CASCADE in the
    database: deleting a case's applicants makes the trigger write the row again."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True,
                                related_name="+", db_constraint=False)
    office = models.ForeignKey("accounts.Office", on_delete=models.DO_NOTHING,
                               db_constraint=False, db_index=False, related_name="+")
    keys = SearchVectorField()

    def __str__(self) -> str:
        return f"{self.case_id}: people"


class Deadline(models.Model):
    """One deadline rule applied to one case (recomputed at each transition)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.CharField(_("rule"), max_length=50)
    starts_on = models.DateField(_("counted from"))
    due_on = models.DateField(_("due"))
    extension_days = models.PositiveSmallIntegerField(_("extended by (days)"), default=0)
    pauses = models.JSONField(default=list, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    met = models.BooleanField(_("met on time"), null=True)
    flag = models.CharField(max_length=10, choices=DeadlineFlag.choices, default=DeadlineFlag.OK)

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [models.Index(fields=["closed_on", "due_on"], name="deadline_open_due")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rule} {self.due_on}"


class DocumentType(models.TextChoices):
    APPLICATION = "application", _("application or report to the commander")
    MILITARY_ID = "military_id", _("military ID booklet")
    MEDICAL_COMMISSION = "medical_commission", _("military medical commission conclusion")
    INJURY_CERTIFICATE = "injury_certificate", _("injury certificate")
    DISCHARGE_SUMMARY = "discharge_summary", _("hospital discharge summary")
    CONTRACT = "contract", _("contract")
    ORDER = "order", _("extract from an order")
    BIRTH_CERTIFICATE = "birth_certificate", _("birth certificate")
    DISABILITY = "disability", _("disability conclusion")
    EARLIER_ANSWER = "earlier_answer", _("earlier answer from an authority")
    LETTER = "letter", _("letter from the office")
    OTHER = "other", _("other document")


def document_path(instance: "Document", filename: str) -> str:
    # No personal data in paths: the case id and a random name only.
    import uuid

    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    appeal = models.ForeignKey(
        Appeal, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)
    file = models.FileField(_("file"), upload_to=document_path)
    # The file is stored encrypted with the service member's data key (cases.documents).
    original_name = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    generated = models.BooleanField(_("generated by casedesk"), default=False)
    public = models.BooleanField(_("the applicant can download it"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.doc_type}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("awaiting a decision")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class ExtensionRequest(models.Model):
    """A caseworker's request to extend a running deadline; a supervisor approves it (the
    deadline is extended and the applicant told) or refuses it with a reason. Written
    only through ``cases.extensions``."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_requests")
    rule = models.CharField(_("rule"), max_length=50, default="answer")
    days = models.PositiveSmallIntegerField(_("extend by (days)"))
    reason = EncryptedTextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    refusal = EncryptedTextField(_("reason for the refusal"), blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(fields=["case", "rule"],
                                    condition=models.Q(status="pending"),
                                    name="extension_request_one_pending"),
        ]
        indexes = [models.Index(fields=["status", "requested_at"],
                                name="extension_request_status")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rule} +{self.days} ({self.status})"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()


class Campaign(models.Model):
    """A group of near-identical appeals in one office (the same letter signed by many
    families, or a template passed among them), found by their similarity signatures
    (cases.campaigns). Each appeal stays its own case with its own applicant and
    deadline; the campaign only lets staff see, assign and answer them together."""

    office = models.ForeignKey("accounts.Office", verbose_name=_("office"),
                               on_delete=models.PROTECT, related_name="campaigns")
    created_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return f"campaign {self.pk}"


class CampaignAppeal(models.Model):
    """An appeal's place in a campaign (one campaign at most). The appeal is write-once,
    so its membership is this row; ``case`` is the appeal's case, copied so the campaign
    page lists cases without reading the appeals."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    appeal = models.OneToOneField(Appeal, on_delete=models.CASCADE, related_name="campaign_of")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="campaign_links")
    similarity = models.FloatField(_("similarity"), default=1.0)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.appeal_id}"
