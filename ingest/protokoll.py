"""Protokoll: one span per §, in the two layouts Swedish-language kommuner use.

- Swedish style "§ 23 Rubrik" (a "Diarienummer X 706" line just before or after the
  heading, or the dnr on the § line itself: "§ 113  2026.266 KS"). A table of contents or
  agenda that lists the §§ before their bodies is a map, not sections: each § is cut where
  its body heading stands, and the map names a body whose heading has no title.
- Finnish-Swedish style "23 §" where the marker stands in the page header/footer *after*
  the page's text, so pages are assigned to the § whose marker they carry.
- Either way a § the map lists but whose marker was not found (an OCR'd page where "§"
  came out as "8") is looked up by its title in the body (``fill_from_map``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grund.dnr import find_diarienummer
from ingest.spans import Line, Span, clean_heading, dnr_of_line, is_dnr_line, split_lines

# ---------------------------------------------------------------- protokoll, Swedish style
# "§ 23 Rubrik", "§ 113  2026.266 KS", "§ 35  2026.034 SN   Ekonomisk uppföljning"
_SE_PARAGRAF = re.compile(r"^§\s*(\d{1,4})(?:\s+(\S.*))?$")
_DNR_LINE = re.compile(r"^(?:Diarienummer|Dnr)\b", re.IGNORECASE)
#: A § whose text up to the next § holds fewer words than this is an entry of a table of
#: contents or agenda (a title line, perhaps wrapped), not a § body; a body has at least
#: a heading and a decision line.
TOC_ENTRY_MAX_WORDS = 25
#: A § number may skip at most this many numbers (§§ of a meeting are consecutive; a
#: § kept secret or handled elsewhere leaves a gap); larger jumps are references.
MAX_PARAGRAF_GAP = 5


@dataclass
class _Head:
    line: int
    nr: int
    title: str
    dnr: str | None
    words: int = 0  # words up to the next candidate heading


def _se_heads(text: str, lines: list[Line]) -> list[_Head]:
    """Every line that reads as a § heading, with a dnr on the same line split off."""
    heads: list[_Head] = []
    for i, ln in enumerate(lines):
        m = _SE_PARAGRAF.match(clean_heading(ln.text))
        if not m:
            continue
        n, rest = int(m.group(1)), (m.group(2) or "").strip()
        dnr = None
        found = find_diarienummer(rest)
        if found and found[0].start == 0:  # "§ 113  2026.266 KS   Revidering …"
            dnr, rest = found[0].display, rest[found[0].end :].strip(" -–:")
        # "§ 168 ska kontroll ske …" in running text: lower-case
        if rest and not (rest[0].isupper() or rest[0].isdigit()):
            continue
        if not rest:  # the title on the line under the § (and its dnr line)
            nxt = (
                clean_heading(x.text)
                for x in lines[i + 1 : i + 5]
                if x.text and not (_DNR_LINE.match(x.text) or is_dnr_line(x.text))
            )
            rest = next(nxt, "")
            rest = "" if _SE_PARAGRAF.match(rest) else rest
        heads.append(_Head(i, n, rest, dnr))
    for k, h in enumerate(heads):
        end = lines[heads[k + 1].line].start if k + 1 < len(heads) else len(text)
        h.words = len(text[lines[h.line].end : end].split())
    return heads


def _chain(heads: list[_Head]) -> list[_Head]:
    """The § headings of the body: the longest run of rising § numbers (gaps ≤ MAX_PARAGRAF_GAP),
    where a § listed twice (table of contents, then body) is taken where its body stands."""
    if not heads:
        return []
    best: list[tuple[int, int, int]] = []  # per head: (chain length, body words, previous index)
    for k, h in enumerate(heads):
        own = min(h.words, 400)
        cand = (1, own, -1)
        for j in range(k):
            p = heads[j]
            if 0 < h.nr - p.nr <= MAX_PARAGRAF_GAP:
                length, words, _ = best[j]
                cand = max(cand, (length + 1, words + own, j))
        best.append(cand)
    k = max(range(len(heads)), key=lambda i: best[i][:2])
    out = []
    while k >= 0:
        out.append(heads[k])
        k = best[k][2]
    # A heading with its own dnr and title on the § line ("§ 85  2026.019 KS  Årsredovisning")
    # is a § wherever it stands: a protokollsutdrag may hold § 89 before § 85.
    numbers = {h.nr for h in out}
    out += [h for h in heads if h.dnr and h.title and h.nr not in numbers and h.words >= TOC_ENTRY_MAX_WORDS]
    return sorted(out, key=lambda h: h.line)


def _toc_entries(heads: list[_Head]) -> list[_Head]:
    """§ headings of a table of contents or agenda: a run of consecutive short § entries in
    which at least one § comes back later with a body of its own (the body repeats the map)."""
    out: list[_Head] = []
    k = 0
    while k < len(heads):
        j = k
        while (
            j < len(heads)
            and heads[j].words < TOC_ENTRY_MAX_WORDS
            and (j == k or heads[j].nr > heads[j - 1].nr)  # the body starts over at the first §
        ):
            j += 1
        run = heads[k:j]
        later = heads[j:]
        if len(run) >= 2 and any(r.nr == h.nr and h.words > r.words for r in run for h in later):
            out.extend(run)
        k = max(j, k + 1)
    return out


def protokoll_se(text: str, lines: list[Line]) -> list[Span]:
    heads = _se_heads(text, lines)
    toc = _toc_entries(heads)
    chosen = _chain([h for h in heads if h not in toc])
    if not chosen:
        return []
    # The table of contents is a map: it names a body § whose own heading gives no title.
    toc_titles = {h.nr: h.title for h in toc if h.title}
    spans: list[Span] = []
    starts: list[tuple[int, str | None]] = []
    for h in chosen:
        i = h.line
        start, dnr = lines[i].start, h.dnr
        if dnr is None:
            back = [j for j in range(i - 1, max(-1, i - 6), -1) if lines[j].text][:2]
            for j in back:
                if _DNR_LINE.match(lines[j].text) and dnr_of_line(lines[j].text):
                    start, dnr = lines[j].start, dnr_of_line(lines[j].text)
                    break
        if dnr is None:
            ahead = [j for j in range(i + 1, min(len(lines), i + 12)) if lines[j].text][:4]
            # a "Diarienummer …" line under the heading, or a line that is only the dnr ("2026.084 SN")
            dnr = next(
                (
                    dnr_of_line(lines[j].text)
                    for k, j in enumerate(ahead)
                    if _DNR_LINE.match(lines[j].text) or (k < 2 and is_dnr_line(lines[j].text))
                ),
                None,
            )
        starts.append((start, dnr))
    first_toc = min((h.line for h in toc if h.line < chosen[0].line), default=None)
    intro_end = starts[0][0]
    if first_toc is not None:
        toc_start = lines[first_toc].start
        if text[:toc_start].strip():
            spans.append(Span(0, toc_start, "text", rubrik="Protokollets inledning"))
        spans.append(Span(toc_start, intro_end, "dagordning", rubrik="Innehåll"))
    elif text[:intro_end].strip():
        spans.append(Span(0, intro_end, "text", rubrik="Protokollets inledning"))
    for k, (h, (start, dnr)) in enumerate(zip(chosen, starts, strict=True)):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(text)
        title = h.title or toc_titles.get(h.nr, "")
        spans.append(Span(start, end, "paragraf", rubrik=title or None, paragraf_nr=h.nr, dnr=dnr))
    return spans


# ---------------------------------------------------------------- protokoll, Finnish-Swedish style
_FI_MARKER = re.compile(r"^(\d{1,4})\s*§$")
_FI_TITLE_MARK = re.compile(r"^\d{1,4}\s*§\s*")
_FI_JUNK = re.compile(
    r"^(?:\d+|sida|protokoll|föredragningslista|_+|\d{1,2}\.\d{1,2}\.\d{4}|\W*)$", re.IGNORECASE
)


def protokoll_fi(text: str, lines: list[Line], page_starts: list[tuple[int, int | None]]) -> list[Span]:
    markers = [(i, int(m.group(1))) for i, ln in enumerate(lines) if (m := _FI_MARKER.match(ln.text))]
    groups: list[list[int]] = []  # [nr, first line, last line]
    for i, n in markers:
        if groups and groups[-1][0] == n:
            groups[-1][2] = i
        else:
            groups.append([n, i, i])
    if len(groups) < 1:
        return []

    def page_start_of(off: int) -> int:
        return max((o for o, _ in page_starts if o <= off), default=0)

    bounds: list[int] = []
    for k, (_n, first, _last) in enumerate(groups):
        ps = page_start_of(lines[first].start) if len(page_starts) > 1 else None
        prev_end = lines[groups[k - 1][2]].end if k else 0
        # the § begins at the top of the page that carries its marker, unless the
        # previous § ends on that same page (then right after the previous marker)
        bounds.append(ps if ps is not None and ps >= prev_end else prev_end)
    spans: list[Span] = []
    if text[: bounds[0]].strip():
        spans.append(Span(0, bounds[0], "text", rubrik="Protokollets inledning"))
    for k, (n, _first, _last) in enumerate(groups):
        end = bounds[k + 1] if k + 1 < len(groups) else len(text)
        body = [ln.text for ln in split_lines(text[bounds[k] : end]) if ln.text and not _FI_JUNK.match(ln.text)]
        # the title is the first line that is not the § marker or the case number
        title = next((b for b in body if not _FI_MARKER.match(b) and not is_dnr_line(b)), None)
        title = _FI_TITLE_MARK.sub("", title) if title else None  # "14§ Lägesrapport …"
        dnr = next((dnr_of_line(b) for b in body[:8] if _DNR_LINE.match(b) or is_dnr_line(b)), None)
        spans.append(Span(bounds[k], end, "paragraf", rubrik=title, paragraf_nr=n, dnr=dnr))
    return spans


# ---------------------------------------------------------------- the table of contents as a map
# "2 § Val av protokolljusterare ........ 2", "§ 14 Godkännande av dagordning ..... 3"
_DOTTED_ENTRY = re.compile(
    r"^(?:§\s*(\d{1,4})|(\d{1,4})\s*§)\s+(\S.*?)\s*(?:\.{3,}|…{2,}|\t)\s*\d{0,3}\s*$"
)
#: A body heading holds most of the words of the map's title (OCR and garbled text layers
#: lose a letter here and there: "beslutfrhet" for "beslutförhet").
TITLE_MATCH = 0.7
_WORD = re.compile(r"[^\W\d_]{3,}")
#: Words a page may carry above a § heading that are still its header: letterhead, organ,
#: date, page number and the case's dnr (Nykarleby's OCR'd pages: ~15 words).
PAGE_HEAD_MAX_WORDS = 30


def map_entries(text: str, lines: list[Line]) -> list[tuple[int, int, str]]:
    """(line index, § number, title) of each table-of-contents entry of a protokoll or agenda."""
    out = []
    for i, ln in enumerate(lines):
        m = _DOTTED_ENTRY.match(clean_heading(ln.text))
        if m:
            out.append((i, int(m.group(1) or m.group(2)), m.group(3).strip()))
    if not out:
        out = [(h.line, h.nr, h.title) for h in _toc_entries(_se_heads(text, lines)) if h.title]
    return out


def _words(s: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(s)]


def _is_title_line(line: str, title_words: list[str]) -> bool:
    words = _words(line)
    if not words or not title_words or len(words) > len(title_words) + 4:
        return False
    have = set(words)
    return sum(w in have for w in title_words) >= TITLE_MATCH * len(title_words)


def fill_from_map(
    text: str, lines: list[Line], spans: list[Span], page_starts: list[tuple[int, int | None]]
) -> list[Span]:
    """Add the §§ a table of contents lists but whose marker was not found, cut at their title.

    Args:
        text: the document text.
        lines: its lines.
        spans: the spans found by the § markers (paragraf spans and others, in order).
        page_starts: (offset, page) of each page; a § found near a page's top starts with the page.
    """
    entries = map_entries(text, lines)
    found = {s.paragraf_nr for s in spans if s.kind == "paragraf"}
    missing = [(i, n, t) for i, n, t in entries if n not in found]
    if not missing or not found:
        return spans
    map_end = lines[max(i for i, _, _ in entries)].end
    tops = sorted(o for o, _ in page_starts)
    for _i, nr, title in sorted(missing, key=lambda e: e[1]):
        title_words = _words(title)[:8]
        host = max(
            (s for s in spans if s.kind == "paragraf" and s.paragraf_nr is not None and s.paragraf_nr < nr),
            key=lambda s: s.paragraf_nr or 0,
            default=None,
        )
        if host is None:
            continue
        body = [k for k, ln in enumerate(lines) if max(host.start, map_end) < ln.start < host.end]
        hit = next((k for k in body[1:] if _is_title_line(lines[k].text, title_words)), None)
        if hit is None:
            continue
        start = lines[hit].start
        top = max((o for o in tops if o <= start and o > host.start), default=None)
        if top is not None and len(text[top:start].split()) <= PAGE_HEAD_MAX_WORDS:
            start = top  # the page's header lines (and a dnr line) belong to the § the page holds
        first = next(k for k, ln in enumerate(lines) if ln.end >= start)
        head_lines = [ln.text for ln in lines[first : hit + 8] if ln.text]
        dnr = next((dnr_of_line(b) for b in head_lines if _DNR_LINE.match(b) or is_dnr_line(b)), None)
        new = Span(start, host.end, "paragraf", rubrik=title, paragraf_nr=nr, dnr=dnr)
        host.end = start
        spans.insert(spans.index(host) + 1, new)
    return spans


def embedded_paragrafer(text: str, lines: list[Line], spans: list[Span]) -> list[Span]:
    """§§ of a protokollsutdrag inside another document (a kallelse's attachments, a KF handling):
    a § heading that carries its own dnr and title and has a body splits the span it stands in.

    Args:
        text: the document text.
        lines: its lines.
        spans: the document's spans (tjänsteskrivelser, heading blocks).
    """
    heads = [
        h
        for h in _se_heads(text, lines)
        if h.dnr and h.title and h.words >= TOC_ENTRY_MAX_WORDS and h not in _toc_entries(_se_heads(text, lines))
    ]
    for h in heads:
        start = lines[h.line].start
        host = next((s for s in spans if s.start <= start < s.end), None)
        if host is None or host.kind == "paragraf":
            continue
        new = Span(start, host.end, "paragraf", rubrik=h.title, paragraf_nr=h.nr, dnr=h.dnr)
        if start == host.start:
            spans[spans.index(host)] = new
        else:
            host.end = start
            spans.insert(spans.index(host) + 1, new)
    return spans
