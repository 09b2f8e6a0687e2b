"""Answering: retrieval → evidence check → answer (extractive, or generative + verified).

The extractive answerer needs no LLM. It reads the sections behind the best
passages and picks what answers the question:
- decision: the beslut (or förslag till beslut) of the best-matching § or
  tjänsteskrivelse, quoted, plus the sentence of the ärende that best fits;
- lookup (a dnr or § named): what each matching section is about, and its beslut;
- fact: the one to three sentences that best answer it, scored against the question;
- policy: a short structured summary (bullets) of the most relevant sections.
Every claim carries [n]; the citation list says kommun, nämnd, datum, § and dnr.

Abstention rests on evidence, not on a prompt: when the question's specific words
(weighted by rarity) are absent from what retrieval found, or a kommun it names is
not in the store, the reply says the documents do not answer, names what was
searched, and lists the closest passages as "kanske relevant".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from assistent.errors import ModelError, QuestionError
from assistent.evidence import ASKS_SUPPLIER, NAMES_COMPANY, Evidence, answer_type_gap
from assistent.prompts import AMBIGUOUS_INTRO, CANNOT_ANSWER, MAYBE_RELEVANT, SEARCHED_IN, VERIFY_FAILED
from assistent.query import find_dnr
from assistent.records import Answer, Citation, Filters, Passage, Section
from assistent.retrieve import Retrieval, retrieve
from assistent.synonyms import alternatives
from assistent.textproc import MONTHS, analyze, fold, zipf
from ingest.dnr import find_diarienummer
from ingest.segment import part_kind

if TYPE_CHECKING:
    from assistent.api import Assistant

MAX_QUESTION_CHARS = 1000
#: Lines taken after a sentence that announces a list ("följande fyra mål:").
MAX_LIST_ITEMS = 6

# Words that say what kind of question it is, or whose they are, rather than what it
# is about: they never count as evidence that a passage answers the question.
_GENERIC = {
    fold(w)
    for w in """vad vilk vilken vilka hur när var varför vem vems mycket mång många kommun kommunen stad
    stad nämnd nämnden socialnämnd socialnämnden nämndens beslut besluta beslutade beslutat föreslås
    förslag ärend ärende ärendet gäll gäller handl handlar om ska skulle kan finns fått få gör göra
    år året dokument protokoll protokollet fråga frågan nu tid ny nya kom komm sitt sin sina hos
    mkt mycke nåt nån nåra typ o å länge fick man""".split()
}
# with compound parts: "socialnämnden" must not make "social" a topic of the question
_GENERIC_STEMS = {t for w in _GENERIC for t in analyze(w)} | _GENERIC
# The office itself: every sentence of its documents may name it, so it does not tell
# the answer's sentences apart (it still counts as evidence in assistent.evidence).
_OFFICE_STEMS = {
    t
    for w in "förvaltningen socialförvaltningen socialförvaltningens kontoret socialkontoret socialkontorets".split()
    for t in analyze(w, compounds=False)
}

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9”\"•–-])|\n+")
_HAS_NUMBER = re.compile(r"\d")
# a table-of-contents line: "SSPF – Skola, socialtjänst ..... | 6"
_TOC_LINE = re.compile(r"(\.{4,}|…{2,})[\s|]*\d+\s*$")
_NOT_QUANTITY = re.compile(
    r"\b\d{4}-\d\d-\d\d\b|\b\d{1,2}/\d{1,2}\b|\b(19|20)\d\d\b|\b\d+\s*(§|kap)|§\s*\d+"
    r"|\b[A-ZÅÄÖ]{1,6}[./-]\d{4}[.:/-]\d+"
)
_NUMBER_WORDS = "två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|trettio|hundra"
_COUNT_WORDS = re.compile(rf"\b({_NUMBER_WORDS})\b", re.I)


def _has_quantity(text: str) -> bool:
    """A figure, not a year, date, § or diarienummer: "120 deltagare", "36 procent", "sju ärenden"."""
    return _has_figure(text) or bool(_COUNT_WORDS.search(text))


def _has_figure(text: str) -> bool:
    """A quantity in digits ("Två föräldrakvällar" counts evenings; the "120 deltagare"
    asked for may follow)."""
    return bool(_HAS_NUMBER.search(_NOT_QUANTITY.sub(" ", text)))


_HEADING_LINE = re.compile(r"^\s*(diarienummer|dnr|§\s*\d+|\d+\s*§(?!\s*\d))", re.I)
_MONTH_ALT = "|".join(MONTHS)
_HAS_DATE = re.compile(
    rf"\b(\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}|\d{{1,2}}\s+({_MONTH_ALT})|{_MONTH_ALT}"
    r"|vecka\s+\d+|kvartal|halvår|våren|hösten|\b20\d\d\b)",
    re.I,
)


# ---------------------------------------------------------------- labels
def citation_label(p: Passage) -> str:
    """'Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8'."""
    bits = [p.kommun, p.namnd, p.datum.isoformat() if p.datum else None, p.paragraf, p.diarienummer]
    return " · ".join(b for b in bits if b)


def _source_line(n: int, c: Citation) -> str:
    where = c.fil + (f", s. {c.sida}" if c.sida else "")
    rubrik = f" · {c.rubrik}" if c.rubrik else ""
    return f"[{n}] {citation_label(c)}{rubrik} ({where})"


# ---------------------------------------------------------------- sentence scoring
@dataclass
class _Sentence:
    text: str
    section: Section
    passage: Passage
    rank: int
    order: int
    score: float = 0.0
    following: tuple[str, ...] = ()
    credits: tuple[float, ...] = ()  # per question word (see _QWord.credit)

    def claim(self, n: int, bullet: str = "") -> str:
        """The sentence with its citation, and the list it announces, if any."""
        head = f"{bullet}{self.text} [{n}]"
        if not self.following:
            return head
        pad = "  " if bullet else ""
        return head + "".join(f"\n{pad}- {f}" for f in self.following)


#: A negative amount is an underskott, whatever the sentence calls it: "Prognosen för
#: socialnämnden uppgår till – 8 225 tkr", "ett resultat på -11,2 mnkr".
_NEGATIVE_AMOUNT = re.compile(r"(?<![\w,])[-–−]\s?\d[\d  ]*(,\d+)?\s*(tkr|mnkr|mkr|kr|miljoner|tusen)\b", re.I)
_DEFICIT = analyze("underskott", compounds=False)[0]


def _terms(text: str) -> set[str]:
    terms = {t for t in analyze(text) if t not in _GENERIC_STEMS}
    if _NEGATIVE_AMOUNT.search(text):
        terms.add(_DEFICIT)
    return terms


def _weight(term: str) -> float:
    """Rarer words say more about what the question is after: weight 1 for a common
    word (Zipf 6, 'år'), up to 4 for a word wordfreq barely knows (Zipf ≤ 3). Numbers
    weigh 1.5: a year names the period, and most sentences of a plan repeat it."""
    if term[:1].isdigit():
        return 1.5
    return min(4.0, max(1.0, 1.0 + (6.0 - zipf(term))))


# Abbreviations whose full stop does not end a sentence: "kl. 15:30", "t.ex. barn".
_ABBREV = re.compile(
    r"\b(kl|t\.ex|bl\.a|ca|nr|s\.k|m\.m|resp|jfr|d\.v\.s|fr\.o\.m|t\.o\.m|dvs|st|tel|inkl|exkl|osv|mfl|m\.fl)\.",
    re.I,
)
_SHIELD = "\u2024"  # one-dot leader: stands in for an abbreviation's full stop while splitting


#: List markers as PDF text extraction leaves them ("~" and "" are bullets in Word exports).
_BULLETS = "-•–~▪◦*\uf0b7"


_NAME_LINE = re.compile(r"[A-ZÅÄÖ][a-zåäöé]+(?:[ -][A-ZÅÄÖ][a-zåäöé]+){1,3}")
_TITLE_LINE = re.compile(
    r"(?:Tf\.?\s+|T\.f\.\s+|Bitr\.?\s+)?[A-ZÅÄÖ]?[a-zåäö]*(?:chef|direktör|ordförande|sekreterare|handläggare|"
    r"samordnare|controller|strateg|utredare|ansvarig)",
)


@dataclass(frozen=True)
class _Unit:
    text: str
    item: bool  # a list item ("- …", "• …") rather than running text
    header: str = ""  # for a table row: the table's header row ("Aktivitet | Ansvarig | Uppföljning")
    new_part: bool = False  # first line after a part label ("Yrkande") or a §/dnr line: ends a list
    raw: str = ""  # a table row as written, when ``text`` reads it with its column names
    peak: bool = False  # a table row with the largest figure in its table's last column


#: A table row that sums the others: "Totalt | 305 | 295 | 369".
_TOTAL_ROW = re.compile(r"\s*(totalt|total|summa|samtliga|alla|hela\s+\w+)\b", re.I)


def _last_figure(row: str) -> float | None:
    """The number in a row's last cell: "Polisen | 69 | 52 | 74" → 74.0; "8,76%" → 8.76."""
    last = _cells(row)[-1].replace("\u2212", "-").replace("–", "-")
    m = re.fullmatch(r"(-?\d[\d ]*(?:,\d+)?)\s*(%|st|kr|tkr|mnkr|mkr)?", last)
    return float(m.group(1).replace(" ", "").replace(",", ".")) if m else None


