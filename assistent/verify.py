"""Verification of a generated answer against the sources it cites.

An LLM answer is shown only if it states something (not only citation markers, not only the
question restated), every [n] points at a source that was given, every claim cites one, every
number, amount, date and diarienummer in a sentence occurs in the sources that sentence cites,
the words of a cited sentence overlap its sources, and the answer holds the kind of fact the
question asks for (the answer engine's kinds registry: an amount for "vad kostar", a count for
"hur många"). Anything else is treated as invented or as no answer: the caller repairs the
answer (drops the failing sentences) or falls back to the extractive answer, and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from grund.dnr import find_diarienummer
from grund.prompts import CANNOT_ANSWER
from grund.textproc import MONTHS, fold
from grund.units import split_sentences

# one source "[2]" or several "[1, 3]"; "[1][2]" is two matches
_CITE = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")
# citations written after the full stop ("kronor. [1]", "kronor.[1]") belong to that sentence
_CITE_AFTER_STOP = re.compile(r"([.!?])[ \t]*((?:\[\d{1,2}(?:\s*,\s*\d{1,2})*\])+)")
# "1. ", "2) ", "- " at the start of a list item: numbering, not a claim
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•–])\s+")
# numbers with Swedish decimal comma and thousands spaces (space, no-break space, narrow
# no-break space): 6 914,4 · 11,2 · 400 · the parts of 2024-02-21
_NUMBER = re.compile(r"(?<![\w.,])-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|(?<![\w.,])-?\d+(?:[.,]\d+)*")
# a word of letters: a sentence needs a few to state something
_WORD = re.compile(r"[^\W\d_]{2,}")
_MONTH_WORD = re.compile(rf"\b({'|'.join(MONTHS)})\b", re.I)
_MONTH_NR = {m: str(n) for m, n in MONTHS.items()}
#: Words that carry no content of their own (folded; words under 4 letters never count).
_STOP = frozenset(fold(w) for w in (
    "från till eller inte detta denna dessa enligt källan källa källorna källor också under efter inför "
    "mellan sina sitt deras vara blir blev finns gäller kommer skall även samt vilket vilken vilka "
    "dokumenten dokumentet svaret frågan någon några inga ingen alla andra annan samma sedan redan"
).split())  # fmt: skip
#: Share of a cited sentence's content words and facts that its sources must hold.
MIN_OVERLAP = 1 / 3
#: Content words compared by their first letters (a crude stem: avgiften ~ avgift).
_STEM = 5


def _normalise(answer: str) -> str:
    """'höjs till 400 kronor. [1]' → 'höjs till 400 kronor [1].', so sentences split cleanly;
    runs of spaces become one, so every sentence ``_sentences`` gives is a substring."""
    return re.sub(r"[ \t]+", " ", _CITE_AFTER_STOP.sub(r" \2\1", answer.strip()))


def _sentences(text: str) -> Iterator[str]:
    """Sentences line by line, list markers left out (substrings of a ``_normalise``d text), cut by
    the project's one splitter: "kl. 14.00", "t.ex." and "bl.a." do not end a sentence."""
    for line in text.splitlines():
        yield from split_sentences(_LIST_MARK.sub("", line))


def _content(text: str) -> set[str]:
    """Stems of the content words of ``text``: folded, 4+ letters, stopwords out."""
    return {w[:_STEM] for w in re.findall(r"[a-z]{4,}", fold(text)) if w not in _STOP}


def _overlap(sentence: str, numbers: set[str], dnrs: set[str], sources: list[str]) -> float:
    """Share of the sentence's content words and facts found in ``sources`` (1.0 when it has none)."""
    words = _content(sentence)
    if not words and not (numbers or dnrs):
        return 1.0
    src_words = set().union(*(_content(s) for s in sources))
    src_numbers, src_dnrs = set(), set()
    for s in sources:
        n, d = _facts(s)
        src_numbers |= n
        src_dnrs |= d
    hits = len(words & src_words) + len(numbers & src_numbers) + len(dnrs & src_dnrs)
    return hits / (len(words) + len(numbers) + len(dnrs))


