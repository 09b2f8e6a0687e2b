"""Does the evidence hold the *kind* of answer the question asks for?

`answer.assess` decides whether the question's words occur in what retrieval found.
This module adds checks on the answer's type: a question that asks for an amount,
a count or another organ's decision is not answered by passages that only name the
topic ("Antal hushåll som får ekonomiskt bistånd" is a measure, not a figure).

Three checks, each tried only when the question asks for that kind of answer:

- amount ("Vad kostar …?", "Hur hög är avgiften …?", "Hur mycket fick … i statsbidrag?"):
  a line of the best sections must hold a sum of money (kr, tkr, mkr, "kostnadsfritt")
  and share a topic word with the question (or sit under a heading or table caption that
  does) — a budget deficit in kronor does not tell what a place in särskilt boende costs;
- count ("Hur många hushåll …?"): a line must hold a quantity — a figure or a written
  number that is no year, date, §, dnr, duration ("12 månadersperioden") or item number —
  next to the counted noun or to two of the question's other topic words, or a table
  whose caption names the counted noun must hold figures;
- organ ("Har kommunfullmäktige fastställt …?", "Vad har barn- och utbildningsnämnden
  beslutat …?"): when the organ asked about is not the one whose documents were found, a
  sentence must report that organ's decision on the topic as done ("Kommunfullmäktige
  fastställde den 11 november 2020 …", "… fastställdes av kommunfullmäktige"). A proposal
  to it ("Socialnämnden föreslår kommunfullmäktige att fastställa …") is no such
  evidence. Questions about what an organ *will* decide ("Vad ska kommunfullmäktige
  besluta …?") are not checked: a förslag till beslut answers them.

Each check looks at lines (a table row, a paragraph) and the sentences in them, of the
six best sections, and costs about a millisecond; nothing is read from disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from assistent.textproc import MONTHS, analyze, fold, zipf

if TYPE_CHECKING:
    from assistent.records import Passage, Section
    from assistent.retrieve import Retrieval

#: The reason an answer-type gap gives; the abstention lists `missing` with it.
REASON = "svarstyp"


@dataclass
class Evidence:
    """Whether the found sections support an answer; if not, what is missing and why
    (reason: "kommun", "termer", "år", "inga träffar", "svarstyp", ... — the abstention
    text uses it)."""

    supported: bool
    missing: list[str]
    reason: str = ""


Sections = list[tuple["Section", "Passage", int]]


def answer_type_gap(r: Retrieval, sections: Sections) -> Evidence | None:
    """An `Evidence` that does not support an answer, or None when nothing is missing.

    Args:
        r: the retrieval (question, parsed question, filters).
        sections: (section, passage, rank) of the best sections, best first.
    """
    if not sections:
        return None
    question = r.effective_question or r.question
    folded = fold(question)
    for check in (_organ_gap, _amount_gap, _count_gap, _supplier_gap, _rate_gap):
        gap = check(r, folded, sections)
        if gap is not None:
            return gap
    return None


# ---------------------------------------------------------------- shared: text units and topic
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9”\"•–-])")
_ABBREV = re.compile(r"\b(kl|t\.ex|bl\.a|ca|nr|s\.k|m\.m|resp|jfr|d\.v\.s|fr\.o\.m|t\.o\.m|dvs|st|inkl|exkl|osv)\.", re.I)


_SENTENCE_CUE = re.compile(r"[.!?]\s")


class _Line:
    """One line of a section (a paragraph or a table row), its sentences (split when
    first asked for), and the caption of the table it belongs to (the lines just above
    the table and its header row)."""

    __slots__ = ("text", "caption", "_sentences")

    def __init__(self, text: str, caption: str = "") -> None:
        self.text = text
        self.caption = caption
        self._sentences: list[str] | None = None

    @property
    def sentences(self) -> list[str]:
        if self._sentences is None:
            if not _SENTENCE_CUE.search(self.text):
                self._sentences = [self.text]
            else:
                shielded = _ABBREV.sub(lambda m: m.group(0)[:-1] + "\u2024", self.text)
                parts = (p.replace("\u2024", ".").strip() for p in _SENT_SPLIT.split(shielded))
                self._sentences = [p for p in parts if p]
        return self._sentences

    @property
    def folded(self) -> str:
        return _fold_cached(self.text)


_RULE_LINE = re.compile(r"[-|\s:]+")


@lru_cache(maxsize=64)
def _lines_of(text: str) -> tuple[_Line, ...]:
    """The section's lines (paragraphs, list items, table rows); a paragraph
    hard-wrapped by the PDF ("… från 300 kronor per" / "månad till 400 kronor") is
    joined again; a table row carries its table's caption."""
    merged: list[str] = []
    for ln in (x.strip() for x in text.split("\n")):
        if not ln or _RULE_LINE.fullmatch(ln):
            continue
        prev = merged[-1] if merged else ""
        if prev and prev[-1] not in ".!?:;" and ln[0].islower() and "|" not in ln and "|" not in prev:
            merged[-1] = f"{prev} {ln}"
        else:
            merged.append(ln)
    out: list[_Line] = []
    caption = ""
    in_table = False
    for n, ln in enumerate(merged):
        is_row = "|" in ln
        if is_row and not in_table:
            caption = " ".join([*merged[max(0, n - 2) : n], ln])
        in_table = is_row
        out.append(_Line(ln, caption if is_row else ""))
    return tuple(out)