def _tables(units: list[_Unit]) -> list[_Unit]:
    """Drop each table's header row and mark its row (not a total) with the largest
    last-column figure, for "vem anmälde oftast?" / "vilken enhet har högst sjukfrånvaro?"."""
    # the header row is said by its rows ("Polisen (Jan-jun 2023: 74)"), not on its own
    out = [
        u
        for k, u in enumerate(units)
        if not (k + 1 < len(units) and units[k + 1].raw and units[k + 1].header.endswith(u.text))
    ]
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j].header and out[j].header == out[i].header:
            j += 1
        if j - i >= 3:
            figures = [(k, _last_figure(out[k].raw)) for k in range(i, j) if not _TOTAL_ROW.match(out[k].raw)]
            rows = [(k, v) for k, v in figures if v is not None]
            if len(rows) >= 2:
                k, _ = max(rows, key=lambda kv: kv[1])
                out[k] = replace(out[k], peak=True)
        i = max(j, i + 1)
    return out


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"\s*[|\t]\s*", row.strip())]


def _read_row(row: str, columns: str) -> str:
    """A table row with its column names: "Totalt | 305 | 295 | 369" under "| Jan-jun 2021 |
    Jan-jun 2022 | Jan-jun 2023" → "Totalt (Jan-jun 2021: 305; Jan-jun 2022: 295; Jan-jun
    2023: 369)". A row whose cells do not line up with the columns is left as written."""
    cells, names = _cells(row), _cells(columns)
    if len(names) == len(cells) - 1:
        names = ["", *names]  # the row labels' column has no name ("\tJan-jun 2021\tJan-jun 2022")
    elif len(cells) == len(names) - 1:
        cells = ["", *cells]  # a sum row without its label: "\t302\t305\t295\t369"
    if len(cells) != len(names) or len(cells) < 2 or not any(names[1:]):
        return row
    if any(len(n.split()) > 6 for n in names):
        return row  # no header row: the first row of the table holds data, not names
    # a bare code gets its column's name ("Läsår 22-23 (…)"); a text does not ("Stöd till barn (…)")
    code = len(cells[0].split()) <= 2 and bool(re.search(r"\d", cells[0]))
    label = " ".join(x for x in (names[0] if code or not cells[0] else "", cells[0]) if x)
    pairs = "; ".join(f"{n}: {c}" if n else c for n, c in zip(names[1:], cells[1:], strict=True) if c)
    return f"{label} ({pairs})" if label else pairs


def _units(section: Section) -> tuple[_Unit, ...]:
    """The section's sentences and lines (list items, table rows), in order; headings left out.
    Cached: one answer reads the same long sections several times."""
    return _units_of(section.text, tuple(section.heading_path), section.rubrik, section.paragraf)


#: A line that ends in one of these words was broken by the PDF mid-sentence.
_OPEN_END = re.compile(
    r"\b(i|och|att|för|med|på|av|som|till|om|en|ett|den|det|de|samt|eller|från|vid|under|över|inom|mot|hos"
    r"|är|har|var|ska|kan|inte|sig)$"
)


def _join_wrapped(text: str) -> str:
    """Lines the PDF broke mid-sentence joined again: "… Kö manholmen i" / "Larsmo.",
    "• Omvärld - Visar hur Sundsvall bygger internationella och" / "nationella relationer …",
    also across one blank line ("… som inte visade sig" / "" / "vara så stora …")."""
    out: list[str] = []
    blanks = 0
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            blanks += 1
            continue
        prev = out[-1] if out else ""
        if (
            prev
            and blanks <= 1
            and prev[-1] not in ".!?:;"
            and s[0] not in _BULLETS
            and not any(c in prev or c in s for c in "|\t")
            and (s[0].islower() or (blanks == 0 and _OPEN_END.search(prev)))
        ):
            out[-1] = f"{prev} {s}"
        else:
            out.extend([""] * min(blanks, 1) if out else [])
            out.append(s)
        blanks = 0
    return "\n".join(out)


@lru_cache(maxsize=256)
def _units_of(text: str, heading_path: tuple[str, ...], rubrik: str | None, paragraf: str | None) -> tuple[_Unit, ...]:
    headings = {h.strip().lower() for h in [*heading_path, rubrik or ""] if h}
    shielded = _ABBREV.sub(lambda m: m.group(0)[:-1] + _SHIELD, _join_wrapped(text))
    out: list[_Unit] = []
    header, columns, in_table, label_open, new_part, subhead = "", "", False, False, False, ""
    for raw in _SENT_SPLIT.split(shielded):
        raw = raw.replace(_SHIELD, ".").strip()
        s = raw.strip(" \t" + _BULLETS)
        is_item = raw[:1] in _BULLETS
        # a flattened table: its first row names the columns the later rows fill
        is_row = "|" in raw or "\t" in raw
        row_header = header if is_row and in_table else ""
        if is_row and not in_table:
            # the caption above the table says what its rows count ("Antal anställda i …")
            caption = out[-1].text if out and len(out[-1].text.split()) <= 15 and not out[-1].header else ""
            header, columns = f"{caption} {s}".strip(), raw
        in_table = is_row
        if out and _NAME_LINE.fullmatch(out[-1].text) and _TITLE_LINE.fullmatch(s):
            # a signature: "Marjo Savelius" / "Socialchef" → "Marjo Savelius, Socialchef"
            out[-1] = _Unit(f"{out[-1].text}, {s}", False, new_part=out[-1].new_part)
            continue
        own = s.lower().rstrip(":") in headings  # the section's own heading says nothing new
        label = bool(part_kind(s))  # "Socialnämndens beslut", "Förslag till beslut": labels, not content
        heading = bool(_HEADING_LINE.match(s))
        if (
            len(s.split()) < (1 if is_item else 2)
            or heading
            or _TOC_LINE.search(s)
            or own
            or label
            or (paragraf and s.lower().startswith(paragraf.lower()))
        ):
            label_open = False
            new_part = new_part or label or heading or own
            # a one-word subheading ("Äldreomsorg") names what the next line is about
            subhead = s if _SUBHEADING.fullmatch(s) and not (is_item or own or label) else ""
            continue
        if label_open and not is_item and not is_row and not (len(s.split()) <= 10 and _LABEL.fullmatch(s)):
            # a label and its value: "Tid och plats för sammanträde" / "Tisdagen den 3 oktober
            # 2023, kl. 14.00." read as one line, so the value is found by the label's words
            out[-1] = _Unit(f"{out[-1].text}: {s}", False, new_part=out[-1].new_part)
            label_open = False
            continue
        if row_header:
            out.append(_Unit(_read_row(raw, columns), False, row_header, new_part, raw=s))
        else:
            if subhead and not is_item and not is_row and not _is_label(s):
                s = f"{subhead}: {s}"  # "Äldreomsorg: Resultat -4,7 mnkr."
            out.append(_Unit(s if len(s) <= 600 else s[:600].rsplit(" ", 1)[0] + " …", is_item, row_header, new_part))
        new_part = False
        subhead = ""
        label_open = _is_label(s) and not is_item and not is_row
    return tuple(_tables(out))


#: A one-word subheading: "Äldreomsorg", "Hemtjänst".
_SUBHEADING = re.compile(r"[A-ZÅÄÖ][a-zåäöé-]{3,30}")


#: A label line: a few words, no figures, no closing punctuation ("Förslag till justerare"),
#: or a numbered one ("Mål 3").
_LABEL = re.compile(r"[A-ZÅÄÖ][^\d.!?:;,|\t]{2,60}|[A-ZÅÄÖ]\w{1,20} \d{1,2}")  # … or "Mål 3", "Bilaga 2"


def _is_label(line: str) -> bool:
    return 2 <= len(line.split()) <= 6 and bool(_LABEL.fullmatch(line)) and not _NAME_LINE.fullmatch(line)


# "fyra nämndmål", "12 åtgärder": a count that announces the list after it
_COUNTED = re.compile(rf"\b({_NUMBER_WORDS}|\d+)\s+\w+", re.I)


