"""Segmentation: RawDocument → ParsedDocument (Document + citable Sections).

The document is cut into non-overlapping character spans of its full text, so no
text is lost: every span becomes a Section, whatever its kind.

- Protokoll: one Section per § (ingest/protokoll.py: "§ 23" and "23 §" layouts, a table
  of contents as a map); a table of contents or agenda is one "dagordning" Section.
- Kallelse and tjänsteskrivelse documents: the agenda is one "dagordning" Section;
  each tjänsteskrivelse (a header block with its own dnr and date) is one Section.
  What follows a tjänsteskrivelse's sändlista (an attached report or plan) is split
  by its headings into "rubrik" Sections that keep the tjänsteskrivelse's dnr and have
  its rubrik first in heading_path. (One Section per attachment would be easier to
  cite but a 40-page delårsrapport is not a useful citation unit.)
- Plans, guidelines, reports and the rest: "rubrik" Sections by heading, with the
  heading path; all inherit the document's diarienummer.
Parts (ärende, förslag, yrkande, beslut, skickas till) are found by their labels (ingest/parts.py).
Metadata comes with its evidence (ingest/metadata.py).
"""

from __future__ import annotations

import datetime as dt
import re

from grund.dnr import find_diarienummer, format_paragraf
from grund.records import (
    DOCTYPE_LABELS,
    Document,
    PageIssue,
    ParsedDocument,
    RawDocument,
    Section,
    SectionKind,
)
from ingest.metadata import (
    detect_doctype,
    detect_own_dnr,
    find_dates,
    is_utdrag,
    read_date,
    read_kommun,
    read_organ,
)
from ingest.parts import find_parts, part_kind
from ingest.protokoll import embedded_paragrafer, fill_from_map, protokoll_fi, protokoll_se
from ingest.spans import Line, Span, clean_heading, page_starts, split_lines

__all__ = ["find_parts", "part_kind", "segment"]


# ---------------------------------------------------------------- headings
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
_NUM_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-ZÅÄÖ][^\t]{1,80})$")
_TOC = re.compile(r"(\.{4,}|…{2,}|\t\s*\d+\s*$|\s\d{1,3}\s*$)")
_LIST = re.compile(r"^(?:[-•*~–|>]|\d+[.)]\s+[a-zåäö]|\(?[a-z]\))")
_TERMINAL = ".,:;!?"
# Repeated letterhead lines ("STRÄNGNÄS KOMMUN", "SOLNA STAD") are not headings.
_PAGE_HEADER = re.compile(r"^[A-ZÅÄÖ \-]+\s(?:KOMMUN|STAD)$")


def _body_like(s: str) -> bool:
    return len(s) >= 50 or (s.endswith(".") and len(s.split()) >= 5) or "\t" in s


