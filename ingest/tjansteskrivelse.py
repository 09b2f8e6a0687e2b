"""Tjänsteskrivelser inside kallelse and tjänsteskrivelse documents (a step of ingest/segment.py):
where each begins (a header block confirmed by a förslag or sammanfattning), its dnr, date
and rubrik, and where it ends and an attachment starts; the attachment is cut by its
headings (ingest/headings.py).
"""

from __future__ import annotations

import datetime as dt
import re

from grund.dnr import find_diarienummer
from grund.records import SectionKind
from ingest.headings import LIST_LINE, split_headings
from ingest.metadata import find_dates
from ingest.parts import part_kind
from ingest.spans import Line, Span, clean_heading

_TS_HEADER = re.compile(r"^(?:Upprättad\s*:|Diarienummer\s*:\s*\S|Tjänsteskrivelse$)", re.IGNORECASE)
_TS_CONFIRM = re.compile(
    r"^(?:Förslag till beslut|Sammanfattning|Ärendebeskrivning|Beskrivning av ärendet)", re.IGNORECASE
)
_ORG_LINE = re.compile(r"(förvaltningen|kontoret|nämnden)$", re.IGNORECASE)


def _ts_starts(lines: list[Line]) -> list[int]:
    """Line indexes where a tjänsteskrivelse begins (header block confirmed by a förslag/sammanfattning)."""
    out: list[int] = []
    for i, ln in enumerate(lines):
        if not _TS_HEADER.match(clean_heading(ln.text)):
            continue
        if out and i - out[-1] <= 4:  # the same header block (Upprättad + Diarienummer)
            continue
        if not any(_TS_CONFIRM.match(clean_heading(x.text)) for x in lines[i : i + 40]):
            continue
        prev = [j for j in range(i - 1, max(-1, i - 4), -1) if lines[j].text]
        if prev and _ORG_LINE.search(lines[prev[0]].text) and len(lines[prev[0]].text) < 40:
            i = prev[0]  # "Socialförvaltningen" above "Tjänsteskrivelse" is part of the header
        out.append(i)
    return out


_HEADER_LINE = re.compile(
    r"^(?:Upprättad|Diarienummer|Dnr|Datum|Handläggare|Tjänsteskrivelse)\b", re.IGNORECASE
)
_END_LABELS = {"skickas_till"}
_ATTACHMENT_START = re.compile(r"^(?:#{1,3}\s|-{3,}$|[A-ZÅÄÖ][A-ZÅÄÖ \-]+\s(?:KOMMUN|STAD)$)")


def _ts_core_end(text: str, lines: list[Line], a: int, b: int) -> int:
    """Line index where the tjänsteskrivelse proper ends and an attachment starts (b if none)."""
    last_label, last_kind = None, None
    for i in range(a + 1, b):
        k = part_kind(lines[i].text)
        if k in ("skickas_till", "ovrigt"):
            last_label, last_kind = i, k
    if last_label is None:
        return b
    i = last_label + 1
    while i < b and not lines[i].text:
        i += 1
    if last_kind in _END_LABELS:
        if i < b and LIST_LINE.match(lines[i].text):
            while i < b and (not lines[i].text or LIST_LINE.match(lines[i].text)):
                i += 1
        else:
            while i < b and lines[i].text:
                i += 1
    else:
        # beslutsunderlag + signatures run until a run of blank lines (a page break in raw
        # text) or, in cleaned text where blank runs are collapsed, a letterhead/rule/heading
        while i + 2 < b and (lines[i].text or lines[i + 1].text or lines[i + 2].text):
            if _ATTACHMENT_START.match(lines[i].text):
                break
            i += 1
    while i < b and not lines[i].text:
        i += 1
    # a short tail (a name, a closing line) stays with the tjänsteskrivelse: under 60 words
    if i >= b or len(text[lines[i].start : lines[b - 1].end].split()) < 60:
        return b
    return i


def _ts_meta(text: str, lines: list[Line], a: int, b: int) -> tuple[str | None, dt.date | None, str | None]:
    """(dnr, date, rubrik) of the tjänsteskrivelse in lines [a, b)."""
    head = [ln.text for ln in lines[a : min(b, a + 14)] if ln.text]
    head_text = "\n".join(head)
    dnrs = find_diarienummer(head_text)
    dates = find_dates(head_text)
    rubrik = None
    for i in range(a, min(b, a + 40)):
        if part_kind(lines[i].text) in ("forslag", "arende"):
            prev = [clean_heading(ln.text) for ln in lines[a:i] if ln.text]
            prev = [
                p
                for p in prev
                if not _HEADER_LINE.match(p) and not find_dates(p) and not find_diarienummer(p)
            ]
            rubrik = prev[-1] if prev else None
            break
    return (dnrs[0].display if dnrs else None), (dates[0][1] if dates else None), rubrik


def tjansteskrivelser(text: str, lines: list[Line], doctype: str, doc_dnr: str | None) -> list[Span]:
    starts = _ts_starts(lines)
    if doctype == "tjansteskrivelse" and (not starts or len(text[: lines[starts[0]].start].split()) < 40):
        starts = [0] + [s for s in starts if s > 0 and len(text[: lines[s].start].split()) >= 40]
    if not starts:
        return []
    spans: list[Span] = []
    if starts[0] > 0 and text[: lines[starts[0]].start].strip():
        kind: SectionKind = "dagordning" if doctype == "kallelse" else "text"
        spans.append(
            Span(0, lines[starts[0]].start, kind, rubrik="Dagordning" if kind == "dagordning" else None)
        )
    for k, a in enumerate(starts):
        b = starts[k + 1] if k + 1 < len(starts) else len(lines)
        end_off = lines[b].start if b < len(lines) else len(text)
        dnr, datum, rubrik = _ts_meta(text, lines, a, b)
        core = _ts_core_end(text, lines, a, b)
        core_off = lines[core].start if core < len(lines) else len(text)
        spans.append(Span(lines[a].start, core_off, "tjansteskrivelse", rubrik=rubrik, dnr=dnr, datum=datum))
        if core < b:
            title = clean_heading(lines[core].text)
            base = [rubrik] if rubrik else []
            spans.extend(split_headings(text, core_off, end_off, base, dnr, title))
    return spans
