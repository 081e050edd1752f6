"""The development mail spool: what Django's file-based email backend wrote.

Without ``EMAIL_HOST`` (development, demos) every email is written in plaintext to a file
under ``EMAIL_FILE_PATH`` (config/settings.py): the applicant's address, the case number,
the access code and the office's question. An erasure must reach it too:
:func:`forget` removes the messages to given addresses or about given case numbers
(every applicant email names its case in the subject). With SMTP there is no spool and
nothing to do here: what left the server is the mail provider's.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
from email.utils import getaddresses
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# How the file-based backend ends each message (EmailBackend.write_message).
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def directory() -> Path | None:
    """The spool directory, when email goes to files; else None."""
    path = getattr(settings, "EMAIL_FILE_PATH", None)
    if settings.EMAIL_BACKEND != FILE_BACKEND or not path:
        return None
    return Path(path)


def _concerns(chunk: bytes, addresses: set[str], numbers: re.Pattern | None) -> bool:
    message = email.message_from_bytes(chunk, policy=email.policy.default)
    recipients = {address.casefold() for _name, address in getaddresses(
        [str(message.get(header, "")) for header in ("To", "Cc", "Bcc")]) if address}
    if recipients & addresses:
        return True
    return bool(numbers and numbers.search(str(message.get("Subject", ""))))


def forget(*, addresses: list[str] = (), case_numbers: list[str] = ()) -> int:
    """Remove from the spool every message to one of ``addresses`` or whose subject names
    one of ``case_numbers``; a file left empty is deleted. Returns how many messages were
    removed. Each file is rewritten through a temporary file and an atomic rename."""
    root = directory()
    wanted = {a.strip().casefold() for a in addresses if a and a.strip()}
    numbers = (re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in case_numbers if n)
                          + r")(?![\w-])") if any(case_numbers) else None)
    if root is None or not root.is_dir() or not (wanted or numbers):
        return 0
    removed = 0
    for path in sorted(root.iterdir()):
        if not path.is_file():
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        chunks = [chunk for chunk in raw.split(SEPARATOR) if chunk.strip()]
        kept = [chunk for chunk in chunks if not _concerns(chunk, wanted, numbers)]
        if len(kept) == len(chunks):
            continue
        removed += len(chunks) - len(kept)
        if kept:
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(b"".join(chunk + SEPARATOR for chunk in kept))
            os.replace(temporary, path)
        else:
            path.unlink(missing_ok=True)
    if removed:
        logger.info("mail spool: %s message(s) removed", removed)
    return removed