def _median_len(lines: list[Line]) -> float:
    lens = sorted(len(ln.text) for ln in lines if ln.text)
    return lens[len(lens) // 2] if lens else 0.0


_FIELD = re.compile(r"^[A-ZÅÄÖ][\wåäöÅÄÖ-]*(?: [\wåäö-]+){0,2}: \S")


def _heading_level(lines: list[Line], i: int) -> tuple[int, str] | None:
    """(level, title) when line i is a heading, else None."""
    s = lines[i].text
    if not s or len(s) > 100 or "\t" in s or _TOC.search(s) or _PAGE_HEADER.match(clean_heading(s)):
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
    if _LIST.match(s) or s[-1] in _TERMINAL or not s[0].isupper() or len(s.split()) > 10 or len(s) > 80:
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


def _split_headings(
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
        h = _heading_level(lines, i)
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


# ---------------------------------------------------------------- kallelse / tjänsteskrivelse
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
        if i < b and _LIST.match(lines[i].text):
            while i < b and (not lines[i].text or _LIST.match(lines[i].text)):
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


def _tjansteskrivelser(text: str, lines: list[Line], doctype: str, doc_dnr: str | None) -> list[Span]:
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
            spans.extend(_split_headings(text, core_off, end_off, base, dnr, title))
    return spans


# ---------------------------------------------------------------- assembly
_TITLE_WORD = re.compile(
    r"(plan|budget\w*|strategi|program|riktlinje[rn]?|policy|rapport|månadsbrev|verksamhetsberättelse|"
    r"årsbokslut|årsredovisning|anvisningar)\b",
    re.IGNORECASE,
)


def _title(
    text: str, doctype: str, namnd: str | None, datum: dt.date | None, spans: list[Span]
) -> str | None:
    if doctype in ("protokoll", "kallelse"):
        return " ".join(
            x for x in (DOCTYPE_LABELS[doctype], namnd, datum.isoformat() if datum else None) if x
        )
    ts = next((s.rubrik for s in spans if s.kind == "tjansteskrivelse" and s.rubrik), None)
    if ts:
        return ts
    lines = split_lines(text[:2500])
    for ln in lines:
        title = clean_heading(ln.text)
        if 0 < len(title.split()) <= 8 and _TITLE_WORD.search(title) and not _TOC.search(title):
            return title
    for i in range(len(lines)):
        h = _heading_level(lines, i)
        if h:
            return h[1]
    return next((clean_heading(ln.text) for ln in lines if len(ln.text.split()) >= 2), None)


def _registry_codes(doc_dnr: str | None, spans: list[Span]) -> list[str]:
    """Registry letters of the document's dnr, else the most common among its sections' ("KS")."""
    def letters(d: str) -> str:
        return "-".join(re.findall(r"[A-ZÅÄÖ]+", d.upper()))

    if doc_dnr:
        return [letters(doc_dnr)] if letters(doc_dnr) else []
    counts: dict[str, int] = {}
    for s in spans:
        if s.dnr and letters(s.dnr):
            counts[letters(s.dnr)] = counts.get(letters(s.dnr), 0) + 1
    return [max(counts, key=lambda k: counts[k])] if counts else []


def segment(raw: RawDocument) -> ParsedDocument:
    """Understand one document: metadata plus citable sections.

    Args:
        raw: the (cleaned) text of one file.
    """
    text = raw.text
    doc_id = raw.sha256[:16]
    doctype = detect_doctype(text)
    doc_dnr = detect_own_dnr(text, doctype)
    lines = split_lines(text)
    starts = page_starts(raw)

    spans: list[Span] = []
    if doctype == "protokoll":
        spans = protokoll_se(text, lines) or protokoll_fi(text, lines, starts)
    elif doctype in ("kallelse", "tjansteskrivelse"):
        spans = _tjansteskrivelser(text, lines, doctype, doc_dnr)
        if not spans and doctype == "kallelse":
            spans = protokoll_fi(text, lines, starts)
    if any(s.kind == "paragraf" for s in spans):
        spans = fill_from_map(text, lines, spans, starts)
    if not spans:
        spans = _split_headings(text, 0, len(text), [], doc_dnr, None)
    if not any(s.kind == "paragraf" for s in spans):
        spans = embedded_paragrafer(text, lines, spans)

    evidence = [read_kommun(text), read_organ(text, _registry_codes(doc_dnr, spans)), read_date(text, doctype)]
    kommun, namnd, iso = (e.value for e in evidence)
    datum = dt.date.fromisoformat(iso) if iso else None
    n_paragraf = sum(s.kind == "paragraf" for s in spans)
    titel = _title(text, doctype, namnd, datum, spans)
    for s in spans:
        if s.kind == "text" and not s.rubrik:
            s.rubrik = titel
    document = Document(
        id=doc_id,
        fil=raw.fil,
        path=raw.path,
        sha256=raw.sha256,
        format=raw.format,
        dokumenttyp=doctype,
        kommun=kommun,
        namnd=namnd,
        datum=datum,
        diarienummer=doc_dnr,
        titel=titel,
        n_pages=sum(1 for p in raw.pages if p.page is not None),
        utdrag=doctype == "protokoll" and is_utdrag(text, n_paragraf),
        evidence=evidence,
        issues=[PageIssue(page=p.page, status=p.status, note=p.note) for p in raw.pages if p.status != "ok"],
    )
    sections = [_section(text, s, k, doc_id, doc_dnr, starts) for k, s in enumerate(spans)]
    return ParsedDocument(document=document, sections=[s for s in sections if s.text])


def _section(
    text: str,
    s: Span,
    index: int,
    doc_id: str,
    doc_dnr: str | None,
    page_starts: list[tuple[int, int | None]],
) -> Section:
    body = text[s.start : s.end]
    lead = len(body) - len(body.lstrip())
    body = body.strip()
    start = s.start + lead
    pages = [(o, p) for o, p in page_starts if p is not None]
    page_start = max(((o, p) for o, p in pages if o <= start), default=(0, None))[1]
    breaks = [(o - start, p) for o, p in pages if start < o < start + len(body)]
    dnr = s.dnr or (doc_dnr if s.kind != "paragraf" else None)
    norm = find_diarienummer(dnr)[0].norm if dnr and find_diarienummer(dnr) else None
    parts = find_parts(body) if s.kind in ("paragraf", "tjansteskrivelse") else []
    return Section(
        id=f"{doc_id}-s{index}",
        document_id=doc_id,
        index=index,
        kind=s.kind,
        paragraf=format_paragraf(s.paragraf_nr) if s.paragraf_nr is not None else None,
        paragraf_nr=s.paragraf_nr,
        diarienummer=dnr,
        dnr_norm=norm,
        rubrik=s.rubrik,
        heading_path=s.heading_path,
        datum=s.datum,
        parts=parts,
        text=body,
        page_start=page_start,
        page_end=breaks[-1][1] if breaks else page_start,
        page_breaks=breaks,
    )
