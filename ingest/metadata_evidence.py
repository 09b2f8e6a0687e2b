"""Document metadata read with evidence: the organ, date and kommun a document names itself by,
each with the line it was read from and a confidence, and whether a protokoll is an utdrag.

The detectors they build on (patterns, date and kommun finders) are in ingest/metadata.py.
A reading less sure than ``MIN_CONFIDENCE`` is left empty and flagged, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from grund.dnr import find_diarienummer
from grund.records import DocType, FieldEvidence, MetaField
from ingest.metadata import (
    _DATE_LABEL_RE,
    _MEETING_RE,
    _NOT_ORGAN,
    _OFFICE_RE,
    _ORGAN,
    _ORGAN_LINE_RE,
    _ORGAN_RE,
    _canon_organ,
    _dates,
    _fold,
    _head,
    _title_lines,
    detect_kommun,
)

#: A field whose best reading is less sure than this is left empty and flagged, never guessed.
MIN_CONFIDENCE = 0.5
#: The title block: where a document names its own organ and date (letterhead, meeting header).
TITLE_LINES = 15
#: Offices that are the kommunstyrelse's own administration (Swedish municipal structure).
_KS_OFFICES = re.compile(
    r"\b(?:kommunledningskontor|stadsledningskontor|kommunstyrelsekontor|kommunstyrelseförvaltning|kommunkansli)",
    re.IGNORECASE,
)
#: Registry codes that mean the same organ in every Swedish kommun.
_STANDARD_CODES = {"KS": "Kommunstyrelsen", "KF": "Kommunfullmäktige", "SN": "Socialnämnden"}
_FRONT_BLOCK = re.compile(r"^\s*(?:Beslutande|Närvarande|Ledamöter|Justerare|Utses att justera|Plats och tid)\b",
                          re.IGNORECASE | re.MULTILINE)
_UTDRAG_WORD = re.compile(r"\b(?:protokollsutdrag|utdrag ur (?:sammanträdes)?protokoll)", re.IGNORECASE)
#: Lines that mention another organ without being the document's: table rows, and a quoted
#: decision or handling ("Tekniska nämnden beslutade …", "… har den 3 juni 2026, § 86 behandlat ärendet").
_QUOTED_ORGAN = re.compile(r"\b(?:beslutade|har\s+(?:den\s+)?[\w ,.§]{0,40}behandlat|föreslår|yttrande)\b",
                           re.IGNORECASE)


# "Organisation: Kultur- och fritidsnämnden" (Stratsys reports), "Beslutande instans: Kommunfullmäktige"
_ORGAN_LABEL_RE = re.compile(
    rf"\b(?:Organ|Organisation|Nämnd|Beslutande\s+(?:instans|organ)|Ansvarig\s+nämnd)[ \t]*:[ \t]*({_ORGAN})"
)
#: A date after these labels ends a reporting period, it is not the document's date.
_PERIOD_LABEL_RE = re.compile(r"\b(?:Rapportperiod|Period|Avser\s+perioden|Per)\s*:?\s*$", re.IGNORECASE)


def _title_block(text: str) -> list[str]:
    return _title_lines(text, TITLE_LINES)


def acronym(organ: str) -> str:
    """Registry code an organ's name gives: "Bygg- och miljönämnden" → "BMN", "Kommunstyrelsen" → "KS".

    Args:
        organ: an organ's name.
    """
    words = [w for w in re.split(r"[\s\-]+", organ) if w and w.lower() != "och"]
    letters = [w[0].upper() for w in words]
    last = words[-1].lower() if words else ""
    for tail in ("nämnden", "styrelsen", "fullmäktige", "utskottet"):
        if last.endswith(tail) and last != tail:
            letters.append(tail[0].upper())
    return "".join(letters)


def _organ_mentions(text: str) -> Counter[str]:
    mentions: Counter[str] = Counter()
    for line in text.splitlines():
        if " | " in line or _QUOTED_ORGAN.search(line):
            continue
        for m in _ORGAN_RE.finditer(line):
            organ = _canon_organ(m.group(1))
            if organ.lower() not in _NOT_ORGAN:
                mentions[organ] += 1
    return mentions


def read_organ(text: str, dnr_codes: list[str] | None = None) -> FieldEvidence:
    """The document's own organ, with the line it was read from and a confidence.

    The document names itself in its title block (letterhead, "Sammanträde i …", the
    addressee of a tjänsteskrivelse); its registry code ("2026-0148 BMN") names it too.
    Organs in table rows or quoted decisions ("Tekniska nämnden beslutade …") are
    another organ's business and count only as weak evidence.

    Args:
        text: the document text.
        dnr_codes: registry letters of the document's own and its §§' diarienummer.
    """
    readings: list[tuple[float, str, str]] = []  # (confidence, organ, line)
    block = _title_block(text)
    for m in _ORGAN_LABEL_RE.finditer(_head(text)):
        readings.append((0.95, _canon_organ(m.group(1)), _line_at(_head(text), m.start())))
    for m in _MEETING_RE.finditer(_head(text)):
        readings.append((0.9, _canon_organ(m.group(1)), m.group(0)))
    for line in block:
        if " | " in line:
            continue
        whole = _ORGAN_LINE_RE.match(line)
        if whole:
            readings.append((0.85, _canon_organ(whole.group(1)), line))
            continue
        if len(line.split()) <= 6:
            for m in _ORGAN_RE.finditer(line):
                readings.append((0.7, _canon_organ(m.group(1)), line))
    mentions = _organ_mentions(text)
    if dnr_codes is None:
        found = find_diarienummer(_head(text))
        dnr_codes = ["-".join(re.findall(r"[A-ZÅÄÖ]+", found[0].display.upper()))] if found else []
    for code in dnr_codes:
        if not code:
            continue
        named = [o for o in mentions if acronym(o) == code]
        if named:
            readings.append((0.7, max(named, key=lambda o: mentions[o]), f"diarienummer {code}"))
        elif code in _STANDARD_CODES:
            readings.append((0.55, _STANDARD_CODES[code], f"diarienummer {code}"))
    for line in block:
        if _KS_OFFICES.search(line):
            readings.append((0.6, "Kommunstyrelsen", line))
    for m in _OFFICE_RE.finditer(_head(text)):
        readings.append((0.6, _canon_organ(m.group(1) + "styrelsen"), m.group(0)))
    readings = [r for r in readings if r[1].lower() not in _NOT_ORGAN]
    if not readings and mentions:
        # only mentions in running text: a guess unless one organ clearly dominates
        (top, n), *rest = mentions.most_common(2) + [("", 0)]
        share = n / sum(mentions.values())
        conf = 0.3 + 0.3 * share if n >= 3 and n >= 2 * rest[0][1] else 0.3
        readings.append((conf, top, f"{n} omnämnanden"))
    if not readings:
        return FieldEvidence(field="namnd", confidence=0.0, flagged=True)
    conf, organ, line = max(readings, key=lambda r: r[0])
    return _evidence("namnd", _best_spelling(organ, mentions), line, conf)


def _best_spelling(organ: str, mentions: Counter[str]) -> str:
    """The organ's most frequent spelling in the text: a garbled title page ("Rådet för
    funktinnshndrade") yields to the name as the page headers print it."""
    from rapidfuzz import fuzz

    similar = [o for o in mentions if fuzz.ratio(o.lower(), organ.lower()) >= 85]
    best = max(similar, key=lambda o: mentions[o], default=organ)
    return best if mentions[best] > mentions.get(organ, 0) else organ


