from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk.core.reference import region_label


class Region(models.Model):
    """A federal subject of Russia as art. 65 of the Constitution lists them (reference
    data from the FIAS register, CC BY-SA 4.0; docs/statistics.md). ``code`` is the
    internal key: it never changes (offices, statistics, the API and imports hold it);
    what people read is ``label()``, chosen per deployment by CASEDESK_REGION_LABELS."""

    code = models.CharField(_("key"), max_length=8, unique=True)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=8, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    federal_district = models.CharField(_("federal district"), max_length=50)
    # False for a territory that appears in the FIAS register but is not a federal
    # subject (Baikonur, leased from Kazakhstan): kept so that appeals naming it still
    # route and count, left out of the 89.
    federal_subject = models.BooleanField(_("federal subject"), default=True)

    class Meta:
        ordering = ["name_ru"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_ru

    def label(self, language: str | None = None) -> str:
        """The region as published (statistics, open data, the portal's office cards)."""
        return region_label(iso_code=self.iso_code, name_ru=self.name_ru,
                            name_en=self.name_en, language=language)


class WriteOnce(models.Model):
    """A record that is written once and never changed: an integrity rule of the data (an
    appeal as the person wrote it, a signed decision, an audit entry), not business logic.
    ``write_once_message`` says what to do instead."""

    write_once_message = "this record cannot be changed"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(self.write_once_message)
        super().save(*args, **kwargs)


class DataKey(models.Model):
    """A person's data key, wrapped by a master key (casedesk.core.crypto). Stored in the
    key store (database alias ``keys``), never beside the data; deleting the row erases
    everything encrypted with it."""

    id = models.CharField(primary_key=True, max_length=32)
    master_key = models.CharField(max_length=32, db_index=True)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")

    def __str__(self) -> str:
        return self.id


class DestroyedKey(models.Model):
    """The id of a data key that was destroyed on purpose (an erasure, a finished
    import), kept in the key store beside the live keys: data sealed with it then reads
    as erased, while a key that is neither here nor in :class:`DataKey` is an error (the
    key store is older than the data: casedesk.core.crypto.KeyNotInStore). It holds no
    key and names no one."""

    id = models.CharField(primary_key=True, max_length=32)
    destroyed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("destroyed data key")
        verbose_name_plural = _("destroyed data keys")

    def __str__(self) -> str:
        return self.id
