"""Generative answers through LangChain and any OpenAI-compatible endpoint.

vLLM, Ollama, llama.cpp's server and hosted APIs all speak the OpenAI chat API, so
one client covers them: ASSISTENT_LLM_BASE_URL, ASSISTENT_LLM_MODEL, ASSISTENT_LLM_API_KEY.
The answer is streamed token by token; assistent.engine.core verifies it before it counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistent.errors import ModelError
from assistent.prompts import SYSTEM_PROMPT, USER_PROMPT
from assistent.records import Passage
from assistent.settings import LLMSettings


def chat_model(settings: LLMSettings):
    """The LangChain chat model for the configured endpoint."""
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
        streaming=True,
    )


def source_text(p: Passage) -> str:
    """One source as the model sees it: 'Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8 — rubrik\ntext'.

    The verifier checks an answer against exactly this text, so a date, § or diarienummer
    the model took from the label line counts as sourced.

    Args:
        p: a retrieved passage.
    """
    from assistent.engine.compose import citation_label

    title = f" — {p.rubrik}" if p.rubrik else ""
    return f"{citation_label(p)}{title}\n{p.text}"


def format_sources(passages: list[Passage]) -> str:
    """The numbered sources block of the prompt: '[1] <source_text>' separated by blank lines."""
    return "\n\n".join(f"[{i}] {source_text(p)}" for i, p in enumerate(passages, start=1))


def generate_stream(
    settings: LLMSettings, question: str, passages: list[Passage], history: list[str]
) -> Iterator[str]:
    """Stream the model's answer to ``question`` from the numbered ``passages``.

    Args:
        settings: the LLM endpoint.
        question: the user's question.
        passages: sources, numbered [1]..[n] in this order.
        history: earlier questions of the conversation (context only).
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    context = ""
    if history:
        context = "Tidigare frågor i samtalet: " + " | ".join(history[-3:]) + "\n\n"
    messages = [
        SystemMessage(SYSTEM_PROMPT),
        HumanMessage(context + USER_PROMPT.format(sources=format_sources(passages), question=question)),
    ]
    try:
        for chunk in chat_model(settings).stream(messages):
            if chunk.content:
                yield str(chunk.content)
    except Exception as exc:  # network, auth, model name: all the user can act on is the endpoint
        raise ModelError(f"Språkmodellen på {settings.base_url} svarade inte: {exc}") from exc