def _list_after(units: Sequence[_Unit], i: int) -> tuple[str, ...]:
    """The list a unit announces: '… följande fyra inriktningsmål uppfylls:' or
    '… fyra nämndmål för socialnämnden.' followed by list items."""
    s = units[i].text
    if re.search(r"\bföljande\b", s, re.I):
        # "… följande sammanträdesdagar under 2024 …" then short lines: "12 februari", or
        # several on one line once the PDF's line breaks are gone ("12 februari 18 mars …")
        short = []
        for u in units[i + 1 : i + 1 + 2 * MAX_LIST_ITEMS]:
            if u.item or u.new_part or len(u.text.split()) > 12 or u.text.rstrip().endswith((".", "!", "?")):
                break
            short.append(u.text)
        if len(short) >= 3 or sum(len(x.split()) for x in short) >= 6:
            return tuple(short)
    nxt = units[i + 1 : i + 1 + MAX_LIST_ITEMS]
    announces = s.rstrip().endswith(":") or (
        bool(nxt) and nxt[0].item and bool(re.search(r"\bföljande\b", s, re.I) or _COUNTED.search(s))
    )
    if not announces:
        return ()
    items: list[str] = []
    for u in nxt:
        if len(u.text.split()) > 40 or (items and not u.item and nxt[0].item) or u.new_part:
            break
        items.append(u.text)
    return tuple(items)


# ---------------------------------------------------------------- question words
@dataclass(frozen=True)
class _QWord:
    """One content word of the question: its stem, its compound parts' stems, its weight."""

    stem: str
    parts: tuple[str, ...]
    weight: float
    synonyms: tuple[tuple[str, ...], ...] = ()

    def credit(self, terms: set[str]) -> float:
        """How far a sentence's terms hold this word: 1 for the word itself or another
        inflection of it ("matsvin" ~ "matsvinnet"), 0.8 when all its compound parts occur
        ("hemsjukvårdsavgiften" ~ "avgift för hemsjukvård"), else a share of its parts."""
        if self.stem in terms or _inflection_in(self.stem, terms):
            return 1.0
        if any(all(t in terms for t in syn) for syn in self.synonyms) or _head_of_compound(self.stem, terms):
            return 0.8
        if self.parts:
            found = sum(p in terms for p in self.parts)
            return 0.8 if found == len(self.parts) else 0.4 * found / len(self.parts)
        return 0.0


#: What one stem may have beyond another of the same word: an inflection Snowball left
#: on (a doubled consonant, then -et/-en/-er/…; "-iet" of "högstadiet").
_INFLECTION_TAIL = re.compile(r"[bdfgklmnprstv]?(et|en|er|ar|or|an|na|ns|ts|ets|ens|ans|s|n|t|e)|iet|iets")
#: ... and the verb's own nouns and participles: "jämför" → "jämförelse", "jämförbara";
#: "höjas" → "höjningen", "höjde".
_DERIVATION_TAIL = re.compile(r"(n?ing|n?ingen|n?ingar|else|elsen|els|bar|bara|de|des|d|ande|ende)")


def _inflection_in(stem: str, terms: set[str]) -> bool:
    """Snowball leaves the definite neuter on: "matsvinnet" stems to itself, "matsvinn"
    to "matsvin". A term that is the stem plus an inflectional tail (both of five letters
    or more) or a derivational one (from three), or the other way round, is the same
    word; "enhetlig" is not "enhet"."""
    if len(stem) < 3:
        return False
    for t in terms:
        if len(t) < 3 or t == stem:
            continue
        short, long = (stem, t) if len(stem) < len(t) else (t, stem)
        if not long.startswith(short):
            continue
        tail = long[len(short) :]
        if (len(short) >= 5 and _INFLECTION_TAIL.fullmatch(tail)) or _DERIVATION_TAIL.fullmatch(tail):
            return True
    return False


def _head_of_compound(stem: str, terms: set[str]) -> bool:
    """A Swedish compound ends in what it is: "nämndmål" is a mål, "hemtjänstavgift" an
    avgift. Short heads are left unsplit by the analyzer, so "mål" is looked for as the
    end of a term with at least four letters before it ("formål" is no mål)."""
    if len(stem) < 3 or stem[:1].isdigit():
        return False
    return any(
        (len(t) >= len(stem) + 4 and t.endswith(stem))  # the document's compound, the question's head
        or (len(t) >= 3 and len(stem) >= len(t) + 4 and stem.endswith(t) and t not in _SUFFIXES)  # "budgetram" ~ "ramen"
        for t in terms
    )


#: Word endings the compound splitter sometimes cuts off as a "part" ("rekryt" + "ing"):
#: a question word ending in one ("idrottsanläggning") is no compound of it.
_SUFFIXES = frozenset({"ing", "ning", "het", "lig", "isk", "else", "skap", "are", "ande", "ende", "tion", "itet"})


# "hur hög är frånvaron": the adjective asks for a figure; it is not what the answer is about
_QUESTION_PHRASE = re.compile(r"\b(hur|hu)\s+(hög|hog|stor|stort|stora|lång|lang|långt|mycket|många|manga|ofta|länge)\b", re.I)


def _question_words(r: Retrieval, lexical, text: str | None = None) -> list[_QWord]:
    """The question's content words (or those of ``text``, a part of it), spelt as the
    archive spells them ("matsvin" → its corpus form, "hog" → "hög"), weighted by rarity;
    kommun names and generic words left out."""
    text = r.parsed.search_text if text is None else text
    if r.exact_sections:
        # the sections the diarienummer names are found already; its pieces ("sn", "2023",
        # "3") would only favour other lines that cite it, such as the agenda's
        for start, end, _ in reversed(find_dnr(text)):
            text = text[:start] + " " + text[end:]
    restored = lexical.restore(text) if lexical is not None else text
    restored = _QUESTION_PHRASE.sub(" ", restored)
    scope = fold(" ".join(filter(None, [r.filters.kommun, r.parsed.kommun])))
    words: dict[str, _QWord] = {}
    for w in re.findall(r"\w+(?:-\w+)*", restored.lower()):
        w = _MONTH_ABBR.get(w.rstrip("."), w)
        full = [t for t in analyze(w, compounds=False) if t not in _GENERIC_STEMS and t not in _OFFICE_STEMS]
        if not full or full[0] in words or (scope and (fold(w) in scope or full[0] in scope)):
            continue
        parts = tuple(t for t in analyze(w) if t not in full and t not in _GENERIC_STEMS | _OFFICE_STEMS)
        words[full[0]] = _QWord(full[0], parts, _weight(w), alternatives(full[0]))
    return list(words.values())


def _overlap(words: list[_QWord], terms: set[str]) -> float:
    """Share of the question's weighted words that a set of terms holds."""
    total = sum(w.weight for w in words) or 1.0
    return sum(w.weight * w.credit(terms) for w in words) / total


_WANTS_NUMBER = re.compile(
    r"\b(hur (manga|mycket|mkt|mycke|lang|lange|stor|hog|lag|ofta)|andel|antal|belopp|kostar|kostnad|procent|summa)\b"
)
_WANTS_DATE = re.compile(r"\b(nar|vilket datum|vilken dag|period|tidpunkt|fran och med|till och med)\b")
#: "Hur ofta ska taxorna beslutas?" is answered by a frequency: "en gång per mandatperiod".
_WANTS_FREQUENCY = re.compile(r"\b(hur ofta|hur manga ganger|vilken frekvens|med vilket intervall)\b")
_HAS_FREQUENCY = re.compile(
    r"\b(gång(er)? (per|om|i)|per (år|månad|vecka|kvartal|termin|mandatperiod)|årligen|varje (år|månad|vecka|kvartal)"
    r"|månadsvis|kvartalsvis|veckovis|dagligen|årsvis)\b",
    re.I,
)
#: "Vad ska nämnden göra med den?" asks what the nämnd is to decide: the proposal.
_WANTS_ACTION = re.compile(
    r"\bvad (ska|skall|bor|behover|kommer) (\w*namnden|\w*styrelsen|fullmaktige|kf|ks) (gora|besluta|ta stallning)\b"
)
_HAS_ACTION = re.compile(r"\b(föreslår|föreslås|godkänn\w*|fastställ\w*|antar|anta|besluta[rs]?)\b", re.I)
#: "Vilken period gäller den?" is answered by a range of dates: "2023-07-01 – 2023-08-31".
_WANTS_PERIOD = re.compile(r"\b(period|perioden|tidsperiod|tidsperioden|under vilken tid)\b")
_HAS_PERIOD = re.compile(
    rf"(\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\s+(?:{_MONTH_ALT})(?:\s+\d{{4}})?)\s*(?:[–—-]|till)\s*"
    rf"(\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\s+(?:{_MONTH_ALT}))",
    re.I,
)
#: "När ska/skulle … vara inne/klart?" asks for a deadline, which the documents mark "senast".
_WANTS_DEADLINE = re.compile(r"\bnar\b.*\b(ska|skall|skulle|maste)\b")
_HAS_DEADLINE = re.compile(r"\bsenast\w*\s+(den\s+)?\d", re.I)
_WANTS_PERSON = re.compile(r"\b(vem|vilka personer|vilka ledamoter|vilken ledamot)\b")
#: a named person as protocols write them: "Lena Staaf (V)", "ordförande Anna Berg"
_HAS_PERSON = re.compile(
    r"\b[A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)? [A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?\s*\((S|M|V|SD|C|L|KD|MP)\)"
    r"|\b(ordförande|sekreterare|justerare|förvaltningschef|socialchef|handläggare)\b[:,]?\s+[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ]"
    r"|^[A-ZÅÄÖ][a-zåäöé]+(?:[ -][A-ZÅÄÖ][a-zåäöé]+){1,3}, (?:tf\.? )?\w*(chef|ordförande|sekreterare|handläggare)\b",
    re.I,
)
#: "vem anmälde oftast?", "vilken enhet har högst sjukfrånvaro?": the top row of a table.
_WANTS_PEAK = re.compile(r"\b(oftast|flest|mest|hogst|storst|vanligast|storsta|hogsta)\b")
_WANTS_REASON = re.compile(r"\b(varfor|av vilken anledning|vad beror|vad ar skalet|vad ar orsaken)\b")
#: a sentence that gives a reason or a cause
_HAS_REASON = re.compile(
    r"\b(beror på|berodde på|på grund av|till följd av|med anledning av|eftersom|utifrån att|"
    r"därför att|då det|vilket gör att|orsaken|anledningen|förklaras av|främst för att|för att kunna)\b",
    re.I,
)
_WANTS_LIST = re.compile(r"\s*(vilka|vad (ingar|innehaller))\b")

