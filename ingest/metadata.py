"""Document metadata from content: type, kommun, nämnd, date, own diarienummer.

File names are never read here. Each detector looks first at the head of the
document (title block, meeting header), where the document says what it is, and
only then at the body, where other organs and municipalities are merely mentioned.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter

from grund.dnr import find_diarienummer
from grund.kommuner import FINLAND, KOMMUNER, genitive
from grund.records import DocType, FieldEvidence, MetaField
from grund.textproc import MONTHS

# The head is where a document introduces itself; 2500 characters cover the title
# block of every corpus document (the longest, Gnesta's kallelse header, is ~1100).
HEAD_CHARS = 2500

_WEEKDAY = r"(?:(?:måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag)(?:en)?\s+)?"
_DATE_RES = (
    # "Tisdagen den 3 oktober 2023", "den 21 februari 2024", "21 februari 2024"
    re.compile(
        rf"\b{_WEEKDAY}(?:den\s+)?(\d{{1,2}})\s+({'|'.join(MONTHS)})\s+((?:19|20)\d\d)\b", re.IGNORECASE
    ),
    # ISO 2023-11-28
    re.compile(r"(?<![\d\-])((?:19|20)\d\d)-(\d\d)-(\d\d)(?![\d\-])"),
    # Finnish 28.3.2023 / 15.09.2022
    re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)(?![\d])"),
)

# Doctype signals, looked for in the head; the earliest signal wins within a rank.
# Title lines: a protokoll repeats "Protokoll"/"Sammanträdesprotokoll" as a page header,
# a kallelse "Föredragningslista"/"Dagordning"; mentions inside sentences do not count.
_PROTOKOLL_LINE = re.compile(
    r"^\s*(?i:sammanträdesprotokoll|protokoll|justerat protokoll|protokollsutdrag)(?:\s+\d+/\d{4})?\s*$"
    # a letterhead line that ends in the word, as OCR reads it ("ALINGSÅS Protokoll")
    r"|^[^\n]{0,30}\b(?:Protokoll|PROTOKOLL|Protokollsutdrag)\s*$"
    # a Markdown title: "# Socialnämnden – Protokoll 2026-06-16"
    r"|^#{1,3}\s[^\n]{0,40}\b(?:Protokoll|Sammanträdesprotokoll|Protokollsutdrag)\b[^\n]{0,20}$",
    re.MULTILINE,
)
# "§ 23 Rubrik", "§ 113  2026.266 KS" (a dnr on the § line), "23 §"
_PARAGRAF_LINE = re.compile(r"^[\s#*]*(?:§\s*\d+\s+(?:[A-ZÅÄÖ]|(?:19|20)\d\d[.\-])|\d+\s*§\s*$)", re.MULTILINE)
_KALLELSE_LINE = re.compile(
    r"^\s*(?:kallelse\b.{0,50}|föredragningslista|dagordning|sammanträde i \S+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_TJANSTESKRIVELSE = re.compile(r"\b(tjänsteskrivelse|förslag till beslut)\b", re.IGNORECASE)
_TITLE_TYPES: tuple[tuple[DocType, re.Pattern[str]], ...] = (
    (
        "plan",
        re.compile(r"(plan|budget|budgetskrivelse|budgetanvisningar|strategi|program)\b", re.IGNORECASE),
    ),
    ("riktlinje", re.compile(r"(riktlinje[rn]?|policy|reglemente|rutin|föreskrifter)\b", re.IGNORECASE)),
    (
        "rapport",
        re.compile(
            r"(rapport|månadsbrev|verksamhetsberättelse|årsbokslut|bokslut|årsredovisning|uppföljning|redovisning)\b",
            re.IGNORECASE,
        ),
    ),
)


def _head(text: str) -> str:
    return text[:HEAD_CHARS]


def _title_lines(text: str, n: int = 25) -> list[str]:
    lines = [ln.strip().strip("#*").strip() for ln in _head(text).splitlines()]
    return [ln for ln in lines if ln][:n]


def detect_doctype(text: str) -> DocType:
    """Kind of document from its content.

    Args:
        text: the document text (cleaned or raw).
    """
    head = _head(text)
    n_paragraf = len(_PARAGRAF_LINE.findall(text))
    n_prot = len(_PROTOKOLL_LINE.findall(text))
    n_kall = len(_KALLELSE_LINE.findall(text))
    # A Finnish föredragningslista has "188 §" headings too; it is told apart by
    # which of the two title words its page headers repeat.
    # one § is enough when the head calls itself a protokoll: a protokollsutdrag of a single §
    if n_prot > n_kall and (n_paragraf >= 2 or (n_paragraf == 1 and _PROTOKOLL_LINE.search(head))):
        return "protokoll"
    if n_kall:
        return "kallelse"
    if _TJANSTESKRIVELSE.search(head[:1500]):
        return "tjansteskrivelse"
    for line in _title_lines(text):
        if len(line) > 90:
            continue
        for doctype, rx in _TITLE_TYPES:
            if rx.search(line):
                return doctype
    return "ovrigt"


def _fold(s: str) -> str:
    """ASCII form used in domains: Strängnäs → strangnas."""
    return unicodedata.normalize("NFKD", s.lower()).encode("ascii", "ignore").decode().replace(" ", "")


def _kommun_patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    out = []
    for name, display in KOMMUNER.items():
        forms = {re.escape(genitive(name)), re.escape(name)}
        # the look-behind keeps "Strömsunds kommun" from counting for Sund, "Nykarleby" for Karleby
        phrase = rf"(?<![\wÅÄÖåäö-])(?:{'|'.join(sorted(forms))})\s+(?:kommuns?|stads?)\b"
        domain = rf"(?<![\w-])(?:www\.)?{re.escape(_fold(name))}\.(?:se|fi)\b"
        address = rf"\d+\s*[A-Za-z]?,\s*(?:\d{{3}}\s?\d{{2}}\s+)?{re.escape(name)}\b(?!\s+(?:kommun|stad))"
        exact = rf"(?<![\wÅÄÖåäö-]){re.escape(display)}"
        rx = rf"(?P<exact>{exact})|(?P<phrase>{phrase})|(?P<domain>{domain})|(?P<address>{address})"
        out.append((name.lower(), display, re.compile(rx, re.IGNORECASE)))
    return out


_KOMMUN_RES = _kommun_patterns()
# Weights: the municipality's own name form is the strongest sign; an address or
# domain in the header says who wrote it; body mentions count once each.
_KOMMUN_WEIGHT = {"exact": 3, "phrase": 2, "domain": 3, "address": 3}


def detect_kommun(text: str) -> str | None:
    """Canonical municipality name ("Strömsunds kommun", "Solna stad") or None.

    Args:
        text: the document text.
    """
    scores: Counter[str] = Counter()
    low = text.lower()
    folded = _fold(text[:200_000])
    for name, display, rx in _KOMMUN_RES:
        # a substring test first: 336 regexes over a 150-page text take seconds, this takes ms
        if name not in low and _fold(name) not in folded:
            continue
        for m in rx.finditer(text):
            w = _KOMMUN_WEIGHT[m.lastgroup or "phrase"]
            # a mention in the head counts double: it is the author, not a neighbour
            scores[display] += w * (2 if m.start() < HEAD_CHARS else 1)
    if not scores:
        return None
    return scores.most_common(1)[0][0]


_ORGAN_WORD = r"[A-ZÅÄÖa-zåäö][a-zåäö\-]*?(?:nämnden|styrelsen|utskottet|sektionen|fullmäktige)"
_ORGAN = rf"(?:[A-ZÅÄÖa-zåäö][a-zåäö]*-\s+och\s+)?{_ORGAN_WORD}|Rådet\s+för\s+[a-zåäö]+|IFO-utskottet"
_ORGAN_RE = re.compile(rf"(?<![\wåäöÅÄÖ])({_ORGAN})s?(?![\wåäöÅÄÖ])")
_ORGAN_LINE_RE = re.compile(rf"^\s*(?:Organ\s*[:\t ]\s*)?({_ORGAN})\s*$", re.MULTILINE)
_OFFICE_RE = re.compile(r"\b([a-zåäö]+)styrelsekontoret\b", re.IGNORECASE)
_MEETING_RE = re.compile(
    rf"(?:Sammanträde\s+(?:i|med)\s+|Sammanträdesprotokoll\s*\n\s*|Organ\s*\n\s*)({_ORGAN})", re.IGNORECASE
)
# Words that end like an organ but are not one ("gemensamma nämnden" is generic).
_NOT_ORGAN = {"nämnden", "styrelsen", "utskottet", "sektionen", "fullmäktige", "gemensamma nämnden"}


def _canon_organ(s: str) -> str:
    s = re.sub(r"\s+", " ", s.strip())
    return s[0].upper() + s[1:]


def detect_namnd(text: str) -> str | None:
    """The organ whose meeting or document this is ("Socialnämnden"), or None (see read_organ).

    Args:
        text: the document text.
    """
    return read_organ(text).value


def _dates(text: str) -> list[tuple[int, dt.date]]:
    out = []
    for i, rx in enumerate(_DATE_RES):
        for m in rx.finditer(text):
            a, b, c = m.groups()
            try:
                if i == 0:
                    d = dt.date(int(c), MONTHS[b.lower()], int(a))
                elif i == 1:
                    d = dt.date(int(a), int(b), int(c))
                else:
                    d = dt.date(int(c), int(b), int(a))
            except ValueError:
                continue
            out.append((m.start(), d))
    return sorted(out)


_DATE_LABELS = r"Sammanträdesdatum|Sammanträdestid|Sammanträdest\w*|Tid och plats|Datum|Upprättad|Beslutad|Mötesdatum"
# A label starts its line or ends in a colon: "Datum: 2026-06-02", "Sammanträdestid\n15.9.2022";
# "beslutade den 17 april" or "… utan datum." in running text is no label.
_DATE_LABEL_RE = re.compile(rf"(?im)(?:^[ \t]*(?:{_DATE_LABELS})\b|\b(?:{_DATE_LABELS})[ \t]*:)")


def find_dates(text: str) -> list[tuple[int, dt.date]]:
    """All dates in ``text`` as (offset, date), in order.

    Args:
        text: any text.
    """
    return _dates(text)


def detect_date(text: str, doctype: DocType) -> dt.date | None:
    """Meeting date (protokoll, kallelse) or document date (others); None when unsure (see read_date).

    Args:
        text: the document text.
        doctype: as from detect_doctype.
    """
    value = read_date(text, doctype).value
    return dt.date.fromisoformat(value) if value else None


def detect_own_dnr(text: str, doctype: DocType) -> str | None:
    """The document's own diarienummer (display form), or None for meeting documents.

    Args:
        text: the document text.
        doctype: as from detect_doctype; protokoll and kallelse carry one dnr per item, none of their own.
    """
    if doctype in ("protokoll", "kallelse"):
        return None
    found = find_diarienummer(_head(text))
    return found[0].display if found else None


def is_finnish(kommun: str | None) -> bool:
    """True for a Finnish municipality (whose protocols write "23 §")."""
    return kommun in set(FINLAND.values())


# ---------------------------------------------------------------- readings with evidence
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
