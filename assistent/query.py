"""Question parsing: what a question refers to (dnr, §, dates, kommun, nämnd, document type) and asks for.

Everything is matched on the folded question (grund.textproc.fold), so
"Strömsunds", "stromsund" and "STRÖMSUND" are one kommun. Folding keeps string
length (one character in, one out), so a match's span also locates the words as typed.

Filters are set conservatively: a wrong filter hides the answer, a missing one
only ranks it lower. A date or year becomes a filter only when it dates a
meeting or decision ("vad beslutade nämnden i februari 2024"), never when it is
the topic ("mål för 2024", "underskott 2023"); ``years`` lists every year mentioned.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field

from grund.dnr import find_diarienummer, normalize_dnr, normalize_paragraf
from grund.kommuner import KOMMUNER, genitive
from grund.records import DocType
from grund.textproc import MONTHS, fold, is_stopword, words, zipf

Intent = Literal["decision", "lookup", "policy", "fact"]


class ParsedQuery(BaseModel):
    """What a question refers to and asks for."""

    text: str = Field(description="the question as typed")
    search_text: str = Field(description="text to embed: the question, whitespace tidied, references left in")
    dnr: list[str] = Field(default_factory=list, description="diarienummer as typed")
    dnr_norm: list[str] = Field(default_factory=list, description="the same, normalised (grund.dnr.normalize_dnr)")
    paragrafer: list[int] = Field(default_factory=list, description="§ numbers, ranges expanded")
    date_from: dt.date | None = Field(None, description="meeting/decision date filter, first day")
    date_to: dt.date | None = Field(None, description="meeting/decision date filter, last day")
    years: list[int] = Field(default_factory=list, description="every year mentioned, filter or topic")
    kommun: str | None = Field(None, description="display form, e.g. 'Strömsunds kommun'")
    namnd: str | None = Field(None, description="e.g. 'Socialnämnden'")
    dokumenttyp: DocType | None = None
    intent: Intent = "fact"
    wants: list[str] = Field(
        default_factory=list, description="answer kinds asked for (assistent.engine.kinds): amount, date, person, …"
    )


# ---------------------------------------------------------------- references
_LOOSE_DNR_RE = re.compile(r"(?<![\w./-])([a-zåäö]{1,5})[ ]+((?:19|20)\d\d)[ ]+(\d{1,6})(?![\w./-])", re.IGNORECASE)
# Prefix letters of a loosely typed dnr must not be an ordinary word ("mars 2023 12").
_DNR_PREFIX_MAX_ZIPF = 3.5


_WORD_RE = re.compile(r"[^\W\d_]+")


def _is_word(w: str) -> bool:
    # registry codes are short ("ks", "sn", "bmn"): a short word is masked only as a stopword
    return is_stopword(w) or (len(w) >= 4 and zipf(w) >= _DNR_PREFIX_MAX_ZIPF)


def find_dnr(text: str) -> list[tuple[int, int, str]]:
    """(start, end, display) of each diarienummer, in order, strict and loose forms."""
    found: dict[int, tuple[int, int, str]] = {}
    # grund.dnr wants upper-case prefixes as in documents; users type "sn.2023.62". Ordinary
    # lower-case words are blanked first (same length, offsets kept), or "ärende 2026.266 KS"
    # would read as the dnr "ÄRENDE 2026.266" once upper-cased.
    masked = _WORD_RE.sub(
        lambda w: " " * len(w.group(0)) if w.group(0).islower() and _is_word(w.group(0)) else w.group(0), text
    )
    for m in find_diarienummer(masked.upper()):
        found[m.start] = (m.start, m.end, text[m.start : m.end])
    for lm in _LOOSE_DNR_RE.finditer(text):
        prefix = lm.group(1)
        if lm.start() in found or is_stopword(prefix.lower()):
            continue
        if prefix.isupper() or zipf(prefix.lower()) < _DNR_PREFIX_MAX_ZIPF:
            found[lm.start()] = (lm.start(), lm.end(), lm.group(0))
    return [found[k] for k in sorted(found)]


_PARA_RANGE_RE = re.compile(r"§§\s*(\d{1,4})\s*[-–]\s*(\d{1,4})")
_PARA_LIST_RE = re.compile(r"§§?\s*(\d{1,4}(?:\s*(?:,|och)\s*\d{1,4})*)")
_PARA_AFTER_RE = re.compile(r"(?<![\d,.])(\d{1,4})\s*§")
_PARA_WORD_RE = re.compile(r"\bparagraf(?:en|erna)?\s+(\d{1,4}(?:\s*(?:,|och)\s*\d{1,4})*)", re.IGNORECASE)
# "§§ 14-31" is a whole protokoll; longer ranges are not a reference to single items.
MAX_PARAGRAF_RANGE = 30


def _find_paragrafer(text: str) -> list[int]:
    out: list[int] = []
    taken: list[tuple[int, int]] = []

    def add(n: int | None) -> None:
        if n is not None and n not in out:
            out.append(n)

    for m in _PARA_RANGE_RE.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if 0 <= b - a <= MAX_PARAGRAF_RANGE:
            for n in range(a, b + 1):
                add(n)
        taken.append(m.span())
    for rx in (_PARA_LIST_RE, _PARA_WORD_RE, _PARA_AFTER_RE):
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            taken.append(m.span())
            for num in re.findall(r"\d+", m.group(1)):
                add(normalize_paragraf(f"§ {num}"))
    return out


# ---------------------------------------------------------------- dates
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dec": 12}
_MONTH_WORDS = {**MONTHS, **_MONTH_ABBR}
_MONTH_ALT = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
_YEAR = r"((?:19|20)\d\d)"
_DAY_MONTH_YEAR_RE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_ALT})\.?\s+{_YEAR}\b")
_MONTH_YEAR_RE = re.compile(rf"\b({_MONTH_ALT})\.?\s+{_YEAR}\b")
# Finland's Swedish-speaking kommuner write day.month.year: "den 24.5.2023", "15.09.2022".
_DOTTED_DATE_RE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)(?![\d.]*\d)")
_ISO_RE = re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b")
_YEAR_RE = re.compile(rf"(?<![\d.,/:-]){_YEAR}(?![\d.,/:-]\d)")
# Words that put a question in a meeting/decision context, on folded text.
_MEETING_RE = re.compile(
    r"\b(sammantrad\w*|mote[nt]?|motet|protokoll\w*|kallelse\w*|justera\w*|dagordning\w*"
    r"|tog(\s+\w+){1,4}\s+upp|tas\s+upp|togs\s+upp|behandla\w*)\b"
)
# A bare year filters only right after one of these ("beslut under 2023"), not after "för"/"till".
_YEAR_FILTER_BEFORE = {"under", "i", "fran", "ar", "sedan"}


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _find_dates(folded: str) -> list[tuple[dt.date, dt.date, int, int]]:
    """(first day, last day, start, end) of each day or month mentioned."""
    out: list[tuple[dt.date, dt.date, int, int]] = []
    taken: list[tuple[int, int]] = []
    # (pattern, groups of year, month, day): "2023-10-03", "3 oktober 2023", "3.10.2023"
    for rx, (y, mo, da) in ((_ISO_RE, (1, 2, 3)), (_DAY_MONTH_YEAR_RE, (3, 2, 1)), (_DOTTED_DATE_RE, (3, 2, 1))):
        for m in rx.finditer(folded):
            month = m.group(mo)
            try:
                d = dt.date(int(m.group(y)), _MONTH_WORDS.get(month) or int(month), int(m.group(da)))
            except ValueError:
                continue
            out.append((d, d, *m.span()))
            taken.append(m.span())
    for m in _MONTH_YEAR_RE.finditer(folded):
        if any(s <= m.start() < e for s, e in taken):
            continue
        # "mar" is also a word; only the full name or an abbreviation with a dot is a month.
        if m.group(1) == "mar" and not m.group(0).startswith("mar."):
            continue
        out.append((*_month_range(int(m.group(2)), _MONTH_WORDS[m.group(1)]), *m.span()))
    return out


# ---------------------------------------------------------------- kommun
_KOMMUN_SUFFIX_RE = re.compile(r"\s+(kommun|stad|municipality)$", re.IGNORECASE)
# Kommun names that are also ordinary words count only when capitalised as typed:
# "ska vara klar" is not Vara kommun, "vilka insatser ingår" is not Ingå. (Word
# frequency cannot tell them apart: "solna" is as frequent as "lund".)
_COMMON_WORD_NAMES = {"vara", "mark", "berg", "lund", "sund", "boden", "säter", "kil", "ingå", "åre", "ale", "nora", "salem", "geta"}


def short_name(display: str) -> str:
    name = _KOMMUN_SUFFIX_RE.sub("", display.strip())
    if name.lower().startswith("region "):
        name = name[7:]
    # "Strömsunds kommun" → "Strömsunds" → "Strömsund"
    if name not in KOMMUNER and name.endswith("s") and name[:-1] in KOMMUNER:
        name = name[:-1]
    return name


@lru_cache(maxsize=64)
def _kommun_forms(known: tuple[str, ...]) -> list[tuple[str, str, bool]]:
    """(folded form, display, ambiguous), longest form first; known kommuner win over the national list."""
    forms: dict[str, tuple[str, bool]] = {}
    candidates = [(k, short_name(k)) for k in known] + [(d, n) for n, d in KOMMUNER.items()]
    for display, short in candidates:
        ambiguous = short.lower() in _COMMON_WORD_NAMES
        # "Solnas" is how people write it, though the genitive of a name in -a is "Solna".
        for form in (display, short, genitive(short), short + "s"):
            forms.setdefault(fold(form), (display, ambiguous))
    ordered = sorted(forms.items(), key=lambda x: -len(x[0]))
    return [(f, d, a) for f, (d, a) in ordered]


# Where a kommun form may start: a word not glued to a word or hyphen before it.
_WORD_START_RE = re.compile(r"(?<![\w-])\w+")
_GLUE_RE = re.compile(r"[\w-]")


@lru_cache(maxsize=64)
def _kommun_index(known: tuple[str, ...]) -> dict[str, list[tuple[str, str, bool]]]:
    """The forms of _kommun_forms by their first word: first word → [(folded form, display,
    ambiguous)], in _kommun_forms' order (longest first, known kommuner first)."""
    index: dict[str, list[tuple[str, str, bool]]] = {}
    for form, display, ambiguous in _kommun_forms(known):
        first = re.match(r"\w+", form)
        if first is not None:
            index.setdefault(first.group(0), []).append((form, display, ambiguous))
    return index