#: What a question asks for (on its folded text), how a sentence that has it is told, and
#: the bonus that sentence gets: "hur många …?" wants a figure, "när …?" a date, and so on.
_ANSWER_KINDS: tuple[tuple[re.Pattern[str], Callable[[str], object], float], ...] = (
    (_WANTS_NUMBER, _has_quantity, 0.15),
    (_WANTS_DATE, _HAS_DATE.search, 0.15),
    (_WANTS_DEADLINE, _HAS_DEADLINE.search, 0.1),
    (_WANTS_PERIOD, _HAS_PERIOD.search, 0.15),
    (_WANTS_ACTION, _HAS_ACTION.search, 0.15),
    (_WANTS_FREQUENCY, _HAS_FREQUENCY.search, 0.15),
    (ASKS_SUPPLIER, NAMES_COMPANY.search, 0.3),  # the one kind of sentence that can answer "vilket företag …?"
    (_WANTS_PERSON, _HAS_PERSON.search, 0.15),
    (_WANTS_REASON, _HAS_REASON.search, 0.15),
)


def _score_sentences(
    r: Retrieval, sections: list[tuple[Section, Passage, int]], words: list[_QWord], question: str | None = None
):
    total = sum(w.weight for w in words) or 1.0
    question = fold(question or r.effective_question)
    wanted = [(has, bonus) for wants, has, bonus in _ANSWER_KINDS if wants.search(question)]
    wants_number = bool(_WANTS_NUMBER.search(question))
    wants_list = bool(_WANTS_LIST.match(question))
    wants_peak = bool(_WANTS_PEAK.search(question))
    found: list[_Sentence] = []
    for section, passage, rank in sections:
        units = _units(section)
        for order, unit in enumerate(units):
            s = unit.text
            terms = _terms(unit.raw or s)
            credits = tuple(w.credit(terms) for w in words)
            if unit.header:  # a row is also about what its columns are called, at half weight
                head = _terms(unit.header)
                credits = tuple(max(c, HEADER_CREDIT * w.credit(head)) for w, c in zip(words, credits, strict=True))
            score = sum(w.weight * c for w, c in zip(words, credits, strict=True)) / total + 0.12 / (1 + rank)
            score += sum(bonus for has, bonus in wanted if has(s))
            if wants_number and unit.raw and _has_quantity(s) and _TOTAL_ROW.match(unit.raw):
                score += 0.1  # "hur många …?" is answered by the table's total, not one of its rows
            if wants_peak and unit.peak:
                score += 0.2
            n_words = len(s.split())
            if n_words < 5:
                score -= 0.1
            score += 0.05 * min(1.0, n_words / 15)  # informative sentences over bare labels
            score += 0.06 / (1 + order / 5)  # a section's opening sentences tend to summarise it
            following = _list_after(units, order)
            if wants_list and following:
                score += 0.2 + (0.1 if len(following) >= 2 else 0.0)
            found.append(_Sentence(s, section, passage, rank, order, score, following, credits))
    found.sort(key=lambda x: -x.score)
    return found


#: Credit for a question word that a table row's header holds and the row does not.
HEADER_CREDIT = 0.5
#: What a question word still counts for once a chosen sentence of the same section
#: holds it, and once only other sections' sentences do ("Vilka IVO-ärenden …, och när
#: …?" is answered by one sentence in each of two §§).
COVERED_WEIGHT = 0.35
COVERED_ELSEWHERE_WEIGHT = 0.7


def _pick(scored: list[_Sentence], words: list[_QWord], limit: int, floor: float) -> list[_Sentence]:
    """Greedy choice of sentences that together answer the question: each next sentence
    is scored with the words already held by chosen ones weighing less, so "Avtalet löper
    ut 2025-02-28" follows a sentence that already names the träningsbostäder, rather than
    a third sentence naming them again. Only sentences scoring ``floor`` × the best or
    more take part; at most ``limit`` are chosen."""
    total = sum(w.weight for w in words) or 1.0
    covered: dict[str, list[float]] = {}  # per section id
    chosen: list[_Sentence] = []
    pool = scored[:200]

    def gain(s: _Sentence) -> float:
        if not s.credits or not covered:
            return s.score
        here = covered.get(s.section.id, [0.0] * len(words))
        elsewhere = [max(v) for v in zip(*covered.values(), strict=True)]
        lost = 0.0
        for i, (w, c) in enumerate(zip(words, s.credits, strict=True)):
            held_here = min(c, here[i])
            held_elsewhere = min(c, elsewhere[i]) - held_here
            lost += w.weight * (held_here * (1 - COVERED_WEIGHT) + held_elsewhere * (1 - COVERED_ELSEWHERE_WEIGHT))
        return s.score - lost / total

    best = scored[0].score if scored else 0.0
    pool = [s for s in pool if s.score >= floor * best]  # relevant enough on its own
    while pool and len(chosen) < limit:
        s = max(pool, key=gain)  # … and then what it adds decides the order
        pool.remove(s)
        if any(s.text == c.text or s.text in c.following for c in chosen):
            continue
        if len({c.section.id for c in chosen} | {s.section.id}) > 3:
            continue
        chosen.append(s)
        if s.credits:
            here = covered.get(s.section.id, [0.0] * len(words))
            covered[s.section.id] = [max(a, b) for a, b in zip(here, s.credits, strict=True)]
    return chosen


# ---------------------------------------------------------------- evidence
#: A word the archive never mentions is evidence of absence only when it is specific:
#: wordfreq Zipf below 3.5 (under ~3 per million words: "härbärge" 2.8, "biföll" 2.1,
#: "skolskjutsar" unlisted) — not an ordinary word the question merely phrases with
#: ("halvåret" 3.7, "anmälde" 3.9, "hittade" 5.1), which the documents may say otherwise.
SPECIFIC_ZIPF = 3.5
#: Share of the question's content (IDF-weighted) that may be absent from the best sections.
MAX_MISSING_SHARE = 0.75


def _content_words(r: Retrieval, lexical) -> list[str]:
    """The question's own words that say what it is about (spelling restored)."""
    restored = lexical.restore(r.parsed.search_text)
    scope = fold(" ".join(filter(None, [r.filters.kommun, r.parsed.kommun, r.parsed.namnd])))
    out = []
    for w in re.findall(r"[^\W\d_][\w-]*", restored):
        stems = analyze(w, compounds=False)
        if not stems or all(t in _GENERIC_STEMS for t in stems) or fold(w) in scope:
            continue
        out.append(w)
    return out


