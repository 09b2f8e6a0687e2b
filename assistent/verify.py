"""Verification of a generated answer against the sources it cites.

An LLM answer is shown only if every [n] points at a source that was given, every
claim-bearing sentence cites one, and every number, amount, date and diarienummer
in a sentence occurs in the sources that sentence cites. Anything else is treated as
invented: the caller repairs the answer (drops the failing sentences) or falls back
to the extractive answer, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistent.prompts import CANNOT_ANSWER
from ingest.dnr import find_diarienummer

_CITE = re.compile(r"\[(\d{1,2})\]")
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
# numbers with Swedish decimal comma and thousands spaces: 6 914,4 · 11,2 · 400 · 2024-02-21
_NUMBER = re.compile(r"(?<![\w.,])-?\d{1,3}(?:[  ]\d{3})+(?:,\d+)?|(?<![\w.,])-?\d+(?:[.,]\d+)*")
_MONTHS = (
    "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
)
_MONTH_WORD = re.compile(rf"\b({_MONTHS})\b", re.I)
_MONTH_NR = {m: str(i) for i, m in enumerate(_MONTHS.split("|"), start=1)}


def _canon_number(s: str) -> str:
    """'6 914,4', '6914,4' and '6914.4' compare equal; '-11,2' equals '11,2' (the sign is
    often wording: "underskott på 11,2 mnkr"); '02' equals '2' (ISO dates vs month numbers)."""
    return re.sub(r"[\s  ]", "", s).replace(".", ",").lstrip("-").lstrip("0") or "0"


def _numbers(text: str) -> set[str]:
    """Numbers in a text; a month written out counts as its number, so a source saying
    '21 februari 2024' supports an answer saying '2024-02-21'."""
    found = {_canon_number(m.group(0)) for m in _NUMBER.finditer(text)}
    found |= {_MONTH_NR[m.lower()] for m in _MONTH_WORD.findall(text)}
    return found


@dataclass
class Verification:
    ok: bool
    problems: list[str] = field(default_factory=list)
    bad_sentences: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.problems[:3])


def verify_answer(answer: str, sources: list[str]) -> Verification:
    """Check a generated answer against its numbered sources (``sources[0]`` is [1]).

    Args:
        answer: the generated text with [n] citations.
        sources: the passage texts given to the model, in [n] order.
    """
    problems: list[str] = []
    bad: list[str] = []
    text = answer.strip()
    if not text:
        return Verification(False, ["tomt svar"])
    if text.startswith(CANNOT_ANSWER):
        return Verification(True)
    cited_any = False
    for sentence in (s.strip() for s in _SENT.split(text)):
        if not sentence or sentence.lower().startswith("källor"):
            continue
        cites = [int(n) for n in _CITE.findall(sentence)]
        body = _CITE.sub("", sentence)
        claims_numbers = _numbers(body)
        claims_dnr = {m.norm for m in find_diarienummer(body)}
        if not cites:
            if claims_numbers or claims_dnr:
                problems.append(f"påstående utan källa: ”{sentence[:60]}”")
                bad.append(sentence)
            continue
        cited_any = True
        invalid = [n for n in cites if not 1 <= n <= len(sources)]
        if invalid:
            problems.append(f"hänvisar till källa [{invalid[0]}] som inte finns")
            bad.append(sentence)
            continue
        cited_text = "\n".join(sources[n - 1] for n in cites)
        missing_numbers = claims_numbers - _numbers(cited_text)
        missing_dnr = claims_dnr - {m.norm for m in find_diarienummer(cited_text)}
        if missing_numbers:
            problems.append(f"talet {sorted(missing_numbers)[0]} finns inte i källan")
            bad.append(sentence)
        elif missing_dnr:
            problems.append(f"diarienumret {sorted(missing_dnr)[0]} finns inte i källan")
            bad.append(sentence)
    if not cited_any:
        problems.append("svaret hänvisar inte till någon källa")
    return Verification(not problems, problems, bad)


def repair(answer: str, verification: Verification) -> str | None:
    """Drop the sentences that failed; None when nothing cited is left."""
    kept = answer
    for sentence in verification.bad_sentences:
        kept = kept.replace(sentence, "")
    kept = re.sub(r"[ \t]{2,}", " ", kept).strip()
    return kept if _CITE.search(kept) else None
