"""From a template and a context to HTML, PDF and DOCX; no database here.

One text per kind and language serves both formats: the template is rendered to HTML, the
HTML is printed to PDF by WeasyPrint, and its parts (marked ``data-docx`` in the layout)
and body paragraphs fill the one generic DOCX template ``letters/letter.docx``.

Every problem with a template becomes ``ApplicationError("letter_template", ...)`` whose
message names the template and, where Django knows it, the line.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, Template, TemplateDoesNotExist
from django.template.base import Origin, VariableDoesNotExist
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import ApplicationError

DOCX_TEMPLATE = "letter.docx"
LIBRARY = "casedesk.letters.library"

# What a variable missing from the context renders as; found after rendering and refused,
# so that a misspelt name cannot silently drop a date or a case number from a letter.
# (Variables tested with {% if %} or looped over with {% for %} are not affected.)
MISSING = "\x00missing:%s\x00"
_MISSING_RE = re.compile("\x00missing:(.*?)\x00")


def file_name(kind: str, language: str) -> str:
    return f"{kind}.{language}.html"


EDITED_IN_ADMIN = _("edited in the admin")


def admin_name(kind: str, language: str) -> str:
    """How a template edited in the admin is named in messages."""
    return f"{file_name(kind, language)} ({EDITED_IN_ADMIN})"


@functools.lru_cache(maxsize=16)
def engine_for(folder: str) -> Engine:
    """A template engine for one rulebook letters folder: no installed tag libraries,
    no app templates, nothing cached (an edited file is used at once), ``debug`` on so
    that errors carry their line."""
    return Engine(
        dirs=[folder],
        loaders=[("django.template.loaders.filesystem.Loader", [folder])],
        debug=True,
        string_if_invalid=MISSING,
        autoescape=True,
        builtins=[LIBRARY],
    )


# --- errors ----------------------------------------------------------------------------------


def _display(name: str | None) -> str | None:
    """A template's name for a person: the path inside the rulebook folder if it is a file
    there, else the name as given."""
    if not name:
        return None
    try:
        relative = Path(name).resolve().relative_to(Path(settings.RULEBOOK_DIR).resolve())
    except (ValueError, OSError):
        return name
    return f"rulebook/{relative.as_posix()}"


def template_error(template: str, problem: str, line: int | None = None) -> ApplicationError:
    if line:
        error = ApplicationError(
            "letter_template",
            _("Letter template %(template)s, line %(line)s: %(problem)s"),
            template=template, line=line, problem=problem,
        )
    else:
        error = ApplicationError(
            "letter_template", _("Letter template %(template)s: %(problem)s"),
            template=template, problem=problem,
        )
    error.template, error.line, error.problem = template, line, problem
    return error


def _from_exception(exc: BaseException, fallback: str) -> ApplicationError:
    info = getattr(exc, "template_debug", None) or {}
    name = _display(info.get("name")) or fallback
    if name == "<unknown source>":
        name = fallback
    if isinstance(exc, VariableDoesNotExist):
        # Its text would repeat the whole context (personal data): name the key only.
        problem = f"unknown variable '{exc.params[0]}'" if exc.params else "unknown variable"
    elif isinstance(exc, TemplateDoesNotExist):
        problem = f"no template '{exc.args[0] if exc.args else exc}' in the letters folder"
    else:
        problem = str(exc) or type(exc).__name__
    return template_error(name, problem, info.get("line"))


def _locate_variable(sources: list[tuple[str, str]], variable: str) -> tuple[str, int | None]:
    pattern = re.compile(r"\{\{[^}]*(?<![\w.])" + re.escape(variable) + r"(?![\w.])")
    for name, text in sources:
        for number, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                return name, number
    return sources[0][0], None


# --- HTML ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterSource:
    """Where a letter's template comes from: the rulebook's file, or a text edited in the
    admin (``body``) that replaces it."""

    kind: str
    language: str
    folder: Path
    body: str | None = None

    @property
    def name(self) -> str:
        if self.body is not None:
            return admin_name(self.kind, self.language)
        return _display(str(self.folder / file_name(self.kind, self.language)))

    def compile(self) -> Template:
        engine = engine_for(str(self.folder))
        try:
            if self.body is None:
                return engine.get_template(file_name(self.kind, self.language))
            origin = Origin(name=self.name, template_name=self.name)
            return Template(self.body, origin=origin, name=self.name, engine=engine)
        except TemplateDoesNotExist:
            raise template_error(self.name, "the file is missing") from None
        except Exception as exc:
            raise _from_exception(exc, self.name) from None

    def _texts(self) -> list[tuple[str, str]]:
        """The template's own text and the folder's other templates (the layout), for
        finding a line."""
        own = self.body
        if own is None:
            own = (self.folder / file_name(self.kind, self.language)).read_text("utf-8")
        texts = [(self.name, own)]
        for path in sorted(self.folder.glob("*.html")):
            if path.name != file_name(self.kind, self.language):
                texts.append((_display(str(path)), path.read_text("utf-8")))
        return texts

    def render(self, context: dict) -> str:
        """The letter as HTML, or ApplicationError naming the template and the line."""
        template = self.compile()
        with translation.override(self.language):
            try:
                html = template.render(Context(context, autoescape=True))
            except Exception as exc:
                raise _from_exception(exc, self.name) from None
        missing = _MISSING_RE.search(html)
        if missing:
            variable = missing.group(1)
            name, line = _locate_variable(self._texts(), variable)
            raise template_error(name, f"unknown variable '{variable}'", line)
        return html


# --- the parts of a letter -------------------------------------------------------------------

FIELDS = ("office", "office_address", "date", "addressee", "reference", "title",
          "signature")
PARAGRAPHS = frozenset({"p", "li", "h2", "h3", "h4", "h5", "h6", "pre"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})
HIDDEN = frozenset({"head", "style", "script", "title", "template"})
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_BREAK = "\ue000"  # stands for <br> until whitespace is collapsed
_SPACE = re.compile(r"[ \t\r\n\f]+")
# Characters XML 1.0 does not allow (a DOCX would not open).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    text = _NOT_XML.sub("", text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.split(_BREAK)]
    return "\n".join(lines).strip()


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "text"  # "text", "heading" (h2-h6), "quote" (in a blockquote)


@dataclass
class LetterParts:
    """What the DOCX template needs, taken from the rendered HTML."""

    office: str = ""
    office_address: str = ""
    date: str = ""
    addressee: str = ""
    reference: str = ""
    title: str = ""
    signature: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)

    def as_context(self) -> dict:
        return {
            **{name: getattr(self, name) for name in FIELDS},
            "paragraphs": [{"text": p.text, "style": p.style} for p in self.paragraphs],
        }


class _PartsParser(HTMLParser):
    """Collects the text of the elements marked ``data-docx="<field>"`` and, inside the one
    marked ``data-docx="body"``, one paragraph per p, li, h2-h6 (and loose text); h2-h6
    become headings, paragraphs inside a blockquote quotes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts = LetterParts()
        self._stack: list[tuple[str, str | None]] = []  # (tag, what closing it ends)
        self._field: str | None = None
        self._field_text: list[str] = []
        self._body = 0
        self._paragraph: list[str] | None = None
        self._style = "text"
        self._loose: list[str] = []
        self._hidden = 0
        self._quote = 0

    def _flush(self, chunks: list[str], style: str = "text") -> None:
        text = _clean("".join(chunks))
        if text:
            self.parts.paragraphs.append(
                Paragraph(text, "quote" if self._quote and style == "text" else style))
        chunks.clear()

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == "br":
                self.handle_data(_BREAK)
            return
        role = dict(attrs).get("data-docx")
        action = None
        if tag in HIDDEN:
            self._hidden += 1
            action = "hidden"
        elif role in FIELDS and self._field is None:
            self._field, self._field_text = role, []
            action = "field"
        elif role == "body":
            self._body += 1
            action = "body"
        elif self._body and self._field is None and tag == "blockquote":
            self._flush(self._loose)
            self._quote += 1
            action = "quote"
        elif self._body and self._field is None and tag in PARAGRAPHS:
            if self._paragraph is not None:
                # <p> cannot hold another block: the first one ends here, as in HTML.
                self._end_paragraph()
            self._flush(self._loose)
            self._paragraph = ["• "] if tag == "li" else []
            self._style = "heading" if tag in HEADINGS else "text"
            action = "paragraph"
        self._stack.append((tag, action))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def _end_paragraph(self) -> None:
        if self._paragraph is not None:
            self._flush(self._paragraph, self._style)
            self._paragraph = None
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][1] == "paragraph":
                self._stack[index] = (self._stack[index][0], None)
                break

    def handle_endtag(self, tag):
        if not any(open_tag == tag for open_tag, _ in self._stack):
            return  # a stray end tag
        while self._stack:
            open_tag, action = self._stack.pop()
            if action == "hidden":
                self._hidden -= 1
            elif action == "field":
                setattr(self.parts, self._field, _clean("".join(self._field_text)))
                self._field = None
            elif action == "body":
                self._flush(self._loose)
                self._body -= 1
            elif action == "quote":
                self._flush(self._loose)
                self._quote -= 1
            elif action == "paragraph" and self._paragraph is not None:
                self._flush(self._paragraph, self._style)
                self._paragraph = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._hidden:
            return
        if self._field is not None:
            self._field_text.append(data)
        elif self._paragraph is not None:
            self._paragraph.append(data)
        elif self._body:
            self._loose.append(data)


