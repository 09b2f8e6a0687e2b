"""Bounded work for hostile input: what a file may hold before the costly stages run.

Measured on the development machine (2 cores), cleaning and segmenting run at roughly
2–5 s per MB of text: a 52 MB one-line TXT (under the 200 MB file limit) would keep the
ingest busy for minutes at gigabytes of memory. A document's text is therefore capped
(``settings.ingest.max_text_chars``, default 4 million characters ≈ 1,500 dense pages,
~40 s of parsing) and refused beyond it with a message naming the limit.

Characters no document needs are removed right after reading: NUL and the other C0
controls except tab, newline, carriage return and form feed (they reached the HTML and
SQLite as is), and lone surrogates (they cannot be encoded as UTF-8 at all).
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from grund.errors import InputFileError
from grund.privacy import mask_personnummer
from grund.records import RawDocument
from grund.settings import Settings

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]+")


def strip_controls(text: str) -> str:
    """``text`` without NUL, other control characters (tab, newlines, form feed kept) and lone surrogates."""
    return _CONTROL.sub("", text)


def sanitize(raw: RawDocument, settings: Settings) -> RawDocument:
    """Strip control characters (and personnummer, see ``privacy.mask_at_ingest``) from every page
    and refuse a text longer than the cap.

    Args:
        raw: the document as read.
        settings: ``settings.ingest.max_text_chars`` is the cap.

    Raises:
        InputFileError: the text is longer than the cap.
    """
    mask = settings.privacy.mask_at_ingest
    total = 0
    for page in raw.pages:
        if page.text:
            page.text = strip_controls(page.text)
            if mask:  # personnummer never reach SQLite, Chroma or BM25
                page.text = mask_personnummer(page.text)
            total += len(page.text)
    if raw.title:
        raw.title = strip_controls(raw.title)
        if mask:
            raw.title = mask_personnummer(raw.title)
    cap = settings.ingest.max_text_chars
    if total > cap:
        raise InputFileError(
            raw.path,
            f"texten är för lång ({_thousands(total)} tecken; gränsen är {_thousands(cap)} tecken, "
            "ASSISTENT_INGEST_MAX_TEXT_CHARS)",
        )
    return raw


def _thousands(n: int) -> str:
    """48340791 → '48 340 791' (Swedish digit grouping)."""
    return f"{n:,}".replace(",", " ")


def symlink_problem(path: Path) -> str | None:
    """Why a symbolic link found in a folder is not ingested, or None when it leads to a file.

    ``rglob`` neither follows links to folders nor says anything about broken links or
    loops: without this they vanished from the run silently.
    """
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolisk länk i en slinga (pekar till slut på sig själv); hoppades över"
        return "symbolisk länk till något som inte finns; hoppades över"
    if path.is_dir():
        return "symbolisk länk till en mapp följs inte; ange mappen direkt om den ska läsas in"
    return None
