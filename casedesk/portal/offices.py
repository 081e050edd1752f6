"""Who the applicant is writing to: the offices' names, addresses, contacts, hours, data
controllers and the regions they serve, for the portal's pages (read from the offices
kept by ``intake.routing``: no query per page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.intake import routing


@dataclass(frozen=True)
class OfficeCard:
    code: str
    name: str
    address: str
    phone: str
    phone_uri: str  # tel:+74950000001
    email: str
    hours: str
    controller: str
    regions: list[str]
    default: bool
    # The office's deadlines are its own rules, not law (an NGO's procedure).
    own_policy: bool = False


def office_card(office: Office, language: str | None = None) -> OfficeCard:
    language = language or translation.get_language() or "ru"
    offices = routing.office_map()
    return OfficeCard(
        code=office.code, name=office.name(language), address=office.address(language),
        phone=office.phone, phone_uri=_tel(office.phone), email=office.email,
        hours=office.hours(language),
        controller=office.controller(language),
        regions=[region.label(language) for region in offices.regions_of(office)],
        default=offices.default is not None and offices.default.pk == office.pk,
        own_policy=_own_policy(office))


def _own_policy(office: Office) -> bool:
    procedure = rulebook.current().procedures.get(office.procedure)
    return bool(procedure and procedure.own_policy)


def _tel(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}" if digits else ""


def office_cards(language: str | None = None) -> list[OfficeCard]:
    """The active offices, the default one first."""
    cards = [office_card(office, language) for office in routing.public_offices()]
    return sorted(cards, key=lambda card: not card.default)


def office_card_by_id(office_id: int | None) -> OfficeCard | None:
    office = routing.office_by_id(office_id)
    return office_card(office) if office else None


def office_choices(language: str | None = None) -> list[tuple[str, str]]:
    """The offices an applicant may choose among, with the regions they serve; empty when
    every region is served by one office at most (then there is nothing to choose)."""
    if not routing.office_map().has_choice:
        return []
    return [(card.code, f"{card.name} ({', '.join(card.regions)})" if card.regions
             else card.name) for card in office_cards(language)]
