"""Clean the text of a RawDocument: pure functions, each undoing one kind of PDF damage.

Order in ``clean_document``: Unicode normalisation → repeated page headers/footers
removed → lost ligatures repaired (ingest/ligatures.py) → table rows normalised → hard line breaks joined.
Every step is idempotent, so cleaning twice changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from grund.dnr import find_diarienummer
from grund.records import PageText, RawDocument
from ingest.ligatures import repair_ligatures

# ---------------------------------------------------------------- structure
#: Heading lines that start a part of a § or tjänsteskrivelse; the segmenter needs them alone on a line.
PART_HEADINGS = (
    "Förslag till beslut",
    "Beslutet skickas till",
    "Beslutsunderlag",
    "Ärendebeskrivning",
    "Ärendet",
    "Yrkande",
    "Yrkanden",
    "Sammanfattning",
    "Bakgrund",
    "Beslutsgång",
    "Förslag",
    "Beredning",
    "Beslut",
    "Protokollsanteckning",
    "Reservation",
    "Jäv",
)
_STRUCTURAL = re.compile(
    r"^(?:"
    r"§\s*\d+"  # "§ 23 Bokslut"
    r"|\d+\s*§(?!\s*\d)"  # "23 §" (Finland-Swedish order); "… den 28 november\n2023 § 146 att …" runs on
    r"|(?:Diarienummer|Dnr)\b"
    r"|(?:Tjänsteskrivelse|Tjänsteutlåtande|Missiv)\s*$"  # starts the next attached document
    r"|[A-ZÅÄÖ][\wåäöÅÄÖ-]*s beslut\b"  # "Socialnämndens beslut", "Personalsektionens beslut:"
    r"|(?:" + "|".join(re.escape(h) for h in PART_HEADINGS) + r")\s*:?\s*$"
    r"|#"  # markdown heading
    r"|[-•*–]\s"  # list item
    r"|\d{1,2}[.)]\s"  # numbered list item
    r")",
    re.IGNORECASE,
)


def is_structural(line: str) -> bool:
    """True for lines the segmenter reads on their own: §, Dnr, part headings, headings, list items, table rows.

    Args:
        line: one line of text.
    """
    stripped = line.strip()
    return bool(_STRUCTURAL.match(stripped)) or "\t" in line or "|" in line


# ---------------------------------------------------------------- unicode
_CHAR_MAP = {
    "\u00ad": "",  # soft hyphen
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",  # zero-width
    "\u00a0": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u2009": " ",  # non-breaking/thin spaces
    "\u2011": "-",  # non-breaking hyphen
    "\uf0b7": "•",
    "\uf0a7": "•",
    "\uf076": "•",  # Symbol/Wingdings bullets in private use
    # Ligature glyphs: Unicode presentation forms, and the Calibri glyphs that some
    # PDF exports map to "Ɵ"/"Ʃ" (corpus/003: "målƟdsspridning", "aƩ delta").
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u019f": "ti",
    "\u01a9": "tt",
}
_CHAR_TABLE = str.maketrans(_CHAR_MAP)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# Formatting tags that leak into text exported from some case systems ("<p>Organisation: …</p>",
# '<ul style="list-style…">'). Only these layout tags go; anything else, <script> included,
# stays as the text it is and is escaped wherever it is shown.
_LAYOUT_TAGS = re.compile(r"</?(?:p|ul|ol|li|br|div|span|strong|em|b|i|u|table|tr|td|th|tbody|thead)(?:\s[^<>]*)?/?>", re.I)


def normalise_unicode(text: str) -> str:
    """NFC, remove soft hyphens/zero-width/private-use chars and layout tags, map ligatures, tidy spaces, ≤2 blank lines.

    Args:
        text: raw page text.
    """
    text = unicodedata.normalize("NFC", text).translate(_CHAR_TABLE)
    text = _PRIVATE_USE.sub("", text)
    text = _LAYOUT_TAGS.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = [line.strip(" ") for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# ---------------------------------------------------------------- repeated headers/footers
#: Lines looked at at the top and at the bottom of each page.
EDGE_LINES = 5
#: A header/footer line must recur on at least this many pages...
MIN_REPEATS = 3
#: ...and on at least this share of the pages with text: the Nykarleby protocol header
#: is on 13 of 38 pages, the other 25 being appendices with their own header.
MIN_PAGE_SHARE = 0.25
#: Longest header block (non-empty lines) searched for in single-page texts.
MAX_BLOCK_LINES = 8


#: Page-number lines: "3", "Sida 3 av 12", "3 (12)", "Page 3/12".
_PAGE_NUMBER = re.compile(
    r"^\d+$|\b(?:sida|sid|page|s\.)\s*\d+|\b\d+\s*(?:av|/)\s*\d+\s*$|\b\d+\s*\(\d+\)\s*$", re.I
)


def _line_key(line: str) -> str:
    # "Sida 3 av 12" and "Sida 4 av 12" are the same footer; but digits elsewhere are
    # content: "SN/2023:89" under the second tjänsteskrivelse of a file is not a repeat
    # of "SN/2023:1" under the first, and removing it would merge the two.
    # A line holding a diarienummer is a case's, never page furniture: "NKBY/58/12.03.01/2023"
    # ends like a page count ("01/2023") but differs from "NKBY/57/…" on the page before.
    norm = " ".join(line.split()).lower()
    if _PAGE_NUMBER.search(norm) and not find_diarienummer(line):
        return re.sub(r"\d+", "#", norm)
    return norm


def remove_repeated_lines(pages: list[PageText]) -> list[PageText]:
    """Remove page headers/footers repeated across pages, keeping the first occurrence.

    Multi-page documents: lines among the first/last EDGE_LINES of many pages go.
    Single-page texts (TXT exported from PDF): multi-line blocks recurring ≥ MIN_REPEATS
    times anywhere go. Structural lines (§, Dnr, part headings) are never removed.

    Args:
        pages: pages after Unicode normalisation.
    """
    n_filled = sum(bool(p.text.strip()) for p in pages)
    # Removing a header brings the next line into the edge window; repeat until nothing
    # changes, so that cleaning a cleaned text is a no-op.
    for _ in range(EDGE_LINES):
        if n_filled >= MIN_REPEATS:
            cleaned = _remove_page_edges(pages, n_filled)
        else:
            cleaned = [p.model_copy(update={"text": _remove_repeated_blocks(p.text)}) for p in pages]
        if [p.text for p in cleaned] == [p.text for p in pages]:
            break
        pages = cleaned
    return pages


def _edge_keys(lines: list[str]) -> dict[int, set[tuple[str, int, str]]]:
    # A header sits at the same rank from the top (a footer from the bottom) on every
    # page; matching the rank keeps a heading that merely recurs near page ends
    # ("Barnkonsekvensanalys" on each project page of a budget) from counting.
    filled = [i for i, line in enumerate(lines) if line.strip()]
    keys: dict[int, set[tuple[str, int, str]]] = {}
    for rank, i in enumerate(filled[:EDGE_LINES]):
        keys.setdefault(i, set()).add(("top", rank, _line_key(lines[i])))
    for rank, i in enumerate(reversed(filled[-EDGE_LINES:])):
        keys.setdefault(i, set()).add(("bottom", rank, _line_key(lines[i])))
    return keys


def _remove_page_edges(pages: list[PageText], n_pages: int) -> list[PageText]:
    counts: Counter[tuple[str, int, str]] = Counter()
    for page in pages:
        counts.update(set().union(*_edge_keys(page.text.split("\n")).values()))
    threshold = max(MIN_REPEATS, MIN_PAGE_SHARE * n_pages)
    seen: set[str] = set()
    out = []
    for page in pages:
        lines = page.text.split("\n")
        drop = set()
        for i, keys in _edge_keys(lines).items():
            if is_structural(lines[i]) or not any(counts[k] >= threshold for k in keys):
                continue
            key = _line_key(lines[i])
            if key in seen:
                drop.add(i)
            seen.add(key)
        text = "\n".join(line for i, line in enumerate(lines) if i not in drop)
        out.append(page.model_copy(update={"text": re.sub(r"\n{3,}", "\n\n", text).strip("\n")}))
    return out


def _remove_repeated_blocks(text: str) -> str:
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    keys = [_line_key(lines[i]) for i in filled]
    structural = [is_structural(lines[i]) for i in filled]
    drop: set[int] = set()
    # Longest blocks first, so a 5-line header is removed whole rather than piecewise.
    for size in range(MAX_BLOCK_LINES, 1, -1):
        starts: dict[tuple[str, ...], list[int]] = {}
        for s in range(len(keys) - size + 1):
            span = range(s, s + size)
            if any(structural[j] or filled[j] in drop for j in span):
                continue
            starts.setdefault(tuple(keys[s : s + size]), []).append(s)
        for block, positions in starts.items():
            # Count non-overlapping occurrences; a block of one repeated line overlaps itself.
            kept: list[int] = []
            for s in positions:
                if not kept or s >= kept[-1] + size:
                    kept.append(s)
            if len(kept) < MIN_REPEATS or sum(len(k) for k in block) < 20:
                continue
            for s in kept[1:]:
                drop.update(filled[j] for j in range(s, s + size))
    if not drop:
        return text
    kept_lines = [line for i, line in enumerate(lines) if i not in drop]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip("\n")


# ---------------------------------------------------------------- tables
def normalise_tables(text: str) -> str:
    """Make table rows "cell | cell": tabs and runs of ≥4 spaces become " | ".

    Args:
        text: page text.
    """
    out = []
    for line in text.split("\n"):
        if "\t" in line or "   " in line.strip() or "|" in line:
            line = re.sub(r"\s*(?:\t[\t ]*|\s{4,})\s*", " | ", line.strip())
            line = re.sub(r"\s*\|\s*", " | ", line).strip()
        else:
            line = re.sub(r" {2,}", " ", line)
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------- hard breaks
_CONJUNCTIONS = {"och", "eller", "samt", "respektive", "resp", "till"}
_SENTENCE_END = ".:;!?"


#: A line ending so is cut before its number: "… den 19 oktober 2022 §" + "132 …",
#: "… den 28 november" + "2023 § 146 att …".
_WANTS_NUMBER_NEXT = re.compile(
    r"(§|\bnr|\bkap\.?|\b(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december))$",
    re.IGNORECASE,
)


def _joinable(current: str, following: str, adjacent: bool) -> bool:
    if is_structural(current) or is_structural(following):
        return False
    end, start = current.rstrip()[-1:], following.lstrip()[:1]
    if not end or end in _SENTENCE_END:
        return False
    if start.islower():
        return True
    if start.isdigit() and _WANTS_NUMBER_NEXT.search(current.rstrip()):
        return True
    return adjacent and end == ","


def _glue(current: str, following: str) -> str:
    current, following = current.rstrip(), following.lstrip()
    # "social-" + "nämnden" → "socialnämnden"; "barn-" + "och ..." keeps the hyphen;
    # "EU-" + "projekt" keeps it (an acronym or digit before the hyphen is a real compound).
    hyphen = re.search(r"([^\W_]+)-$", current)
    if hyphen and following[:1].islower():
        first = re.match(r"[^\W\d_]+", following)
        head = hyphen.group(1)
        if first and first.group(0).lower() in _CONJUNCTIONS:
            return f"{current} {following}"
        if head.isupper() or head[-1].isdigit() or len(head) == 1:
            return current + following
        return current[:-1] + following
    return f"{current} {following}"


def join_hard_breaks(text: str) -> str:
    """Join lines broken mid-sentence, also across one blank line; undo end-of-line hyphenation.

    A line joins the next non-empty line when it lacks sentence punctuation and the next
    starts in lower case, or when it ends with a comma (directly adjacent lines only).
    Structural lines (see ``is_structural``) are never joined into or out of.

    Args:
        text: page text.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        current = lines[i]
        i += 1
        while current.strip():
            if i < len(lines) and lines[i].strip():
                nxt, adjacent, skip = lines[i], True, 1
            elif i + 1 < len(lines) and not lines[i].strip() and lines[i + 1].strip():
                nxt, adjacent, skip = lines[i + 1], False, 2
            else:
                break
            if not _joinable(current, nxt, adjacent):
                break
            current = _glue(current, nxt)
            i += skip
        out.append(current)
    return "\n".join(out)


