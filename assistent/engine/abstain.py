"""Abstention: the reply when the documents do not answer.

Whether to abstain is decided by numbers (assistent.engine.rank.Model.answerable against
its cross-validated threshold), plus two facts that need no model: a kommun the store does
not hold, and a retrieval that found nothing. This module only words the reply: the one
"cannot answer" phrase, what was searched, what is missing (question words none of the
best sections holds, or the kind of answer none of their units gives), and the closest
passages as "kanske relevant".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from grund.prompts import CANNOT_ANSWER, MAYBE_RELEVANT, NEAREST, SEARCHED_IN
from grund.records import Answer, Citation, citation_label

if TYPE_CHECKING:
    from assistent.retrieve import Retrieval
    from assistent.services import Services

#: How each kind is named when none of the found units gives it.
KIND_LABELS = {
    "amount": "ett belopp", "percentage": "en andel eller procentsats", "count": "ett antal",
    "frequency": "hur ofta", "deadline": "en tidsgräns", "period": "en period", "date": "ett datum",
    "person": "en person", "organisation": "en organisation eller ett företag", "place": "en plats",
    "reason": "ett skäl", "vote": "hur ledamöterna röstade",
}  # fmt: skip


def abstention(
    assistant: Services,
    r: Retrieval,
    missing: Sequence[str] = (),
    kinds: Sequence[str] = (),
    unknown: Sequence[str] = (),
    nearest: tuple[str, list[Citation]] | None = None,
) -> Answer:
    """Say plainly that the documents do not answer; name the scope and what is missing; list near misses.

    Args:
        assistant: for the store's facets (the scope searched).
        r: the retrieval.
        missing: question words none of the best sections holds.
        kinds: answer kinds asked for that no found unit gives.
        unknown: kommuner the question names that the store does not hold.
        nearest: the closest unit found, as cited text and its citations (shown as no answer).
    """
    lines = [CANNOT_ANSWER]
    if unknown:
        lines.append(f"Arkivet innehåller inga dokument från {', '.join(unknown)}.")
    lines.append(SEARCHED_IN.format(scope=r.scope_text(assistant.store.facets())))
    if missing:
        lines.append("Inget av de närmaste avsnitten nämner: " + ", ".join(list(missing)[:5]) + ".")
    named = [KIND_LABELS[k] for k in kinds if k in KIND_LABELS]
    if named:
        lines.append("Inget av de närmaste avsnitten anger " + " eller ".join(named[:2]) + ".")
    citations: list[Citation] = []
    if nearest:
        text, citations = nearest
        lines += ["", NEAREST, text]
    if r.passages:
        lines += ["", MAYBE_RELEVANT]
        near = [f"- {citation_label(p)}{' · ' + p.rubrik if p.rubrik else ''}" for p in r.passages]
        lines += list(dict.fromkeys(near))[:3]  # two chunks of one section are one near miss
    return Answer(
        question=r.question, answer="\n".join(lines), abstained=True, passages=r.passages, citations=citations
    )
