"""Citations stay in Russian; English pages add the gloss from acts.yaml."""

from __future__ import annotations

import pytest
import yaml
from django.conf import settings

from casedesk import rulebook
from casedesk.rulebook.loader import RulebookError, load_version

BOOK_DIR = settings.RULEBOOK_DIR


def book():
    return rulebook.get("2026.1")


def every_citation(folder) -> set[str]:
    found: set[str] = set()

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key in ("citation", "basis") and isinstance(value, str):
            found.add(value)

    for path in folder.glob("*.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize(("citation", "english"), [
    ("Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12",
     "«Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12» "
     "(Federal Law No. 59-FZ of 2 May 2006 on citizens' appeals, art. 12)"),
    ("Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12, ч. 1 (продление — ч. 2)",
     "«Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12, ч. 1 (продление — ч. 2)» "
     "(Federal Law No. 59-FZ of 2 May 2006 on citizens' appeals, art. 12, part 1 "
     "(extension — part 2))"),
    ("Федеральный закон от 28.03.1998 № 53-ФЗ «О воинской обязанности и военной службе», "
     "ст. 51",
     "Федеральный закон от 28.03.1998 № 53-ФЗ «О воинской обязанности и военной службе», "
     "ст. 51 (Federal Law No. 53-FZ of 28 Mar 1998 on military duty and military service, "
     "art. 51)"),
    # Russian words left after the article: the gloss names the act only.
    ("Положение о комиссии (внутренний регламент офиса); число голосов задаёт офис",
     "«Положение о комиссии (внутренний регламент офиса); число голосов задаёт офис» "
     "(the commission's regulations (the office's internal rules))"),
    # An act the rulebook does not know: as written.
    ("Закон города N", "Закон города N"),
])
def test_english_shows_the_russian_citation_with_its_gloss(citation, english):
    assert book().citation(citation, "en") == english
    assert book().citation(citation, "ru") == citation


def test_every_citation_of_the_rulebook_has_a_gloss():
    folder = book().path
    missing = sorted(c for c in every_citation(folder) if not book().citation_gloss(c))
    assert missing == []


def test_a_version_without_acts_loads_and_shows_citations_as_written(tmp_path):
    import shutil

    folder = tmp_path / "2026.1"
    shutil.copytree(book().path, folder)
    (folder / "acts.yaml").unlink()
    bare = load_version(folder)
    text = "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12"
    assert bare.citation(text, "en") == text


def test_an_act_listed_twice_is_refused(tmp_path):
    import shutil

    folder = tmp_path / "2026.1"
    shutil.copytree(book().path, folder)
    path = folder / "acts.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["acts"].append(dict(data["acts"][0]))
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulebookError):
        load_version(folder)


def test_english_case_and_portal_pages_show_the_gloss(client, staff, register):
    case = register()
    client.force_login(staff["supervisor"])
    english = client.get(f"/en/staff/cases/{case.number}/").content.decode()
    russian = client.get(f"/ru/staff/cases/{case.number}/").content.decode()
    assert "(Federal Law No. 59-FZ of 2 May 2006 on citizens&#x27; appeals, art. 12" in english
    assert "Федеральный закон от 02.05.2006 № 59-ФЗ" in english
    assert "Federal Law No. 59-FZ" not in russian
    portal = client.get("/en/").content.decode()
    assert "military duty and military service, art. 51)" in portal
    assert "military duty" not in client.get("/ru/").content.decode()
