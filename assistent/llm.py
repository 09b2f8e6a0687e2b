"""Generative answers through LangChain and any OpenAI-compatible endpoint.

vLLM, Ollama, llama.cpp's server and hosted APIs all speak the OpenAI chat API, so
one client covers them: ASSISTENT_LLM_BASE_URL, ASSISTENT_LLM_MODEL, ASSISTENT_LLM_API_KEY.
This module holds the parts (chat model, prompt, sources as the model sees them); the chain
that retrieves, budgets, generates and verifies is assistent.lc_chain.answer_chain.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from grund.errors import ModelError
from grund.prompts import HISTORY_PROMPT, LLM_UNAVAILABLE, SYSTEM_PROMPT, USER_PROMPT
from grund.records import Passage
from grund.settings import LLMSettings

log = logging.getLogger(__name__)

#: The prompt: system instructions, then (earlier questions,) numbered sources and the question.
PROMPT = ChatPromptTemplate.from_messages([("system", SYSTEM_PROMPT), ("human", "{context}" + USER_PROMPT)])


def chat_model(settings: LLMSettings, streaming: bool = True):
    """The LangChain chat model for the configured endpoint (streamed unless told otherwise)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.base_url,
        model=settings.model,
        api_key=settings.api_key,
        temperature=settings.temperature,
        # langchain-openai sends its max_tokens as "max_completion_tokens", which llama.cpp's
        # server (and other older OpenAI-compatible servers) ignore: the model then generates
        # until its context is full (8,000 tokens, ~8 min on 2 cores). "max_tokens" in the
        # body is understood by vLLM, Ollama, llama.cpp and the hosted API alike.
        extra_body={"max_tokens": settings.max_tokens},
        timeout=settings.timeout_s,
        max_retries=1,
        streaming=streaming,
    )


def source_text(p: Passage) -> str:
    """One source as the model sees it: 'Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8 — rubrik\ntext'.

    The verifier checks an answer against exactly this text, so a date, § or diarienummer
    the model took from the label line counts as sourced.

    Args:
        p: a retrieved passage.
    """
    from grund.records import citation_label

    title = f" — {p.rubrik}" if p.rubrik else ""
    return f"{citation_label(p)}{title}\n{p.text}"


def format_sources(passages: list[Passage]) -> str:
    """The numbered sources block of the prompt: '[1] <source_text>' separated by blank lines."""
    return "\n\n".join(f"[{i}] {source_text(p)}" for i, p in enumerate(passages, start=1))


def history_context(history: list[str]) -> str:
    """The earlier-questions line of the prompt ('' without history; the last three only)."""
    return HISTORY_PROMPT.format(questions=" | ".join(history[-3:])) if history else ""


def prompt_values(question: str, passages: list[Passage], history: list[str]) -> dict[str, str]:
    """The variables of ``PROMPT``: context (earlier questions), sources, question."""
    return {"context": history_context(history), "sources": format_sources(passages), "question": question}


def fixed_prompt_text(question: str, history: list[str]) -> str:
    """Every text of the prompt but the sources, for the token budget."""
    return SYSTEM_PROMPT + history_context(history) + USER_PROMPT.format(sources="", question=question)


def generate_stream(
    settings: LLMSettings, question: str, passages: list[Passage], history: list[str]
) -> Iterator[str]:
    """Stream the model's answer to ``question`` from the numbered ``passages`` (prompt | model | parser).

    Args:
        settings: the LLM endpoint.
        question: the user's question.
        passages: sources, numbered [1]..[n] in this order.
        history: earlier questions of the conversation (context only).

    Raises:
        ModelError: the endpoint failed; the message names no endpoint (that goes to the log).
    """
    chain = PROMPT | chat_model(settings) | StrOutputParser()
    try:
        for token in chain.stream(prompt_values(question, passages, history)):
            if token:
                yield token
    except Exception as exc:  # network, auth, model name, context: all logged, none shown
        log.warning("language model at %s failed: %r", settings.base_url, exc)
        raise ModelError(LLM_UNAVAILABLE) from exc
