from pathlib import Path

import pytest
from django.conf import settings

from casedesk.cases.diagram import render


@pytest.mark.smoke
@pytest.mark.parametrize(("language", "words"), [("ru", "Категории обращений"),
                                                 ("en", "Categories of appeals")])
def test_home_page_in_both_languages(client, db, language, words):
    response = client.get(f"/{language}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert words in text
    assert f'<html lang="{language}">' in text


def test_docs_workflow_matches_the_transition_table():
    path = Path(settings.BASE_DIR) / "docs" / "workflow.md"
    assert path.read_text(encoding="utf-8") == render(), "run `make docs`"