def _find_kommun(text: str, folded: str, known: Sequence[str]) -> str | None:
    """The kommun of the earliest form in ``folded`` (the longest of those starting there); an
    ambiguous name ("vara", "mark") only as typed with a capital. A form's first word is a whole
    word of the question, so each word is looked up once instead of running every form's regex
    (~2 ms per question over the national list, measured 2026-12-01)."""
    index = _kommun_index(tuple(known))
    for m in _WORD_START_RE.finditer(folded):
        candidates = index.get(m.group(0))
        if not candidates:
            continue
        start = m.start()
        for form, display, ambiguous in candidates:
            end = start + len(form)
            if not folded.startswith(form, start) or (end < len(folded) and _GLUE_RE.match(folded, end)):
                continue
            if ambiguous and not text[start].isupper():
                continue
            return display
    return None


# ---------------------------------------------------------------- nämnd
# Organ words on folded text; an optional "barn- och " lead and a compound tail
# ("socialnämndsprotokoll") are allowed.
_ORGAN_RE = re.compile(
    r"(?<![\w-])((?:[a-z]+-\s+och\s+)?[a-z]*?-?)(namnd|styrelse|utskott|fullmaktige)(en|ens|et|ets|s\w*|e|n|ns|)(?![\w-])"
)
_ORGAN_DEFINITE = {"namnd": "nämnden", "styrelse": "styrelsen", "utskott": "utskottet", "fullmaktige": "fullmäktige"}
_ORGAN_ABBR = {
    "soc": "Socialnämnden",
    "ks": "Kommunstyrelsen",
    "kf": "Kommunfullmäktige",
    "au": "Arbetsutskottet",
}