@lru_cache(maxsize=4096)
def _fold_cached(text: str) -> str:
    """textproc.fold, ~20× faster on long text (str.translate with a dict is slow)."""
    out = text.lower()
    for a, b in _FOLD_PAIRS:
        if a in out:
            out = out.replace(a, b)
    return out


_FOLD_PAIRS = (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e"), ("è", "e"), ("ü", "u"), ("æ", "a"), ("ø", "o"))


def _heading(section: Section) -> str:
    return " ".join([*section.heading_path, section.rubrik or ""])


def _in_section(topic: list[_Word], section: Section) -> list[_Word]:
    """Topic words the section's text or headings may hold: a quick, lenient test (the
    stem, or each compound part, as a substring of the folded text) that only rules
    sections out; a misspelt word is looked for by its stems."""
    folded = _fold_cached(section.text) + " " + _fold_cached(_heading(section))
    found = []
    for w in topic:
        if not w.known:
            if _shared([w], section.text, _heading(section)):
                found.append(w)
        elif w.stem in folded or (w.parts and all(p in folded for p in w.parts)):
            found.append(w)
    return found


@lru_cache(maxsize=1)
def _generic_stems() -> frozenset[str]:
    from assistent.answer import _GENERIC_STEMS  # lazy: answer imports this module

    return frozenset(_GENERIC_STEMS)


# Words that say what kind of answer is wanted (or its unit), not what it is about.
_TYPE_WORDS = """kosta kostar kostade kostnad kostnaden kostnader avgift avgiften avgifter taxa taxan pris priset
hyra hyran belopp beloppet summa summan pengar kronor krona kr tkr mkr mnkr sek budget budgeten anslag
anslaget betala betalar betalade hög högt höga stor stort stora mycket mkt mycke många manga antal antalet
hur per månad månaden månader mån år året vecka veckan dag dagen timme timmen person personer styck st
fick får
beslutat beslutade besluta beslutas beslutats beslut fastställt fastställde fastställa fastställts
fastställdes antagit antog anta antogs godkänt godkände godkänna biföll bifallit bifalla avslog avslagit
avslå har hade
första andra tredje fjärde halvåret halvår halvåret kvartal kvartalet tertial tertialet helår helåret
delår delåret""".split()  # the period asked about is a filter, not the topic


@lru_cache(maxsize=1)
def _type_stems() -> frozenset[str]:
    return frozenset(t for w in _TYPE_WORDS for t in analyze(w, compounds=False))


@dataclass(frozen=True)
class _Word:
    """One topic word of the question: its stem, its compound parts' stems, its weight."""

    text: str  # as typed
    stem: str
    parts: tuple[str, ...]
    weight: float
    known: bool  # in the word list (else perhaps misspelt: matched loosely)
    name: bool = False  # capitalised inside the question: a place, a unit, a programme


#: Organ abbreviations users type ("solna soc budget"): no topic.
_ORGAN_ABBREVIATIONS = frozenset({"soc", "ks", "kf", "au", "sn", "bun"})


def _topic(r: Retrieval, drop: Iterable[str] = ()) -> list[_Word]:
    """The question's topic words: generic, answer-type, kommun and organ words and
    numbers left out; weighted by rarity (1 for an everyday word, up to 4)."""
    scope = " ".join(filter(None, [r.filters.kommun, r.parsed.kommun, r.parsed.namnd, *drop]))
    scope_stems = set(analyze(scope)) | {fold(w) for w in re.findall(r"\w+", scope)}
    skip = _generic_stems() | _type_stems() | scope_stems | _ORGAN_ABBREVIATIONS
    out: dict[str, _Word] = {}
    for m in re.finditer(r"[^\W\d_]+", r.effective_question or r.question):
        typed, word = m.group(0), m.group(0).lower()
        terms = analyze(word)
        if not terms or terms[0] in skip or len(terms[0]) < 2 or terms[0] in out:
            continue
        parts = tuple(t for t in terms[1:] if t not in skip)
        weight = min(4.0, max(1.0, 1.0 + (6.0 - zipf(word))))
        name = m.start() > 0 and typed[0].isupper() and word not in MONTHS
        out[terms[0]] = _Word(typed, terms[0], parts, weight, zipf(word) > 0, name)
    return list(out.values())


def _near(a: str, b: str) -> bool:
    """A typed word close to a written one: 'invensteringsbudget'/'investeringsbudget'."""
    if abs(len(a) - len(b)) > 2 or min(len(a), len(b)) < 7:
        return False
    pre = len(_common_prefix(a, b))
    suf = len(_common_prefix(a[::-1], b[::-1]))
    return pre + suf >= min(len(a), len(b)) - 2


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    return frozenset(analyze(text))


def _names_in(topic: list[_Word], section: Section) -> bool:
    """All names the question gives ("Husby", "Thomasgården") occur in the section: a
    figure in a section about another place or unit does not answer."""
    names = [w for w in topic if w.name]
    return not names or len(_in_section(names, section)) == len(names)


def _shared(topic: list[_Word], *texts: str) -> list[_Word]:
    """Topic words found in ``texts``: as their stem, as all their compound parts, as the
    compound's head (a barnutredning is an utredning: "Antal avslutade utredningar"), or
    (a word the word list does not know, perhaps misspelt) as a close spelling."""
    stems = _stems(texts[0]) if len(texts) == 1 else frozenset().union(*map(_stems, texts))
    found = []
    for w in topic:
        if w.stem in stems or (w.parts and (all(p in stems for p in w.parts) or _head(w) in stems)):
            found.append(w)
        elif not w.known and any(_near(w.stem, s) for s in stems):
            found.append(w)
        elif any(_inflected(w.stem, s) for s in stems):
            found.append(w)
    return found


def _head(w: _Word) -> str | None:
    """The compound's last part when it ends the word ("barnutredningar" → utredning), else
    None ("hemsjukvårdsavgiften": the parts kept leave out the type word avgift)."""
    if not w.parts:
        return None
    text, head = fold(w.text.lower()), w.parts[-1]
    at = text.rfind(head)
    return head if at > 0 and at + len(head) >= len(text) - 4 else None


def _inflected(a: str, b: str) -> bool:
    """Two stems of one word that Snowball left apart: "verkställts"/"verkställda"
    (verkstallt/verkstalld): all but the last letter shared, five letters or more."""
    n = min(len(a), len(b))
    return n >= 6 and abs(len(a) - len(b)) <= 2 and len(_common_prefix(a, b)) >= n - 1


# ---------------------------------------------------------------- amounts
_NUM = r"\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_MONEY_UNIT = (
    r"(?:kr\b|kr/|kr\.|kronor|:-|sek\b|tkr|mnkr|mkr|msek|mdkr|miljon(?:er)?\s+kr(?:onor)?|"
    r"miljard(?:er)?(?:\s+kr(?:onor)?)?|tusen\s+kr(?:onor)?|"
    r"euro\b|eur\b|€|miljon(?:er)?\s+euro|tusen\s+euro)"  # Finland's Swedish-speaking kommuner
)
_MONEY = re.compile(rf"(?<![\w.,])({_NUM})\s*{_MONEY_UNIT}", re.I)
_FREE = re.compile(r"\b(kostnadsfri\w*|avgiftsfri\w*|gratis|utan (kostnad|avgift)|ingen avgift)\b", re.I)
# A table whose header or caption gives the unit: "mkr | Budget 2024 | Budget 2023".
_MONEY_HEADER = re.compile(r"(?<![\w])(tkr|mkr|mnkr|msek|kr|kronor|tusental kronor|miljoner kronor)(?![\w])", re.I)
_CELL_NUMBER = re.compile(r"(?:^|\|)\s*-?(?:\d{1,3}(?:[ \u00a0]\d{3})+|\d+)(?:,\d+)?\s*(?=\||$)")

