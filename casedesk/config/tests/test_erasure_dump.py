"""After both people of a case are erased, nothing of theirs is left anywhere we keep data
(issue 15, findings 2 and 11): a relative writes through the public form in Moscow about a
service member who also has a case in St Petersburg; staff work both cases with every free
text they can type (a note, a question, reasons, an extension, a commission referral, an
answer returned and signed, a forwarding to a named body and unit, an uploaded file); the
emails go out through the worker into the development mail spool; the relative opens the
status page. Then a supervisor erases both people, and a full dump is searched for every
value they gave and every text staff typed: ``pg_dump`` of the data and of the key store,
the media directory, the mail spool, the task rows and the sessions. The old access code
opens neither the status page nor the API any more."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import shutil

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.roles import Role
from casedesk.cases.documents import document_add
from casedesk.cases.extensions import extension_request
from casedesk.cases.models import Case
from casedesk.cases.services import case_open, case_reclassify, case_transition, note_add
from casedesk.core import secrets
from casedesk.core.models import Region
from casedesk.core.tests.test_dump import forms_of, found, pg_dump
from casedesk.intake import public
from casedesk.intake.models import PublicSubmission
from casedesk.intake.services import PersonData
from casedesk.letters.answers import answer_draft_save, answer_return, answer_sign
from casedesk.letters.notices import case_move, extension_approve_notify
from casedesk.notifications import outbox
from casedesk.notifications.models import Outbox, OutboxState
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.portal.views import SESSION_RECEIPT
from casedesk.review.models import Commission, CommissionMember
from casedesk.review.services import referral_create
from casedesk.testing import pdf_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]

# The service member and the relative who writes for him: a distinctive value in every
# personal field.
MEMBER = "Ферапонтов Евстигней Варсонофьевич"
MEMBER_BIRTH = dt.date(1991, 3, 17)
MEMBER_UNIT = "в/ч Кукуево-58317"
MEMBER_PHONE = "+7 (913) 482-71-56"
MEMBER_EMAIL = "evstigney.ferap@example.org"
MEMBER_ADDRESS = "Кологрив, ул. Пескомойная, д. 9"
RELATIVE = "Ферапонтова Пелагея Автономовна"
RELATIVE_PHONE = "+7 (914) 503-62-18"
RELATIVE_EMAIL = "pelageya.ferap@example.org"
RELATIVE_ADDRESS = "Ветлуга, ул. Дровяная, д. 23, кв. 5"
TEXT = "Сына Евстигнея держат в подвале Зубцовской комендатуры, угрожает майор Шкуродёров."
REQUEST = "Прошу проверить действия майора Шкуродёрова."
REPLY = "Дополняю: Евстигнея перевезли в Кумылженский изолятор."
# What staff typed.
NOTE = "Мать звонила, Шкуродёров угрожал и ей; госпиталь Вешняки подтверждает."
QUESTION = "Пришлите справку из госпиталя Вешняки о ранении."
EXTENSION_REASON = "Ждём ответ из Зубцовской комендатуры на запрос."
RECLASSIFY_REASON = "Не самовольное оставление: подвал Зубцовской комендатуры."
SUMMARY = "Удерживается в подвале Зубцовской комендатуры по приказу Шкуродёрова."
COMMISSION_QUESTION = "Обратиться ли в прокуратуру по поводу Шкуродёрова?"
RETURN_REASON = "Комиссия просит дождаться справки Вешняки."
DRAFT = "Черновик ответа про Кумылженский изолятор."
RETURN_COMMENT = "Уберите про Кумылженский изолятор, оставьте суть."
ANSWER = "Ваше обращение о содержании в Зубцовской комендатуре рассмотрено, приняты меры."
FORWARDED_TO = "Военному прокурору гарнизона Кукуево-58317 полковнику Тараканникову"
FILE_NAME = "справка Вешняки Ферапонтов.pdf"
FILE_MARKER = "QWZX-FERAP-MARKER-9K2M"

SECRETS = [
    MEMBER, *MEMBER.split(), MEMBER_UNIT, "Кукуево", "58317", MEMBER_PHONE, "913) 482-71-56",
    "9134827156", MEMBER_EMAIL, "evstigney.ferap", MEMBER_ADDRESS, "Кологрив", "Пескомойная",
    RELATIVE, *RELATIVE.split(), RELATIVE_PHONE, "914) 503-62-18", "9145036218",
    RELATIVE_EMAIL, "pelageya.ferap", RELATIVE_ADDRESS, "Ветлуга", "Дровяная",
    TEXT, "Зубцовск", "Шкуродёров", REQUEST, REPLY, "Кумылженск", NOTE, "Вешняки",
    QUESTION, EXTENSION_REASON, RECLASSIFY_REASON, SUMMARY, COMMISSION_QUESTION,
    RETURN_REASON, DRAFT, RETURN_COMMENT, ANSWER, FORWARDED_TO, "Тараканников",
    FILE_NAME, FILE_MARKER,
]
NEEDLES = sorted({form for secret in SECRETS for form in forms_of(secret) if len(form) >= 5},
                 key=len)


def leaks(haystack: str) -> list[str]:
    return found(NEEDLES, haystack)


@pytest.fixture
def spool(settings, tmp_path):
    """The development mail backend: one file per message under EMAIL_FILE_PATH."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    return tmp_path


