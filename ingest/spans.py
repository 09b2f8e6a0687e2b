"""The shared vocabulary of the segmenters: lines with offsets, spans of a document's text, and
small readers of a line (a cleaned heading, a diarienummer line) used by every layout's parser."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from grund.dnr import find_diarienummer
from grund.records import RawDocument, SectionKind


@dataclass
class Line:
    """One line of a text: offsets into the text and the stripped content."""

    start: int
    end: int
    text: str  # stripped


@dataclass
class Span:
    """A character range of the document that becomes one Section."""

    start: int
    end: int
    kind: SectionKind
    rubrik: str | None = None
    paragraf_nr: int | None = None
    dnr: str | None = None
    datum: dt.date | None = None
    heading_path: list[str] = field(default_factory=list)


def split_lines(text: str) -> list[Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(Line(pos, pos + len(raw), raw.strip()))
        pos += len(raw) + 1
    return out


def clean_heading(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lstrip("#").strip().strip("*").strip())


def dnr_of_line(s: str) -> str | None:
    found = find_diarienummer(s)
    return found[0].display if found else None


def is_dnr_line(s: str) -> bool:
    found = find_diarienummer(s)
    return bool(found) and len(s) - (found[0].end - found[0].start) < 12


def page_starts(raw: RawDocument) -> list[tuple[int, int | None]]:
    """(offset in raw.text, page number) per non-empty page, matching RawDocument.text's joining."""
    out, pos = [], 0
    for p in raw.pages:
        if p.text:
            out.append((pos, p.page))
            pos += len(p.text) + 2
    return out
