"""Build the generic DOCX letter template (docxtpl) that every kind of letter fills.

    python casedesk/letters/make_docx_template.py [OUTPUT]

OUTPUT defaults to rulebook/2026.1/letters/letter.docx. The template holds Jinja tags
only; the text comes from the rendered HTML letter (``rendering.letter_parts``):
{{ office }}, {{ office_address }}, {{ date }}, {{ reference }}, {{ addressee }}, {{ title }},
the body paragraphs in a docxtpl paragraph loop (``{%p for p in paragraphs %}``; each has ``text``
and ``style``: text, heading or quote), and {{ signature }}. Word offices print letters
in Times New Roman, so the DOCX uses it (the PDF uses DejaVu Sans, which the server has).
Needs python-docx only (it comes with docxtpl); no Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

DEFAULT_OUTPUT = (Path(__file__).resolve().parents[2] / "rulebook" / "2026.1" / "letters"
                  / "letter.docx")
FONT = "Times New Roman"


def build(output: Path) -> Path:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(25), Mm(15)

    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    def paragraph(text: str, *, bold: bool = False, align=None, before: float = 0,
                  after: float | None = None, size: float | None = None):
        p = document.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if align is not None:
            p.alignment = align
        if before:
            p.paragraph_format.space_before = Pt(before)
        if after is not None:
            p.paragraph_format.space_after = Pt(after)
        return p

    paragraph("{{ office }}", bold=True, after=0)
    paragraph("{{ office_address }}", size=9, after=2)
    paragraph("{{ date }}", size=11, after=0)
    paragraph("{{ reference }}", size=11, after=0)
    addressee = paragraph("{{ addressee }}", before=12, after=18)
    addressee.paragraph_format.left_indent = Mm(95)
    paragraph("{{ title }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    # docxtpl's paragraph tags: each {%p %} paragraph is replaced by the tag itself, so one
    # of the three styled paragraphs is repeated per body paragraph.
    document.add_paragraph("{%p for p in paragraphs %}")
    document.add_paragraph('{%p if p.style == "heading" %}')
    paragraph("{{ p.text }}", bold=True, before=6, after=3)
    document.add_paragraph('{%p elif p.style == "quote" %}')
    quote = paragraph("{{ p.text }}")
    quote.paragraph_format.left_indent = Mm(10)
    quote.runs[0].italic = True
    document.add_paragraph("{%p else %}")
    document.add_paragraph("{{ p.text }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")
    paragraph("{{ signature }}", bold=True, before=6)

    properties = document.core_properties
    properties.author = properties.last_modified_by = "casedesk"
    properties.title = properties.subject = properties.keywords = ""
    properties.comments = ""
    properties.revision = 1
    properties.created = properties.modified = dt.datetime(2026, 1, 1)

    output.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(output))
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    print(build(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