def letter_parts(html: str, *, template: str) -> LetterParts:
    parser = _PartsParser()
    parser.feed(html)
    parser.close()
    parts = parser.parts
    if not parts.paragraphs:
        raise template_error(
            template,
            'the letter has no text: keep {% extends "layout.html" %} and write the letter '
            "in {% block body %} as <p> paragraphs",
        )
    return parts


# --- PDF and DOCX ----------------------------------------------------------------------------


def _url_fetcher():
    """Letters may embed data: URLs only; no file or network access (a template edited in
    the admin must not be able to print a server file into a letter)."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 67: fetchers are functions
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError("letters may not load external resources")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str, *, base_url: Path, template: str) -> bytes:
    import weasyprint

    try:
        return weasyprint.HTML(
            string=html, base_url=str(base_url), url_fetcher=_url_fetcher()
        ).write_pdf()
    except Exception as exc:
        raise template_error(template, f"no PDF could be made from it ({exc})") from None


def parts_to_docx(parts: LetterParts, *, docx_template: Path) -> bytes:
    from docxtpl import DocxTemplate

    if not docx_template.is_file():
        raise template_error(_display(str(docx_template)), "the file is missing")
    try:
        document = DocxTemplate(str(docx_template))
        from docxtpl import Listing

        context = parts.as_context()
        for name in FIELDS:  # a line break in the letterhead (addresses) stays one
            if "\n" in context[name]:
                context[name] = Listing(context[name])
        document.render(context, autoescape=True)
        output = io.BytesIO()
        document.save(output)
    except Exception as exc:
        raise template_error(_display(str(docx_template)), str(exc)) from None
    return output.getvalue()
