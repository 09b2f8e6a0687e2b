"""Sections by heading for documents without §§ (plans, reports, attachments): which lines are
headings (markdown, numbered, or short title-like lines between body text), and the spans
they cut, with the heading path (a step of ingest/segment.py).
"""

from __future__ import annotations

import re

from grund.dnr import find_diarienummer
from ingest.metadata import find_dates
from ingest.spans import Line, Span, clean_heading, split_lines

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
_NUM_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-ZÅÄÖ][^\t]{1,80})$")
TOC_LINE = re.compile(r"(\.{4,}|…{2,}|\t\s*\d+\s*$|\s\d{1,3}\s*$)")
LIST_LINE = re.compile(r"^(?:[-•*~–|>]|\d+[.)]\s+[a-zåäö]|\(?[a-z]\))")
_TERMINAL = ".,:;!?"
# Repeated letterhead lines ("STRÄNGNÄS KOMMUN", "SOLNA STAD") are not headings.
_PAGE_HEADER = re.compile(r"^[A-ZÅÄÖ \-]+\s(?:KOMMUN|STAD)$")


def _body_like(s: str) -> bool:
    return len(s) >= 50 or (s.endswith(".") and len(s.split()) >= 5) or "\t" in s


def _median_len(lines: list[Line]) -> float:
    lens = sorted(len(ln.text) for ln in lines if ln.text)
    return lens[len(lens) // 2] if lens else 0.0


_FIELD = re.compile(r"^[A-ZÅÄÖ][\wåäöÅÄÖ-]*(?: [\wåäö-]+){0,2}: \S")


def heading_level(lines: list[Line], i: int) -> tuple[int, str] | None:
    """(level, title) when line i is a heading, else None."""
    s = lines[i].text
    if not s or len(s) > 100 or "\t" in s or TOC_LINE.search(s) or _PAGE_HEADER.match(clean_heading(s)):
        return None
    m = _MD_HEADING.match(s)
    if m:
        title = clean_heading(m.group(2))
        return (len(m.group(1)), title) if title else None
    blank_before = i == 0 or not lines[i - 1].text
    # PDF text has no blank lines between paragraphs: there a heading must also be
    # clearly shorter than the body lines (under 60% of the median line, ~40 of 65 chars)
    # and be followed by a capitalised line, or every wrapped first line would qualify.
    if not blank_before:
        nxt = next((ln.text for ln in lines[i + 1 : i + 3] if ln.text), "")
        if len(s) > 0.6 * _median_len(lines) or not nxt[:1].isupper():
            return None
    m = _NUM_HEADING.match(s)
    if m and s[-1] not in _TERMINAL and len(s.split()) <= 12 and ("." in s[: m.end(1) + 1] or blank_before):
        return 1 + m.group(1).count("."), clean_heading(s)
    if LIST_LINE.match(s) or s[-1] in _TERMINAL or not s[0].isupper() or len(s.split()) > 10 or len(s) > 80:
        return None
    if not re.search(r"[a-zåäö]{3}", s) or find_dates(s) or find_diarienummer(s):
        return None
    if re.search(r":.*\d", s):  # "Ingångsvärde: 2023, 36 procent" is a field, not a heading
        return None
    prev = next((ln.text for ln in reversed(lines[:i]) if ln.text), "")
    if not (blank_before or not prev or prev[-1] in ".!?:"):
        return None
    # In a run of "Label: value" lines only the first can head the block: "Nyckeltal: …"
    # is a heading, the "Mått: …", "Mäts: Varje månad" and "Ingångsvärde: …" under it are fields.
    if _FIELD.match(s) and _FIELD.match(prev):
        return None
    nxt = next((ln.text for ln in lines[i + 1 : i + 4] if ln.text), "")
    if not nxt or not _body_like(nxt):
        return None
    return 6, clean_heading(s)


def split_headings(
    text: str, start: int, end: int, base_path: list[str], dnr: str | None, first_rubrik: str | None
) -> list[Span]:
    """Cut [start, end) at headings; text before the first heading is a "text" span."""
    lines = split_lines(text[start:end])
    for ln in lines:
        ln.start += start
        ln.end += start
    spans: list[Span] = []
    stack: list[tuple[int, str]] = []
    cur = Span(start, end, "text", rubrik=first_rubrik, dnr=dnr, heading_path=list(base_path))
    for i in range(len(lines)):
        h = heading_level(lines, i)
        if not h:
            continue
        level, title = h
        cur.end = lines[i].start
        spans.append(cur)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        cur = Span(
            lines[i].start,
            end,
            "rubrik",
            rubrik=title,
            dnr=dnr,
            heading_path=base_path + [t for _, t in stack],
        )
    spans.append(cur)
    return _merge_small([s for s in spans if text[s.start : s.end].strip()], text)


# A heading block under 12 words (heading + one short line) is not worth citing alone.
_MIN_WORDS = 12


def _merge_small(spans: list[Span], text: str) -> list[Span]:
    out: list[Span] = []
    for s in spans:
        if out and len(text[out[-1].start : out[-1].end].split()) < _MIN_WORDS and out[-1].kind == s.kind:
            s.start = out.pop().start  # the tiny block becomes the head of the next one
        out.append(s)
    if len(out) > 1 and len(text[out[-1].start : out[-1].end].split()) < _MIN_WORDS:
        last = out.pop()
        out[-1].end = last.end
    return out
