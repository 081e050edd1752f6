"""Letter templates edited in the admin: checked before saving, then used for letters."""

from __future__ import annotations

import pytest

from casedesk.accounts.models import User
from casedesk.accounts.roles import Role
from casedesk.cases.documents import file_read
from casedesk.letters.models import LetterTemplate
from casedesk.letters.services import letter_generate
from casedesk.testing import at

from .helpers import needs_poppler, pdf_text

ADD = "/en/admin/letters/lettertemplate/add/"


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("root", password="x" * 16, role="administrator")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def file_body(settings, kind="decision", language="ru") -> str:
    from pathlib import Path

    return (Path(settings.RULEBOOK_DIR) / "2026.1" / "letters"
            / f"{kind}.{language}.html").read_text("utf-8")


@pytest.mark.parametrize(("body", "words"), [
    ('{% extends "layout.html" %}\n{% block body %}\n<p>{% if outcome %}</p>\n{% endblock %}',
     "line 4: Invalid block tag on line 4: &#x27;endblock&#x27;, expected &#x27;elif&#x27;"),
    ('{% extends "layout.html" %}\n{% block body %}<p>{% stamp %}</p>{% endblock %}',
     "line 2: Invalid block tag on line 2: &#x27;stamp&#x27;"),
    ('{% extends "layout.html" %}\n{% block body %}\n\n<p>{{ signed|long_date }}</p>'
     "{% endblock %}", "line 4: unknown variable &#x27;signed&#x27;"),
    ('{% extends "layout.html" %}\n{% block body %}\n<p>{{ reasoning|long_date }}</p>'
     "{% endblock %}", "line 3: long_date needs a date"),
    ("<p>just a page</p>", "the letter has no text"),
])
def test_a_broken_template_shows_the_error_and_saves_nothing(admin_client, body, words):
    response = admin_client.post(ADD, {"kind": "decision", "language": "ru", "body": body})
    assert response.status_code == 200
    content = response.content.decode()
    assert "decision.ru.html (edited in the admin)" in content
    assert words in content
    assert not LetterTemplate.objects.exists()


@needs_poppler
def test_a_good_template_overrides_the_file(admin_client, settings, register, staff,
                                            tmp_path):
    body = file_body(settings).replace("<h2>Обоснование решения</h2>",
                                       "<p>Текст, изменённый администратором.</p>\n"
                                       "<h2>Обоснование решения</h2>")
    response = admin_client.post(ADD, {"kind": "decision", "language": "ru", "body": body})
    assert response.status_code == 302
    template = LetterTemplate.objects.get()
    assert (template.kind, template.language, template.updated_by) == (
        "decision", "ru", admin_client.user)

    case = register(at=at("2027-01-11"))
    context = {"outcome": "upheld", "reasoning": "Основания подтверждены."}
    pdf_doc, _docx = letter_generate(actor=staff[Role.COMMISSION_MEMBER], case=case,
                                     kind="decision", language="ru", context=context)
    assert "Текст, изменённый администратором." in pdf_text(file_read(pdf_doc),
                                                             tmp_path)
    # The other language still comes from the rulebook's file.
    pdf_doc, _docx = letter_generate(actor=staff[Role.COMMISSION_MEMBER], case=case,
                                     kind="decision", language="en", context=context)
    assert "Decision of the commission" in pdf_text(file_read(pdf_doc), tmp_path)

    # Editing: a broken change is refused and the saved text stays.
    change = f"/en/admin/letters/lettertemplate/{template.pk}/change/"
    response = admin_client.post(change, {"body": body.replace("{% endblock %}", "", 1)})
    assert response.status_code == 200 and "edited in the admin" in response.content.decode()
    template.refresh_from_db()
    assert template.body == body.strip()

    preview = admin_client.get(f"/en/admin/letters/lettertemplate/{template.pk}/preview/")
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF")


def test_a_new_template_starts_from_the_file(admin_client, settings):
    response = admin_client.get(ADD + "?kind=extension_notice&language=en")
    assert response.status_code == 200
    assert "{% if extension_basis %}" in response.content.decode()


def test_only_administrators_edit_templates(client, make_user, office):
    clerk = make_user(Role.CASEWORKER, office)
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    response = client.post(ADD, {"kind": "decision", "language": "ru", "body": "x"})
    assert response.status_code == 403
    assert not LetterTemplate.objects.exists()


def test_the_error_is_shown_in_russian(admin_client):
    body = '{% extends "layout.html" %}\n{% block body %}\n\n<p>{{ signed|long_date }}</p>' \
           "{% endblock %}"
    response = admin_client.post("/ru/admin/letters/lettertemplate/add/",
                                 {"kind": "decision", "language": "ru", "body": body})
    assert response.status_code == 200
    assert ("Шаблон письма decision.ru.html (изменён администратором), строка 4: "
            "unknown variable &#x27;signed&#x27;") in response.content.decode()
