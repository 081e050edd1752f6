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


def audit_chain_free_while_rendering(action) -> tuple[bool, int | None]:
    """Run ``action()`` in a thread whose letter rendering blocks until released; while it
    blocks, ask from this thread whether the audit chain's lock is free and write an audit
    entry. Return (whether the lock was free, the seq of that entry). Needs a
    transactional test on PostgreSQL (the two threads use two connections). Driven by
    events, not by time: the waits only keep a broken run from hanging for ever."""
    import threading
    from unittest import mock

    from django.db import connection, connections, transaction

    from casedesk.audit.services import AUDIT_LOCK_ID, audit_record
    from casedesk.letters import services

    rendering, release = threading.Event(), threading.Event()
    real = services._render
    failures: list[BaseException] = []

    def blocking(source, context):
        rendering.set()
        release.wait(120)
        return real(source, context)

    def run() -> None:
        try:
            action()
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            rendering.set()  # an action that failed before rendering must not hang the test
            connections.close_all()

    with mock.patch.object(services, "_render", blocking):
        thread = threading.Thread(target=run)
        thread.start()
        try:
            assert rendering.wait(120), "the action never rendered its letter"
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [AUDIT_LOCK_ID])
                    free = cursor.fetchone()[0]
                # Only if it is free: else this would wait for the action, which waits
                # for this thread.
                entry = audit_record(action="case.read", object_type="case",
                                     object_id="x") if free else None
        finally:
            release.set()
            thread.join()
    if failures:
        raise failures[0]
    return free, entry.seq if entry is not None else None
