"""Conversation and ambiguity.

Follow-ups: "och när börjar det gälla?" keeps what the previous *answer* resolved — its
kommun (as a filter, unless the follow-up names another) and its case (the diarienummer
of the section it cited first, added to the question so retrieval's exact-reference
boost finds that case) — on top of the previous question's topic words
(assistent.followup.contextualize). Conversations arrive as earlier questions only (CLI
--history, API, web form), so the previous answer is recomputed once and remembered.

Ambiguity: a question that names no kommun, whose best evidence in a second kommun
scores at least ``clarify_share`` of the best, gets a clarification: one line per
candidate kommun (its best unit, cited), and ``Answer.clarify`` for the UI to offer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from assistent.engine.features import Prepared, log_odds, terms_of
from assistent.engine.rank import Compose
from assistent.followup import contextualize, is_followup
from assistent.query import parse_query
from grund.records import Clarification, Filters

if TYPE_CHECKING:
    from assistent.services import Services
    from grund.records import Answer

#: Previous answers remembered per assistant (question + history → what it resolved).
MEMORY = 128
#: Kommuner offered in a clarification at most.
MAX_CHOICES = 4
AMBIGUOUS_QUESTION = "Frågan passar in på flera kommuner med olika svar. Vilken kommun menar du?"


def remember(assistant: Services, question: str, history: list[str], answer: Answer) -> None:
    memory = assistant.answer_memory
    memory[(question, tuple(history))] = dict(answer.resolved)
    while len(memory) > MEMORY:
        memory.popitem(last=False)


def carry(
    assistant: Services, question: str, history: list[str], filters: Filters | None, resolve
) -> tuple[str, Filters | None]:
    """The question to search with and the filters, with a follow-up's context carried over.

    Args:
        assistant: the assistant (its memory of earlier answers).
        question: the new question.
        history: earlier questions, oldest first.
        filters: explicit filters.
        resolve: answers (question, history) → Answer, used when the previous answer is not remembered.
    """
    if not history or not is_followup(question):
        return question, filters
    effective = contextualize(question, history)
    key = (history[-1], tuple(history[:-1]))
    resolved = assistant.answer_memory.get(key)
    if resolved is None:
        resolve(history[-1], history[:-1])
        resolved = assistant.answer_memory.get(key, {})
    dnr = resolved.get("diarienummer")
    if dnr and dnr not in effective:
        effective = f"{effective} ({dnr})" if not effective.endswith(")") else f"{effective[:-1]} {dnr})"
    kommun = resolved.get("kommun")
    own = parse_query(question, assistant.store.facets().get("kommuner", [])).kommun
    if kommun and not own and not (filters and filters.kommun):
        filters = (filters or Filters()).model_copy(update={"kommun": kommun})
    return effective, filters


def clarification(pr: Prepared, scores: np.ndarray, params: Compose) -> list[tuple[str, int]]:
    """(kommun, best candidate index) per kommun when the question is ambiguous, else []."""
    r = pr.retrieval
    if r.parsed.kommun or r.filters.kommun or r.exact_sections or not len(scores):
        return []
    best: dict[str, int] = {}
    for i in np.argsort(-scores):
        k = pr.candidates[int(i)].passage.kommun
        if k and k not in best:
            best[k] = int(i)
    # compared as log-odds: a share of the best probability would call almost every question ambiguous
    logit = log_odds(scores)
    top = float(logit.max())
    if top <= 0:
        return []
    close = [(k, i) for k, i in best.items() if logit[i] >= params.clarify_share * top]
    if len(close) >= 2:
        # a kommun whose documents lack a rare word of the question that the best kommun's hold
        # ("Brogårdsvallen") is no reading of the question, however well its unit scores
        held = _rare_terms_held(pr)
        first = held.get(close[0][0], frozenset())
        close = [close[0], *[(k, i) for k, i in close[1:] if first <= held.get(k, frozenset())]]
    return close[:MAX_CHOICES] if len(close) >= 2 else []


#: A question term this heavy (features.term_weight: 1 common … 4 rare) names the thing asked about.
RARE_WEIGHT = 3.0


def _rare_terms_held(pr: Prepared) -> dict[str, frozenset[str]]:
    """Per kommun, the question's rare terms that its candidate sections (text and headings) hold."""
    rare = {t for t, w in pr.terms.items() if w >= RARE_WEIGHT}
    out: dict[str, set[str]] = {}
    for s, p, _ in pr.sections:
        if p.kommun:
            found = rare & (terms_of(s.text) | terms_of(" ".join([*s.heading_path, s.rubrik or ""])))
            out.setdefault(p.kommun, set()).update(found)
    return {k: frozenset(v) for k, v in out.items()}


def clarify_items(pr: Prepared, choices: list[tuple[str, int]], numbers: list[int]) -> list[Clarification]:
    out = []
    for (kommun, i), n in zip(choices, numbers, strict=True):
        c = pr.candidates[i]
        out.append(
            Clarification(
                kommun=kommun,
                namnd=c.passage.namnd,
                datum=c.section.datum or c.passage.datum,
                paragraf=c.section.paragraf,
                diarienummer=c.section.diarienummer or c.passage.diarienummer,
                rubrik=c.section.rubrik,
                line=c.unit.text,
                n=n,
            )
        )
    return out
