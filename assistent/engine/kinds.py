"""The one registry of answer kinds: how a question asks for each, and how a unit provides it.

The question is read once (``wants``, stored on ``ParsedQuery.wants``); ranking (a
feature: does the unit provide a kind the question wants?), composition (the first
sentence is the best unit that provides it) and abstention (no good unit provides it)
all read that one field. A new kind is one entry here, never a branch elsewhere.

``asks`` runs on the folded question (å/ä→a, ö→o, lower case, see textproc.fold);
``provides`` runs on the unit's text as written, case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grund.textproc import MONTHS, fold, restore_diacritics, zipf

_NUM = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_NUMBER_WORDS = r"två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|femton|tjugo|trettio|fyrtio|femtio|hundra"
_MONTH = "|".join(MONTHS)
_DATE = (
    rf"\b\d{{4}}-\d\d-\d\d\b|\b\d{{1,2}}\s+(?:{_MONTH})\b|\b(?:{_MONTH})\s+(?:19|20)\d\d\b"
    r"|\b\d{1,2}\.\d{1,2}\.(?:19|20)\d\d\b|\bvecka\s+\d+\b|\b(?:19|20)\d\d\b"
)
# A figure that is not a year, a date, a § or a diarienummer.
_NOT_QUANTITY = re.compile(
    rf"{_DATE}|\b\d+\s*§|§\s*\d+|\b[A-ZÅÄÖ]{{1,6}}[./ -]?\d{{4}}[.:/-]\d+|\b(?:mål|bilaga|kap)\s+\d+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Kind:
    """One kind of answer."""

    name: str
    asks: re.Pattern[str]
    provides: re.Pattern[str]
    #: the kind is only provided when the figure is not a year, date, § or dnr
    quantity: bool = False


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


KINDS: tuple[Kind, ...] = (
    Kind(
        "amount",
        _rx(r"\b(vad\s+(\w+\s+){0,8}kosta\w*|kostnad\w*|belopp\w*|avgift\w*|pris\w*|taxa\w*|budget\w*|summa\w*"
            r"|hur\s+(mycket|mkt|mycke|myket)\s+(pengar|medel|bidrag|statsbidrag|fick|far|kostar|ar|blir|uppgar|vill|ska|har)|pengar|statsbidrag\w*"
            r"|ersattning\w*|lon|lonen|loner|manadslon\w*|arvode\w*)\b"),
        _rx(rf"(?:{_NUM})\s*(?:kr\b|kronor|tkr|mnkr|mkr|msek|sek\b|miljon\w*|miljard\w*|tusen|euro|€)|kostnadsfri\w*|avgiftsfri\w*"),
        quantity=True,
    ),
    Kind(
        "percentage",
        _rx(r"\b(hur\s+(stor|hog)\s+(andel|procent\w*|grad|sjukfranvaro\w*|skattesats\w*|ranta\w*)|andel\w*|procent\w*"
            r"|skattesats\w*|ranta\w*|rante\w*|internranta\w*|hur\s+manga\s+procent|sjukfranvaro\w*|tackningsgrad\w*|belaggning\w*)\b"),
        _rx(rf"(?:{_NUM})\s*(?:%|procent)"),
    ),
    Kind(
        "count",
        _rx(r"\b(hur\s+manga|antal\w*|hur\s+stort\s+antal)\b"),
        _rx(rf"\b(?:{_NUM}|{_NUMBER_WORDS})\s+[a-zåäö]", re.IGNORECASE),
        quantity=True,
    ),
    Kind(
        # "hur stor/hög/mycket …?" asks for a magnitude of any unit: a figure answers it
        "magnitude",
        _rx(r"\bhur\s+(stor|stort|stora|hog|hogt|mycket|mkt|mycke|myket|lang|langt|manga)\b"),
        _rx(rf"(?:{_NUM})"),
        quantity=True,
    ),
    Kind(
        "frequency",
        _rx(r"\b(hur\s+ofta|hur\s+manga\s+ganger|frekvens|intervall|hur\s+regelbundet)\b"),
        _rx(rf"\b(?:{_NUMBER_WORDS}|\d+)\s+gång(?:er)?\s+(?:per|i|om|varje)\b|\bårlig\w*|\bvarje\s+(?:år|månad|vecka|kvartal|termin|mandatperiod)"
            r"|\bmånatlig\w*|\bkvartalsvis|\bveckovis|\bdaglig\w*|\bhalvårsvis|\bper\s+(?:år|månad|kvartal|mandatperiod)|\blöpande\b"),
    ),
    Kind(
        "deadline",
        _rx(r"\b(senast|deadline|tidsfrist|nar\s+(\w+\s+){0,6}(ska|skall|maste|behover)\s+(\w+\s+){0,6}(vara\s+)?(klar\w*|genomfor\w*|inkomma|lamnas|redovisas|rapporteras|vara\s+klar))\b"),
        _rx(rf"\bsenast\b|\bsista\s+dag|\bföre\s+(?:den\s+)?(?:\d|{_MONTH})|\btill\s+(?:den\s+)?\d{{1,2}}\s+(?:{_MONTH})|\bklar\w*\s+(?:till|under|i)\s"),
    ),
    Kind(
        "period",
        _rx(r"\b(period\w*|tidsperiod\w*|under\s+vilken\s+tid|hur\s+lange|giltig\w*|fran\s+och\s+med|till\s+och\s+med|mellan\s+vilka\s+ar|vilka\s+ar)\b"),
        _rx(r"\b(?:19|20)\d\d\s*[-–]\s*(?:19|20)?\d\d\b|\bfr\.?o\.?m\b|\bt\.?o\.?m\b|\bfrån\s+och\s+med\b|\btill\s+och\s+med\b|\bunder\s+(?:perioden|åren|\d)"
            r"|\bmandatperiod\w*|\btills\s+vidare\b|\b\d+\s+(?:år|månader|veckor)\b|\bgäller\s+(?:från|till|under)"),
    ),
    Kind(
        "date",
        _rx(r"\b(nar(?!\s+det\s+galler)|vilket\s+datum|vilken\s+dag|vilket\s+ar|datum\w*|tidpunkt)\b"),
        _rx(_DATE),
    ),
    Kind(
        "person",
        _rx(r"\b(vem|vilka\s+personer|vilken\s+person|vilka\s+ledamoter|vilken\s+ledamot|vem\s+ar|vems|kontaktperson\w*|handlaggare\w*|ordforande\w*|sekreterare\w*|justera\w*)\b"),
        _rx(r"\b[A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?\s+[A-ZÅÄÖ][a-zåäöé]+\b|\b\w*(?:chef|direktör|ordförande|sekreterare|handläggare|samordnare|controller|strateg|utredare|ansvarig)\b",
            0),
    ),
    Kind(
        "organisation",
        _rx(r"\b(vilken\s+(leverantor|foretag|organisation|aktor|myndighet|forening|part)|vilket\s+(foretag|bolag)|vilka\s+(aktorer|organisationer|foretag|leverantorer|parter)|leverantor\w*|vem\s+(utfor|driver|levererar|ansvarar))\b"),
        _rx(r"\b(?:AB|HB|KB|Ab|Oy|Aktiebolag|aktiebolag|[A-ZÅÄÖ]\w+(?:förening|förbund|stiftelse|myndighet|bolag|institut|verket|styrelsen|nämnden|förvaltningen|enheten))\b", 0),
    ),
    Kind(
        "place",
        _rx(r"\b(var\s+(ligger|finns|ska|hall\w*|blir|placera\w*)|vilken\s+(plats|lokal|ort|adress|fastighet)|var\s+nagonstans|vart)\b"),
        _rx(r"\b(?:i|på|vid)\s+[A-ZÅÄÖ][a-zåäö]+|\b\w+(?:gatan|vägen|torget|skolan|huset|lokalen|fastigheten)\b", 0),
    ),
    Kind(
        "reason",
        _rx(r"\b(varfor|av\s+vilken\s+anledning|vad\s+beror|orsak\w*|anledning\w*|skal(et|en)?|motiv\w*|syfte\w*)\b"),
        _rx(r"\beftersom\b|\bpå\s+grund\s+av\b|\bdärför\b|\bberor\s+på\b|\bmed\s+anledning\s+av\b|\borsak\w*|\bsyfte\w*|\bmot\s+bakgrund\s+av\b"
            r"|\bför\s+att\b|\bleder\s+till\b|\bdå\s+\w+\s+(?:har|är|saknas)|\bmed\s+hänsyn\s+till\b|\bbakgrund\w*"),
    ),
    Kind(
        "decision",
        _rx(r"\b(beslut\w*|faststall\w*|godkan\w*|bifoll|bifall\w*|avslog|avslag\w*|antog|antagit|antas|anta|foresla\w*"
            r"|vad\s+ska\s+(\w+\s+){0,3}(gora|besluta)|yrka\w*)\b"),
        _rx(r"\b(?:beslutar|beslutade|beslutat|besluta|godkänn\w*|fastställ\w*|antar|antog|anta|föreslår|föreslås|bifall\w*|avslå\w*|avslog|uppdra\w*"
            r"|lägg\w* .{0,30}till handlingarna|noter\w*)\b"),
    ),
    Kind(
        # how a vote went: a protocol records it only when there was one (omröstning, reservation)
        "vote",
        _rx(r"\b(hur\s+(rostade|roster|rostar)|rostade|omrostning\w*|rostsiffr\w*|rostutfall\w*|reservera\w*|reservation\w*"
            r"|enhallig\w*|votering\w*)\b"),
        _rx(r"\bomröstning\w*|\bröst(?:er|ade|ar|ning|erna|siffr\w*)\b|\bja-?röst\w*|\bnej-?röst\w*|\breserv(?:erar|erade|ation)\w*"
            r"|\benhällig\w*|\bvoter\w*|\backlamation\b|\b\d+\s+(?:ja|nej)(?:-röster)?\b"),
    ),
    Kind(
        "list",
        _rx(r"^\s*(vilka|vad\s+(ingar|innehaller|omfattar))\b|\bvilka\s+(\w+\s+)?(mal|atgarder|insatser|omraden|fokusomraden|enheter|aktiviteter|delar|uppdrag|risker|prioriteringar|strategier)\b"),
        _rx(r"^"),  # provided by the unit's kind (item, row, label), not by its words
    ),
    Kind(
        "yesno",
        _rx(r"^\s*(har|ar|finns|ska|skall|kommer|blev|fick|kan|far|beslutade|godkande|antog|gick|galler|behover|maste|raknar|planerar)\b"),
        _rx(r"\b(?:inte|ej|inga|ingen|har|är|kommer|ska|beslutade|godkände|fastställde|antog|genomförts|genomförd)\b"),
    ),
)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
#: Kinds whose presence a unit's own words can show; "list" and "yesno" shape composition only.
CHECKED = tuple(k.name for k in KINDS if k.name not in ("list", "yesno", "decision"))


def wants(question: str) -> list[str]:
    """The kinds of answer a question asks for, in registry order.

    Args:
        question: the question as typed (folded here).
    """
    folded = fold(question)
    found = [k.name for k in KINDS if k.asks.search(folded)]
    # "hur många procent" asks a percentage, not a count; "när ska … vara klar" a deadline, not a bare date
    if "percentage" in found and "count" in found and re.search(r"hur\s+manga\s+procent", folded):
        found.remove("count")
    if "deadline" in found and "date" in found:
        found.remove("date")
    return found


def provides(kind: str, text: str, unit_kind: str = "sentence") -> bool:
    """True when a unit's text holds what ``kind`` asks for ("300 kronor" for amount).

    Args:
        kind: a registry name.
        text: the unit's text.
        unit_kind: the unit's own kind (a list is provided by items and rows).
    """
    if kind == "list":
        return unit_kind in ("item", "row", "label")
    k = BY_NAME[kind]
    if k.quantity:
        text = _NOT_QUANTITY.sub(" ", text)
    return bool(k.provides.search(text))


#: Kinds whose figure must stand near the thing counted or priced ("hur många platser" → "40 platser").
NEAR_FOCUS = ("count", "amount", "magnitude")
#: Words between the figure and the focus word at most.
FOCUS_WINDOW = 6
_FOCUS_RE = re.compile(r"\b(?:hur\s+(?:manga|mycket|mkt|mycke|stor|stort|hog|hogt)|antal(?:et)?|vad\s+kostar)\s+([a-z]{2,})")
_FOCUS_SKIP = {"ar", "har", "var", "fick", "far", "blev", "kom", "ska", "kan", "finns", "det", "den", "de", "som", "av", "pengar"}


def focus(question: str) -> str | None:
    """The thing a count or amount question is about, folded: "Hur många platser har …?" → "platser".

    Args:
        question: the question as typed.
    """
    m = _FOCUS_RE.search(fold(question))
    if not m:
        return None
    first = re.sub(r"\W", "", fold(question)[m.start(1) :].split()[0])
    if len(first) < 3 or first in _FOCUS_SKIP or not _noun_like(first):
        return None
    return first


#: A word this frequent (Zipf) after "hur mycket/många" is a verb or a function word ("vill", "blir", "mer").
_FOCUS_MAX_ZIPF = 5.5


#: Endings of a verb's forms after its infinitive's stem (öka → ökar, ökas, ökade, ökat; höja → höjer,
#: höjs, höjde, höjdes, höjt), the infinitive's final a dropped.
_VERB_ENDINGS = ("ar", "er", "r", "as", "s", "ade", "ades", "de", "des", "te", "tes", "at", "t")


def _noun_like(word: str) -> bool:
    """The thing counted is a noun: not a very common word, not a form of a verb whose lemma
    simplemma gives as an infinitive ("ökar", "höjs", "minskade" → öka, höja, minska).
    A noun whose lemma ends in -a keeps its own endings ("kronor" → krona: -or is no verb ending)."""
    import simplemma

    spelt = restore_diacritics(word)
    if zipf(spelt) >= _FOCUS_MAX_ZIPF:
        return False
    lemma = simplemma.lemmatize(spelt, lang="sv")
    if not lemma.endswith("a") or spelt == lemma:
        return True
    return not any(spelt == lemma[:-1] + e for e in _VERB_ENDINGS)


def _near(text: str, kind: str, stem: str) -> bool:
    """A figure of ``kind`` within FOCUS_WINDOW words of a word starting with (or containing) ``stem``."""
    toks = fold(text).split()
    k = BY_NAME[kind]
    hits = [i for i, t in enumerate(toks) if stem in t]
    if not hits:
        return False
    for i in hits:
        window = " ".join(text.split()[max(0, i - FOCUS_WINDOW) : i + FOCUS_WINDOW + 1])
        if k.provides.search(_NOT_QUANTITY.sub(" ", window) if k.quantity else window):
            return True
    return False


def focus_stems(focus_word: str | None, synonyms: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Stems that name the focus: its own and the head (last word) of each synonym phrase
    ("underskott" → "unders", and "avvik" for "negativ avvikelse").

    Args:
        focus_word: ``focus`` of the question, folded.
        synonyms: phrases that say the same (grund.synonyms).
    """
    if not focus_word:
        return ()
    heads = [focus_word] + [fold(p).split()[-1] for p in synonyms if p.split()]
    return tuple(dict.fromkeys(h[: max(4, len(h) - 3)] for h in heads if len(h) >= 3))


def provided(
    wanted: list[str], text: str, unit_kind: str = "sentence", stems: tuple[str, ...] = (), context: str = ""
) -> list[str]:
    """The wanted kinds a unit provides; a count or amount only about the question's focus:
    next to a word naming it, or under a heading, list lead or table caption that names it
    (a row "Totalt | 310 | 335" under "Antal anställda").

    Args:
        wanted: what the question wants.
        text: the unit's text.
        unit_kind: the unit's own kind.
        stems: ``focus_stems`` of the question (empty: no focus).
        context: the unit's heading, lead and caption, as written.
    """
    out = []
    for w in wanted:
        if not provides(w, text, unit_kind):
            continue
        if stems and w in NEAR_FOCUS and not any(_near(text, w, st) for st in stems):
            folded = fold(context)
            if not any(st in folded for st in stems):
                continue
        out.append(w)
    return out