def _find_namnd(text: str, folded: str, known: Sequence[str]) -> str | None:
    candidates: list[tuple[int, str]] = []
    for m in _ORGAN_RE.finditer(folded):
        prefix, head = m.group(1), m.group(2)
        if not prefix and head != "fullmaktige":
            continue  # "nämnden" alone names no particular nämnd
        lead = text[m.start(1) : m.end(1)] if prefix else "Kommun"
        # An abbreviation typed in lower case keeps its capitals: "ifo-utskottet" → "IFO-utskottet".
        lead = re.sub(r"^[a-zåäö]{2,4}-$", lambda a: a.group(0).upper(), lead)
        name = lead + _ORGAN_DEFINITE[head]
        candidates.append((m.start(), name[0].upper() + name[1:]))
    for m in re.finditer(r"(?<![\w-])(soc|ks|kf|au)(?![\w-])", folded):
        # "au" and "ks" are only abbreviations when typed in capitals.
        if m.group(1) in ("au", "ks") and not text[m.start() : m.end()].isupper():
            continue
        candidates.append((m.start(), _ORGAN_ABBR[m.group(1)]))
    if not candidates:
        return None
    name = min(candidates)[1]
    # Prefer the store's own spelling ("IFO-utskottet", "Barn- och utbildningsnämnden").
    for k in known:
        if fold(k) == fold(name):
            return k
    return name


