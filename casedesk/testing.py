"""Helpers for tests: moments in the office's time zone, walking the workflow, small files."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections import deque

from django.utils import timezone

from casedesk.cases.workflow import TRANSITIONS
from casedesk.core.states import CaseState

EXTRA = {
    "reason": "Причина указана в служебной записке.",
    "message": "Просим прислать копию выписного эпикриза.",
    "outcome": "upheld",
    "forwarded_to": "Военная прокуратура",
    "ground": "unreadable",
    # The signed answer's id: casedesk.cases knows answers by id only (casedesk.letters
    # signs them, and its tests walk the real path); a walk of the table names one.
    "answer": 1,
}


def at(day: str, hour: int = 12) -> dt.datetime:
    """A moment in the current time zone on ``day`` (YYYY-MM-DD)."""
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def shortest_paths() -> dict[str, list[str]]:
    """For every state, the shortest list of transitions that reaches it from ``received``."""
    paths: dict[str, list[str]] = {CaseState.RECEIVED: []}
    queue = deque([CaseState.RECEIVED.value])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS.values():
            if state in t.sources and t.target not in paths:
                paths[t.target] = [*paths[state], t.name]
                queue.append(t.target.value)
    return paths


def arguments_for(transition: str) -> dict[str, str]:
    return {name: EXTRA[name] for name in TRANSITIONS[transition].requires}


def actor_for(transition: str, staff: dict, case=None) -> object:
    """Someone allowed to make ``transition``: a staff member of a role in the table, or
    the applicant of ``case`` for the applicant's own moves."""
    from casedesk.cases.permissions import ApplicantActor
    from casedesk.cases.workflow import APPLICANT

    roles = TRANSITIONS[transition].roles
    if APPLICANT in roles:
        return ApplicantActor(case_id=case.pk)
    return next(staff[role] for role in staff if role in roles)


# --- small real files for upload tests ----------------------------------------------------


def pdf_bytes(text: str = "casedesk", *, objects: tuple[bytes, ...] = (),
              catalog_extra: bytes = b"", content: bytes | None = None) -> bytes:
    """A small but complete one-page PDF (catalogue, page, font, content, xref table).
    ``objects``: more objects, numbered from 6 on; ``catalog_extra``: entries added to the
    catalogue (an /OpenAction, say); ``content``: the page's content stream instead of a
    line of ``text``."""
    if content is None:
        content = b"BT /F1 18 Tf 20 40 Td (" + text.encode("ascii") + b") Tj ET"
    catalog = b"<< /Type /Catalog /Pages 2 0 R " + (
        catalog_extra + b" " if catalog_extra else b"") + b">>"
    objects = [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *objects,
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A small red RGB PNG, built by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
