"""Scoring: pure functions from (gold question, passages, answer) to per-question values and means.

Every per-question value is 1/0 (or a share), or None when the metric does not apply
to that question (e.g. hit@5 for an unanswerable one); a mean is taken over the
questions where it applies, so "hit@5 = 0.9" reads "9 of 10 answerable questions".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, Field

from eval.gold import GoldQuestion, GoldSource
from grund.records import Answer, Citation, Passage

#: Share of a gold quote's distinct words a passage must contain to count as finding it.
COVER = 0.5
#: Metrics where higher is better, in report order, with what they measure.
METRICS: dict[str, str] = {
    "hit@1": "rätt källa först",
    "hit@5": "rätt källa bland de fem första",
    "mrr@10": "1/rang för första rätta källan (0 efter plats 10)",
    "top_dnr": "översta träffens diarienummer = guldets",
    "top_paragraf": "översta träffens § = guldets",
    "facts": "svaret innehåller alla obligatoriska fakta",
    "fact_recall": "andel obligatoriska fakta i svaret",
    "cit_precision": "andel hänvisningar som pekar på en guldkälla",
    "cit_dnr": "hänvisningar till guldkällor med rätt diarienummer",
    "cit_paragraf": "hänvisningar till guldkällor med rätt §",
    "abstention": "avstår på obesvarbara frågor",
    "ambiguity": "tvetydiga frågor: täcker två källor eller frågar vilken som avses",
    "pass": "frågan klarad (se skäl i JSON)",
}
#: Lower is better.
LOWER_BETTER: dict[str, str] = {"false_abstention": "avstår felaktigt på besvarbara frågor"}

_ASKS_WHICH = re.compile(
    r"\bmenar du\b|\bavser du\b|\bvilken (?:kommun|nämnd|av)\b[^.?!]*\?|\bvilket (?:år|av)\b[^.?!]*\?|\bförtydliga\b",
    re.IGNORECASE,
)


class QuestionResult(BaseModel):
    """One system's result on one gold question: what was expected, what came back, the scores."""

    id: str
    kind: str
    system: str
    question: str
    expected: dict = Field(default_factory=dict)
    got: dict = Field(default_factory=dict)
    rank: int | None = Field(None, description="1-based rank of the first passage hitting a gold source")
    scores: dict[str, float | None] = Field(default_factory=dict)
    passed: bool = False
    reasons: list[str] = Field(default_factory=list, description="why it failed, in Swedish")
    search_ms: float = 0.0
    ask_ms: float = 0.0


def word_set(text: str) -> set[str]:
    """Distinct lower-cased word/number tokens of ``text`` (punctuation and case ignored).

    Args:
        text: any text.
    """
    return set(re.findall(r"\w+", text.lower()))


def coverage(text: str, quote: str) -> float:
    """Share of the quote's distinct words that occur in ``text``.

    Args:
        text: passage text.
        quote: the gold quote.
    """
    want = word_set(quote)
    return len(want & word_set(text)) / len(want) if want else 0.0


def hits(fil: str, text: str, source: GoldSource) -> bool:
    """True when text from file ``fil`` covers at least half of the source's quote.

    Args:
        fil: file name of the passage (no folders).
        text: the passage text.
        source: the gold source.
    """
    return fil == source.file and coverage(text, source.quote) >= COVER


def first_hit_rank(passages: Sequence[Passage], sources: Sequence[GoldSource]) -> int | None:
    """1-based rank of the first passage hitting any gold source, or None.

    Args:
        passages: ranked passages, best first.
        sources: the gold sources.
    """
    for i, p in enumerate(passages, start=1):
        if any(hits(p.fil, p.text, s) for s in sources):
            return i
    return None