_MONEY_NOUNS = r"(?:avgift|taxa|taxan|pris|priset|hyr[ao]\w*|kostnad|budget|budgetram|ram|anslag|bidrag|statsbidrag|ersättning|lön|underskott|överskott|belopp|intäkt|summa|pengar)"
# Folded question patterns that ask for a sum of money.
_AMOUNT_Q = [
    # "vad kostar …", "hur mycket kommer bygget att kosta", "vad ska man betala"
    re.compile(r"\b(vad|hur (mycket|mkt|mycke))\s+(\w+\s+){0,3}?(kostar|kostade|kosta|betalar|betalade|betala)\b"),
    # "vad beräknas en alternativ rutt till … kosta?"
    re.compile(r"\b(vad|hur (mycket|mkt|mycke))\s+(\w+\s+){4,12}?(kostar|kostade|kosta)\W*$"),
    # "vad är/blir avgiften", "hur hög är hemsjukvårdsavgiften", "vilken avgift …"
    re.compile(
        rf"\b(vad|hur (hog|hogt|stor|stort|mycket|mkt|mycke)|vilken|vilket)\s+(ar|blir|var|blev)?\s*(\w+\s+)?\w*{fold(_MONEY_NOUNS)}\w*\b"
    ),
    # "hur mycket (pengar) fick … i statsbidrag", "investeringsbudget 2024 hur mkt"
    re.compile(rf"\bhur (mycket|mkt|mycke)\b.*\b\w*{fold(_MONEY_NOUNS)}\w*\b"),
    re.compile(rf"\b\w*{fold(_MONEY_NOUNS)}\w*\b.*\bhur (mycket|mkt|mycke)\b"),
]
_CHANGE_Q = re.compile(r"\b(okat|okade|okar|minskat|minskade|minskar|hojs|hojts|hojdes|sanks|sankts|sanktes|forandr\w*)\b")
_PERCENT = re.compile(r"\d\s*(%|procent)")
_SHARE_Q = re.compile(r"\b(andel\w*|procent\w*|hur manga)\b")


