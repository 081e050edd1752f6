"""Campaigns: grouping near-identical appeals by their keyed similarity signatures.

Every appeal stores a keyed MinHash of its text (``Appeal.similarity``,
casedesk.core.similarity). :func:`campaigns_group` reads the signatures of an office's
appeals, finds candidate pairs through the LSH bands (appeals sharing a band), keeps the
pairs whose estimated Jaccard similarity reaches the threshold, joins them transitively
and writes each group of at least ``min_size`` appeals as a :class:`Campaign`. It is
incremental: appeals already in a campaign are read too, and a new appeal like them joins
their campaign; appeals are never moved out of a campaign by it.

Nothing here decrypts a text: the grouping runs on the signatures alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from casedesk.accounts.models import Office
from casedesk.core import similarity

from .models import Appeal, Campaign, CampaignAppeal

THRESHOLD = 0.8


@dataclass
class Grouping:
    appeals: int = 0  # signatures read
    campaigns_new: int = 0
    joined: int = 0  # appeals added to campaigns (new or existing)


class _Sets:
    """Union-find over appeal indices."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def similar_groups(signatures: list[bytes], threshold: float = THRESHOLD) -> list[list[int]]:
    """The groups (lists of indices into ``signatures``, decoded) of two or more
    signatures joined by pairs at least ``threshold`` alike. A bucket of a band keeps only
    the signatures that matched nobody in it, so a campaign of a thousand identical
    letters costs a thousand comparisons, not half a million."""
    sets = _Sets(len(signatures))
    buckets: dict[bytes, list[int]] = {}
    jaccard = similarity.jaccard
    for i, raw in enumerate(signatures):
        if not raw:
            continue
        compared: set[int] = set()
        for band in similarity.bands(raw):
            bucket = buckets.get(band)
            if bucket is None:
                buckets[band] = [i]
                continue
            matched = False
            for j in bucket:
                if sets.find(j) == sets.find(i):
                    matched = True
                    continue
                if j in compared:
                    continue
                compared.add(j)
                if jaccard(raw, signatures[j]) >= threshold:
                    sets.union(i, j)
                    matched = True
            if not matched:
                bucket.append(i)
    groups: dict[int, list[int]] = {}
    for i, raw in enumerate(signatures):
        if raw:
            groups.setdefault(sets.find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def campaigns_group(*, office: Office, since: dt.datetime | None = None,
                    threshold: float = THRESHOLD, min_size: int = 2) -> Grouping:
    """Group the office's appeals received since ``since`` (all, if None) that are alike,
    together with the appeals already in its campaigns, into campaigns."""
    wanted = Q(case__office=office)
    if since is not None:
        wanted &= Q(received_at__gte=since)
    rows = list(Appeal.objects.filter(wanted | Q(campaign_of__campaign__office=office))
                .exclude(similarity="").order_by("received_at", "pk")
                .values_list("pk", "case_id", "similarity", "campaign_of__campaign_id"))
    signatures = [similarity.decode(row[2]) for row in rows]
    result = Grouping(appeals=len(rows))
    groups = similar_groups(signatures, threshold)
    with transaction.atomic():
        for group in groups:
            campaign_ids = sorted({rows[i][3] for i in group if rows[i][3] is not None})
            new = [i for i in group if rows[i][3] is None]
            if not new or (not campaign_ids and len(group) < min_size):
                continue
            if campaign_ids:
                campaign_id = campaign_ids[0]
                anchor = next(i for i in group if rows[i][3] == campaign_id)
            else:
                campaign_id = Campaign.objects.create(office=office).pk
                result.campaigns_new += 1
                anchor = group[0]
            CampaignAppeal.objects.bulk_create(
                [CampaignAppeal(campaign_id=campaign_id, appeal_id=rows[i][0],
                                case_id=rows[i][1],
                                similarity=round(similarity.jaccard(
                                    signatures[i], signatures[anchor]), 3))
                 for i in new], ignore_conflicts=True)
            result.joined += len(new)
    return result