def _echoes(body: str, numbers: set[str], dnrs: set[str], question: str) -> bool:
    """True when a sentence only restates the question: no word or fact the question lacks."""
    q_numbers, q_dnrs = _facts(question)
    return _content(body) <= _content(question) and numbers <= q_numbers and dnrs <= q_dnrs


def _heading_only(body: str, numbers: set[str], dnrs: set[str], sources: list[str], question: str | None) -> bool:
    """True when a sentence only repeats its sources' label lines (kommun · nämnd · datum · § · dnr —
    rubrik) and the question: a small model's way of citing without saying anything."""
    heads = " ".join(s.split("\n", 1)[0] for s in sources if "\n" in s) + " " + (question or "")
    h_numbers, h_dnrs = _facts(heads)
    return _content(body) <= _content(heads) and numbers <= h_numbers and dnrs <= h_dnrs


def _addresses(claims: list[str], question: str) -> str | None:
    """The first kind the question wants that no claim provides, or None when one is provided.

    Only the kinds a unit's words can show count (kinds.CHECKED); a question that wants none
    of them ("vad beslutade nämnden?") is addressed by any claim.
    """
    from assistent.engine.kinds import CHECKED, focus, focus_stems, provided, wants

    wanted = [k for k in wants(question) if k in CHECKED]
    if not wanted:
        return None
    stems = focus_stems(focus(question))
    if any(provided(wanted, claim, stems=stems) for claim in claims):
        return None
    return wanted[0]


def _canon_number(s: str) -> str:
    """'6 914,4', '6914,4' and '6914.4' compare equal; '-11,2' equals '11,2' (the sign is
    often wording: "underskott på 11,2 mnkr"); '02' equals '2' (ISO dates vs month numbers)."""
    return re.sub(r"[\s\u00a0\u202f]", "", s).replace(".", ",").lstrip("-").lstrip("0") or "0"


def _facts(text: str) -> tuple[set[str], set[str]]:
    """(numbers, diarienummer) stated in a text.

    A diarienummer is compared whole and its digits are not numbers of their own, so
    "SN 2023/62" in an answer matches "SN.2023.62" in a source. A month written out counts
    as its number, so a source saying '21 februari 2024' supports '2024-02-21'.
    """
    dnrs = find_diarienummer(text)
    for m in sorted(dnrs, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + " " + text[m.end :]
    numbers = {_canon_number(m.group(0)) for m in _NUMBER.finditer(text)}
    numbers |= {_MONTH_NR[m.lower()] for m in _MONTH_WORD.findall(text)}
    return numbers, {m.norm for m in dnrs}


def cited_numbers(text: str) -> list[int]:
    """Every n cited as [n] or inside [n, m], in order of first appearance.

    Args:
        text: an answer with [n] citations.
    """
    seen: dict[int, None] = {}
    for group in _CITE.findall(text):
        for n in group.split(","):
            seen.setdefault(int(n), None)
    return list(seen)


@dataclass
class Verification:
    ok: bool
    problems: list[str] = field(default_factory=list)
    bad_sentences: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.problems[:3])


#: What a missing kind is called in a verifier's reason.
_KIND_WORDS = {
    "amount": "belopp", "percentage": "andel", "count": "antal", "magnitude": "storlek", "frequency": "hur ofta",
    "deadline": "tidsfrist", "period": "period", "date": "datum", "person": "person", "organisation": "organisation",
    "place": "plats", "reason": "skäl",
}  # fmt: skip