def asks_amount(folded_question: str) -> bool:
    """True when the (folded) question asks for a sum of money.

    Args:
        folded_question: the question, folded (textproc.fold).
    """
    if _SHARE_Q.search(folded_question):
        return False
    return any(p.search(folded_question) for p in _AMOUNT_Q)


def has_amount(text: str) -> bool:
    """True when ``text`` states a sum of money: "400 kronor", "0,1 mkr", "5 819,1 tkr",
    "kostnadsfritt". A year before a unit in a column header ("Budget 2024 tkr") is none.

    Args:
        text: a sentence or line.
    """
    for m in _MONEY.finditer(text):
        if _YEAR.fullmatch(m.group(1)):
            before = text[: m.start()].rstrip().split()[-1:] or [""]
            if re.fullmatch(r"(budget|bokslut|utfall|prognos|avvikelse|helår|delår|år|ram)\w*", before[0].lower()):
                continue
        return True
    return bool(_FREE.search(text))


def _money_table_row(line: _Line) -> bool:
    return bool(line.caption and _MONEY_HEADER.search(line.caption) and _CELL_NUMBER.search(line.text))


def _amount_gap(r: Retrieval, folded: str, sections: Sections) -> Evidence | None:
    """A question asking what something costs, answered only by a sentence with a sum
    of money about the question's topic: the sentence or its neighbour, the section's
    heading, or the caption of the table the sum stands in names a topic word."""
    if not asks_amount(folded):
        return None
    topic = _topic(r)
    # "hur mycket har kostnaderna ökat?" may be answered by a percentage
    change = bool(_CHANGE_Q.search(folded))
    for section, _, _ in sections:
        if not _names_in(topic, section):
            continue
        heading_hit = bool(topic) and bool(_shared(topic, _heading(section)))
        for line in _lines_of(section.text):
            if _money_table_row(line):
                if not topic or heading_hit or _shared(topic, line.text + " " + line.caption):
                    return None
                continue
            for i, sentence in enumerate(line.sentences):
                if not (has_amount(sentence) or (change and _PERCENT.search(sentence))):
                    continue
                window = " ".join(line.sentences[max(0, i - 1) : i + 2])
                if not topic or heading_hit or _shared(topic, window):
                    return None
    return Evidence(False, ["ett belopp i kronor" + _about(topic, " för ")], REASON)


def _about(topic: list[_Word], prep: str) -> str:
    """' för särskilt boende': the question's two rarest topic words, as typed."""
    if not topic:
        return ""
    best = sorted(topic, key=lambda w: -w.weight)[:2]
    return prep + " ".join(w.text for w in topic if w in best)


# ---------------------------------------------------------------- rates
_RATE_WORD = r"(?:skattesats\w*|utdebitering\w*|kommunalskatt\w*|\w*rant(?:a|an|esats\w*)|procentsats\w*)"
_RATE_Q = re.compile(rf"\b(vilken|vilket|hur (hog|hogt|stor))\s+(ar|blir|var|blev)?\s*(\w+\s+)?{_RATE_WORD}\b")
_RATE = re.compile(r"\d\s*(%|procent)|\d,\d+\s*(kr|kronor)\b|\d+\s*öre\b", re.I)


def _rate_gap(r: Retrieval, folded: str, sections: Sections) -> Evidence | None:
    """"Vilken skattesats …?", "vilken ränta fick staden på lånet?": a rate (per cent,
    kronor per hundralapp) in a sentence that names one."""
    m = _RATE_Q.search(folded)
    if not m:
        return None
    rate_word = re.compile(rf"\b{_RATE_WORD}\b")
    for section, _, _ in sections:
        for line in _lines_of(section.text):
            for sentence in line.sentences:
                if _RATE.search(sentence) and rate_word.search(_fold_cached(sentence)):
                    return None
    return Evidence(False, ["en procentsats" + _about(_topic(r), " för ")], REASON)


