
import re

from django import template
from django.utils import translation

from casedesk.cases import permissions, timeline

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def unit_label(unit):
    """A service member's unit as a page names it: a number alone with the word for a unit
    («в/ч 74814», "unit 74814"), a unit written with its kind («в/ч 74814», «войсковая
    часть 74814», "12-я бригада") as written: the kind is not said twice."""
    unit = (unit or "").strip()
    if unit and _NUMBER_ALONE.fullmatch(unit):
        return f"{translation.gettext('unit')} {unit}"
    return unit


_NUMBER_ALONE = re.compile(r"[\d\s№#-]+")


@register.filter
def abs_value(value):
    return abs(value) if value is not None else value


@register.filter
def category_label(book, code):
    return book.category_label(code, translation.get_language())


@register.filter
def classification_label(book, codes):
    """``book|classification_label:event.data.after``: the category and sub-category of a
    ``reclassified`` event's side, in the page's language."""
    return book.classification_label(codes.get("category", ""), codes.get("subcategory", ""),
                                     translation.get_language())


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
def can(user, action: str) -> bool:
    """``user|can:"reclassify"``: whether to offer ``user`` an action of
    ``cases.workflow.ACTIONS`` (the service decides)."""
    return permissions.can(user, action)


@register.filter
def public_event(event):
    """What the applicant may read of a timeline event (never staff names or reasons)."""
    return timeline.public_event_text(event) or ""


@register.filter
def commission_name(commission):
    return commission.name_en if translation.get_language() == "en" else commission.name_ru


@register.filter
def letter_title(document):
    """A letter as the applicant should see it: what it is and its format, not a file
    name."""
    from django.utils.translation import gettext as _

    kinds = {"acknowledgement": _("Acknowledgement of receipt"),
             "information_request": _("Request for information"),
             "extension_notice": _("Notice of extension"),
             "forwarding_notice": _("Notice of forwarding"),
             "unanswered_notice": _("Notice that the appeal is left unanswered"),
             "covering_letter": _("Covering letter to the competent body"),
             "decision": _("Decision of the commission"),
             "answer": _("Answer to your appeal")}
    name = document.original_name or ""
    kind = kinds.get(timeline.letter_kind(document)) or str(document.get_doc_type_display())
    extension = name.rsplit(".", 1)[-1].upper() if "." in name else ""
    return f"{kind} ({extension})" if extension else kind


@register.filter
def cite(citation, book=None):
    """A legal citation as the page's language shows it: Russian as written; on English
    pages followed by its English gloss from the rulebook (acts.yaml). ``book`` is the
    rulebook version (the current one if not given)."""
    from casedesk import rulebook

    return (book or rulebook.current()).citation(citation or "", translation.get_language())
