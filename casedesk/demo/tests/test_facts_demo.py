"""Issue 19: the demo shows the facts from the text: its newest appeals have facts, and
one case names a unit its service member's record lacks (the page offers to fill it)."""

import io

from django.core.management import call_command

from casedesk.cases.models import Case
from casedesk.facts.models import Fact
from casedesk.facts.services import offers


def test_the_demo_has_facts_and_a_unit_to_fill(db):
    out = io.StringIO()
    call_command("seed_demo", cases=5, letters=0, replies=0, stdout=out)
    assert "Facts from the text:" in out.getvalue()
    number = out.getvalue().split("; case ")[1].split()[0]
    case = Case.objects.get(number=number)
    facts = list(Fact.objects.filter(case=case))
    assert {("UNIT", "51460"), ("DATE", "2024-03-12/2024-04-05")} <= {
        (f.type, f.normal) for f in facts}
    assert [o["value"] for o in offers(case, facts)][0] == "в/ч 51460"
    # The generated appeals got theirs too.
    assert Fact.objects.exclude(case=case).exists()