def _evidence(field: MetaField, value: str | None, line: str | None, conf: float) -> FieldEvidence:
    if value is not None and conf < MIN_CONFIDENCE:
        return FieldEvidence(field=field, value=None, line=line, confidence=conf, flagged=True)
    return FieldEvidence(field=field, value=value, line=line, confidence=conf)


def read_date(text: str, doctype: DocType) -> FieldEvidence:
    """The meeting date (protokoll, kallelse) or the document's own date, with evidence.

    A labelled date ("Sammanträdesdatum", "Datum:", "Upprättad") is sure; a date in the
    title block is the document's for meeting documents and likely for others; a date
    further into the text is usually quoted (a decision's, a deadline) and is left empty.

    Args:
        text: the document text.
        doctype: as from detect_doctype.
    """
    head = _head(text)
    dates = _dates(head)
    if not dates:
        return FieldEvidence(field="datum")
    for m in _DATE_LABEL_RE.finditer(head):
        after = [(off, d) for off, d in dates if m.end() <= off <= m.end() + 80]
        if after:
            return _evidence("datum", after[0][1].isoformat(), _line_at(head, after[0][0]), 0.9)
    block_end = _block_end(head)
    dates = [(o, d) for o, d in dates if not _PERIOD_LABEL_RE.search(head[max(0, o - 30) : o])]
    if not dates:
        return FieldEvidence(field="datum")
    off, d = dates[0]
    if off < block_end:
        conf = 0.8 if doctype in ("protokoll", "kallelse", "tjansteskrivelse") else 0.6
    else:
        conf = 0.55 if doctype in ("protokoll", "kallelse") else 0.35
    return _evidence("datum", d.isoformat(), _line_at(head, off), conf)


def _line_at(text: str, off: int) -> str:
    start = text.rfind("\n", 0, off) + 1
    end = text.find("\n", off)
    return text[start : end if end >= 0 else len(text)].strip()


def _block_end(head: str) -> int:
    """Offset where the title block (the first TITLE_LINES non-empty lines) ends."""
    n = 0
    for m in re.finditer(r"[^\n]*\n?", head):
        if m.group(0).strip():
            n += 1
            if n >= TITLE_LINES:
                return m.end()
    return len(head)


def read_kommun(text: str) -> FieldEvidence:
    """The municipality, with evidence; only body mentions, no header or domain, is a weak reading.

    Args:
        text: the document text.
    """
    kommun = detect_kommun(text)
    if kommun is None:
        return FieldEvidence(field="kommun", flagged=True)
    name = kommun.rsplit(" ", 1)[0] if kommun.endswith((" kommun", " stad")) else kommun
    base = name[:-1] if name.endswith("s") else name
    head = _head(text).lower()
    stem = _fold(base)
    in_head = base.lower() in head or stem in _fold(head)
    line = next((ln for ln in text.splitlines() if base.lower() in ln.lower()), None)
    return _evidence("kommun", kommun, line, 0.9 if in_head else 0.6)


def is_utdrag(text: str, n_paragraf: int) -> bool:
    """A protokollsutdrag: it says so, or it holds a few §§ without a protokoll's front block.

    Args:
        text: a protokoll's text.
        n_paragraf: the §§ the segmenter found.
    """
    if _UTDRAG_WORD.search(_head(text)):
        return True
    return 0 < n_paragraf <= 3 and not _FRONT_BLOCK.search(_head(text))


def detect_namnd(text: str) -> str | None:
    """The organ whose meeting or document this is ("Socialnämnden"), or None (see read_organ).

    Args:
        text: the document text.
    """
    return read_organ(text).value


def detect_date(text: str, doctype: DocType) -> dt.date | None:
    """Meeting date (protokoll, kallelse) or document date (others); None when unsure (see read_date).

    Args:
        text: the document text.
        doctype: as from detect_doctype.
    """
    value = read_date(text, doctype).value
    return dt.date.fromisoformat(value) if value else None
