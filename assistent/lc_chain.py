"""The answer as a LangChain Runnable.

from assistent.lc_chain import ask_chain
chain = ask_chain(Assistant())
answer = chain.invoke("vad beslutade socialnämnden om avgiften för hemsjukvård?")   # an Answer
chain.invoke({"question": "och vad kostar det?", "history": ["…"], "filters": {"kommun": "…"}})

It runs ``Assistant.ask``: extractive without a language model, generative (verified against the
sources) when one is configured, so the chain works in both cases. Callbacks and tags in the
config reach the run (``chain.invoke(q, config={"callbacks": [handler]})``).
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistent.api import Assistant
from assistent.records import Answer, Filters


def ask_chain(assistant: Assistant) -> Runnable[str | dict[str, Any], Answer]:
    """A Runnable from a question (a str, or a dict with question, filters, history) to an ``Answer``.

    Args:
        assistant: the assistant that answers.
    """

    def ask(inputs: str | dict[str, Any]) -> Answer:
        if isinstance(inputs, str):
            return assistant.ask(inputs)
        filters = inputs.get("filters")
        if isinstance(filters, dict):
            filters = Filters.model_validate(filters)
        return assistant.ask(inputs["question"], filters=filters, history=inputs.get("history"))

    return RunnableLambda(ask, name="namnd_ask")
