"""Answer units: a section's text cut once, at ingest, into the pieces an answer is made of.

section text ──► logical lines (PDF line breaks joined once, here) ──► units:
- a table row ("| Polisen | 69 | 74 |") read with its column names: "Anmälare: Polisen; 2023: 74";
- a "label: value" line ("Mål 6: Minskat matsvinn"), kept whole;
- a list item, with the sentence that announces the list as its ``lead``;
- a heading (a short line without a full stop, followed by text), which also becomes the
  ``lead`` of the units under it;
- otherwise the sentences of a paragraph, cut by the one abbreviation-aware splitter of the
  project (``split_sentences``: "t.ex. barn" and "kl. 15.30" do not end a sentence).

Only records and textproc are needed, so ingest can import it without importing the
answer engine (the import direction stays ingest → grund.units).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from grund.records import PartKind, Section, Unit
from grund.textproc import is_stopword

#: Bump when units change: stored units of an older version are rebuilt (and re-embedded) at ingest.
UNITS_VERSION = 7

# Abbreviations whose full stop does not end a sentence ("t.ex. barn", "kl. 15.30", "ca. 40").
_ABBREV = re.compile(
    r"\b(?:t\.ex|bl\.a|fr\.o\.m|t\.o\.m|d\.v\.s|o\.s\.v|m\.m|m\.fl|p\.g\.a|s\.k|kl|ca|nr|resp|jfr|dvs|st|tel"
    r"|inkl|exkl|osv|mfl|ev|enl|forts|kap|avd|bil|tf|bitr|fig|tab|org)\.",
    re.IGNORECASE,
)
_SHIELD = "\u2024"  # one-dot leader: stands in for an abbreviation's full stop while splitting
# A sentence ends at . ! ? followed by space and a capital, digit, quote, bullet or parenthesis.
_SENT_END = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[A-ZÅÄÖÉ0-9\"”(•–-])")
#: Sentences longer than this are cut again at semicolons (enumerations written as one sentence).
MAX_SENTENCE_WORDS = 70

_BULLET = re.compile(r"^\s*(?:[-•–~▪◦*\uf0b7·]|\d{1,2}[.)](?=\s)|[a-zåäö][)](?=\s))\s*")
_LONE_BULLET = re.compile(r"^\s*[-•–▪◦*\uf0b7·]\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-{3,}[\s:|-]*\|?\s*$")
_LABEL = re.compile(r"^([A-ZÅÄÖ][^:.!?|]{1,45}):\s+(\S.*)$")
_TOC = re.compile(r"(\.{4,}|…{2,}|_{4,})")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_TERMINAL = (".", "!", "?", ":", ";")
#: Longest line (in words) read as a heading.
MAX_HEADING_WORDS = 10


def split_sentences(text: str) -> list[str]:
    """Sentences of running text; abbreviations, decimals and dates do not end one.

    Args:
        text: a paragraph (line breaks are treated as spaces).
    """
    flat = " ".join(text.split())
    if not flat:
        return []
    shielded = _ABBREV.sub(lambda m: m.group(0)[:-1] + _SHIELD, flat)
    # an initial ("A. Svensson") does not end a sentence either
    shielded = re.sub(r"(?<=\b[A-ZÅÄÖ])\.(?= [A-ZÅÄÖ][a-zåäö])", _SHIELD, shielded)
    out: list[str] = []
    for piece in _SENT_END.split(shielded):
        piece = piece.replace(_SHIELD, ".").strip()
        if not piece:
            continue
        if len(piece.split()) > MAX_SENTENCE_WORDS and ";" in piece:
            out += [p.strip() for p in piece.split(";") if p.strip()]
        else:
            out.append(piece)
    return out


def _clean_line(line: str) -> str:
    line = _MD_HEADING.sub("", line)
    line = _MD_BOLD.sub(lambda m: m.group(1) or m.group(2), line)
    return line.strip()


def _is_row(line: str) -> bool:
    return line.count("|") >= 2 or (line.count("|") == 1 and not line.startswith("|") and "\t" not in line)


def _ends_open(line: str) -> bool:
    return not line.rstrip().endswith(_TERMINAL)


def _ends_in_function_word(line: str) -> bool:
    # "… på Kökarholmen i" / "Larsmo.": no heading or sentence ends in "i", "och", "att" or a comma
    last = line.rsplit(None, 1)[-1] if line.split() else ""
    return line.endswith(",") or (last.islower() and is_stopword(last) and len(line.split()) > 3)


def logical_lines(text: str) -> list[str]:
    """Lines as the author wrote them: a line the PDF broke mid-sentence is joined to the
    one before ("… Kökarholmen i" / "Larsmo."), a word hyphenated at a line end is mended,
    and a blank line separates paragraphs ("" in the result).

    Args:
        text: a section's (or part's) text.
    """
    out: list[str] = []
    for raw in text.splitlines():
        line = _clean_line(raw)
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        prev = out[-1] if out else ""
        starts_low = line[:1].islower() or line[:1] in "(,"
        joinable = (
            prev
            and not _is_row(prev)
            and not _is_row(line)
            and not _BULLET.match(line)
            and _ends_open(prev)
            and (starts_low or line[:1].isdigit() and not _LABEL.match(prev) or _ends_in_function_word(prev))
        )
        if prev and _LONE_BULLET.match(prev):
            out[-1] = f"{prev.strip()} {line}"  # the PDF put the bullet on a line of its own ("•" / "Nordea")
        elif joinable and re.search(r"\w-$", prev) and line[:1].islower():
            out[-1] = prev[:-1] + line  # "social-" / "nämnden" → "socialnämnden"
        elif joinable:
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


#: A cell holding a value: a figure with its separators, sign and unit ("1 234,5", "-8,2 %", "400 kr").
_VALUE_CELL = re.compile(r"[-−–+]?\s*\d[\d\s.,:/]*\s*(?:%|kr|tkr|mnkr|mkr|st|€|euro)?\.?")


def _is_header(cells: list[str]) -> bool:
    # a header names its columns: words and periods ("Jan-jun 2023", "Budget 2024", a bare year),
    # no values ("310", "7,2 %")
    filled = [c for c in cells if c]
    values = sum(bool(_VALUE_CELL.fullmatch(c)) and not re.fullmatch(r"(19|20)\d\d", c) for c in filled)
    return len(filled) >= 2 and values == 0


def read_row(cells: list[str], header: list[str] | None) -> str:
    """A table row with its column names: ["Polisen", "69", "74"] under ["Anmälare", "2022",
    "2023"] → "Anmälare: Polisen; 2022: 69; 2023: 74". Without a header: cells joined by " | ".

    Args:
        cells: the row's cells.
        header: the table's header cells, if it has one.
    """
    if not header or len(header) != len(cells):
        filled = [c for c in cells if c]
        # a two-column table without names is label and value ("Plats och tid | Stadshuset, kl. 14")
        if (
            len(filled) == 2
            and filled[0] == cells[0]
            and len(filled[0].split()) <= 6
            and not re.search(r"\d", filled[0])
        ):
            return f"{filled[0].rstrip(':')}: {filled[1]}"
        return " | ".join(filled)
    return "; ".join(f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=True) if c)


def _is_heading(line: str, nxt: str | None) -> bool:
    n = len(line.split())
    return (
        nxt is not None
        and 0 < n <= MAX_HEADING_WORDS
        and line[:1].isupper()
        and not line.endswith((".", "!", "?", ",", ";"))
        and not _BULLET.match(line)
        and not _is_row(line)
        and bool(re.search(r"[A-Za-zÅÄÖåäö]{3}", line))
    )


def _short_run_follows(lines: list[str], i: int) -> bool:
    """Line ``i`` starts a run of at least two short heading-like lines (not a sub-heading
    with its own sentences or bullets under it)."""
    rest = [x for x in lines[i + 1 :] if x][:1]
    return bool(rest) and _is_heading(rest[0], rest[0]) and not _BULLET.match(rest[0])


def _units_of_lines(lines: list[str], part: PartKind | None, lead: str | None) -> Iterator[Unit]:
    heading = lead
    list_lead: str | None = None
    # the sentence announcing a list of short lines ("Offerter hade lämnats av:" / "Nordea" /
    # "Danske Bank"): set while the lines after it are heading-like, which then are its items
    short_list: str | None = None
    in_short = False
    sub_heading: str | None = None  # the heading a bulleted sub-heading stands in for
    prev_item = False
    last_item: str | None = None
    header: list[str] | None = None
    in_table = False  # a header is only ever a table's first row
    for i, line in enumerate(lines):
        nxt = next((x for x in lines[i + 1 :] if x), None)
        if not line:
            header = None if (nxt is None or not _is_row(nxt)) else header
            in_table = in_table and nxt is not None and _is_row(nxt)
            continue
        if _TABLE_RULE.match(line) or (_is_row(line) and not re.search(r"\w\w", line)):
            in_table = True  # a Markdown rule, or an empty header row ("| | |")
            continue
        if _TOC.search(line) or not re.search(r"\w\w", line):
            continue
        if _is_row(line):
            cells = _cells(line)
            first, in_table = not in_table, True
            ruled = nxt is not None and bool(
                _TABLE_RULE.match(nxt)
            )  # Markdown: the row above the rule names the columns
            if (
                first
                and header is None
                and (ruled or (_is_header(cells) and nxt is not None and _is_row(nxt)))
            ):
                header = cells
                continue
            if header is not None and cells == header:
                continue  # the header repeated at the top of the next page
            text = read_row(cells, header)
            if len(text.split()) <= MAX_SENTENCE_WORDS:
                yield Unit(text=text, kind="row", part=part, lead=heading)
                continue
            # a layout table (a cell holding paragraphs) is read as text, cell by cell
            for cell in cells:
                for sentence in split_sentences(cell.replace(" - ", ". ")):
                    yield Unit(
                        text=sentence,
                        kind="sentence",
                        part=part,
                        lead=cells[0][:80] if cells[0] != cell else heading,
                    )
            continue
        header = None
        in_table = False
        bullet = _BULLET.match(line)
        if bullet and len(line) > bullet.end():
            short_list = None
            text = line[bullet.end() :].strip()
            if sub_heading is not None:
                heading, sub_heading = sub_heading, None
            yield Unit(text=text, kind="item", part=part, lead=list_lead or heading)
            # a bulleted sub-heading ("• Kommunstyrelsen -47,5 mnkr" with sentences under it, not
            # in a run of items): its sentences take it as their lead, the next item does not
            if not prev_item and nxt is not None and not _BULLET.match(nxt) and _is_heading(text, nxt):
                sub_heading, heading = heading, text
            prev_item, last_item = True, text
            continue
        after_item, prev_item = prev_item, False
        if short_list and _is_heading(line, line) and (in_short or _short_run_follows(lines, i)):
            in_short = True
            yield Unit(text=line, kind="item", part=part, lead=short_list)
            continue
        short_list, in_short = None, False
        if _LABEL.match(line) and len(line.split()) <= 40:
            yield Unit(text=line, kind="label", part=part, lead=heading)
            list_lead = None
            continue
        if after_item and nxt is not None and _BULLET.match(nxt) and not line.endswith(":"):
            # a short line between two items explains the one before ("• Avfall -9,3 mnkr" /
            # "Orsaken är försenade leveranser" / "• VA …"): no heading stands inside a list
            yield Unit(text=line, kind="sentence", part=part, lead=last_item)
            continue
        if _is_heading(line, nxt):
            heading, sub_heading = line, None
            list_lead = short_list = line if line.endswith(":") else None  # "Följande bilagor bifogas:"
            yield Unit(text=line, kind="heading", part=part, lead=lead)
            continue
        list_lead = None
        for sentence in split_sentences(line):
            yield Unit(text=sentence, kind="sentence", part=part, lead=heading)
            if sentence.endswith(":"):
                list_lead = short_list = sentence


def build_units(section: Section) -> list[Unit]:
    """The answer units of one section, in reading order, each with its part and page.

    Args:
        section: a segmented section (its parts when it has them, else its text).
    """
    pieces: list[tuple[str, PartKind | None, str | None]] = (
        [(p.text, p.kind, p.label) for p in section.parts] if section.parts else [(section.text, None, None)]
    )
    units: list[Unit] = []
    cursor = 0
    for text, part, label in pieces:
        for u in _units_of_lines(logical_lines(text), part, label):
            probe = u.text.split(":")[-1].strip()[:20] if u.kind == "row" else u.text[:20]
            pos = section.text.find(probe, cursor) if probe else -1
            if pos < 0:
                pos = cursor
            else:
                cursor = pos
            u.page = section.page_at(pos)
            units.append(u)
    _continue_lists_across_pages(units)
    return units


def _continue_lists_across_pages(units: list[Unit]) -> None:
    """A list that a page break interrupts keeps its lead: the item after the next page's
    running header ("Föredragningslista", "Sida 4") is still an item of the list before it,
    and so are the units that took the running header as their lead."""
    remap: dict[str | None, str | None] = {}
    seen: dict[str, int] = {}
    for u in units:
        if u.kind == "heading":
            seen[u.text] = seen.get(u.text, 0) + 1
    for i, u in enumerate(units):
        if u.lead in remap:
            u.lead = remap[u.lead]
        if u.kind != "item" or i == 0 or units[i - 1].kind != "heading":
            continue
        j = i - 1
        while j >= 0 and units[j].kind == "heading":
            j -= 1
        prev = units[j] if j >= 0 else None
        # a running header repeats: the same heading stands at the top of another page of the section
        running = any(seen.get(units[k].text, 0) > 1 for k in range(j + 1, i))
        if (
            running
            and prev is not None
            and prev.kind == "item"
            and prev.part == u.part
            and prev.lead != u.lead
            and prev.page is not None
            and u.page is not None
            and u.page > prev.page
        ):
            remap[u.lead] = prev.lead
            u.lead = prev.lead


def embed_text(unit: Unit, section: Section) -> str:
    """What is embedded for a unit: the heading or list lead it stands under, then the unit.

    Args:
        unit: the unit.
        section: its section (its rubrik is context when the unit has no lead of its own).
    """
    lead = unit.lead or section.rubrik
    return f"{lead}: {unit.text}" if lead and lead != unit.text else unit.text
