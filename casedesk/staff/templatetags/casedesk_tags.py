import contextlib

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def abs_value(value):
    return abs(value) if value is not None else value


@register.filter
def category_label(book, code):
    return book.category_label(code, translation.get_language())


@register.filter
def get_field(form, name):
    return form[name]


@register.filter
def transition_label(name):
    from casedesk.cases.workflow import TRANSITIONS

    spec = TRANSITIONS.get(name)
    return spec.label if spec else name


@register.filter
def state_label(value):
    from casedesk.core.states import CaseState

    try:
        return CaseState(value).label
    except ValueError:
        return value


@register.filter
def outcome_label(value):
    from casedesk.cases.workflow import Outcome

    try:
        return Outcome(value).label
    except ValueError:
        return value


@register.filter
def event_label(event):
    from casedesk.cases.events import EventKind

    try:
        return EventKind(event.kind).label
    except ValueError:
        return event.kind


@register.filter
def iso_date(value):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def office_name(office):
    name = office.name_en if translation.get_language() == "en" else office.name_ru
    return f"{name} ({office.code})"


@register.filter
def staff_name(user_id, names):
    return names.get(user_id, "—") if user_id else "—"


@register.filter
def who(user):
    """A staff member's name for display, or a dash."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username


@register.filter
def public_event(event):
    """What the applicant may read of a timeline event: never staff names, reasons or
    notes."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from casedesk.cases.events import EventKind
    from casedesk.cases.workflow import Outcome
    from casedesk.core.states import CaseState

    data = event.data
    if event.kind == EventKind.STATE_CHANGED:
        try:
            text = _("Status: %(state)s.") % {"state": CaseState(data["target"]).label}
        except (KeyError, ValueError):
            return ""
        if data.get("transition") == "request_information" and data.get("message"):
            text += " " + _("The office asked: %(message)s") % {"message": data["message"]}
        if data.get("outcome") and data.get("transition") == "answer":
            with contextlib.suppress(ValueError):
                text += " " + _("Outcome: %(outcome)s.") % {"outcome": Outcome(
                    data["outcome"]).label}
        if data.get("forwarded_to"):
            text += " " + _("Forwarded to: %(body)s.") % {"body": data["forwarded_to"]}
        return text
    if event.kind == EventKind.DEADLINE_EXTENDED:
        day = iso_date(data.get("due_on"))
        return _("The time to answer was extended to %(date)s.") % {
            "date": date_format(day, "DATE_FORMAT") if day else "—"}
    if event.kind == EventKind.CASE_OPENED:
        return _("The appeal was received.")
    if event.kind == EventKind.APPEAL_ATTACHED:
        return _("More information was added to the case.")
    if event.kind == EventKind.DOCUMENT_ADDED:
        return _("A document was added to the case.")
    return ""