def verify_answer(answer: str, sources: list[str], question: str | None = None) -> Verification:
    """Check a generated answer against its numbered sources (``sources[0]`` is [1]).

    Args:
        answer: the generated text with [n] citations.
        sources: the passage texts given to the model, in [n] order.
        question: the question it answers; when given, an answer that only restates it, or
            that lacks the kind of fact it asks for, is no answer.
    """
    problems: list[str] = []
    bad: list[str] = []
    text = _normalise(answer)
    if not text:
        return Verification(False, ["tomt svar"])
    if text.startswith(CANNOT_ANSWER):
        return Verification(True)
    source_facts = [_facts(src) for src in sources]
    cited_any = False
    claims: list[str] = []
    for sentence in _sentences(text):
        if sentence.lower().startswith("källor"):
            continue
        cites = cited_numbers(sentence)
        body = _CITE.sub(" ", sentence)
        numbers, dnrs = _facts(body)
        words = _WORD.findall(body)
        if sentence.endswith("?") and not (numbers or dnrs):
            # a small model may echo the question with a [1]: that answers nothing
            continue
        if not words and not (numbers or dnrs):
            cited_any = cited_any or bool(cites)
            continue  # "[1]", "[1][2]": a marker is no statement
        if len(words) < 2 and (numbers or dnrs):
            # "[2] 3" (seen from Qwen2.5-0.5B): a number found in the source is no statement
            problems.append(f"tal utan sammanhang: ”{sentence[:60]}”")
            bad.append(sentence)
            continue
        lead_in = body.rstrip().endswith(":") and not (numbers or dnrs)
        echo = question is not None and _echoes(body, numbers, dnrs, question)
        is_claim = (len(words) >= 3 or bool(numbers or dnrs)) and not lead_in and not echo
        if not cites:
            if is_claim:
                problems.append(f"påstående utan källa: ”{sentence[:60]}”")
                bad.append(sentence)
            continue
        cited_any = True
        invalid = [n for n in cites if not 1 <= n <= len(sources)]
        if invalid:
            problems.append(f"hänvisar till källa [{invalid[0]}] som inte finns")
            bad.append(sentence)
            continue
        # a fact may come from any of the sources the sentence cites
        known_numbers = set().union(*(source_facts[n - 1][0] for n in cites))
        known_dnrs = set().union(*(source_facts[n - 1][1] for n in cites))
        if missing := numbers - known_numbers:
            problems.append(f"talet {sorted(missing)[0]} finns inte i källan")
            bad.append(sentence)
        elif missing := dnrs - known_dnrs:
            problems.append(f"diarienumret {sorted(missing)[0]} finns inte i källan")
            bad.append(sentence)
        elif _overlap(body, numbers, dnrs, [sources[n - 1] for n in cites]) < MIN_OVERLAP:
            problems.append(f"meningen stämmer inte med källan [{cites[0]}]: ”{sentence[:60]}”")
            bad.append(sentence)
        elif is_claim and not _heading_only(body, numbers, dnrs, [sources[n - 1] for n in cites], question):
            claims.append(body)
    if not cited_any:
        problems.append("svaret hänvisar inte till någon källa")
    elif not claims and not problems:
        problems.append("svaret innehåller inget påstående, bara hänvisningar, källornas rubriker eller frågan")
    elif question is not None and claims and (gap := _addresses(claims, question)):
        problems.append(f"svaret anger inget {_KIND_WORDS.get(gap, gap)}, som frågan gäller")
    return Verification(not problems, problems, bad)


def repair(answer: str, verification: Verification) -> str | None:
    """Drop the sentences that failed; None when nothing cited is left.

    Args:
        answer: the generated text that ``verification`` was made from.
        verification: the result of ``verify_answer`` on it.
    """
    kept = _normalise(answer)
    for sentence in verification.bad_sentences:
        kept = kept.replace(sentence, "")
    # a list item whose sentence was dropped leaves its bare marker behind
    lines = [line.rstrip() for line in kept.splitlines() if not _LIST_MARK.fullmatch(line.rstrip() + " ")]
    kept = re.sub(r"[ \t]{2,}", " ", "\n".join(lines))
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip()
    return kept if _CITE.search(kept) else None