# ---------------------------------------------------------------- document type
_DOCTYPE_WORDS: dict[str, DocType] = {}
_DOCTYPE_LISTS: tuple[tuple[str, DocType], ...] = (
    ("protokoll protokollet protokollen protokollsutdrag protokollsutdraget sammantradesprotokoll sammantradesprotokollet", "protokoll"),
    ("kallelse kallelsen kallelsens foredragningslista foredragningslistan dagordning dagordningen", "kallelse"),
    ("kontorsplan kontorsplanen verksamhetsplan verksamhetsplanen budget budgeten", "plan"),
    ("riktlinje riktlinjen riktlinjer riktlinjerna policy policyn", "riktlinje"),
    ("tjansteskrivelse tjansteskrivelsen tjansteskrivelser tjansteutlatande tjansteutlatandet", "tjansteskrivelse"),
    ("manadsbrev manadsbrevet arsrapport arsrapporten", "rapport"),
)
for _words, _type in _DOCTYPE_LISTS:
    for _word in _words.split():
        _DOCTYPE_WORDS[_word] = _type


def _find_doctype(folded_words: list[str]) -> DocType | None:
    for w in folded_words:
        if w in _DOCTYPE_WORDS:
            return _DOCTYPE_WORDS[w]
        # A nämnd compound names its document: "socialnämndsprotokoll(et)".
        m = re.fullmatch(r"\w+(?:namnd|styrelse|utskott)s(protokoll\w*|kallelse\w*)", w)
        if m:
            return "protokoll" if m.group(1).startswith("protokoll") else "kallelse"
    return None