def assess(r: Retrieval, sections: list[tuple[Section, Passage, int]], lexical) -> Evidence:
    """Does what retrieval found support an answer?

    Each content word of the question is looked for in the best five sections, as its
    stem or, for a compound, as all of its parts (hemsjukvårdsavgiften → hem, sjukvård,
    avgift). The documents are taken not to answer when a specific word occurs nowhere
    in the archive, when a year the question names is absent from the best sections,
    or when most of the question's IDF-weighted content is absent from them.
    Worked example: "Hur många platser har Strängnäs kommuns härbärge för hemlösa?" →
    härbärge (Zipf 2.4) and hemlösa (3.3) occur in no chunk of the archive → abstain.
    """
    if r.unknown_scope:
        return Evidence(False, r.unknown_scope, "kommun")
    if not sections:
        return Evidence(False, [], "inga träffar")
    if r.exact_sections:
        return Evidence(True, [])
    present: set[str] = set()
    for section, _, _ in sections[:5]:
        present |= set(analyze(section.text)) | set(
            analyze(" ".join(section.heading_path + [section.rubrik or ""]))
        )
    n_chunks = max(len(lexical), 1)
    unknown, absent, weights = [], [], {}
    for w in _content_words(r, lexical):
        full = [t for t in analyze(w, compounds=False) if t not in _GENERIC_STEMS and t not in _OFFICE_STEMS]
        parts = [t for t in analyze(w) if t not in full]
        df = min((lexical.document_frequency(t) for t in full), default=0)
        parts_df = min((lexical.document_frequency(t) for t in parts), default=0)
        # IDF in the archive (a word in every chunk weighs ~0, one in a single chunk of
        # 500 weighs ~6) times specificity in Swedish at large: everyday words the
        # question merely phrases with ("tog", Zipf 5.3 → 0.57) count for less.
        specificity = min(1.0, max(0.2, (7.0 - zipf(w)) / 3.0))
        weights[w] = math.log(1 + n_chunks / (1 + max(df, parts_df))) * specificity
        if df == 0 and parts_df == 0 and zipf(w) < SPECIFIC_ZIPF and len(w) >= 5:
            unknown.append(w)
        elif not (set(full) <= present or (parts and set(parts) <= present)):
            absent.append(w)
    if unknown:
        return Evidence(False, unknown, "termer")
    text = " ".join(s.text for s, _, _ in sections[:5])
    missing_years = [str(y) for y in r.parsed.years if str(y) not in text]
    if missing_years:
        return Evidence(False, missing_years, "år")
    total = sum(weights.values())
    if total and sum(weights[w] for w in absent) / total > MAX_MISSING_SHARE:
        return Evidence(False, absent, "termer")
    gap = answer_type_gap(r, sections)
    if gap is not None:
        return gap
    return Evidence(True, absent)


# ---------------------------------------------------------------- composing
class _Composer:
    """Collects cited claims; numbers citations in order of first use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.citations: list[Citation] = []
        self._index: dict[str, int] = {}

    def cite(self, passage: Passage, section: Section, quote: str) -> int:
        key = section.id
        if key not in self._index:
            c = Citation(**passage.model_dump(), n=len(self.citations) + 1)
            c.text = quote
            c.section_id = section.id
            c.paragraf = section.paragraf or passage.paragraf
            c.diarienummer = section.diarienummer or passage.diarienummer
            c.rubrik = section.rubrik or passage.rubrik
            self.citations.append(c)
            self._index[key] = c.n
        else:
            c = self.citations[self._index[key] - 1]
            if quote not in c.text:
                c.text = f"{c.text} … {quote}"
        return self._index[key]

    def text(self) -> str:
        body = "\n".join(self.lines).strip()
        sources = "\n".join(_source_line(c.n, c) for c in self.citations)
        return f"{body}\n\nKällor:\n{sources}" if sources else body


def _lower_first(s: str) -> str:
    """'Höjning av avgift' → 'höjning av avgift'; 'IVO:s tillsyn' stays."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


#: A decision that only points at the proposal: "Enligt förslag.", "Förslaget godkändes."
_AS_PROPOSED = re.compile(
    r"^(\w+\s+){0,3}(enligt\s+(förslag(et)?|beredningens förslag|ordförandens förslag)|förslaget\s+godkän\w*|godkändes)\.?$",
    re.I,
)


def _decision_part(section: Section, namnd: str | None = None) -> tuple[str, str] | None:
    """The section's decision ("beslut"), else its proposal ("forslag"). A § that quotes
    an earlier organ's decision under "Tidigare behandling" ("Stadsstyrelsens beslut")
    before its own ("Välfärdsnämndens beslut") is answered by the one of ``namnd``."""
    # "Välfärdsnämnden" ~ "Välfärdsnämndens beslut", also when the PDF garbled it ("Välfärdsnärndens")
    own = fold(namnd or "")[:6]
    for kind in ("beslut", "forslag"):
        parts = [p for p in section.parts if p.kind == kind and p.text.strip()]
        if not parts:
            continue
        mine = [p for p in parts if own and fold(p.label or "").startswith(own)]
        chosen = (mine or parts)[0]
        text = " ".join(_RULE.split(chosen.text)[0].split())  # "______" closes a § in Finnish protocols
        if kind == "beslut" and _AS_PROPOSED.match(text):
            # "Välfärdsnämndens beslut: Enligt förslag." says nothing without the proposal before it
            before = section.parts[: section.parts.index(chosen)]
            proposal = next((p.text.strip() for p in reversed(before) if p.kind == "forslag" and p.text.strip()), "")
            if proposal:
                return kind, f"{text.rstrip('.')}: {proposal}"
        return kind, text
    return None


_RULE = re.compile(r"_{4,}")


def _trim(text: str, words: int = 90) -> str:
    ws = text.split()
    if len(ws) <= words:
        return " ".join(ws)
    cut = " ".join(ws[:words])
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return cut[: end + 1] if end > len(cut) // 2 else cut + " …"


def _who(section: Section, passage: Passage) -> str:
    organ = passage.namnd or "Nämnden"
    where = f" i {passage.kommun}" if passage.kommun else ""
    return f"{organ}{where}"


_MONTH_NAMES = list(MONTHS)
#: "okt" → "oktober", "sept" → "september" (not "mar", "maj" or "jun", which are words or whole)
_MONTH_ABBR = {m[:n]: m for m in _MONTH_NAMES for n in (3, 4) if len(m) > n and m[:n] not in ("mar", "jul")}