def same_label(a: str | None, b: str | None) -> bool:
    """dnr/§ strings equal up to whitespace, case and where the § stands ("§ 17" = "§17" =
    "17 §" as Finland's Swedish protocols write it, "sn.2023.62" = "SN.2023.62").

    Args:
        a: one label.
        b: the other.
    """
    return a is not None and b is not None and re.sub(r"[\s§]+", "", a).lower() == re.sub(r"[\s§]+", "", b).lower()


def top_label_match(passages: Sequence[Passage], sources: Sequence[GoldSource], field: str) -> float | None:
    """1 when the top passage's ``field`` (diarienummer/paragraf) equals a gold source's; None if gold has none.

    Args:
        passages: ranked passages.
        sources: the gold sources.
        field: "diarienummer" or "paragraf".
    """
    wanted = [getattr(s, field) for s in sources if getattr(s, field)]
    if not wanted:
        return None
    top = getattr(passages[0], field) if passages else None
    return float(any(same_label(top, w) for w in wanted))


def facts_present(text: str, facts: Sequence[Sequence[str]]) -> list[bool]:
    """Per fact group: does any accepted form occur in the text (case- and spacing-insensitive)?

    Args:
        text: the answer text.
        facts: per required fact, its accepted surface forms.
    """
    norm = _spaces(text)
    return [any(_spaces(form) in norm for form in group) for group in facts]


def _spaces(s: str) -> str:
    # non-breaking and thin spaces appear in amounts ("279 094 tkr"); hyphen-likes in ranges
    s = s.lower().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2212", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", s)


def citation_text(citation: Citation, passages: Sequence[Passage]) -> str:
    """The cited sentence plus the passages it came from (same chunk or section), for matching.

    Args:
        citation: one citation of an answer.
        passages: the answer's passages.
    """
    parts = [citation.text]
    for p in passages:
        if (citation.chunk_id and p.chunk_id == citation.chunk_id) or (
            citation.section_id and p.section_id == citation.section_id
        ):
            parts.append(p.text)
    return "\n".join(parts)


def cited_sources(answer: Answer, sources: Sequence[GoldSource]) -> list[list[int]]:
    """Per citation, the indexes of the gold sources it points at.

    Args:
        answer: the answer.
        sources: the gold sources.
    """
    out = []
    for c in answer.citations:
        text = citation_text(c, answer.passages)
        out.append([i for i, s in enumerate(sources) if hits(c.fil, text, s)])
    return out


def citation_label_score(answer: Answer, sources: Sequence[GoldSource], field: str) -> float | None:
    """Share of citations at gold sources whose ``field`` equals the gold string; 0 if none cite one.

    None when no gold source has the field (nothing to check).

    Args:
        answer: the answer.
        sources: the gold sources.
        field: "diarienummer" or "paragraf".
    """
    if not any(getattr(s, field) for s in sources):
        return None
    checked = [
        same_label(getattr(c, field), getattr(sources[i], field))
        for c, idx in zip(answer.citations, cited_sources(answer, sources), strict=True)
        for i in idx[:1]
        if getattr(sources[i], field)
    ]
    return sum(checked) / len(checked) if checked else 0.0


def asks_which(text: str) -> bool:
    """True when the answer asks the user which one is meant ("vilken kommun menar du?").

    Args:
        text: the answer text.
    """
    return bool(_ASKS_WHICH.search(text))


