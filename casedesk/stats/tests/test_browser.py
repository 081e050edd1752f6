"""The statistics pages in a real (headless) Chromium: the dashboard as a supervisor and the
public page without a login, in Russian and English, on demo data. Every chart is drawn
(Chart.js under the Content Security Policy, no request to another server), axe-core finds
no serious accessibility problem, and each page is photographed:
test-artifacts/screenshots/stats_<page>_<lang>.png.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from casedesk.accounts.models import User
from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.cases.models import Case
from casedesk.cases.services import deadline_extend
from casedesk.core.errors import ApplicationError
from casedesk.review.models import Commission, ReferralStatus
from casedesk.review.services import decision_sign, session_schedule, vote_cast

# The regions come from a data migration: restore them after each flush of the database.
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LANGUAGES = ["ru", "en"]
PASSWORD = "x" * 16


@pytest.fixture
def demo(db):
    """The demo offices and staff with a few hundred cases over the past year, some
    deadline extensions and commission decisions on top (the demo has none), and the
    figures computed from them."""
    call_command("seed_demo", cases=400, seed=7, verbosity=0, stdout=_Null(), stderr=_Null())
    _extend_and_decide()
    call_command("stats_refresh", verbosity=0, stdout=_Null())
    supervisor = User.objects.get(username="supervisor")
    supervisor.set_password(PASSWORD)
    supervisor.save()
    return supervisor


def _extend_and_decide(office: str = "MSK", extensions: int = 6, decisions: int = 6) -> None:
    """Through the services: the supervisor extends a few running answer deadlines; the
    commission decides some of the waiting referrals, with every outcome."""
    supervisor = User.objects.get(username="supervisor")
    running = Case.objects.filter(office__code=office, deadlines__rule="answer",
                                  deadlines__closed_on__isnull=True).order_by("pk")
    done = 0
    for case in running[:extensions * 3]:
        try:
            deadline_extend(actor=supervisor, case=case, days=10,
                            reason="Запрошены документы из воинской части.")
        except ApplicationError:
            continue
        done += 1
        if done == extensions:
            break
    commission = Commission.objects.get(office__code=office)
    people = [m.user for m in commission.memberships.order_by("-is_chair", "user__username")]
    waiting = list(commission.referrals.filter(status=ReferralStatus.PENDING)
                   .values_list("pk", flat=True)[:decisions])
    if not waiting:
        return
    session = session_schedule(actor=people[0], commission=commission, starts_at=timezone.now(),
                               referral_ids=waiting)
    outcomes = ["uphold", "partly_uphold", "reject"]
    for n, item in enumerate(session.items.order_by("position")):
        outcome = outcomes[n % len(outcomes)]
        for person in people:
            vote_cast(actor=person, item=item, choice=outcome, reason="Доводы проверены.")
        decision_sign(actor=people[0], item=item, outcome=outcome, reasoning="Решение принято.")


class _Null:
    def write(self, *args):
        pass

    def flush(self):
        pass


def watch(page, live_server) -> dict[str, list[str]]:
    """Collect console errors (a blocked script or style shows there as a CSP violation)
    and requests to any server but the test's."""
    seen: dict[str, list[str]] = {"console": [], "outside": []}
    page.on("console", lambda m: m.type == "error" and seen["console"].append(m.text))

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            seen["outside"].append(route.request.url)
            route.abort()

    page.context.route("**/*", guard)
    return seen


def check_charts(page) -> None:
    """Every chart on the page has been drawn, and each has its table and CSV link."""
    charts = page.locator("canvas[data-chart]")
    assert charts.count() > 0
    expect(page.locator("canvas[data-chart]:not([data-drawn])")).to_have_count(0)
    for figure in page.locator("section.figure.has-chart").all():
        assert figure.locator("table").count() == 1
        assert figure.locator("a.csv").count() == 1
        box = figure.locator("canvas").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150


def check_accessible(page) -> None:
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    serious = [v["id"] for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_supervisor_looks_at_the_dashboard(page, live_server, demo, language):
    seen = watch(page, live_server)
    login(page, live_server, demo.username, PASSWORD, language=language)
    page.goto(url(live_server, "stats:dashboard", language=language))
    with translation.override(language):
        expect(page.locator("main h1")).to_have_text(gettext("Statistics"))
        expect(page.locator("header nav a[aria-current=page]")).to_have_text(
            gettext("Statistics"))
    check_charts(page)
    check_accessible(page)
    screenshot(page, f"stats_dashboard_{language}")
    assert not seen["console"], seen["console"]
    assert not seen["outside"], seen["outside"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_anyone_looks_at_the_public_statistics(page, live_server, demo, language):
    seen = watch(page, live_server)
    page.goto(url(live_server, "stats:public", language=language))
    with translation.override(language):
        expect(page.locator("main h1")).to_have_text(gettext("Statistics of appeals"))
        expect(page.locator("#method h2")).to_have_text(gettext("Method"))
    check_charts(page)
    check_accessible(page)
    screenshot(page, f"stats_public_{language}")
    assert not seen["console"], seen["console"]
    assert not seen["outside"], seen["outside"]


def test_the_public_statistics_fit_a_phone(new_page, live_server, demo):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    seen = watch(page, live_server)
    page.goto(url(live_server, "stats:public", language="ru"))
    check_charts(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    screenshot(page, "stats_public_phone_ru")
    assert not seen["console"], seen["console"]


def test_the_public_statistics_read_without_javascript(new_page, live_server, demo):
    page = new_page(java_script_enabled=False)
    page.goto(url(live_server, "stats:public", language="en"))
    assert page.locator("section.figure table").count() > 0
    assert page.locator("canvas[data-drawn]").count() == 0
    with page.expect_download() as download:
        page.locator("#open-data a", has_text="CSV").first.click()
    assert download.value.suggested_filename == "casedesk-open-data.csv"