def swedish_date(d) -> str:
    """2024-02-21 → '21 februari 2024'."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def _when(section: Section, passage: Passage) -> str:
    d = section.datum or passage.datum
    return f" den {swedish_date(d)}" if d else ""


def _ref(section: Section, passage: Passage) -> str:
    bits = [
        section.paragraf,
        f"dnr {section.diarienummer or passage.diarienummer}"
        if (section.diarienummer or passage.diarienummer)
        else None,
    ]
    shown = [b for b in bits if b]
    return f" ({', '.join(shown)})" if shown else ""


def _compose_decision(comp: _Composer, r: Retrieval, sections, q_terms) -> bool:
    candidates = [(s, p, rank) for s, p, rank in sections[:4] if _decision_part(s, p.namnd)]
    if r.exact_sections:
        exact_ids = {s.id for s in r.exact_sections}
        candidates = [c for c in candidates if c[0].id in exact_ids] or candidates
    if not candidates:
        return False

    # The case's title says what it decides: "bokslutet för 2023" is § 16 "Bokslut 2023",
    # not a § that merely has a beslut and ranks one place higher.
    def fit(c: tuple[Section, Passage, int]) -> float:
        title = _terms(" ".join([*c[0].heading_path, c[0].rubrik or ""]))
        return _overlap(q_terms, title) + 0.3 / (1 + c[2])

    section, passage, rank = max(candidates, key=fit)
    kind, text = _decision_part(section, passage.namnd)  # type: ignore[misc]
    quote = _trim(text)
    n = comp.cite(passage, section, quote)
    who, when, ref = _who(section, passage), _when(section, passage), _ref(section, passage)
    topic = f" om {_lower_first(section.rubrik)}" if section.rubrik else ""
    if kind == "beslut":
        comp.lines.append(f"{who} beslutade{when}{topic}{ref}: ”{quote}” [{n}]")
    else:
        comp.lines.append(
            f"I tjänsteskrivelsen{topic}{ref} föreslås {who.lower() if who.startswith('Nämnden') else who} besluta: ”{quote}” [{n}]"
        )
    # The ärende's sentences that best add to the decision (amounts, reasons). Terms the
    # case title already holds ("bokslut", "2023" in "Bokslut 2023") no longer tell its
    # sentences apart, so they are dropped and the opening of the ärende wins ties.
    # (not "skickas till": when a protocol attaches a report, that part runs on into it)
    skip = " ".join(p.text for p in section.parts if p.kind in ("yrkande", "beslut", "forslag"))
    title = _terms(" ".join([*section.heading_path, section.rubrik or ""]))
    rest = [w for w in q_terms if not w.credit(title)]
    facts = [
        s
        for s in _score_sentences(r, [(section, passage, 0)], rest)
        if s.text not in skip and not _HEADING_LINE.match(s.text) and len(s.text.split()) >= 8
    ][:3]
    if facts:
        comp.lines.append(
            "Ur ärendet: " + " ".join(f.text for f in sorted(facts, key=lambda f: f.order)) + f" [{n}]"
        )
    return True


def _compose_lookup(comp: _Composer, r: Retrieval, sections, q_terms) -> bool:
    exact = r.exact_sections[:4]
    if not exact:
        return _compose_mention(comp, r, sections)
    by_id = {s.id: (s, p) for s, p, _ in sections}
    if len(exact) > 1:
        comp.lines.append(AMBIGUOUS_INTRO.format(what="sammanträden eller dokument"))
    for section in exact:
        passage = by_id.get(section.id, (section, None))[1] or _passage_for(r, section)
        if passage is None:
            continue
        summary = _trim(_body_text(section), 60)
        n = comp.cite(passage, section, summary)
        title = section.rubrik or "Ärendet"
        comp.lines.append(
            f"{'- ' if len(exact) > 1 else ''}{title}{_ref(section, passage)}, {_who(section, passage)}{_when(section, passage)}: {summary} [{n}]"
        )
        dec = _decision_part(section, passage.namnd)
        if dec:
            verb = "Beslut" if dec[0] == "beslut" else "Förslag till beslut"
            comp.lines.append(f"{'  ' if len(exact) > 1 else ''}{verb}: ”{_trim(dec[1], 60)}” [{n}]")
    # One case looked up with a question about it ("… och vilken period gäller den?"):
    # its sentences that answer the rest of the question.
    if len(exact) == 1 and comp.citations:
        section = exact[0]
        passage = by_id.get(section.id, (section, None))[1] or _passage_for(r, section)
        shown = " ".join(comp.lines)
        # what the question asks about the case, not the words naming it ("redovisningen av
        # delegationsbeslut" is the case's title; "vilken period" is the question)
        titled = _terms(" ".join([*section.heading_path, section.rubrik or ""]))
        words = [w for w in q_terms if not any(ch.isdigit() for ch in w.stem) and w.credit(titled) < 1]
        extra = [
            s
            for s in _choose_facts(r, [(section, passage, 0)], words, max_sentences=3, successors=False, shown=shown)
            if not _HEADING_LINE.match(s.text)
        ]
        if extra and words and passage is not None:
            n = comp.cite(passage, section, extra[0].text)
            comp.lines.append("Ur ärendet: " + " ".join(s.text for s in extra) + f" [{n}]")
    return bool(comp.citations)


def _compose_mention(comp: _Composer, r: Retrieval, sections) -> bool:
    """A diarienummer with no section of its own, mentioned in a kallelse's agenda or a
    list: the line that names it, under the heading it stands under ("Sekretessärenden")."""
    if not r.parsed.dnr:
        return False
    wanted = set(r.parsed.dnr_norm)
    for section, passage, _ in sections[:3]:
        heading = ""
        for line in section.text.splitlines():
            cells = [c.strip() for c in line.split("|") if c.strip().strip("-")]
            if len(cells) <= 1 and line.strip() and not line.lstrip().startswith(("|", "-")):
                heading = line.strip()
            if not any(m.norm in wanted for m in find_diarienummer(line)):
                continue
            row = " · ".join(cells)
            n = comp.cite(passage, section, row)
            where = f" under rubriken ”{heading}”" if heading and heading != row else ""
            comp.lines.append(f"{r.parsed.dnr[0]} finns i {_source_phrase(section, passage)}{where}: {row} [{n}]")
            return True
    return False


def _body_text(section: Section) -> str:
    """The section's running text without its dnr/§ heading lines and its title."""
    arende = next((p.text for p in section.parts if p.kind == "arende"), "")
    # an ärende part of a word or two ("Socialnämnden") is a mis-cut: take the whole text
    src = arende if len(arende.split()) >= 12 else section.text
    skip = {(section.rubrik or "").strip().lower(), "sammanfattning", "ärendet", "ärendebeskrivning"}
    lines = [
        ln
        for ln in src.splitlines()
        if ln.strip() and not _HEADING_LINE.match(ln) and ln.strip().lower() not in skip
    ]
    return " ".join(lines) or src


def _passage_for(r: Retrieval, section: Section) -> Passage | None:
    from assistent.retrieve import to_passage

    chunks = [c for c in r.chunks.values() if c.section_id == section.id]
    if not chunks:
        return None
    best = min(chunks, key=lambda c: c.index)
    return to_passage(best, best.text, 0.0)


_ANAPHOR = re.compile(r"^(detta|dessa|denna|det|den|där|därför|därtill|dessutom|även|också|samtidigt|sammantaget)\b", re.I)


def _continues(sentence: str, previous: str) -> bool:
    """Does ``sentence`` lean on ``previous``: it opens with "Detta", "Dessutom" …, or with
    a definite noun the previous sentence introduced ("… höjde avgiften." → "Höjningen …")."""
    if _ANAPHOR.match(sentence):
        return True
    first = fold(sentence.split(maxsplit=1)[0]) if sentence.split() else ""
    if len(first) < 6 or not first.endswith(("en", "et", "na")):
        return False
    # a nominalised verb refers back to the verb: "höjningen" → "höj" (höjde, höjs)
    root = re.sub(r"(ningen|ningar|ningarna|elsen|elserna)$", "", first)
    head = root if root != first and len(root) >= 3 else first[:4]
    return any(fold(w).startswith(head) for w in re.findall(r"\w+", previous))


def _choose_facts(
    r: Retrieval,
    sections,
    q_terms,
    max_sentences: int,
    successors: bool = True,
    question: str | None = None,
    shown: str = "",
) -> list[_Sentence]:
    """The sentences that answer a fact question, in reading order (empty when none fits).
    ``successors``: also take the line after each of the best sentences (its figure or
    reason); a line that holds the figure, date or person asked for is taken regardless.
    ``shown``: text already in the answer; its sentences are not chosen again."""
    scored = _score_sentences(r, sections, q_terms, question)
    if shown:
        scored = [s for s in scored if s.text not in shown]
    if not scored or scored[0].score <= 0.05:
        return []
    chosen = _pick(scored, q_terms, max_sentences, floor=0.5)
    # The best sentences' successors usually carry their figure or reason ("… jämförbara
    # med regionen." → "Jämförelse med besöksavgift inom region Jämtland Härjedalen …").
    # A question after a figure or a date that the best sentence lacks looks two lines on
    # ("Två föräldrakvällar har genomförts." → "Genomförd 15/3 2023. 120 deltagare.").
    question = fold(question or r.effective_question)
    wanted = [
        has
        for want, has in (
            (_WANTS_NUMBER, _has_figure),
            (_WANTS_DATE, _HAS_DATE.search),
            (_WANTS_PERSON, _HAS_PERSON.search),
        )
        if want.search(question)
    ]
    for top in list(chosen[:3]):
        units = _units(top.section)
        # "Höjningen görs utifrån att …" reads on from the sentence that names the höjning
        if top.order > 0 and _continues(top.text, units[top.order - 1].text):
            prev = units[top.order - 1].text
            if all(prev != c.text and prev not in c.following for c in chosen):
                chosen.append(_Sentence(prev, top.section, top.passage, top.rank, top.order - 1, top.score))
        ahead = [(i, units[i].text) for i in range(top.order + 1, min(top.order + 5, len(units)))]
        lacking = [has for has in wanted if not has(top.text)]
        # a label ("Förslag till justerare", "Tid och plats för justering") is answered by its next line
        label = len(top.text.split()) <= 6 and not top.text.rstrip().endswith((".", "!", "?"))
        take = [
            (i, t) for i, t in ahead[:1] if (len(t.split()) >= 4 and successors or label) and not top.following
        ]
        # a short successor ("Även sommarvikarierna har påverkat augustis resultat.") is
        # half a thought: the line after it usually finishes it ("Prognos för helår …")
        if take and successors and not label and len(take[0][1].split()) < 8 and len(ahead) > 1:
            take.append(ahead[1])
        if lacking:
            found = [(i, t) for i, t in ahead if any(has(t) for has in lacking)][:1]
            # a bare figure ("120 deltagare.") is read with the line after it
            if found and len(found[0][1].split()) < 5 and found[0][0] + 1 < len(units):
                found.append((found[0][0] + 1, units[found[0][0] + 1].text))
            take += found
        for i, nxt in take:
            if all(nxt != c.text and nxt not in c.following for c in chosen):
                chosen.append(_Sentence(nxt, top.section, top.passage, top.rank, i, top.score))
    if ASKS_SUPPLIER.search(question) and not any(NAMES_COMPANY.search(c.text) for c in chosen):
        # "Vilket företag driver …?": the sentence naming the company, wherever it ranks
        named = next((x for x in scored if NAMES_COMPANY.search(x.text)), None)
        if named is not None and named.score >= 0.5 * scored[0].score:
            chosen.append(named)
    # read in document order within each section, sections in rank order
    chosen.sort(key=lambda s: (s.rank, s.order))
    return chosen


