"""Chunking: cut each section into retrieval-sized pieces that never cross a section.

A section's parts (ärende, förslag, yrkande, beslut, skickas till) are chunked
separately when they cover the section, so the beslut of a § is its own chunk and
a decision question can prefer it. Each chunk carries a one-line context header
(kommun · nämnd · datum · dnr · § · rubrik) that is embedded and indexed with it,
so a chunk that says only "Nämnden godkänner redovisningen" still knows whose
decision it is.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable

from grund.dnr import normalize_dnr
from grund.records import DOCTYPE_LABELS, Chunk, Document, ParsedDocument, Section
from grund.settings import ChunkSettings

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[A-ZÅÄÖ0-9•\-])")
_WORD = re.compile(r"\S+")
#: A "word" longer than this (a base64 blob, a line of hex without spaces) is cut here
#: with "…": one 57 MB word would otherwise be one chunk the tokenizer reads whole.
MAX_WORD_CHARS = 200


#: Markdown heading marks the PDF reader writes (and .md files carry); chunks hold the words only.
_MD_MARK = re.compile(r"(?m)^#{1,6}\s+")


def context_header(doc: Document, section: Section) -> str:
    """One line that tells whose text this is: kommun · nämnd · datum · typ · § · dnr · rubrik."""
    when = section.datum or doc.datum
    bits = [
        doc.kommun,
        doc.namnd,
        when.isoformat() if when else None,
        DOCTYPE_LABELS.get(doc.dokumenttyp) if doc.dokumenttyp != "ovrigt" else None,
        section.paragraf,
        section.diarienummer or doc.diarienummer,
        " > ".join([*section.heading_path, section.rubrik] if section.rubrik else section.heading_path)
        or None,
    ]
    return " · ".join(b for b in bits if b)


def _pieces(section: Section) -> list[tuple[str | None, str, int]]:
    """(part kind, text, offset in section.text) for the section's parts, or the whole text.

    Parts are used only when they hold at least 90% of the section's words; otherwise
    the segmenter missed some text and chunking the parts would lose it.
    """
    total = len(section.text.split())
    in_parts = sum(len(p.text.split()) for p in section.parts)
    if section.parts and total and in_parts >= 0.9 * total:
        out: list[tuple[str | None, str, int]] = []
        cursor = 0
        for part in section.parts:
            off = section.text.find(part.text[:80], cursor)
            if off < 0:
                off = section.text.find(part.text[:80])
            if off >= 0:
                cursor = off
            out.append((part.kind, part.text, max(off, 0)))
        # the § title line and anything before the first part (e.g. "Diarienummer …")
        first = min(o for _, _, o in out) if out else 0
        lead = section.text[:first].strip()
        if len(lead.split()) > 8:
            out.insert(0, (None, lead, 0))
        return out
    return [(None, section.text, 0)]


def _split_units(text: str) -> list[tuple[str, int]]:
    """Paragraphs, and sentences of overlong paragraphs, with their offsets."""
    units: list[tuple[str, int]] = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        para, start = m.group(0), m.start()
        if len(para.split()) <= 60:
            units.append((para.strip(), start))
            continue
        pos = 0
        for s in _SENTENCE_END.split(para):
            i = para.find(s, pos)
            units.append((s.strip(), start + max(i, 0)))
            pos = max(i, 0) + len(s)
    return [(u, o) for u, o in units if u]


def _windows(units: list[tuple[str, int]], max_words: int, overlap: int) -> list[tuple[str, int]]:
    """Pack units into windows of ≤ max_words, repeating ~overlap words between windows.

    Linear in the number of words: unit boundaries are a sorted list searched by bisection
    (scanning all of them per window made a 5 MB one-line text take 4 s instead of 0.6 s).
    """
    words: list[tuple[str, int]] = []  # (word, offset of its unit)
    breaks: list[int] = []  # word indexes where a unit starts, ascending
    for unit, off in units:
        if not breaks or breaks[-1] != len(words):
            breaks.append(len(words))
        words.extend((w if len(w) <= MAX_WORD_CHARS else w[:MAX_WORD_CHARS] + "…", off) for w in unit.split())
    if not words:
        return []
    out = []
    start = 0
    while start < len(words):
        end = min(start + max_words, len(words))
        if end < len(words):
            # end on a unit boundary when one lies in the last third of the window
            i = bisect_left(breaks, end) - 1
            if i >= 0 and breaks[i] >= start + max_words * 2 // 3:
                end = breaks[i]
        out.append((" ".join(w for w, _ in words[start:end]), words[start][1]))
        if end >= len(words):
            break
        nxt = max(end - overlap, start + 1)
        # restart on a unit boundary inside the overlap when there is one
        j = bisect_left(breaks, nxt)
        start = breaks[j] if j < len(breaks) and breaks[j] < end else nxt
    return out


def chunk_document(
    parsed: ParsedDocument,
    settings: ChunkSettings,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int = 512,
) -> list[Chunk]:
    """Cut every section of a parsed document into chunks.

    Args:
        parsed: the segmented document.
        settings: chunk sizes.
        count_tokens: the embedding model's token counter; when given, a chunk over
            ``max_tokens`` (tables of numbers tokenise ~3× denser than prose) is halved
            until it fits, so the model never silently truncates text.
        max_tokens: the model's sequence limit.
    """
    doc = parsed.document
    chunks: list[Chunk] = []
    doc_dnr_norm = normalize_dnr(doc.diarienummer) if doc.diarienummer else None
    for section in parsed.sections:
        header = context_header(doc, section)
        index = 0
        for part, text, base in _pieces(section):
            budget = settings.max_words
            windows = _windows(_split_units(text), budget, settings.overlap_words)
            queue = deque(windows)
            while queue:
                body, off = queue.popleft()
                if count_tokens and count_tokens(f"{header}\n{body}") > max_tokens - 8:
                    ws = body.split()
                    if len(ws) > 20:
                        half = len(ws) // 2
                        queue.extendleft([(" ".join(ws[half:]), off), (" ".join(ws[:half]), off)])
                        continue
                chunks.append(
                    Chunk(
                        id=f"{section.id}-c{index}",
                        section_id=section.id,
                        document_id=doc.id,
                        index=index,
                        header=header,
                        text=_MD_MARK.sub("", body),  # "### Rubrik" shows and embeds as "Rubrik"
                        part=part,
                        sida=section.page_at(base + off),
                        kommun=doc.kommun,
                        namnd=doc.namnd,
                        datum=section.datum or doc.datum,
                        dokumenttyp=doc.dokumenttyp,
                        diarienummer=section.diarienummer or doc.diarienummer,
                        dnr_norm=section.dnr_norm if section.diarienummer else doc_dnr_norm,
                        paragraf=section.paragraf,
                        rubrik=section.rubrik,
                        fil=doc.fil,
                    )
                )
                index += 1
    return chunks