def _spool_text(root) -> str:
    """Every file of the mail spool, raw and with each message part decoded (the bodies
    are quoted-printable or base64)."""
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        out.append(raw.decode("utf-8", errors="replace"))
        for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            out += [str(value) for value in message.values()]
            for part in message.walk():
                if not part.is_multipart():
                    out.append(str(part.get_content()))
    return "\n".join(out)


def _sessions_text() -> str:
    return "\n".join(
        f"{row.session_data}\n{json.dumps(row.get_decoded(), ensure_ascii=False)}"
        for row in Session.objects.all())


def _tasks_text() -> str:
    return "\n".join(json.dumps([row.args_kwargs, row.return_value, row.exception_class_path,
                                 row.traceback], ensure_ascii=False, default=str)
                     for row in DBTaskResult.objects.all())


def _media_text(root) -> str:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            out += [str(path.relative_to(root)), content.decode("latin-1"),
                    content.decode("utf-8", errors="ignore")]
    return "\n".join(out)


def _run_tasks(monkeypatch) -> None:
    from casedesk.notifications.tests.test_handlers import run_worker

    run_worker(monkeypatch)


def _status_page(client: Client, number: str, code: str):
    return client.post("/ru/status/", {"case_number": number, "access_code": code})


def _api_status(number: str, code: str):
    return Client().post("/api/v1/public/status",
                         json.dumps({"case_number": number, "access_code": code}),
                         content_type="application/json")


