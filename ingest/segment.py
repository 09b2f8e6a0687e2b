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
Headings: ingest/headings.py; tjänsteskrivelser: ingest/tjansteskrivelse.py.
Metadata comes with its evidence (ingest/metadata_evidence.py).
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
)
from ingest.headings import TOC_LINE, heading_level, split_headings
from ingest.metadata import detect_doctype, detect_own_dnr
from ingest.metadata_evidence import is_utdrag, read_date, read_kommun, read_organ
from ingest.parts import find_parts, part_kind
from ingest.protokoll import embedded_paragrafer, fill_from_map, protokoll_fi, protokoll_se
from ingest.spans import Span, clean_heading, page_starts, split_lines
from ingest.tjansteskrivelse import tjansteskrivelser

__all__ = ["find_parts", "part_kind", "segment"]


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
        if 0 < len(title.split()) <= 8 and _TITLE_WORD.search(title) and not TOC_LINE.search(title):
            return title
    for i in range(len(lines)):
        h = heading_level(lines, i)
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
        spans = tjansteskrivelser(text, lines, doctype, doc_dnr)
        if not spans and doctype == "kallelse":
            spans = protokoll_fi(text, lines, starts)
    if any(s.kind == "paragraf" for s in spans):
        spans = fill_from_map(text, lines, spans, starts)
    if not spans:
        spans = split_headings(text, 0, len(text), [], doc_dnr, None)
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
