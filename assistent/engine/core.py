"""The answer engine, stage by stage: question → retrieval → candidates → scores → answer.

1. ``search``: a follow-up carries the previous answer's kommun and case
   (converse.carry); the question is parsed once, ``wants`` read from the kinds registry
   (kinds.wants), and retrieval runs (assistent.retrieve).
2. ``features.prepare``: the retrieved sections' stored units, one feature row each.
3. ``decide``: the learned ranker scores every unit; the answerability model and its
   threshold decide whether to answer (abstain.py words a refusal); an ambiguous
   question gets a clarification (converse.py); otherwise compose.py renders the answer.
4. ``answer_stream``: the extractive answer in pieces (with an LLM configured,
   assistent.lc_chain generates from it and verifies; Assistant.ask_stream picks).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistent.engine import abstain, compose, converse
from assistent.engine.features import QUESTION_FEATURES, Prepared, prepare, question_row
from assistent.engine.kinds import CHECKED, wants
from assistent.engine.rank import Compose, Model, load_model
from assistent.retrieve import retrieve
from grund.errors import QuestionError
from grund.records import Answer, Citation, Filters

if TYPE_CHECKING:
    from assistent.services import Services

MAX_QUESTION_CHARS = 1000


def check_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise QuestionError("Frågan är tom.")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"Frågan är för lång ({len(q)} tecken; högst {MAX_QUESTION_CHARS}).")
    return q


def search(
    assistant: Services, question: str, filters: Filters | None = None, history: list[str] | None = None
) -> Prepared:
    """Stages 1–2: retrieval (with a follow-up's context) and the candidates' features.

    Args:
        assistant: the assistant.
        question: the question as typed.
        filters: explicit filters.
        history: earlier questions of the conversation, oldest first.
    """
    history = history or []
    effective, filters = converse.carry(
        assistant, question, history, filters, lambda q, h: answer(assistant, q, history=h)
    )
    r = retrieve(assistant, effective, filters=filters, k=assistant.settings.retrieval.k)
    r.question = question
    w = wants(r.effective_question)
    r.parsed.wants = w
    return prepare(assistant, r, w)


def decide(assistant: Services, pr: Prepared, model: Model | None = None) -> Answer:
    """Stage 3: score, abstain or clarify or compose.

    Args:
        assistant: the assistant (scope for abstentions).
        pr: the prepared candidates.
        model: weights (default: the shipped weights.json).
    """
    model = model or load_model()
    r = pr.retrieval
    if r.unknown_scope:
        return abstain.abstention(assistant, r, unknown=r.unknown_scope)
    if not pr.candidates:
        return abstain.abstention(assistant, r)
    scores = model.unit_scores(pr.X)
    p_answer = model.answerable(question_row(pr, scores))
    if p_answer < model.threshold:
        checked = [w for w in pr.wants if w in CHECKED]
        gap = checked if not question_row(pr, scores)[QUESTION_FEATURES.index("kind_top")] else []
        return abstain.abstention(assistant, r, missing=pr.missing, kinds=gap, nearest=_nearest(pr, scores))
    choices = converse.clarification(pr, scores, model.compose)
    if choices:
        return _clarify(pr, choices)
    chosen = compose.choose(pr, scores, model.compose)
    comp = compose.render(pr, chosen, scores)
    best = pr.candidates[chosen[0]]
    return Answer(
        question=r.question,
        answer=comp.text(),
        citations=comp.citations,
        passages=r.passages,
        mode="extraktiv",
        resolved={
            "kommun": best.passage.kommun,
            "namnd": best.passage.namnd,
            "diarienummer": best.section.diarienummer or best.passage.diarienummer,
            "section_id": best.section.id,
        },
    )


def _nearest(pr: Prepared, scores) -> tuple[str, list[Citation]]:
    """The best unit (with its list items or continuation), cited: what an abstention shows."""
    chosen = compose.choose(pr, scores, Compose(share=1.01, max_units=1, window=0, passage_window=-1))
    comp = compose.render(pr, chosen, scores, templates=False)
    return "\n".join(comp.lines), comp.citations


def _clarify(pr: Prepared, choices: list[tuple[str, int]]) -> Answer:
    comp = compose.Composer()
    numbers = []
    lines = [converse.AMBIGUOUS_QUESTION]
    for kommun, i in choices:
        c = pr.candidates[i]
        n = comp.cite(c.passage, c.section, c.unit.text, c.unit.page)
        numbers.append(n)
        d = c.section.datum or c.passage.datum
        where = ", ".join(b for b in (c.passage.namnd, compose.swedish_date(d) if d else None) if b)
        lines.append(f"- {kommun}{' (' + where + ')' if where else ''}: {c.unit.text} [{n}]")
    comp.lines = lines
    return Answer(
        question=pr.retrieval.question,
        answer=comp.text(),
        citations=comp.citations,
        passages=pr.retrieval.passages,
        clarify=converse.clarify_items(pr, choices, numbers),
    )


def answer(
    assistant: Services, question: str, filters: Filters | None = None, history: list[str] | None = None,
    model: Model | None = None,
) -> Answer:  # fmt: skip
    """The extractive answer to one question (no LLM).

    Args:
        assistant: the assistant.
        question: the question.
        filters: explicit filters.
        history: earlier questions, oldest first.
        model: weights (default: the shipped weights.json).
    """
    q = check_question(question)
    a = decide(assistant, search(assistant, q, filters, history), model)
    converse.remember(assistant, q, history or [], a)
    return a


def answer_stream(
    assistant: Services, question: str, filters: Filters | None = None, history: list[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """Yield ("delta", text) pieces of the extractive answer, then ("answer", Answer).

    With an LLM configured, Assistant.ask_stream runs the LCEL chain in assistent.lc_chain
    instead (it calls this engine first, then generates and verifies).
    """
    a = answer(assistant, question, filters, history)
    for piece in a.answer.splitlines(keepends=True):
        yield "delta", piece
    yield "answer", a