def test_erasing_both_people_leaves_nothing_of_theirs_anywhere(
        spool, office, other_office, staff, make_user, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    msk_region = Region.objects.get(code="RU-MOW")
    office.regions.set([msk_region])
    worker, boss = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    spb_clerk = make_user(Role.INTAKE_CLERK, other_office)
    spb_worker = make_user(Role.CASEWORKER, other_office)

    # The relative writes through the public form (the receipt carries the access code).
    receipt = public.appeal_submit(
        channel="web", idempotency_key="erasure-dump-0001", payload={"text": TEXT},
        applicant=PersonData(full_name=RELATIVE, phone=RELATIVE_PHONE, email=RELATIVE_EMAIL,
                             postal_address=RELATIVE_ADDRESS, region_code="RU-MOW"),
        relation="mother",
        service_member=PersonData(full_name=MEMBER, birth_date=MEMBER_BIRTH,
                                  unit=MEMBER_UNIT, phone=MEMBER_PHONE, email=MEMBER_EMAIL,
                                  postal_address=MEMBER_ADDRESS, service_type="mobilized",
                                  region_code="RU-MOW"),
        text=TEXT, request=REQUEST, category="record_error_awol", language="ru",
        consent=True, office=office)
    code = receipt.access_code
    case = Case.objects.get(number=receipt.case_number)
    member, relative = case.service_member, case.appeals.get().submitter

    # Moscow works the case, with every kind of text staff type.
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    note_add(actor=worker, case=case, text=NOTE)
    case = case_transition(actor=worker, case=case, transition="start_review")
    case_reclassify(actor=worker, case=case, category="coercion_threats",
                    reason=RECLASSIFY_REASON)
    document_add(actor=worker, case=case, doc_type="discharge_summary",
                 upload=SimpleUploadedFile(FILE_NAME, pdf_bytes(FILE_MARKER),
                                           content_type="application/pdf"))
    case = case_transition(actor=worker, case=case, transition="request_information",
                           message=QUESTION)
    public.applicant_reply(case_id=case.pk, text=REPLY)
    request = extension_request(actor=worker, case=case, days=30, reason=EXTENSION_REASON)
    extension_approve_notify(actor=boss, request=request)
    commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                           name_en="Commission")
    CommissionMember.objects.create(commission=commission, is_chair=True,
                                    user=staff[Role.COMMISSION_MEMBER])
    referral_create(actor=worker, case=case, commission=commission, summary=SUMMARY,
                    question=COMMISSION_QUESTION)
    case = case_transition(actor=boss, case=case, transition="return_from_commission",
                           reason=RETURN_REASON)
    answer_draft_save(actor=worker, case=case, text=DRAFT, outcome="upheld")
    from casedesk.letters.answers import answer_submit

    answer_submit(actor=worker, case=case)
    answer_return(actor=boss, case=case, comment=RETURN_COMMENT)
    answer_draft_save(actor=worker, case=case, text=ANSWER, outcome="upheld")
    answer_sign(actor=worker, case=Case.objects.get(pk=case.pk))

    # St Petersburg has a case about the same service member and forwards it to a named
    # prosecutor of his unit.
    spb = case_open(actor=spb_clerk, office=other_office, service_member=member,
                    category="coercion_threats", received_at=case.received_at,
                    channel="letter")
    spb = case_transition(actor=spb_clerk, case=spb, transition="register")
    case_move(actor=spb_worker, case=spb, transition="forward", forward_body="other",
              forwarded_to=FORWARDED_TO)

    # The emails go out into the spool; the relative follows the case on the portal, and
    # another browser is between her appeal and its receipt.
    _run_tasks(monkeypatch)
    portal = Client()
    assert _status_page(portal, receipt.case_number, code).status_code == 302
    page = portal.get("/ru/status/case/")
    assert page.status_code == 200 and "Вешняки" in page.content.decode()
    waiting = SessionStore()
    waiting[SESSION_RECEIPT] = {"case_number": receipt.case_number, "access_code": code,
                                "answer_due": "", "office_id": office.pk}
    waiting.create()

    # Controls: every place searched holds the values before the erasure.
    mail = _spool_text(spool / "mail")
    assert RELATIVE_EMAIL in mail and QUESTION in mail and code in mail
    assert "Вешняки" in _sessions_text() or code in _sessions_text()
    # A notice still waiting in the outbox with the sealed code (a worker that is behind).
    outbox.record("access_code", case_id=Case.objects.get(number=receipt.case_number).pk,
                  key="pending-before-erasure", sealed=secrets.seal(code))
    assert Outbox.objects.exclude(sealed="").exists()
    assert PublicSubmission.objects.get().sealed_access_code
    assert Case.objects.get(pk=spb.pk).forwarded_to == FORWARDED_TO
    assert _api_status(receipt.case_number, code).status_code == 200

    for person in (relative, member):
        person_erase(actor=boss, person=person, reason_code="request")

    found = {
        "data dump": leaks(pg_dump("default")),
        "key store dump": leaks(pg_dump("keys")),
        "media": leaks(_media_text(spool / "media")),
        "mail spool": leaks(_spool_text(spool / "mail")),
        "task rows": leaks(_tasks_text()),
        "sessions": leaks(_sessions_text()),
    }
    assert found == {name: [] for name in found}
    # The access code: not in the spool, the sessions or (sealed) in the task and
    # submission rows.
    for place in (_spool_text(spool / "mail"), _sessions_text(), _tasks_text()):
        assert code not in place and code.replace("-", "") not in place
    assert not any(row.args_kwargs.get("kwargs", {}).get("sealed_code")
                   for row in DBTaskResult.objects.all())
    assert not Outbox.objects.exclude(sealed="").exists()
    assert not Outbox.objects.filter(state=OutboxState.PENDING).exists()
    assert set(PublicSubmission.objects.values_list("sealed_access_code", flat=True)) == {""}
    assert base64.b64encode(code.encode()).decode() not in pg_dump("default")

    # The old code opens nothing; the session that had opened the case is gone.
    refused = _status_page(Client(), receipt.case_number, code)
    assert refused.status_code == 400
    assert _api_status(receipt.case_number, code).status_code == 404
    after = portal.get("/ru/status/case/")
    assert after.status_code == 302
    assert not leaks(after.content.decode())
