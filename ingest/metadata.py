"""Document metadata from content: the detectors of type, kommun, dates and own diarienummer.

The organ (nämnd), date and kommun readings with evidence and confidence build on them in
ingest/metadata_evidence.py (``detect_namnd`` and ``detect_date`` are there too).

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
from grund.records import DocType
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
