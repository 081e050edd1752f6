"""Public appeals go to the office serving the service member's region, else the
applicant's, else the default office, or to the office the applicant chose among those
serving the region; batched appeals are written each to its own office."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.accounts.models import Office
from casedesk.cases.models import Case
from casedesk.core.errors import ApplicationError
from casedesk.core.models import Region
from casedesk.intake import batching, public, routing
from casedesk.intake.public import appeal_submit, submissions_write
from casedesk.intake.services import PersonData


def make_offices() -> dict[str, Office]:
    """MSK (default) serves Moscow, SPB St Petersburg, KSM Sverdlovsk; SVO also serves
    Sverdlovsk (so an applicant there may choose)."""
    offices = {}
    for code, name_ru, name_en, regions, default in [
            ("MSK", "Москва", "Moscow", ["RU-MOW"], True),
            ("SPB", "Санкт-Петербург", "St Petersburg", ["RU-SPE"], False),
            ("KSM", "КСМ Екатеринбург", "Soldiers' Mothers Yekaterinburg", ["RU-SVE"], False),
            ("SVO", "Уполномоченный Свердловской обл.", "Sverdlovsk Ombudsman",
             ["RU-SVE"], False)]:
        office = Office.objects.create(code=code, name_ru=name_ru, name_en=name_en,
                                       is_default=default,
                                       address_ru=f"{name_ru}, ул. Примерная, 1",
                                       address_en=f"1 Primernaya St, {name_en}")
        office.regions.set(Region.objects.filter(code__in=regions))
        offices[code] = office
    return offices


@pytest.fixture
def offices(db):
    return make_offices()


def submission(n: int, *, member: str = "", applicant: str = "", chosen: str = "",
               relation: str = "mother", **changes) -> dict:
    base = dict(
        channel="api", idempotency_key=f"routing-key-{n:04d}", payload={"n": n},
        applicant=PersonData(full_name=f"Петрова Анна {n}", email=f"a{n}@example.org",
                             region_code=applicant),
        relation=relation,
        service_member=PersonData(full_name=f"Петров Иван {n}", region_code=member),
        text=f"Сына {n} записали в СОЧ, хотя он лежит в госпитале.", category="other",
        language="ru", consent=True, chosen_office=chosen)
    base.update(changes)
    return base


def office_of(receipt) -> str:
    return Case.objects.get(number=receipt.case_number).office.code


@pytest.mark.parametrize(("member", "applicant", "expected"), [
    ("RU-MOW", "", "MSK"),
    ("RU-SPE", "RU-MOW", "SPB"),   # the service member's region wins
    ("RU-SVE", "RU-MOW", "KSM"),   # several serve it, none chosen: the first by code
    ("", "RU-SPE", "SPB"),         # no member region: the applicant's
    ("RU-KDA", "", "MSK"),         # a region no office serves: the default office
    ("", "", "MSK"),               # no region at all: the default office
])
def test_an_appeal_goes_to_the_office_serving_the_region(offices, member, applicant,
                                                          expected):
    receipt = appeal_submit(**submission(1, member=member, applicant=applicant))
    assert office_of(receipt) == expected
    assert receipt.office_id == offices[expected].pk
    assert receipt.case_number.startswith(f"{expected}-")


def test_the_service_member_writing_himself_is_routed_by_his_region(offices):
    receipt = appeal_submit(**submission(1, relation="self", service_member=None,
                                         applicant="RU-SPE"))
    assert office_of(receipt) == "SPB"


def test_a_chosen_office_serving_the_region_is_honoured(offices):
    receipt = appeal_submit(**submission(1, member="RU-SVE", chosen="SVO"))
    assert office_of(receipt) == "SVO"
    # Written as sent, in lower case too.
    assert office_of(appeal_submit(**submission(2, member="RU-SVE", chosen="ksm"))) == "KSM"
    # Without a region, the choice decides.
    assert office_of(appeal_submit(**submission(3, chosen="SPB"))) == "SPB"
    # For a region nobody serves, the default office may be chosen.
    assert office_of(appeal_submit(**submission(4, member="RU-KDA", chosen="MSK"))) == "MSK"


@pytest.mark.parametrize(("member", "applicant", "chosen", "code"), [
    ("RU-SVE", "", "MSK", "office_not_serving_region"),
    ("", "RU-MOW", "SPB", "office_not_serving_region"),
    ("RU-KDA", "", "SPB", "office_not_serving_region"),
    ("RU-MOW", "", "NOPE", "unknown_office"),
])
def test_a_chosen_office_not_serving_the_region_is_refused(offices, member, applicant, chosen,
                                                          code):
    with pytest.raises(ApplicationError) as refused:
        appeal_submit(**submission(1, member=member, applicant=applicant, chosen=chosen))
    assert refused.value.code == code
    assert Case.objects.count() == 0


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "не принимает обращения из региона"), ("en", "does not receive appeals from")])
def test_the_refusal_is_clear_in_both_languages(offices, language, words):
    from django.utils import translation

    with pytest.raises(ApplicationError) as refused, translation.override(language):
        appeal_submit(**submission(1, member="RU-SVE", chosen="SPB"))
    with translation.override(language):
        assert words in str(refused.value)


def test_an_inactive_office_receives_nothing(offices):
    Office.objects.filter(code="KSM").update(is_active=False)
    routing.offices_forget()  # (update() sends no signal; the admin's save does)
    assert office_of(appeal_submit(**submission(1, member="RU-SVE"))) == "SVO"
    with pytest.raises(ApplicationError) as refused:
        appeal_submit(**submission(2, member="RU-SVE", chosen="KSM"))
    assert refused.value.code == "unknown_office"


def test_a_change_of_regions_is_seen_by_the_next_appeal(offices):
    assert office_of(appeal_submit(**submission(1, member="RU-KDA"))) == "MSK"
    offices["SPB"].regions.add(Region.objects.get(code="RU-KDA"))  # m2m_changed
    assert office_of(appeal_submit(**submission(2, member="RU-KDA"))) == "SPB"


def test_routing_reads_no_database_once_the_offices_are_known(offices):
    appeal_submit(**submission(1, member="RU-SVE"))
    submission_args = submission(2, member="RU-MOW", chosen="MSK")
    with CaptureQueriesContext(connection) as queries:
        routing.office_route(member_region_id=Region.objects.get(code="RU-SVE").pk,
                             applicant_region_id=None, chosen="SVO")
        routing.office_map()
    assert len(queries.captured_queries) == 1  # the Region.get above only
    assert office_of(appeal_submit(**submission_args)) == "MSK"


def test_without_a_default_office_the_first_by_code_takes_the_rest(db):
    for code in ("SPB", "MSK"):
        Office.objects.create(code=code, name_ru=code, name_en=code)
    assert office_of(appeal_submit(**submission(1, member="RU-KDA"))) == "MSK"


def test_casedesk_public_office_sends_every_public_appeal_to_one_office(offices, settings):
    settings.CASEDESK_PUBLIC_OFFICE = "SPB"
    assert office_of(appeal_submit(**submission(1, member="RU-MOW"))) == "SPB"
    assert office_of(appeal_submit(**submission(2, member="RU-SVE", chosen="SVO"))) == "SPB"
    assert not routing.office_map().has_choice
    assert [o.code for o in routing.public_offices()] == ["SPB"]


def test_without_an_active_office_appeals_are_refused(db):
    with pytest.raises(ApplicationError) as refused:
        appeal_submit(**submission(1))
    assert refused.value.code == "no_office"


# --- batches ------------------------------------------------------------------------------

def prepared(n: int, **changes) -> public.Submission:
    """A checked and routed submission, as appeal_submit hands it to the registrar."""
    captured = {}

    def keep(item):
        captured["s"] = item
        raise LookupError

    original = batching.submit
    batching.submit = keep
    try:
        with pytest.raises(LookupError):
            appeal_submit(**submission(n, **changes))
    finally:
        batching.submit = original
    return captured["s"]


def test_a_batch_writes_each_appeal_to_its_own_office(offices):
    regions = ["RU-MOW", "RU-SPE", "RU-SVE", "RU-MOW", "RU-KDA", "RU-SPE"]
    batch = [prepared(n, member=region) for n, region in enumerate(regions)]
    batch.append(prepared(len(regions), member="RU-SVE", chosen="SVO"))
    receipts = submissions_write(batch)
    assert [office_of(r) for r in receipts] == ["MSK", "SPB", "KSM", "MSK", "MSK", "SPB",
                                                "SVO"]
    assert [r.office_id for r in receipts] == [
        offices[c].pk for c in ["MSK", "SPB", "KSM", "MSK", "MSK", "SPB", "SVO"]]
    # Each office numbers its own cases from 1.
    numbers = sorted(f"{n.split('-')[0]}-{n.split('-')[2]}"
                     for n in (r.case_number for r in receipts))
    assert numbers == ["KSM-000001", "MSK-000001", "MSK-000002", "MSK-000003", "SPB-000001",
                       "SPB-000002", "SVO-000001"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_batching_on_the_registrar_routes_each_appeal(settings):
    make_offices()
    settings.CASEDESK_INTAKE_BATCH = 50
    registrar = batching.registrar()
    release, sizes = threading.Event(), []
    write_many = registrar.write_many

    def held(items):
        sizes.append(len(items))
        release.wait(10)  # the first batch waits until the others have queued
        return write_many(items)

    registrar.write_many = held
    regions = ["RU-MOW", "RU-SPE", "RU-SVE", "RU-KDA", "RU-SPE", "RU-MOW"]
    receipts, errors = {}, []

    def send(n: int) -> None:
        try:
            receipts[n] = appeal_submit(**submission(n, member=regions[n]))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(regions))]
    try:
        threads[0].start()
        while not sizes:
            threading.Event().wait(0.01)
        for thread in threads[1:]:
            thread.start()
        while registrar._queue.qsize() < len(regions) - 1:
            threading.Event().wait(0.01)
        release.set()
        for thread in threads:
            thread.join(20)
    finally:
        release.set()
        registrar.write_many = write_many
    assert not errors, errors
    assert sizes == [1, len(regions) - 1]  # the other five were one batch of three offices
    assert [office_of(receipts[n]) for n in range(len(regions))] == [
        "MSK", "SPB", "KSM", "MSK", "SPB", "MSK"]
    registrar.stop()
