"""The interface every evaluated system offers, and the adapter that puts the assistant behind it."""

from __future__ import annotations

from typing import Protocol

from grund.records import Answer, Citation, Passage

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


class AssistantLLMSystem(AssistantSystem):
    """The assistant's generative path (``settings.llm``), scored on the same questions.

    Besides the answer it counts what became of each generation: shown as generated, replaced
    by the extractive answer because the verifier rejected it, because the model found no
    answer, or because the model could not be reached (context overflow, timeout, no server).
    """

    name = "assistant-llm"

    def __init__(self, assistant):
        from grund.errors import AssistentError

        if not assistant.settings.llm.enabled:
            raise AssistentError(
                "assistant-llm behöver en språkmodell: sätt ASSISTENT_LLM_BASE_URL och ASSISTENT_LLM_MODEL "
                "(och gärna ASSISTENT_LLM_CONTEXT_TOKENS)."
            )
        super().__init__(assistant)
        self.outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)

    def ask(self, question: str) -> Answer:
        answer = self.assistant.ask(question)
        self.outcomes[outcome(answer)] += 1
        return answer

    def stats(self) -> dict[str, float]:
        """Counts per outcome and the verifier's rejection rate among the generations it judged."""
        judged = self.outcomes["generated"] + self.outcomes["repaired"] + self.outcomes["rejected"]
        return {
            **{k: float(v) for k, v in self.outcomes.items()},
            "rejection_rate": round(self.outcomes["rejected"] / judged, 3) if judged else 0.0,
        }


#: What became of one question on the generative path (AssistantLLMSystem.outcomes).
OUTCOMES = ("generated", "repaired", "rejected", "no_answer", "unavailable", "no_room", "extractive")


def outcome(answer: Answer) -> str:
    """Which OUTCOMES an answer of the generative path had, read from its mode and notes.

    Args:
        answer: what ``Assistant.ask`` returned with an LLM configured.
    """
    from grund.prompts import LLM_NO_ANSWER, LLM_NO_ROOM, LLM_UNAVAILABLE, VERIFY_FAILED

    if answer.mode == "generativ":
        return "repaired" if any("togs bort vid verifieringen" in n for n in answer.notes) else "generated"
    notes = set(answer.notes)
    if LLM_UNAVAILABLE in notes:
        return "unavailable"
    if LLM_NO_ANSWER in notes:
        return "no_answer"
    if LLM_NO_ROOM in notes:
        return "no_room"
    if any(n.startswith(VERIFY_FAILED.split("(")[0]) for n in answer.notes):
        return "rejected"
    return "extractive"  # the engine abstained or asked back: the model was not asked
