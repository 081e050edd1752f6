"""Subject access: everything casedesk holds about one person, as a file (GDPR art. 15,
152-FZ art. 14). Made by a supervisor on the person's request and recorded in the audit
log (the entry holds the person's id and counts, never the data)."""

from __future__ import annotations

import json

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.audit.services import audit_record
from casedesk.cases import permissions
from casedesk.cases.models import Appeal, Case, Document
from casedesk.core.errors import ApplicationError
from casedesk.facts.models import Fact
from casedesk.people.models import Person


def subject_export(*, actor, person: Person) -> bytes:
    """A JSON file of the person's details, the cases they are in (as service member or
    applicant), what they wrote, the documents of those cases, and the facts found in the
    appeals (casedesk.facts) of the cases about them and of the appeals they wrote, as
    erasure reaches them (decrypted like the rest). Only a supervisor of an office holding
    one of those cases may make it, and it covers that office's cases."""
    if not permissions.can(actor, "subject_export"):
        raise ApplicationError("forbidden", _("Only a supervisor can export a person's data."))
    offices = permissions.office_ids(actor)
    cases = list(
        Case.objects.filter(Q(service_member=person) | Q(applicant_links__person=person),
                            office_id__in=offices)
        .distinct().select_related("office").order_by("received_at"))
    if not cases:
        raise ApplicationError("not_found", _("No case of your offices concerns this person."))
    appeals = Appeal.objects.filter(submitter=person, case__in=cases).order_by("received_at")
    documents = Document.objects.filter(case__in=cases).order_by("created_at")
    # Sealed with each case's service member's key (Fact.data_key_id): read with it.
    facts = (Fact.objects.filter(Q(case__service_member=person) | Q(appeal__submitter=person),
                                 case__in=cases)
             .select_related("case__service_member", "appeal")
             .order_by("appeal__received_at", "appeal_id", "start"))
    region = person.region
    export = {
        "exported_at": timezone.now().isoformat(),
        "person": {
            "full_name": person.full_name,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "email": person.email, "phone": person.phone,
            "postal_address": person.postal_address, "service_type": person.service_type,
            "unit": person.unit, "region": region.code if region else None,
        },
        "cases": [{
            "number": c.number, "office": c.office.code, "state": c.state,
            "category": c.category, "received_at": c.received_at.isoformat(),
            "role": "service_member" if c.service_member_id == person.pk else "applicant",
            # The body the appeal went to (a recipient of their data, GDPR art. 15(1)(c)).
            "forwarded_to": c.forwarded_to or None, "forward_body": c.forward_body or None,
        } for c in cases],
        "appeals": [{
            "case": a.case.number, "channel": a.channel, "received_at": a.received_at.isoformat(),
            "language": a.language, "text": a.text, "request": a.request,
            # Answers given in the portal's pathways guide (question key: answer).
            "guide_answers": a.guide_answers or None,
        } for a in appeals.select_related("case")],
        "documents": [{
            "case": d.case.number, "type": d.doc_type, "name": d.original_name,
            "added": d.created_at.isoformat(), "sha256": d.sha256,
        } for d in documents.select_related("case")],
        # Found in the appeals' texts by casedesk.facts: the words, where they stand in
        # the appeal (character offsets), and their normal form (a unit's number, a date).
        "facts": [{
            "case": f.case.number, "appeal_received_at": f.appeal.received_at.isoformat(),
            "kind": f.type, "text": f.text, "normal": f.normal or None,
            "start": f.start, "end": f.end,
        } for f in facts],
    }
    audit_record(action="export", actor=actor, object_type="person", object_id=person.pk,
                 data={"kind": "subject_access", "format": "json", "count": len(cases)})
    return json.dumps(export, ensure_ascii=False, indent=2).encode()
