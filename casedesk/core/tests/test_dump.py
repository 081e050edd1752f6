"""A backup of the data database holds no personal data in plaintext, and a backup of the
key store neither: the case is walked through the real services, then both databases are
dumped with pg_dump and searched for everything the applicant told us."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from casedesk.accounts.roles import Role
from casedesk.cases.documents import document_add, file_read
from casedesk.cases.services import case_transition, note_add
from casedesk.core import tokens
from casedesk.core.models import DataKey
from casedesk.intake.services import PersonData
from casedesk.testing import pdf_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]

SURNAME = "Кржижановский"
MEMBER = f"{SURNAME} Евлампий Феофилактович"
APPLICANT = "Кржижановская Аграфена Никодимовна"
PHONE = "+7 (912) 345-67-89"
EMAIL = "agrafena.krzh@example.org"
ADDRESS = "Тмутаракань, ул. Заречная, д. 17, кв. 4"
UNIT = "в/ч Заречье-97531"
TEXT = ("Сына Евлампия записали в СОЧ, хотя он лежит в госпитале Бурденко с контузией. "
        "Командир Хвостовский отказывается отвечать.")
REQUEST = "Прошу отменить приказ Хвостовского и выплатить довольствие."
NOTE = f"Звонила мать, {SURNAME} в госпитале с контузией, подтверждено Хвостовским."
MESSAGE = "Пришлите выписной эпикриз из госпиталя Бурденко."
FILE_NAME = f"эпикриз {SURNAME}.pdf"
FILE_MARKER = "ZQXJ-MEDICAL-MARKER-7F3K"

# Everything the applicant told us, and what staff wrote about it. Words that could turn
# up by chance in hex or base64 (short digit runs) are left out; the phone is searched as
# its ten digits, which cannot.
SECRETS = [
    MEMBER, APPLICANT, SURNAME, "Кржижановская", "Евлампий", "Аграфена", "Феофилактович",
    "Никодимовна", PHONE, "912) 345-67-89", "9123456789", EMAIL, "agrafena.krzh",
    ADDRESS, "Тмутаракань", "Заречная", UNIT, "Заречье", TEXT, "Бурденко", "контузи",
    "Хвостовск", REQUEST, "довольствие", NOTE, "Звонила мать", MESSAGE, "эпикриз",
    FILE_NAME, FILE_MARKER,
]


def forms_of(secret: str) -> set[str]:
    """The secret, lower-cased, ё→е, and for a single word its search stem (what a
    careless index would keep). Stems of whole texts, addresses and e-mails are left out:
    «командир» or "example" may well be in other rows."""
    lowered = secret.casefold()
    stems = tokens.words(secret) if secret.isalpha() else []
    return {secret, lowered, lowered.replace("ё", "е"), *stems}


NEEDLES = sorted({form for secret in SECRETS for form in forms_of(secret) if len(form) >= 5},
                 key=len)


def pg_dump(alias: str) -> str:
    """The plain SQL dump of the (test) database behind ``alias``."""
    db = connections[alias].settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    command = ["pg_dump", "--no-owner", "--no-privileges", "--encoding=UTF8",
               "--dbname", db["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [option, str(db[key])]
    done = subprocess.run(command, env=env, capture_output=True, timeout=120,  # noqa: S603
                          check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8")


def found(needles: list[str], haystack: str) -> list[str]:
    """The needles in the haystack, case-folded. A needle of digits only (a unit number)
    counts only as a whole token: five digits in a row turn up by chance in a dump's hex
    keys, base64 ciphertext and timestamps' microseconds (CI once failed on «58231»)."""
    folded = haystack.casefold()
    return [needle for needle in needles
            if (re.search(rf"(?<![0-9a-z+/]){re.escape(needle)}(?![0-9a-z+/])", folded)
                if needle.isdigit() else needle.casefold() in folded)]


def leaks(haystack: str) -> list[str]:
    return found(NEEDLES, haystack)


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def walked_case(register, staff, media):
    """A case with everything personal in it: people, contacts, texts, a note, an event
    text and an uploaded medical document."""
    case = register(
        applicant=PersonData(full_name=APPLICANT, phone=PHONE, email=EMAIL,
                             postal_address=ADDRESS),
        service_member=PersonData(full_name=MEMBER, birth_date=dt.date(1993, 7, 14),
                                  unit=UNIT, service_type="mobilized",
                                  postal_address=ADDRESS),
        text=TEXT, request=REQUEST,
    )
    worker = staff[Role.CASEWORKER]
    note_add(actor=worker, case=case, text=NOTE)
    case_transition(actor=worker, case=case, transition="start_review")
    case_transition(actor=worker, case=case, transition="request_information",
                    message=MESSAGE)
    document = document_add(
        actor=worker, case=case, doc_type="discharge_summary",
        upload=SimpleUploadedFile(FILE_NAME, pdf_bytes(FILE_MARKER),
                                  content_type="application/pdf"))
    # Control: the data really is there and opens with the keys.
    case.refresh_from_db()
    assert case.service_member.full_name == MEMBER
    assert case.appeals.get().submitter.phone == PHONE
    assert case.appeals.get().text == TEXT
    assert FILE_MARKER.encode() in file_read(document)
    return case