# ---------------------------------------------------------------- suppliers
ASKS_SUPPLIER = re.compile(
    r"\b(vilken|vilket|vilka|vem (ar|var|blev))\s+(leverantor\w*|foretag\w*|firma\w*|bolag\w*|entreprenor\w*|"
    r"utforare\w*)\b|\b(fran|av) (vem|vilken|vilket) (koper|kops|kopte|kopts|hyr|hyrs|upphandla\w*)\b"
)
#: A company named in the text: "Nytida AB", "leverantören Atea", "avtal med Dustin".
NAMES_COMPANY = re.compile(
    r"\b[A-ZÅÄÖ][\w&.-]*(?:\s+[A-ZÅÄÖ][\w&.-]*)*\s+(AB|HB|KB|Oy|Ab|Ltd|Inc|GmbH|AS|A/S)\b"
    r"|\b(leverantör(en)?|utföraren|entreprenören|avtal med|levereras av|köps?(?: in)? (från|av)|upphandla\w* (från|av|hos))"
    r"\s+[A-ZÅÄÖ]"
)


def _supplier_gap(r: Retrieval, folded: str, sections: Sections) -> Evidence | None:
    """"Från vilken leverantör köps skrivaren?" needs a company named near the topic."""
    if not ASKS_SUPPLIER.search(folded):
        return None
    for section, passage, _ in sections:
        if NAMES_COMPANY.search(section.text) or NAMES_COMPANY.search(passage.text):
            return None
    return Evidence(False, ["namnet på en leverantör" + _about(_topic(r), " för ")], REASON)


# ---------------------------------------------------------------- counts
_NUMBER_WORDS = (
    "två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton sjutton arton nitton "
    "tjugo trettio fyrtio femtio sextio sjuttio åttio nittio hundra tusen inga ingen inget"
).split()
_NUMBER_WORD = re.compile(
    r"(?<![\w-])(" + "|".join(_NUMBER_WORDS) + r"|ett\s+\w+tal|en\s+\w+tal|\w+tal(?:et)?\s+(?=\w))(?![\w-])", re.I
)
_TIME_UNIT = r"(år|års|årig\w*|månad\w*|mån|veck\w*|dag|dagar|dagars|dygn\w*|timm\w*|tim|h|minut\w*|min|sekund\w*|kvartal\w*|halvår\w*|terminer?)"
_MONTH_ALT = "|".join([*MONTHS, "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dec"])
# A number that is a label, not a quantity: "§ 80", "mål 1", "Tabell 9", "kvartal 2", "kl. 14".
_LABEL_BEFORE = re.compile(
    r"(§+|mål|målet|tabell|bilaga|bilagan|kvartal|vecka|v\.|nr|nummer|punkt|steg|kapitel|kap\.|avsnitt|sida|sid\.|s\.|"
    r"fas|version|område|hemtjänstområde|årskurs|åk|kl\.?|klockan|lss|sol|lvu|lvm|tel\.?|telefon|dnr|diarienummer|"
    r"paragraf|ärende|ärendenummer|budget|bokslut|utfall|prognos|delår|år|period|perioden|rad|plan|bil\.)\s*$",
    re.I,
)
_YEAR = re.compile(r"(19|20)\d\d")
_DATE_AFTER = re.compile(r"\s*/\s*\d")
_DATE_BEFORE = re.compile(r"\d\s*/\s*$")
_TIME_RANGE_AFTER = re.compile(rf"\s*[-–]\s*\d+\s*{_TIME_UNIT}\b")
_MONTH_AFTER = re.compile(rf"\s*({_MONTH_ALT})\b")
_DAY_BEFORE = re.compile(r"\b(den|kl\.?|klockan)\s*$")
_ITEM_AFTER = re.compile(r"\s*[.)]\s")
_LIST_TAIL = re.compile(r"(\d+\s*(,|och|samt|respektive|resp\.)\s*)+$")
_STREET_BEFORE = re.compile(r"\w(gatan|gata|vägen|väg|gränd|torget|backe|backen|allé|allén|plan)\s*$", re.I)
_MONEY_AFTER = re.compile(rf"\s*{_MONEY_UNIT}", re.I)
_TIME_AFTER = re.compile(rf"\s*{_TIME_UNIT}(?![\wåäö])")
_DURATION_COMPOUND = re.compile(r"\s*(månaders|års|veckors|dagars|timmars)")
_RANGE = re.compile(r"(?<![\w.,:/-])\d+\s*[-–]\s*\d+(?=\s+[^\W\d_])")
_QTY_NUMBER = re.compile(rf"(?<![\w.,:/-])({_NUM})(?![\w]|[.,:/-]\d)")


