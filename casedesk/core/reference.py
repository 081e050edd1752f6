"""Reference data shipped with casedesk (regions)."""

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "regions.csv"


def load_regions(region_model) -> int:
    """Insert the regions that are missing; returns how many were added. Takes the model
    as an argument so that the data migration can pass its historical model."""
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(region_model.objects.values_list("code", flat=True))
    missing = [region_model(**row) for row in rows if row["code"] not in existing]
    region_model.objects.bulk_create(missing)
    return len(missing)