def _compose_facts(comp: _Composer, r: Retrieval, sections, q_terms, max_sentences: int) -> bool:
    chosen = _choose_facts(r, sections, q_terms, max_sentences)
    if not chosen:
        return False
    comp.lines.append(f"Enligt {_source_phrase(chosen[0].section, chosen[0].passage)}:")
    for s in chosen:
        comp.lines.append(s.claim(comp.cite(s.passage, s.section, s.text)))
    return True


def _document_phrase(p: Passage) -> str:
    """'tjänsteskrivelsen från Socialnämnden i Solna stad'."""
    kind = {
        "protokoll": "protokollet",
        "kallelse": "kallelsen",
        "tjansteskrivelse": "tjänsteskrivelsen",
        "plan": "planen",
        "riktlinje": "riktlinjen",
        "rapport": "rapporten",
    }.get(p.dokumenttyp or "", "dokumentet")
    return f"{kind} från {p.namnd or 'nämnden'}" + (f" i {p.kommun}" if p.kommun else "")


def _source_phrase(section: Section, p: Passage) -> str:
    """The document, the section's title and its § and dnr."""
    title = f" ”{section.rubrik}”" if section.rubrik else ""
    return _document_phrase(p) + title + _ref(section, p)


def _title_fit(section: Section, q_terms: list[_QWord]) -> float:
    """Share of the question's (weighted) terms found in a section's headings."""
    title = _terms(" ".join([*section.heading_path, section.rubrik or ""]))
    return _overlap(q_terms, title)


def _compose_heading_block(comp: _Composer, sections, q_terms) -> bool:
    """A list question whose answer is a whole heading block: "Vilka fokusområden … 2024?"
    → the items under "Fokusområden 2024". Taken when the heading holds at least half the
    question's weighted terms and the block is short enough to show whole."""
    best = max(sections[:4], key=lambda c: (_title_fit(c[0], q_terms), -c[2]), default=None)
    if best is None or _title_fit(best[0], q_terms) < 0.5:
        return False
    section, passage, _ = best
    units = _units(section)
    if not units or len(units) > 14:
        return False
    n = comp.cite(passage, section, " ".join(u.text for u in units[:3]))
    comp.lines.append(f"Under rubriken ”{section.rubrik}”{_ref(section, passage)}, {_who(section, passage)}:")
    comp.lines.extend(f"- {u.text}" for u in units[:12])
    comp.lines[-1] += f" [{n}]"
    return True


_WHICH_NOUN = re.compile(r"\bvilka\s+(\w+)")


def _compose_enumeration(comp: _Composer, r: Retrieval, sections) -> bool:
    """"Vilka enheter finns?" answered by the short heading lines that name one each:
    "Stabsenheten", "Ekonomi- och arbetsmarknadsenheten", "Vuxenheten" (a compound ends in
    what it is). Taken when one section holds at least three of them."""
    m = _WHICH_NOUN.search(fold(r.effective_question))
    noun = analyze(m.group(1), compounds=False) if m else []
    if not noun or len(noun[0]) < 3:
        return False
    head = noun[0]
    for section, passage, _ in sections[:4]:
        names: dict[str, str] = {}  # name → the first line under it, which says what it is
        lines = [section.rubrik or "", *(x.strip() for x in section.text.splitlines() if x.strip())]
        for i, line in enumerate(lines):
            if not line or line[0] in _BULLETS or len(line.split()) > 5 or line[-1] in ".:;!?,":
                continue
            last = fold(line.split()[-1])  # not its stem: Snowball cuts "stabsenheten" to "stabsen"
            if re.search(rf"{head}(|en|er|erna|et|ar|arna|na|n|e)$", last) and line not in names:
                after = next((x for x in lines[i + 1 : i + 3] if x != line), "")
                names[line] = _trim(after.lstrip(_BULLETS + " "), 12) if after[:1] in _BULLETS else ""
        if len(names) >= 3:
            n = comp.cite(passage, section, ", ".join(names))
            comp.lines.append(f"Enligt {_source_phrase(section, passage)}:")
            comp.lines.extend(f"- {name}" + (f": {what}" if what else "") for name, what in list(names.items())[:12])
            comp.lines[-1] += f" [{n}]"
            return True
    return False


def _compose_policy(comp: _Composer, r: Retrieval, sections, q_terms) -> bool:
    scored = _score_sentences(r, sections[:4], q_terms)
    # a sentence that announces the very list asked for beats a heading block
    floor = max(0.6, 0.7 * scored[0].score) if scored else 1.0
    listed = [s for s in scored[:10] if len(s.following) >= 2 and s.score >= floor]
    if listed:
        # two different lists can both be meant ("stadens övergripande mål", "nämndmålen")
        shown: list[_Sentence] = []
        for s in listed:
            if len(shown) < 2 and all(set(s.following).isdisjoint(x.following) for x in shown):
                shown.append(s)
        for s in shown:
            comp.lines.append(f"Enligt {_source_phrase(s.section, s.passage)}:")
            comp.lines.append(s.claim(comp.cite(s.passage, s.section, s.text)))
        return True
    if _compose_heading_block(comp, sections, q_terms) or _compose_enumeration(comp, r, sections):
        return True
    if not scored:
        return False
    by_section: dict[str, list[_Sentence]] = {}
    for s in scored:
        if s.score < 0.5 * scored[0].score:
            break
        by_section.setdefault(s.section.id, []).append(s)
    groups = sorted(by_section.values(), key=lambda group: group[0].rank)[:3]
    if not groups:
        return False
    # each group is headed by its own section; the summary line names the document only
    comp.lines.append(f"Sammanfattning ur {_document_phrase(groups[0][0].passage)}:")
    for items in groups:
        items = sorted(items[:4], key=lambda s: s.order)
        first = items[0]
        comp.lines.append(f"{(first.section.rubrik or 'Ur dokumentet')}{_ref(first.section, first.passage)}:")
        for s in items:
            n = comp.cite(s.passage, s.section, s.text)
            comp.lines.append(s.claim(n, bullet="- "))
    return True


#: Kommuner answered separately for a question that names none.
MAX_KOMMUNER = 4
#: A kommun's best sentence must score this share of the best kommun's to be answered.
KOMMUN_SCORE_SHARE = 0.55


def _compose_ambiguous(assistant: Assistant, comp: _Composer, r: Retrieval, q_terms) -> bool:
    """No kommun named, several in the store and in the hits: answer per kommun.

    Each kommun in the top hits gets its own retrieval (the question filtered to that
    kommun), its own evidence check and its own sentences, so one kommun's long report
    cannot crowd the others out of the answer.
    """
    if r.filters.kommun or r.parsed.kommun or r.exact_sections:
        return False
    kommuner = list(dict.fromkeys(p.kommun for p in r.passages[:10] if p.kommun))[:MAX_KOMMUNER]
    if len(kommuner) < 2:
        return False
    lexical = assistant.store.lexical()
    answers: list[tuple[str, list[_Sentence]]] = []
    for kommun in kommuner:
        own = retrieve(
            assistant,
            r.effective_question,
            filters=r.filters.model_copy(update={"kommun": kommun}),
            k=6,
        )
        sections = _sections_for(assistant, own)
        # The whole question's words are too strict a test per kommun (one says "uppnåtts"
        # where the question says "uppfyllda"); a missing kommun or year still rules it out.
        if not sections or assess(own, sections, lexical).reason in ("kommun", "år", "inga träffar"):
            continue
        chosen = _choose_facts(own, sections[:4], q_terms, max_sentences=2, successors=False)
        if chosen:
            answers.append((kommun, chosen))
    if len(answers) < 2:
        return False
    best = max(max(s.score for s in chosen) for _, chosen in answers)
    answers = [(k, c) for k, c in answers if max(s.score for s in c) >= KOMMUN_SCORE_SHARE * best]
    if len(answers) < 2:
        return False
    comp.lines.append(AMBIGUOUS_INTRO.format(what="kommuner") + " (ange kommun för ett enda svar)")
    for kommun, chosen in answers:
        parts = [
            f"{s.text}{' ' + '; '.join(s.following) if s.following else ''} [{comp.cite(s.passage, s.section, s.text)}]"
            for s in chosen
        ]
        comp.lines.append(f"- {kommun}: " + " ".join(parts))
    return True


def _sections_for(assistant: Assistant, r: Retrieval) -> list[tuple[Section, Passage, int]]:
    out = []
    for rank, p in enumerate(r.passages[:6]):
        s = assistant.store.get_section(p.section_id) if p.section_id else None
        if s is not None:
            out.append((s, p, rank))
    return out