def quantities(text: str, time_counts: bool = False) -> list[str]:
    """The quantities ``text`` states: figures and written numbers that are no year,
    date, time of day, §, dnr, money, duration or item number.

    Args:
        text: a sentence or line.
        time_counts: durations count ("14 dagar"), for questions that count time units.
    """
    found: list[str] = []
    low = text.lower()
    for m in _QTY_NUMBER.finditer(text):
        num = m.group(1)
        before, after = text[: m.start()], text[m.end() :]
        after_low = after.lower()
        if _YEAR.fullmatch(num) or (num.startswith("0") and len(num) > 1 and "," not in num):
            continue  # a year; a phone number or code ("0158")
        if _DATE_AFTER.match(after) or _DATE_BEFORE.search(before):
            continue  # a date "15/3"
        if not time_counts and _TIME_RANGE_AFTER.match(after_low):
            continue  # an age or time range "0-17 år"
        if _MONTH_AFTER.match(after_low) or _DAY_BEFORE.search(before[-12:].lower()):
            continue  # "3 oktober", "den 11", "kl. 14.00"
        if _ITEM_AFTER.match(after) and (not before.strip() or before.rstrip().endswith(("|", ":"))):
            continue  # "1. Socialnämnden godkänner …": an item number
        if _LABEL_BEFORE.search(_LIST_TAIL.sub("", before[-60:])) or _STREET_BEFORE.search(before[-30:]):
            continue  # "§ 80", "mål 1, 3 och 4", "Västra Storgatan 15"
        if _MONEY_AFTER.match(after_low):
            continue  # money is no count
        if not time_counts and (_TIME_AFTER.match(after_low) or _DURATION_COMPOUND.match(after_low)):
            continue  # a duration: "3 år", "14 dagar", "12 månadersperioden"
        found.append(num)
    for m in _RANGE.finditer(low):  # "10-15 personer"; "0-17 år" is an age range
        if time_counts or not (_TIME_AFTER.match(low, m.end()) or _DURATION_COMPOUND.match(low, m.end())):
            found.append(m.group(0))
    for m in _NUMBER_WORD.finditer(low):
        if not time_counts and _TIME_AFTER.match(low, m.end()):
            continue
        found.append(m.group(1))
    return found


_COUNT_Q = re.compile(r"\bhur\s+(manga|mang)\b\s*(.*)")
_TIME_NOUNS = re.compile(rf"^{_TIME_UNIT}$|^gang(er)?$")


def asks_count(folded_question: str) -> tuple[bool, str]:
    """(True, words after "hur många") when the (folded) question asks for a count.

    Args:
        folded_question: the question, folded (textproc.fold).
    """
    m = _COUNT_Q.search(folded_question)
    return (True, m.group(2)) if m else (False, "")


def _counted_noun(rest_folded: str, topic: list[_Word]) -> tuple[list[_Word], bool]:
    """The counted noun phrase ("hur många [gynnande biståndsbeslut] hade …") as topic
    words, and whether it counts units ("hur många dagar/procent/kronor")."""
    ws = re.findall(r"[^\W\d_]+", rest_folded)
    # "hur många av socialnämndens mål": skip "av" and a genitive
    while ws and (ws[0] in ("av", "utav") or (len(ws) > 1 and ws[0].endswith("s") and ws[0] in _GENITIVES)):
        ws = ws[1:]
    head = ws[:2]
    units = any(_TIME_NOUNS.match(w) or w in ("procent", "kronor", "kr", "timmar") for w in head)
    return [w for w in topic if fold(w.text) in head], units


def _head_words(rest: str) -> str:
    """The counted noun as typed, for the abstention: "hushåll", "platser"."""
    ws = [w for w in re.findall(r"[^\W\d_]+", rest) if fold(w) not in ("av", "utav", "de", "det", "den")]
    return ws[0] if ws else ""


_GENITIVES = {"socialnamndens", "namndens", "kommunens", "stadens", "forvaltningens", "socialtjanstens"}


#: Summed rarity weight (1 for an everyday word, up to 4) that two other topic words need
#: to stand in for the counted noun: "barn" + "unga" (3.5) do not, "ANDTS" + "kvällen" do.
SPECIFIC_OTHERS = 5.0


