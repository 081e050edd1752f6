"""The demo shows urgency (issue 19): some of its appeals are urgent by the rulebook's
rules, flagged as the task flags real ones, and the supervisor sees their count."""

from __future__ import annotations

from casedesk.accounts.models import User
from casedesk.core.states import OPEN_STATES
from casedesk.demo.generator import generate
from casedesk.urgency.models import UrgencyFlag


def test_the_demo_has_urgent_open_cases_the_supervisor_sees(db, client):
    counts = generate(count=400, seed=11, batch=150)
    flags = UrgencyFlag.objects.select_related("case")
    assert counts["urgent"] == flags.count() > 0
    assert {code for f in flags for code in f.codes} >= {"missing_or_captive",
                                                          "wounded_untreated"}
    open_flags = [f for f in flags if f.case.state in OPEN_STATES]
    assert open_flags
    supervisor = User.objects.get(username="supervisor")
    theirs = set(supervisor.offices.values_list("pk", flat=True))
    count = sum(1 for f in open_flags if f.case.office_id in theirs)
    assert count > 0
    client.force_login(supervisor)
    content = client.get("/en/staff/supervisor/").content.decode()
    assert f"{count} open case" in content
