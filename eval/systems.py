"""The interface every evaluated system offers, and the adapter that puts the assistant behind it."""

from __future__ import annotations

from typing import Protocol

from assistent.records import Answer, Citation, Passage

#: Passages a naive baseline answer is made of (and cites).
NAIVE_TOP = 3


class System(Protocol):
    """Something that can be scored: ranked passages for a query, an answer for a question."""

    name: str

    def search(self, query: str, k: int) -> list[Passage]: ...

    def ask(self, question: str) -> Answer: ...


class AssistantSystem:
    """The assistant under test, through its public Python API."""

    name = "assistant"

    def __init__(self, assistant):
        self.assistant = assistant

    def search(self, query: str, k: int) -> list[Passage]:
        return self.assistant.search(query, k=k).passages

    def ask(self, question: str) -> Answer:
        return self.assistant.ask(question)


def naive_answer(question: str, passages: list[Passage]) -> Answer:
    """A baseline's answer: its top passages joined, each cited; it never abstains.

    Args:
        question: the question.
        passages: ranked passages, best first.
    """
    top = passages[:NAIVE_TOP]
    text = "\n\n".join(f"[{i}] {p.text}" for i, p in enumerate(top, start=1))
    citations = [Citation(**p.model_dump(), n=i) for i, p in enumerate(top, start=1)]
    return Answer(question=question, answer=text, abstained=False, citations=citations, passages=passages)