def _count_gap(r: Retrieval, folded: str, sections: Sections) -> Evidence | None:
    """A "hur många" question, answered only by a quantity beside the counted noun or
    two of the question's other topic words (in the sentence or its neighbours, or in
    the same table row), or by figures in a table whose caption names the noun."""
    asks, rest = asks_count(folded)
    if not asks:
        return None
    question = r.effective_question or r.question
    topic = _topic(r)
    noun, units = _counted_noun(rest, topic)
    others = [w for w in topic if w not in noun]
    for section, _, _ in sections:
        # the counted noun alone may be about something else ("200 platser" in another plan)
        if noun and others and not _in_section(others, section):
            continue
        if not _names_in(topic, section):
            continue
        for line in _lines_of(section.text):
            if line.caption and _shared(noun or others, line.caption) and quantities(line.text, True):
                return None  # a table about the counted noun
            for i, sentence in enumerate(line.sentences):
                if not quantities(sentence, units):
                    continue
                if not topic:
                    return None
                # with its neighbours: "Två föräldrakvällar … Genomförd 15/3 2023. 120 deltagare."
                window = " ".join(line.sentences[max(0, i - 2) : i + 2])
                if noun and _shared(noun, window):
                    if not others or _shared(others, window, _heading(section)):
                        return None
                # the noun phrased otherwise ("120 deltagare" for "föräldrar"): two other topic
                # words, specific ones ("ANDTS-kvällen", not just "barn och unga"); a unit count
                # ("hur många dagar") has no noun to look for
                shared = _shared(others, window)
                if noun and len(shared) >= 2 and sum(w.weight for w in shared) >= SPECIFIC_OTHERS:
                    return None
                if not noun and others and len(shared) >= min(2, len(others)):
                    return None
    typed_rest = question[len(question) - len(rest) :]  # fold keeps the length
    return Evidence(False, [f"ett antal {_head_words(typed_rest)}".strip()], REASON)


# ---------------------------------------------------------------- another organ's decision
# Past or perfect decision verbs (folded): what an organ has done, not what is proposed.
_DONE_VERBS = (
    r"beslutade|beslutat|beslutats|beslutades|faststallde|faststallt|faststallts|faststalldes|antog|antagit|"
    r"antogs|antagits|antagen|antaget|antagna|bifoll|bifallit|bifallits|godkande|godkant|godkants|"
    r"godkandes|avslog|avslagit|avslogs|fattade|fattat|fattats|beviljade|beviljat|aterremitterade|"
    r"tillstyrkte|tillstyrkt|gav|stallde|stallt|valde|valt|inrattade|inrattat|upphavde|upphavt|"
    r"reviderade|reviderat|andrade|andrat|uppdrog|utsag|tog\s+beslut|tagit\s+beslut"
)
# Present tense, valid only in a part that is the decision itself ("Kommunfullmäktiges beslut").
_NOW_VERBS = r"beslutar|faststaller|antar|godkanner|bifaller|avslar|ger|uppdrar"
_PROPOSAL = re.compile(r"\b(foreslar|foreslas|foresla|forslag|rekommenderar|hemstaller|overlamnar|foreslagit|foreslog)\b")
# Questions about a decision already taken (folded).
_ASKS_DONE = re.compile(
    rf"\b({_DONE_VERBS}|beslutat|bestamt|bestamde|sagt\s+ja|sagt\s+nej|sa\s+ja|sa\s+nej)\b"
)
_ASKS_FUTURE = re.compile(r"\b(ska|skall|kommer\s+att|kommer|foreslas|foreslar|forslag|planerar|tanker)\b")


@lru_cache(maxsize=64)
def _organ_pattern(name: str) -> re.Pattern[str]:
    """Folded mentions of an organ: "kommunfullmäktige(s)", "fullmäktige", "KF"; a nämnd
    by its name with any ending ("barn- och utbildningsnämnden(s)")."""
    f = fold(name).strip()
    base = re.sub(r"(en|et|n)$", "", f) if not f.endswith("fullmaktige") else f
    alts = [re.escape(base).replace(r"\ ", r"\s+") + r"\w*"]
    if "fullmaktige" in f:
        alts += [r"fullmaktige\w*", r"kf"]
    elif f.startswith("kommunstyrelse"):
        alts += [r"ks"]
    return re.compile(r"(?<![\w-])(" + "|".join(alts) + r")(?![\w-])")


_ADDRESSED_BEFORE = re.compile(r"\b(foreslar|foreslas|rekommenderar|hemstaller|till|for|i|hos|med|at|an|inom)\s*$")
_AGENT_BEFORE = re.compile(r"\bav\s*$")
_TAKEN_IN_BEFORE = re.compile(rf"\b({_DONE_VERBS}|beslut|beslutet)\s+i\s*$")
_CLAUSE_END = re.compile(r"[.;:]\s|\s(?:och|men|samt)\s+(?=\w+\s+(?:ska|har|kommer))")
_DONE = re.compile(rf"\b({_DONE_VERBS})\b")
_TO_DO = re.compile(rf"\batt\s+(\w+\s+)?({_DONE_VERBS})\b")
_ATT_AFTER = re.compile(r"\s*att\b")
_BESLUT_AFTER = re.compile(r"s?\s+beslut\b|s\s*beslut\b")
_NOW_AFTER = re.compile(rf"\s*({_NOW_VERBS})\b")
_PASSIVE_BEFORE = re.compile(rf"\b({_DONE_VERBS})\b(\s+\S+){{0,6}}\s+av\s*$")


