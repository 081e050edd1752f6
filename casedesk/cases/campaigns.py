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
from django.db.models import Count, F, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.models import Office
from casedesk.core import crypto, similarity
from casedesk.core.errors import ApplicationError

from . import permissions
from .models import Appeal, Campaign, CampaignAppeal, Case

THRESHOLD = 0.8
BUCKET = 8


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
    signatures joined by pairs at least ``threshold`` alike.

    A bucket of a band keeps only the signatures that matched nobody in it, so a campaign
    of a thousand identical letters costs a thousand comparisons, not half a million; and
    it stops growing at :data:`BUCKET` such signatures: a band that many different texts
    share is a stock phrase, as a stop word is to search, and comparing every new text
    with all of them would make the grouping quadratic."""
    sets = _Sets(len(signatures))
    buckets: dict[bytes, list[int]] = {}
    alike = similarity.jaccard_prepared
    ready = [similarity.prepared(raw) for raw in signatures]
    find = sets.find
    for i, raw in enumerate(signatures):
        if not raw:
            continue
        mine = ready[i]
        compared: dict[int, bool] = {}  # j: whether i is like j
        for band in similarity.bands(raw):
            bucket = buckets.get(band)
            if bucket is None:
                buckets[band] = [i]
                continue
            matched = False
            for j in bucket:
                like = compared.get(j)
                if like is None:
                    like = compared[j] = (find(j) == find(i)
                                          or alike(mine, ready[j]) >= threshold)
                    if like:
                        sets.union(i, j)
                matched = matched or like
            if not matched and len(bucket) < BUCKET:
                bucket.append(i)
    groups: dict[int, list[int]] = {}
    for i, raw in enumerate(signatures):
        if raw:
            groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def campaigns_group(*, office: Office, since: dt.datetime | None = None,
                    threshold: float = THRESHOLD, min_size: int = 2) -> Grouping:
    """Group the office's appeals received since ``since`` (all, if None) that are alike,
    together with the appeals already in its campaigns, into campaigns."""
    members = dict(CampaignAppeal.objects.filter(campaign__office=office)
                   .values_list("appeal_id", "campaign_id"))
    recent = Appeal.objects.filter(case__office=office).exclude(similarity="")
    if since is not None:
        recent = recent.filter(received_at__gte=since)
    rows = [(pk, case_id, signature, members.get(pk)) for pk, case_id, signature
            in recent.order_by("received_at", "pk").values_list("pk", "case_id", "similarity")]
    if since is not None and members:
        # The appeals already in campaigns, however old, so that new ones can join them.
        seen = {row[0] for row in rows}
        older = [pk for pk in members if pk not in seen]
        rows[:0] = [(pk, case_id, signature, members[pk]) for pk, case_id, signature in
                    Appeal.objects.filter(pk__in=older).exclude(similarity="")
                    .order_by("received_at", "pk")
                    .values_list("pk", "case_id", "similarity")]
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


def similarity_backfill(*, batch: int = 2000) -> int:
    """Compute the signature of the appeals stored before signatures existed (or with
    one blanked), in batches by id, decrypting their texts; returns how many got one.
    Erased appeals (no text) are skipped, and a text too short keeps ""."""
    field = Appeal._meta.get_field("text")
    # The ciphertexts as stored (Cast skips the field's decryption on load), so that the
    # batch's keys are unwrapped in one query, not one per appeal.
    raw = Cast("text", output_field=TextField())
    done = last = 0
    while True:
        rows = list(Appeal.objects.filter(pk__gt=last, similarity="").exclude(text="")
                    .order_by("pk").values_list("pk", raw)[:batch])
        if not rows:
            return done
        last = rows[-1][0]
        crypto.keys_prefetch({crypto.text_key_id(token) for _pk, token in rows})
        changed = []
        for pk, token in rows:
            value = similarity.signature(field.from_db_value(token, None, None))
            if value:
                changed.append(Appeal(pk=pk, similarity=value))
        Appeal.objects.bulk_update(changed, ["similarity"])
        done += len(changed)


# ---------------------------------------------------------------------------- selectors


def campaign_list(*, actor) -> QuerySet[Campaign]:
    """The campaigns of the offices ``actor`` may see, newest first, with their size."""
    return (Campaign.objects.filter(office_id__in=permissions.office_ids(actor))
            .select_related("office").annotate(size=Count("members"))
            .order_by("-created_at", "-pk"))


def campaign_get(*, actor, campaign_id: int) -> Campaign:
    campaign = campaign_list(actor=actor).filter(pk=campaign_id).first()
    if campaign is None:
        raise ApplicationError("not_found", _("No such campaign."))
    return campaign


def campaign_cases(*, campaign: Campaign) -> QuerySet[Case]:
    """The campaign's cases, the nearest deadline first."""
    return (Case.objects.filter(campaign_links__campaign=campaign)
            .select_related("office", "assignee")
            .order_by(F("next_due_on").asc(nulls_last=True), "received_at", "pk"))