# ---------------------------------------------------------------- intent
_LOOKUP_START_RE = re.compile(
    r"^\s*(vad|vilket|vilka)\s+(galler|handlar|innehaller|ar|avser|ror)\b"
)
_DECISION_RE = re.compile(
    r"\b(beslut|beslutet|besluten|besluta|beslutade|beslutat|beslutats|beslutades|faststall\w*|godkan\w*"
    r"|bifoll|bifall\w*|avslog|avslag\w*|antog|antagit|antas|anta|andrat|andrade|foreslas|forslag\s+till\s+beslut)\b"
)
_POLICY_RE = re.compile(
    r"\bhur\s+(ska|skall|arbetar|jobbar|jobba|arbeta|vill|tanker|planerar)\b"
    r"|\bvilka\s+(\w+\s+)?(mal|malen|fokusomraden|insatser|inriktningsmal|namndmal|atgarder|prioriteringar|aktiviteter|strategier)\b"
    r"|\bvad\s+gor\b|\bhur\s+langt\s+har\b|\bhur\s+ar\b.*\borganiserad\w*"
)
# Words that carry no topic in a reference question ("vad gäller ärende X?").
LOOKUP_FILLER = {"vad", "vilket", "galler", "handlar", "innehaller", "avser", "ror", "arende", "arendet", "dnr",
                  "diarienummer", "paragraf", "paragrafen", "om", "ar", "i", "fran", "den", "det", "och"}


def _intent(folded: str, has_ref: bool, residual: list[str]) -> Intent:
    if has_ref and _LOOKUP_START_RE.search(folded):
        return "lookup"
    if _DECISION_RE.search(folded):
        return "decision"
    if _POLICY_RE.search(folded):
        return "policy"
    if has_ref and len(residual) <= 1:
        return "lookup"
    return "fact"


# ---------------------------------------------------------------- parse
def parse_query(text: str, known_kommuner: Sequence[str] = (), known_namnder: Sequence[str] = ()) -> ParsedQuery:
    """Parse a question into references, filters and intent.

    Args:
        text: the question as typed.
        known_kommuner: kommuner in the store (display forms), preferred over the national list.
        known_namnder: nämnder in the store, whose spelling is returned when one matches.
    """
    folded = fold(text)
    dnrs = find_dnr(text)
    # Years and § numbers inside a diarienummer are not references of their own.
    masked = list(text)
    for s, e, _ in dnrs:
        masked[s:e] = " " * (e - s)
    rest = "".join(masked)
    rest_folded = fold(rest)
    paragrafer = _find_paragrafer(rest)
    kommun = _find_kommun(text, folded, known_kommuner)
    namnd = _find_namnd(text, folded, known_namnder)
    folded_words = words(rest_folded)
    dokumenttyp = _find_doctype(folded_words)

    residual = [
        w for w in folded_words
        if not w.isdigit() and w not in LOOKUP_FILLER and not is_stopword(w)
        and w not in fold(kommun or "").split() and w not in fold(namnd or "") and w not in _DOCTYPE_WORDS
        and w not in _MONTH_WORDS and not (kommun and w.startswith(fold(short_name(kommun))))
        and not re.search(r"namnd|styrelse|utskott|fullmaktige|protokoll", w)
    ]
    intent = _intent(folded, bool(dnrs or paragrafer), residual)

    years = sorted({int(m.group(1)) for m in _YEAR_RE.finditer(rest_folded)})
    meeting = intent == "decision" or bool(_MEETING_RE.search(folded)) or dokumenttyp in ("protokoll", "kallelse")
    date_from = date_to = None
    if meeting:
        dates = _find_dates(rest_folded)
        if dates:
            date_from, date_to = min(d[0] for d in dates), max(d[1] for d in dates)
        else:
            tokens = words(rest_folded)
            filter_years = [int(t) for i, t in enumerate(tokens)
                            if re.fullmatch(_YEAR, t) and i > 0 and tokens[i - 1] in _YEAR_FILTER_BEFORE]
            if filter_years:
                date_from, date_to = dt.date(min(filter_years), 1, 1), dt.date(max(filter_years), 12, 31)

    return ParsedQuery(
        text=text,
        search_text=" ".join(text.split()),
        dnr=[d for _, _, d in dnrs],
        dnr_norm=[normalize_dnr(d) for _, _, d in dnrs],
        paragrafer=paragrafer,
        date_from=date_from,
        date_to=date_to,
        years=years,
        kommun=kommun,
        namnd=namnd,
        dokumenttyp=dokumenttyp,
        intent=intent,
    )