def organ_decided(organ: str, sentence: str, in_decision_part: bool = False) -> bool:
    """True when ``sentence`` reports a decision of ``organ`` as taken: the organ as
    subject followed by a past/perfect decision verb ("Kommunfullmäktige har den
    15 november 2023 § 167 fattat beslut om …", "KF fastställde …"), a passive with
    "av <organ>" ("… fastställdes av kommunfullmäktige"), "beslut i <organ>" or
    "<organ>s beslut" that is no proposal. In the decision part itself the present
    tense counts too ("Kommunfullmäktige godkänner rapporten."). A proposal to the
    organ ("Socialnämnden föreslår kommunfullmäktige att fastställa …") does not count.

    Args:
        organ: the organ's name, e.g. "Kommunfullmäktige".
        sentence: one sentence of a document.
        in_decision_part: the sentence is in the decision (beslut) part of its section.
    """
    f = _fold_cached(sentence)
    for m in _organ_pattern(organ).finditer(f):
        before, after = f[: m.start()], f[m.end() :]
        proposal_before = bool(_PROPOSAL.search(before[-40:]))
        if _PASSIVE_BEFORE.search(before):
            return True  # "… fastställdes av kommunfullmäktige", "antagen av KF"
        if _ADDRESSED_BEFORE.search(before) and not _AGENT_BEFORE.search(before):
            # addressed, not acting ("föreslår kommunfullmäktige", "till kommunfullmäktige"),
            # unless a decision taken there: "beslutade i kommunfullmäktige 2020-11-11"
            if _TAKEN_IN_BEFORE.search(before) and not proposal_before:
                return True
            continue
        if _ATT_AFTER.match(after):
            continue  # "… kommunfullmäktige att fastställa"
        words = _CLAUSE_END.split(after, maxsplit=1)[0].split()[:14]
        if _PROPOSAL.search(" ".join(words[:3])):
            continue  # "Kommunfullmäktige föreslås …"
        head = " ".join(words)
        if _DONE.search(head) and not _TO_DO.search(head):
            return True
        if _BESLUT_AFTER.match(after) and not proposal_before:
            return True  # "enligt kommunfullmäktiges beslut 2021-05-03"
        if in_decision_part and _NOW_AFTER.match(after):
            return True
    return False


def _organ_gap(r: Retrieval, folded: str, sections: Sections) -> Evidence | None:
    """A question whether/what another organ decided (past or perfect tense), answered
    only by a sentence reporting that organ's decision on the question's topic."""
    organ = r.parsed.namnd or _organ_in(r.effective_question or r.question)
    if not organ or not _ASKS_DONE.search(folded) or _ASKS_FUTURE.search(folded):
        return None
    own = {fold(p.namnd) for _, p, _ in sections[:3] if p.namnd}
    if fold(organ) in own or not own:
        return None
    topic = _topic(r, drop=[organ])
    rx = _organ_pattern(organ)
    for section, _, _ in sections:
        if not rx.search(_fold_cached(section.text)):
            continue
        lines = _lines_of(section.text)
        decision_texts = [" ".join(p.text.split()) for p in section.parts if p.kind == "beslut"]
        for line in lines:
            if not rx.search(line.folded):
                continue
            in_decision = any(" ".join(line.text.split()) in t for t in decision_texts)
            for s in line.sentences:
                if not organ_decided(organ, s, in_decision):
                    continue
                if not topic or _shared(topic, s):
                    return None
                if _shared(topic, _heading(section)) and in_decision:
                    return None
    return Evidence(False, [f"ett beslut av {_lower_organ(organ)}" + _about(topic, " om ")], REASON)


_ORGAN_IN_Q = re.compile(
    r"(?<![\w-])((?:[a-z]+-\s+och\s+)?[a-z]*(?:namnden|styrelsen|utskottet|fullmaktige)|kf|ks)(?![\w-])"
)


def _organ_in(question: str) -> str | None:
    """An organ the question names, when the query parser found none ("kommunstyrelsen")."""
    m = _ORGAN_IN_Q.search(fold(question))
    if not m or m.group(1) in ("namnden", "styrelsen", "utskottet"):
        return None
    typed = question[m.start(1) : m.end(1)].lower()  # fold keeps the length
    name = {"kf": "kommunfullmäktige", "ks": "kommunstyrelsen"}.get(typed, typed)
    return name[0].upper() + name[1:]


def _lower_organ(organ: str) -> str:
    return organ[0].lower() + organ[1:] if organ[1:2].islower() else organ