def test_the_data_dump_holds_no_personal_data_in_plaintext(walked_case):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    dump = pg_dump("default")
    # Controls: this is the dump of the database the case was written to, and the
    # encrypted columns are in it (as ciphertext).
    assert walked_case.number in dump
    assert "ck1." in dump
    assert len(NEEDLES) > len(SECRETS)
    assert leaks(dump) == []


def test_the_data_dump_holds_no_data_keys(walked_case):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    dump = pg_dump("default")
    key_id = walked_case.service_member.key_id
    assert key_id in dump  # control: the person's rows name their key
    wrapped = bytes(DataKey.objects.get(pk=key_id).wrapped)
    assert wrapped.hex() not in dump
    assert "core_datakey" not in dump


def test_the_key_store_dump_holds_no_personal_data(walked_case):
    if connections["keys"].vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    dump = pg_dump("keys")
    key_id = walked_case.service_member.key_id
    # Controls: the key store holds the wrapped keys of both people, and nothing else of
    # theirs: no case number, no ciphertext of their data.
    assert key_id in dump
    assert walked_case.appeals.get().submitter.key_id in dump
    assert bytes(DataKey.objects.get(pk=key_id).wrapped).hex() in dump
    assert walked_case.number not in dump
    assert "ck1." not in dump
    assert leaks(dump) == []


def test_stored_files_hold_no_plaintext(walked_case, media):
    files = [path for path in media.rglob("*") if path.is_file()]
    assert files, "the upload was not written under MEDIA_ROOT"
    for path in files:
        content = path.read_bytes()
        assert content.startswith(b"CK1")
        assert b"%PDF" not in content
        assert FILE_MARKER.encode() not in content
        assert FILE_MARKER.lower().encode() not in content.lower()
        assert leaks(content.decode("latin-1")) == []
        assert leaks(content.decode("utf-8", errors="ignore")) == []
        # No personal data in the path either.
        relative = str(path.relative_to(media))
        assert leaks(relative) == [] and "эпикриз" not in relative


# Issue 18: two records of one man, merged. Neither the people's new indexes (name lemmas,
# phonetic codes, unit number, E.164 phone, ISO date: people.Person.search_keys) nor the
# units over time (people.PersonUnit) nor the merge may put a plaintext in the dump.
MERGED_NAMES = ["Кузнецов Андрей Викторович", "Кузнецова Мария Ивановна"]
MERGED_UNIT, MERGED_OTHER_UNIT = "войсковая часть 74814", "в/ч 58231"
MERGED_PHONE, MERGED_EMAIL = "8 (916) 123-45-67", "kuznetsova.maria@example.org"
MERGED_BIRTH = dt.date(1994, 3, 2)


def test_the_dump_after_a_merge_holds_none_of_their_values(register, staff, office, media):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    from casedesk.core.names import phone_e164
    from casedesk.people.lifecycle.merge import person_merge
    from casedesk.people.models import PersonUnit

    first = register(
        applicant=PersonData(full_name=MERGED_NAMES[1], phone=MERGED_PHONE,
                             email=MERGED_EMAIL),
        service_member=PersonData(full_name=MERGED_NAMES[0], birth_date=MERGED_BIRTH,
                                  unit=MERGED_UNIT, service_type="mobilized"))
    second = register(
        applicant=PersonData(full_name="Кузнецова Ольга Петровна"), relation="wife",
        service_member=PersonData(full_name="Кузнецов Андрей", unit=MERGED_OTHER_UNIT,
                                  phone=MERGED_PHONE))
    person_merge(actor=staff[Role.CASEWORKER], keep=first.service_member,
                 other=second.service_member)
    assert PersonUnit.objects.count() == 2  # control: the units over time are there
    assert phone_e164(MERGED_PHONE) == "+79161234567"
    dump = pg_dump("default")
    assert first.number in dump and "ck1." in dump  # controls
    needles = [*MERGED_NAMES, "Кузнецов", "кузнецов", "кузнецова", "Ольга Петровна",
               MERGED_UNIT, MERGED_OTHER_UNIT, "74814", "58231", "+79161234567",
               "9161234567", "916) 123-45-67", MERGED_EMAIL, "kuznetsova.maria",
               MERGED_BIRTH.isoformat(), "02.03.1994"]
    assert found(needles, dump) == []
