"""docs/architecture.md stays true: its layer diagram is what pyproject.toml's contracts
give now, and every dotted name it cites still exists."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from casedesk.core import architecture

ROOT = Path(settings.BASE_DIR)
PAGE = ROOT / "docs" / "architecture.md"


def test_the_page_s_diagram_is_generated_from_the_contracts_now():
    page = PAGE.read_text(encoding="utf-8")
    generated = architecture.render(*architecture.contracts_read(ROOT / "pyproject.toml"))
    assert page == architecture.splice(page, generated), (
        "docs/architecture.md's layer diagram differs from pyproject.toml's import-linter "
        "contracts: run `make docs`")


def test_every_dotted_name_in_the_page_exists():
    page = PAGE.read_text(encoding="utf-8")
    assert len(architecture.dotted_names(page)) > 50  # the page was read, and cites code
    missing = architecture.names_missing(page)
    assert not missing, (
        "docs/architecture.md names code that does not exist (moved or renamed? change the "
        f"page to match): {len(missing)} name(s):\n  " + "\n  ".join(missing))


CONTRACTS = [
    {"name": "Layers", "type": "layers",
     "layers": ["pkg.top", "pkg.a | pkg.b", "pkg.c : pkg.d", "(pkg.low)"],
     "ignore_imports": ["pkg.low.tests.** -> pkg.top"]},
    {"name": "Inside pkg.box", "type": "layers", "containers": ["pkg.box"],
     "layers": ["commands", "models | tests"]},
    {"name": "No loop", "type": "forbidden", "source_modules": ["pkg.a.low"],
     "forbidden_modules": ["pkg.a.high", "pkg.b"]},
    {"name": "Apart", "type": "independence", "modules": ["pkg.a", "pkg.b"]},
    {"name": "Other", "type": "acyclic_siblings"},
]


def test_render_draws_one_node_per_layer_top_down():
    text = architecture.render("pkg", CONTRACTS)
    assert text.startswith(architecture.BEGIN) and text.endswith(architecture.END)
    assert ('```mermaid\nflowchart TD\n'
            '    c0l0["top"] --> c0l1["a | b"]\n'  # independent of each other
            '    c0l1 --> c0l2["c : d"]\n'  # may import each other
            '    c0l2 --> c0l3["low"]\n```') in text  # an optional layer
    assert "- `low.tests.** -> top`" in text
    # A container's layers are named after it.
    assert '    c1l0["box.commands"] --> c1l1["box.models | box.tests"]\n```' in text
    assert "- No loop: `a.low` may not import `a.high`, `b`\n" in text
    assert "- Apart: `a`, `b` do not import each other\n" in text
    assert "- Other (acyclic_siblings)\n" in text


def test_splice_replaces_only_the_generated_part():
    page = f"# Title\n\n{architecture.BEGIN}\nold\n{architecture.END}\n\nText.\n"
    new = architecture.splice(page, f"{architecture.BEGIN}\nnew\n{architecture.END}")
    assert new == f"# Title\n\n{architecture.BEGIN}\nnew\n{architecture.END}\n\nText.\n"
    with pytest.raises(ValueError, match="markers"):
        architecture.splice("# No markers\n", "x")


def test_names_resolve_to_modules_and_attributes_and_nothing_else():
    page = ("`casedesk.core.bulk` `casedesk.core.bulk.create` "
            "`casedesk.intake.management.commands.import_appeals.Command.handle` "
            "`casedesk.core.bulk.no_such_function` `casedesk.no_such_app.services` "
            "`casedesk.core.bulk` and casedesk.core.hooks without backticks")
    assert architecture.dotted_names(page) == [
        "casedesk.core.bulk", "casedesk.core.bulk.create",
        "casedesk.intake.management.commands.import_appeals.Command.handle",
        "casedesk.core.bulk.no_such_function", "casedesk.no_such_app.services"]
    assert architecture.names_missing(page) == [
        "casedesk.core.bulk.no_such_function", "casedesk.no_such_app.services"]


def test_the_command_updates_the_page_between_its_markers(tmp_path):
    page = tmp_path / "architecture.md"
    page.write_text(f"# A\n{architecture.BEGIN}\n{architecture.END}\nB\n", encoding="utf-8")
    call_command("architecture_diagram", output=str(page))
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# A\n" + architecture.BEGIN) and text.endswith(
        architecture.END + "\nB\n")
    assert "flowchart TD" in text and '["core"]' in text
