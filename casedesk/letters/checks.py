"""`manage.py check`: every letter template file of every rulebook version must compile
and render with its sample context (fast: no PDF; ``letters_check`` prints them too)."""

from __future__ import annotations

from django.core import checks

from casedesk import rulebook

from .kinds import LANGUAGES, SPECS, sample_context
from .rendering import DOCX_TEMPLATE, LetterSource, letter_parts


def problems(*, pdf: bool = False) -> list[str]:
    """One message per broken file template (with file and line), for every version."""
    from casedesk.core.errors import ApplicationError

    from . import selectors, services

    found = []
    for book in rulebook.versions().values():
        folder = selectors.letters_folder(book)
        if not (folder / DOCX_TEMPLATE).is_file():
            found.append(f"{book.version}: {folder / DOCX_TEMPLATE} is missing")
        for kind in SPECS:
            for language in LANGUAGES:
                try:
                    if pdf:
                        services.letter_check(kind=kind, language=language, folder=folder)
                    else:
                        source = LetterSource(kind=kind, language=language, folder=folder)
                        html = source.render(sample_context(kind, language))
                        letter_parts(html, template=source.name)
                except ApplicationError as exc:
                    found.append(str(exc))
    return found


@checks.register()
def letter_templates(app_configs=None, **kwargs):
    return [
        checks.Error(message, hint="Correct the template file, then run "
                                   "`manage.py letters_check`.", id="letters.E001")
        for message in problems()
    ]
