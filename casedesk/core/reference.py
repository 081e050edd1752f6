"""Reference data shipped with casedesk (regions), and how regions are labelled where the
public reads them.

Each region has a neutral internal key (``Region.code``) that never changes, and two
labels a deployment chooses between with ``CASEDESK_REGION_LABELS`` (docs/statistics.md):

- ``names``: the Russian administrative name (in English pages, its English form);
- ``iso``: the ISO 3166-2 code, as international bodies use them.
"""

import csv
from pathlib import Path

from django.conf import settings
from django.utils import translation

DATA = Path(__file__).resolve().parent / "data" / "regions.csv"

def _rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _values(row: dict[str, str], fields: set[str]) -> dict:
    """The row's columns the model has (the first data migration passes a historical
    model without the columns added since), typed."""
    values: dict = {k: v for k, v in row.items() if k in fields}
    if "federal_subject" in values:
        values["federal_subject"] = values["federal_subject"] == "1"
    return values


def load_regions(region_model) -> int:
    """Insert the regions that are missing and bring the others' reference columns up to
    date, by key; returns how many were added. Keys, ids and rows are never deleted or
    renamed: offices, members and statistics point at them. Takes the model as an argument
    so that data migrations can pass their historical model."""
    fields = {f.name for f in region_model._meta.get_fields() if f.concrete} - {"id"}
    rows = [_values(row, fields) for row in _rows()]
    existing = {r.code: r for r in region_model.objects.all()}
    missing = [region_model(**row) for row in rows if row["code"] not in existing]
    region_model.objects.bulk_create(missing)
    changed = []
    for row in rows:
        region = existing.get(row["code"])
        if region is None:
            continue
        if any(getattr(region, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(region, k, v)
            changed.append(region)
    if changed:
        region_model.objects.bulk_update(changed, sorted(fields - {"code"}))
    return len(missing)


def region_label(*, iso_code: str, name_ru: str, name_en: str,
                 language: str | None = None) -> str:
    """A region as published, by the deployment's choice (CASEDESK_REGION_LABELS)."""
    if settings.CASEDESK_REGION_LABELS == "iso" and iso_code:
        return iso_code
    language = language or translation.get_language()
    return name_en if language == "en" else name_ru