# ---------------------------------------------------------------- document
#: Upper bound on cleaning rounds in clean_document.
MAX_ROUNDS = 4


def clean_page_text(text: str) -> str:
    """Clean one page's text after header/footer removal (ligatures, tables, hard breaks).

    Args:
        text: page text, Unicode-normalised.
    """
    text = repair_ligatures(text)
    text = normalise_tables(text)
    text = join_hard_breaks(text)
    # Joining brings "rela" + "oner" from two lines onto one; repair those too.
    text = repair_ligatures(text)
    # a full stop the extraction glued to the next sentence: "§ 132.Sammantaget har …"
    text = re.sub(r"(?<=\d)\.(?=[A-ZÅÄÖ][a-zåäö]{2})", ". ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def clean_document(raw: RawDocument) -> RawDocument:
    """Return a new RawDocument with every page cleaned; the input is not modified.

    Args:
        raw: the document as read.
    """
    pages = raw.pages
    # Steps feed each other: joining lines changes which lines sit at a page's edge, and
    # removing a header can bring two halves of a sentence together. Repeat to a fixed
    # point (2 rounds on every file in corpus/ and realdocs/) so that cleaning is idempotent.
    for _ in range(MAX_ROUNDS):
        cleaned = [p.model_copy(update={"text": normalise_unicode(p.text)}) for p in pages]
        cleaned = remove_repeated_lines(cleaned)
        cleaned = [p.model_copy(update={"text": clean_page_text(p.text)}) for p in cleaned]
        if [p.text for p in cleaned] == [p.text for p in pages]:
            break
        pages = cleaned
    return raw.model_copy(update={"pages": pages})
