"""In-transaction hooks that record the applicant's notices in the outbox (subscribed in
``apps.ready`` with ``in_transaction=True``): each notice is written in the transaction of
the change that owes it, and ``outbox`` sends it after the commit.

Rows hold ids, codes and the sealed access code only: the address, the names and the texts
are read from the case when the notice is sent.
"""

from __future__ import annotations

from . import outbox


def on_appeal_acknowledged(*, case_id: int, sealed_code: str, **_ignored) -> None:
    """The appeal is stored: its acknowledgement (number, access code, answer date)."""
    outbox.record(outbox.ACKNOWLEDGEMENT, case_id=case_id,
                  key=outbox.key_acknowledgement(case_id), sealed=sealed_code)


def on_appeals_acknowledged(payloads: list[dict]) -> None:
    """``on_appeal_acknowledged`` for appeals written together: one COPY."""
    outbox.record_many(outbox.ACKNOWLEDGEMENT, [
        {"case_id": p["case_id"], "key": outbox.key_acknowledgement(p["case_id"]),
         "sealed": p["sealed_code"]} for p in payloads])


def on_access_code_recovered(*, case_id: int, sealed_code: str, **_ignored) -> None:
    outbox.record(outbox.ACCESS_CODE, case_id=case_id,
                  key=outbox.key_access_code(case_id), sealed=sealed_code)


def on_access_code_reissued(*, case_id: int, **_ignored) -> None:
    """Staff replaced the applicant's access code: the applicant is told (never the code:
    the office gives it by letter or in person), so a code that stopped working, or one
    they did not ask for, is no silent surprise."""
    outbox.record(outbox.ACCESS_CODE_REISSUED, case_id=case_id,
                  key=outbox.key_access_code_reissued(case_id))


def on_case_moved(*, case_id: int, transition: str, **_ignored) -> None:
    """The office asked the applicant a question. (The other moves' notices come with
    their letters, ``on_letter_generated``, or the signed answer, ``on_answer_signed``.)"""
    if transition == "request_information":
        key, targets = outbox.key_information_request(case_id)
        outbox.record(outbox.INFORMATION_REQUEST, case_id=case_id, key=key,
                      target_ids=targets)


def on_letter_generated(*, case_id: int, kind: str, document_ids=(), **_ignored) -> None:
    """A notice the law requires (forwarding, extension, no answer) was written: email
    the applicant that it is on the status page."""
    if kind in outbox.LETTER_NOTICES:
        documents = sorted(document_ids or ())
        first = documents[0] if documents else "none"
        outbox.record(kind, case_id=case_id, key=f"{kind}:{case_id}:{first}",
                      target_ids=documents)


def on_answer_signed(*, case_id: int, answer_id: int | None = None, **_ignored) -> None:
    """An answer (or a supplement to one) was signed and sent: "your answer is ready"."""
    outbox.record(outbox.ANSWER_READY, case_id=case_id,
                  key=f"{outbox.ANSWER_READY}:{case_id}:{answer_id}",
                  target_ids=[answer_id] if answer_id else [])


def on_cases_erased(*, case_ids: list[int], **_ignored) -> None:
    """An erasure (``people.lifecycle.erasure``) of people in ``case_ids``: their notices lose the
    sealed access code, and those still to send are given up (there is no address left
    to write to, and the code they would carry is revoked)."""
    outbox.outbox_forget(case_ids=case_ids)