def _max_sentences(question: str) -> int:
    """Three sentences for a question, one more per further question it packs in
    ("Hur många … och vem anmälde oftast?" asks two things)."""
    asks = len(re.findall(r"\b(vad|vilk\w*|hur|nar|var|vart|varifran|varfor|vem|vems)\b", fold(question)))
    return min(6, 3 + max(0, asks - 1))


#: Where a question that asks two things turns to the second: "…, och när följs de upp?",
#: "… – vad är utgångsläget …?", "… och vem anmälde oftast?".
_CLAUSE_BREAK = re.compile(
    r"(?:,\s*(?:och\s+)?|\s+och\s+|\s+[–—-]\s+|\?\s+)(?=(?:vad|vilk\w*|hur|när|nar|var|vart|varifrån|varifran|varför|varfor|vem|vems|är|ar)\b)",
    re.I,
)
#: Context words of the rest of the question count this much in a clause's own search.
CONTEXT_WEIGHT = 0.3
#: A later ask is answered per item of the first answer when each item's best sentence
#: scores at least this share of the best sentence overall.
PER_ITEM_SHARE = 0.8


def _clauses(question: str) -> list[str]:
    """The question's separate asks, in order (one item for a simple question)."""
    return [c.strip(" ?,–-") for c in _CLAUSE_BREAK.split(question) if c and c.strip(" ?,–-")]


def _complement(comp: _Composer, r: Retrieval, sections, lexical, q_terms: list[_QWord]) -> None:
    """Answer the later asks of a question that packs in several ("Vilka insatser ingår …
    och när följs de upp?"): each with its own words and answer type, the rest of the
    question as context, from the same sections; sentences the answer already has are skipped."""
    clauses = _clauses(r.effective_question)
    if len(clauses) < 2 or not sections:
        return
    shown = "\n".join(comp.lines)
    by_id = {s.id: (s, p, rank) for s, p, rank in sections}
    answered = [by_id[c.section_id] for c in comp.citations if c.section_id in by_id][:3]
    for clause in clauses[1:]:
        own = _question_words(r, lexical, clause)
        mine = {w.stem for w in own}
        # "… och när?" has no words of its own: the rest of the question is its topic
        share = CONTEXT_WEIGHT if own else 1.0
        context = [
            _QWord(w.stem, w.parts, w.weight * share, w.synonyms)
            for w in q_terms
            if w.stem not in mine
        ]
        words = own + context
        chosen = _choose_facts(r, sections[:4], words, 2, successors=False, question=clause, shown=shown)
        if len(answered) >= 2 and chosen:
            # the first ask found several items (two IVO-ärenden, one § each): the later
            # ask is answered for each of them ("… och när skulle svaren vara inne?")
            # ("… och när skulle svaren vara inne?"); an item whose answer is shown already is done
            best = max(s.score for s in chosen)
            each = [_choose_facts(r, [one], words, 1, successors=False, question=clause) for one in answered]
            relevant = [c for c in each if c and max(s.score for s in c) >= PER_ITEM_SHARE * best]
            if len(relevant) >= 2:
                chosen = [s for c in relevant for s in c if s.text not in shown]
        for s in chosen:
            if s.text in shown or _HEADING_LINE.match(s.text):
                continue
            comp.lines.append(s.claim(comp.cite(s.passage, s.section, s.text)))
            shown += "\n" + s.text


def extractive_answer(assistant: Assistant, r: Retrieval) -> Answer:
    """The default answerer: no LLM, every sentence quoted from a cited section."""
    sections = _sections_for(assistant, r)
    evidence = assess(r, sections, assistant.store.lexical())
    if not evidence.supported:
        return abstention(assistant, r, evidence)
    q_terms = _question_words(r, assistant.store.lexical())
    comp = _Composer()
    intent = r.parsed.intent
    done = False
    if intent == "lookup" or (r.exact_sections and intent != "decision"):
        done = _compose_lookup(comp, r, sections, q_terms)
    if not done and intent == "decision":
        done = _compose_decision(comp, r, sections, q_terms)
    if not done:
        done = _compose_ambiguous(assistant, comp, r, q_terms)
    if not done and intent == "policy":
        done = _compose_policy(comp, r, sections, q_terms)
    if not done and intent == "fact":
        done = _compose_enumeration(comp, r, sections)
    if not done:
        done = _compose_facts(comp, r, sections, q_terms, max_sentences=_max_sentences(r.effective_question))
    if not done:
        return abstention(assistant, r, Evidence(False, [], "inga meningar"))
    _complement(comp, r, sections, assistant.store.lexical(), q_terms)
    return Answer(
        question=r.question,
        answer=comp.text(),
        citations=comp.citations,
        passages=r.passages,
        mode="extraktiv",
    )


def abstention(assistant: Assistant, r: Retrieval, evidence: Evidence) -> Answer:
    """Say plainly that the documents do not answer; name the scope; list near misses."""
    lines = [CANNOT_ANSWER]
    if evidence.reason == "kommun":
        lines.append(f"Arkivet innehåller inga dokument från {', '.join(evidence.missing)}.")
    lines.append(SEARCHED_IN.format(scope=r.scope_text(assistant.store.facets())))
    if evidence.reason in ("termer", "år", "svarstyp") and evidence.missing:
        lines.append("Inget av de närmaste avsnitten nämner: " + ", ".join(evidence.missing[:5]) + ".")
    if r.passages:
        lines.append("")
        lines.append(MAYBE_RELEVANT)
        for p in r.passages[:3]:
            lines.append(f"- {citation_label(p)}{' · ' + p.rubrik if p.rubrik else ''}")
    return Answer(question=r.question, answer="\n".join(lines), abstained=True, passages=r.passages)


# ---------------------------------------------------------------- entry point
def _check_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise QuestionError("Frågan är tom.")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"Frågan är för lång ({len(q)} tecken; högst {MAX_QUESTION_CHARS}).")
    return q


def _pieces(text: str) -> Iterator[str]:
    """Stream an extractive answer line by line (it exists whole; this keeps one code path)."""
    yield from text.splitlines(keepends=True)


#: Words of source text given to an LLM: ~1,800 words is ~3,000 tokens of Swedish, which
#: leaves room for the prompt and the answer in a 4,096-token context (six full passages
#: measured 4,400 tokens with Qwen's tokenizer and overflowed it).
LLM_SOURCE_WORDS = 1800


def _llm_sources(passages: list[Passage]) -> list[Passage]:
    """The best passages that fit the LLM's word budget (at least one)."""
    out: list[Passage] = []
    used = 0
    for p in passages[:6]:
        n = len(p.text.split())
        if out and used + n > LLM_SOURCE_WORDS:
            break
        out.append(p)
        used += n
    return out


def answer_stream(
    assistant: Assistant, question: str, filters: Filters | None = None, history: list[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """Yield ("delta", text) as the answer is produced, then ("answer", Answer)."""
    q = _check_question(question)
    r = retrieve(assistant, q, filters=filters, k=assistant.settings.retrieval.k, history=history)
    extractive = extractive_answer(assistant, r)
    if extractive.abstained or not assistant.settings.llm.enabled:
        for piece in _pieces(extractive.answer):
            yield "delta", piece
        yield "answer", extractive
        return
    from assistent.llm import generate_stream, source_text
    from assistent.verify import cited_numbers, repair, verify_answer

    sources = _llm_sources(r.passages)
    produced: list[str] = []
    try:
        for token in generate_stream(assistant.settings.llm, q, sources, history or []):
            produced.append(token)
            yield "delta", token
    except ModelError as exc:
        final = extractive.model_copy(
            update={"notes": [*extractive.notes, f"{exc} Svaret kommer direkt ur dokumenten."]}
        )
        yield "replace", final.answer
        yield "answer", final
        return
    text = "".join(produced).strip()
    # verified against exactly what the model saw: label line (dates, §, dnr) + text
    seen = [source_text(p) for p in sources]
    check = verify_answer(text, seen)
    notes: list[str] = []
    if not check.ok:
        fixed = repair(text, check)
        if fixed and verify_answer(fixed, seen).ok:
            text = fixed
            notes.append(f"Delar av det genererade svaret togs bort vid verifieringen ({check.reason}).")
            yield "replace", text
        else:
            notes.append(VERIFY_FAILED.format(reason=check.reason))
            final = extractive.model_copy(update={"notes": [*extractive.notes, *notes]})
            yield "replace", final.answer
            yield "answer", final
            return
    if text.startswith(CANNOT_ANSWER):
        final = abstention(assistant, r, Evidence(False, [], "llm"))
        yield "replace", final.answer
        yield "answer", final
        return
    cited = sorted({n for n in cited_numbers(text) if 1 <= n <= len(sources)})
    citations = [Citation(**sources[n - 1].model_dump(), n=n) for n in cited]
    yield (
        "answer",
        Answer(
            question=q, answer=text, citations=citations, passages=r.passages, mode="generativ", notes=notes
        ),
    )
