"""Reading generated letters back: text of a PDF (pdftotext), its first page as a PNG
(pdftoppm), the paragraphs of a DOCX (python-docx)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts" / "letters"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed",
)


def flat(text: str) -> str:
    """Whitespace (line breaks, no-break spaces) collapsed to single spaces."""
    return " ".join(text.split())


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    result = subprocess.run(command, capture_output=True, check=True)  # noqa: S603
    return flat(result.stdout.decode("utf-8"))


def first_page_png(pdf: bytes, directory: Path, name: str, resolution: int = 60) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"{name}.pdf"
    source.write_bytes(pdf)
    command = ["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1",
               "-singlefile", str(source), str(directory / name)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603
    source.unlink()
    return directory / f"{name}.png"


def ink_share(png: Path) -> float:
    """The share of pixels that are clearly not white (0 for a blank page)."""
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
        return sum(histogram[:160]) / (grey.width * grey.height)


def docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    return flat(" ".join(p.text for p in document.paragraphs))


def docx_paragraphs(data: bytes) -> list[str]:
    import docx

    return [flat(p.text) for p in docx.Document(io.BytesIO(data)).paragraphs if p.text.strip()]
