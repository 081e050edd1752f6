"""Which office a public appeal (web form or API) goes to.

Each office declares the regions it serves (``Office.regions``) and one office may be the
default (``Office.is_default``). An appeal goes to an office serving the service member's
region, else the applicant's region, else to the default office; where several active
offices serve that region, the applicant may choose one of them (a choice of an office
that does not serve the region is refused).

The offices and their regions are read once and kept for the life of the process, like the
region ids in ``services``, so routing an appeal does not touch the database. They are
read again after ``MAX_AGE`` seconds (an administrator's change reaches every server
process by then) and at once in the process where an office or its regions were saved
(``offices_forget``, connected to the model signals in ``apps.ready``; tests call it too).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.models import Office
from casedesk.core.errors import ApplicationError
from casedesk.core.reference import region_label

# Seconds the offices are kept before they are read again.
MAX_AGE = 300


@dataclass(frozen=True)
class ServedRegion:
    id: int
    code: str
    name_ru: str
    name_en: str
    iso_code: str = ""

    def name(self, language: str | None = None) -> str:
        language = language or translation.get_language()
        return self.name_en if language == "en" else self.name_ru

    def label(self, language: str | None = None) -> str:
        """As published (CASEDESK_REGION_LABELS): the portal's office cards."""
        return region_label(iso_code=self.iso_code, name_ru=self.name_ru,
                            name_en=self.name_en, language=language)


@dataclass(frozen=True)
class OfficeMap:
    offices: tuple[Office, ...]  # the active offices, by code
    by_code: dict[str, Office]
    by_region: dict[int, tuple[Office, ...]]  # region id → active offices serving it
    regions: dict[int, tuple[ServedRegion, ...]]  # office id → the regions it serves
    default: Office | None
    fixed: Office | None = None  # CASEDESK_PUBLIC_OFFICE: receives every public appeal
    loaded_at: float = field(default_factory=time.monotonic)

    def regions_of(self, office: Office) -> tuple[ServedRegion, ...]:
        return self.regions.get(office.pk, ())

    @property
    def has_choice(self) -> bool:
        """Some region is served by more than one active office."""
        return self.fixed is None and any(len(offices) > 1 for offices in self.by_region.values())


_map: OfficeMap | None = None
_lock = threading.Lock()


def _load() -> OfficeMap:
    offices = tuple(Office.objects.filter(is_active=True).order_by("code"))
    by_id = {office.pk: office for office in offices}
    by_region: dict[int, list[Office]] = {}
    regions: dict[int, list[ServedRegion]] = {}
    rows = (Office.regions.through.objects.filter(office__is_active=True)
            .values_list("office_id", "region_id", "region__code", "region__name_ru",
                         "region__name_en", "region__iso_code"))
    for office_id, region_id, code, name_ru, name_en, iso_code in rows:
        by_region.setdefault(region_id, []).append(by_id[office_id])
        regions.setdefault(office_id, []).append(ServedRegion(region_id, code, name_ru,
                                                              name_en, iso_code))
    fixed = next((office for office in offices
                  if office.code == settings.CASEDESK_PUBLIC_OFFICE), None)
    # The office marked as default, else the first by code.
    default = fixed or next((office for office in offices if office.is_default),
                            offices[0] if offices else None)
    return OfficeMap(
        offices=offices, by_code={office.code: office for office in offices},
        by_region={region: tuple(sorted(served, key=lambda o: o.code))
                   for region, served in by_region.items()},
        regions={office: tuple(sorted(served, key=lambda r: r.name_ru))
                 for office, served in regions.items()},
        default=default, fixed=fixed)


def office_map() -> OfficeMap:
    """The active offices and the regions they serve (kept per process, see above)."""
    global _map
    current = _map
    if current is not None and time.monotonic() - current.loaded_at < MAX_AGE:
        return current
    with _lock:
        if _map is None or time.monotonic() - _map.loaded_at >= MAX_AGE:
            _map = _load()
        return _map


def offices_forget(*_args, **_kwargs) -> None:
    """Read the offices again at the next appeal (after an office or its regions changed;
    signal receivers pass arguments, which are ignored)."""
    global _map
    _map = None


def public_offices() -> tuple[Office, ...]:
    """The active offices, by code, for the portal's list of who receives appeals (only
    the one CASEDESK_PUBLIC_OFFICE names, when it does)."""
    offices = office_map()
    return (offices.fixed,) if offices.fixed else offices.offices


def office_by_id(office_id: int | None) -> Office | None:
    return next((o for o in office_map().offices if o.pk == office_id), None)


def office_route(*, member_region_id: int | None, applicant_region_id: int | None,
                 chosen: str = "") -> Office:
    """The office a public appeal goes to. ``chosen``: the code of the office the
    applicant chose (empty: none); refused when it does not serve the region that decides
    (or, for a region no office serves, when it is not the default office)."""
    offices = office_map()
    if not offices.offices or offices.default is None:
        raise ApplicationError("no_office", _("The service is not open yet. Please try later."))
    if offices.fixed is not None:
        return offices.fixed
    region_id = member_region_id or applicant_region_id
    serving = offices.by_region.get(region_id, ()) if region_id else ()
    chosen = (chosen or "").strip().upper()
    if chosen:
        office = offices.by_code.get(chosen)
        if office is None:
            raise ApplicationError("unknown_office", _("Choose an office from the list."))
        if region_id is None:
            return office  # no region given: the applicant's choice decides
        if office in (serving or (offices.default,)):
            return office
        raise ApplicationError(
            "office_not_serving_region",
            _("The office you chose does not receive appeals from the region given in the "
              "appeal. Choose an office that serves that region, or leave the choice empty."))
    if serving:
        default = offices.default
        return default if default in serving else serving[0]
    return offices.default