def score_question(
    q: GoldQuestion, system: str, passages: Sequence[Passage], answer: Answer
) -> QuestionResult:
    """Every per-question value, the pass/fail verdict and its reasons.

    Args:
        q: the gold question.
        system: name of the system that produced the output.
        passages: what search returned, best first.
        answer: what ask returned.
    """
    s: dict[str, float | None] = dict.fromkeys([*METRICS, *LOWER_BETTER])
    reasons: list[str] = []
    rank = first_hit_rank(passages[:10], q.sources) if q.answerable else None
    if q.answerable:
        s["hit@1"] = float(rank == 1)
        s["hit@5"] = float(rank is not None and rank <= 5)
        s["mrr@10"] = 1.0 / rank if rank else 0.0
        s["top_dnr"] = top_label_match(passages, q.sources, "diarienummer")
        s["top_paragraf"] = top_label_match(passages, q.sources, "paragraf")
        s["false_abstention"] = float(answer.abstained)
        if not s["hit@5"]:
            reasons.append("ingen guldkälla bland de fem första träffarna")
        if answer.abstained:
            reasons.append("avstod trots att frågan går att besvara")
            if q.facts:
                s["facts"] = s["fact_recall"] = 0.0
            if q.kind == "ambiguous":
                s["ambiguity"] = 0.0
        else:
            found = facts_present(answer.answer, q.facts)
            if found:
                s["facts"] = float(all(found))
                s["fact_recall"] = sum(found) / len(found)
                missing = [g[0] for g, ok in zip(q.facts, found, strict=True) if not ok]
                if missing:
                    reasons.append("saknade fakta: " + ", ".join(missing))
            pointed = cited_sources(answer, q.sources)
            s["cit_precision"] = sum(bool(p) for p in pointed) / len(pointed) if pointed else 0.0
            s["cit_dnr"] = citation_label_score(answer, q.sources, "diarienummer")
            s["cit_paragraf"] = citation_label_score(answer, q.sources, "paragraf")
            if not pointed:
                reasons.append("svaret har inga hänvisningar")
            for name, label in (("cit_dnr", "diarienummer"), ("cit_paragraf", "§")):
                value = s[name]
                if value is not None and value < 1:
                    reasons.append(f"fel eller saknat {label} i hänvisningarna")
            if q.kind == "ambiguous":
                covered = {i for idx in pointed for i in idx}
                s["ambiguity"] = float(asks_which(answer.answer) or (len(covered) >= 2 and sum(found) >= 2))
                if not s["ambiguity"]:
                    reasons.append("tvetydig fråga: täcker inte två källor och frågar inte vilken som avses")
    else:
        s["abstention"] = float(answer.abstained)
        if not answer.abstained:
            reasons.append("svarade på en obesvarbar fråga")
    passed = not reasons
    s["pass"] = float(passed)
    return QuestionResult(
        id=q.id,
        kind=q.kind,
        system=system,
        question=q.question,
        expected={
            "sources": [src.model_dump() for src in q.sources],
            "facts": q.facts,
            "answer": q.answer,
        },
        got={
            "passages": [_brief(p) for p in passages[:5]],
            "answer": answer.answer,
            "abstained": answer.abstained,
            "citations": [_brief(c) for c in answer.citations],
        },
        rank=rank,
        scores=s,
        passed=passed,
        reasons=reasons,
    )


def _brief(p: Passage) -> dict:
    return {
        "fil": p.fil,
        "diarienummer": p.diarienummer,
        "paragraf": p.paragraf,
        "sida": p.sida,
        "text": p.text[:300],
    }


def mean_scores(results: Iterable[QuestionResult]) -> dict[str, float | None]:
    """Mean of every metric over the questions where it applies (None where it applies to none).

    Args:
        results: per-question results of one system.
    """
    results = list(results)
    out: dict[str, float | None] = {}
    for name in [*METRICS, *LOWER_BETTER]:
        values = [v for r in results if (v := r.scores.get(name)) is not None]
        out[name] = float(np.mean(values)) if values else None
    return out


def by_kind(results: Iterable[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """``mean_scores`` per question kind, kinds in first-seen order.

    Args:
        results: per-question results of one system.
    """
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(r.kind, []).append(r)
    return {kind: mean_scores(rs) for kind, rs in groups.items()}


def percentiles(values_ms: Sequence[float]) -> dict[str, float | None]:
    """p50 and p95 of latencies in milliseconds (linear interpolation between ranks).

    Args:
        values_ms: latencies in ms.
    """
    if not values_ms:
        return {"p50": None, "p95": None}
    arr = np.asarray(values_ms, dtype=float)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95))}
