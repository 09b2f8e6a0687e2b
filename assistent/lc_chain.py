"""The answer as LangChain Runnables: the chain ``Assistant.ask`` itself runs.

from assistent.lc_chain import answer_chain, ask_chain
chain = answer_chain(Assistant())             # the LCEL chain, a dict out
out = chain.invoke("Hur många föräldrar kom på ANDTS-kvällen i Gnesta i mars 2023?")
out["answer"]                                 # the verified Answer
for chunk in chain.stream(q): chunk.get("text")   # the model's tokens as they come, then {"answer": …}
chain.batch([q1, q2]); await chain.ainvoke(q); chain.astream(q)
ask_chain(Assistant()).invoke(q)              # an Answer, exactly what Assistant.ask returns

``answer_chain`` is, step by step (each a Runnable, so callbacks and tracing see every one):

1. ``namnd_inputs``: a question string, or a dict with question, filters, history;
2. ``namnd_extractive``: the answer engine (retrieval, ranking, abstention; no LLM). Its answer
   is what is shown without a language model, when it abstains or asks back, and whenever
   the generated answer cannot be verified;
3. with a language model configured: ``NamndRetriever`` (the sources; a follow-up keeps the
   kommun the engine settled) → ``namnd_budget`` (sources by rank until the model's context
   minus the answer's max_tokens is used, counted in the model's tokens, assistent.llm_budget)
   → ``PROMPT | ChatOpenAI | StrOutputParser`` (with a fallback when the model fails)
   → ``namnd_verify`` (assistent.verify: claims, citations, facts, overlap, the wanted kind).

Streaming yields dict chunks: the inputs and ``extractive`` first, then ``documents`` and
``sources``, then ``text`` token by token, then ``answer``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, RunnablePassthrough

from assistent.services import Services
from grund.records import Answer, Citation, Filters, Passage

log = logging.getLogger(__name__)
#: What langchain-openai raises when a streamed reply ends before its first chunk.
EMPTY_STREAM = "No generation chunks"

#: What the generation step yields when the model failed (the error itself goes to the log).
MODEL_FAILED = "\x00språkmodellen svarade inte\x00"


def _inputs(inputs: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(inputs, str):
        return {"question": inputs, "filters": None, "history": []}
    filters = inputs.get("filters")
    if isinstance(filters, dict):
        filters = Filters.model_validate(filters)
    return {"question": inputs["question"], "filters": filters, "history": list(inputs.get("history") or [])}


def _with_note(answer: Answer, note: str) -> Answer:
    return answer.model_copy(update={"notes": [*answer.notes, note]})


def answer_chain(assistant: Services, shown: bool = True) -> Runnable[str | dict[str, Any], dict[str, Any]]:
    """The LCEL chain from a question to ``{"answer": Answer, …}`` (see the module doc).

    Args:
        assistant: whose store, models and settings (``settings.llm``) answer.
        shown: finish the answer as ``Assistant.ask`` shows it (prompt-injection notes,
            personnummer masked per settings.privacy); ``Assistant.ask_stream`` does that itself.
    """
    from assistent.engine import answer as engine_answer

    def extractive(x: dict[str, Any]) -> Answer:
        return engine_answer(assistant, x["question"], x["filters"], x["history"])

    steps = RunnablePassthrough.assign(extractive=RunnableLambda(extractive, name="namnd_extractive"))

    def route(x: dict[str, Any]) -> Runnable | dict[str, Any]:
        ex: Answer = x["extractive"]
        if ex.abstained or ex.clarify or not assistant.settings.llm.enabled:
            return {"answer": ex}
        return generative_steps(assistant)

    chain: Runnable[Any, Any] = (
        RunnableLambda(_inputs, name="namnd_inputs") | steps | RunnableLambda(route, name="namnd_route")
    )
    if shown:
        chain = chain | RunnablePassthrough.assign(
            answer=RunnableLambda(_shown(assistant), name="namnd_shown")
        )
    return chain.with_config(run_name="namnd_answer")


def _shown(assistant: Services):
    """The answer as the user sees it: injection notes (assistent.safety), personnummer masked."""
    from assistent.safety import annotate_answer
    from grund.privacy import mask_value

    def finish(x: dict[str, Any]) -> Answer:
        answer = annotate_answer(x["answer"], assistant.store)
        return mask_value(answer) if assistant.settings.privacy.mask_personnummer else answer

    return finish


def generative_steps(assistant: Services) -> Runnable[dict[str, Any], dict[str, Any]]:
    """Retriever → budget → prompt | chat model | parser → verifier, over the dict of ``answer_chain``.

    Args:
        assistant: the assistant; ``settings.llm`` must name an endpoint.
    """
    from assistent.lc_retriever import NamndRetriever
    from assistent.llm import PROMPT, chat_model, fixed_prompt_text, prompt_values, source_text
    from assistent.llm_budget import budget_for, fit_sources, learn_context

    settings = assistant.settings.llm
    retriever = NamndRetriever(assistant=assistant)

    def documents(x: dict[str, Any], config: RunnableConfig) -> list:
        filters: Filters | None = x["filters"]
        kommun = x["extractive"].resolved.get("kommun")
        if x["history"] and kommun and not (filters and filters.kommun):
            # a follow-up stays in the kommun the answer engine settled (as its own search does)
            filters = (filters or Filters()).model_copy(update={"kommun": kommun})
        return retriever.invoke(x["question"], config, filters=filters, history=x["history"])

    def budget(x: dict[str, Any]) -> list[Passage]:
        counter, context = budget_for(settings)
        passages = [Passage.model_validate({**d.metadata, "text": d.page_content}) for d in x["documents"]]
        return fit_sources(
            passages,
            fixed_prompt_text(x["question"], x["history"]),
            lambda n, p: f"[{n}] {source_text(p)}",
            counter,
            context,
            settings.max_tokens,
        )

    def answering(streaming: bool) -> Runnable[dict[str, Any], str]:
        """Prompt → the endpoint's chat model → its text."""
        return PROMPT | chat_model(settings, streaming) | StrOutputParser()

    def failed(x: dict[str, Any]) -> str:
        error = x.get("error")
        log.warning("language model at %s failed: %r", settings.base_url, error)
        if learn_context(settings, error) is None and EMPTY_STREAM in str(error):
            # llama-cpp-python streams a prompt that overflows its context as an empty 200 reply;
            # asked once more without streaming, it says so ("exceed context window of 2048")
            try:
                return answering(streaming=False).invoke(prompt_values(x["question"], x["sources"], x["history"]))
            except Exception as exc:  # noqa: BLE001 (any failure: the extractive answer stands)
                log.warning("language model at %s failed again, not streamed: %r", settings.base_url, exc)
                error = exc
        if (n := learn_context(settings, error)) is not None:
            log.warning("context of %s is %d tokens (set ASSISTENT_LLM_CONTEXT_TOKENS)", settings.base_url, n)
        return MODEL_FAILED

    generate: Runnable[Any, str] = (
        RunnableLambda(
            lambda x: prompt_values(x["question"], x["sources"], x["history"]), name="namnd_prompt_values"
        )
        | answering(streaming=True)
    ).with_fallbacks([RunnableLambda(failed, name="namnd_model_failed")], exception_key="error")

    def no_sources(x: dict[str, Any]) -> bool:
        return not x["sources"]

    def generate_or_skip(x: dict[str, Any]) -> Runnable | str:
        return "" if no_sources(x) else generate

    return (
        RunnablePassthrough.assign(documents=RunnableLambda(documents, name="namnd_sources"))
        | RunnablePassthrough.assign(sources=RunnableLambda(budget, name="namnd_budget"))
        | RunnablePassthrough.assign(text=RunnableLambda(generate_or_skip, name="namnd_generate"))
        | RunnablePassthrough.assign(answer=RunnableLambda(verified, name="namnd_verify"))
    )


def verified(x: dict[str, Any]) -> Answer:
    """The generated answer if it verifies (repaired if need be), else the extractive one with a note.

    Args:
        x: the chain's dict: question, extractive, documents, sources, text.
    """
    from assistent.llm import source_text
    from assistent.verify import cited_numbers, repair, verify_answer
    from grund.prompts import CANNOT_ANSWER, LLM_NO_ANSWER, LLM_NO_ROOM, LLM_UNAVAILABLE, VERIFY_FAILED

    ex: Answer = x["extractive"]
    sources: list[Passage] = x["sources"]
    text = (x["text"] or "").strip()
    if not sources:
        return _with_note(ex, LLM_NO_ROOM)
    if text == MODEL_FAILED.strip():
        return _with_note(ex, LLM_UNAVAILABLE)
    if text.startswith(CANNOT_ANSWER):
        # the engine found an answer its checks accept; the model saw less (its budget) or read worse
        return _with_note(ex, LLM_NO_ANSWER)
    seen = [source_text(p) for p in sources]  # verified against exactly what the model saw
    question = ex.question or x["question"]
    check = verify_answer(text, seen, question)
    notes: list[str] = []
    if not check.ok:
        fixed = repair(text, check)
        if not (fixed and verify_answer(fixed, seen, question).ok):
            return _with_note(ex, VERIFY_FAILED.format(reason=check.reason))
        text = fixed
        notes.append(f"Delar av det genererade svaret togs bort vid verifieringen ({check.reason}).")
    cited = sorted({n for n in cited_numbers(text) if 1 <= n <= len(sources)})
    passages = [Passage.model_validate({**d.metadata, "text": d.page_content}) for d in x["documents"]]
    return Answer(
        question=question,
        answer=text,
        citations=[Citation(**sources[n - 1].model_dump(), n=n) for n in cited],
        passages=passages,
        mode="generativ",
        notes=notes,
        resolved=ex.resolved,
    )


def stream_events(
    assistant: Services, question: str, filters: Filters | None = None, history: list[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """``Assistant.ask_stream``'s events from ``answer_chain``: ("delta", token) as the model writes,
    ("replace", text) when what is shown differs from what streamed, then ("answer", Answer).

    Args:
        assistant: the assistant.
        question: the question (already checked).
        filters: explicit filters.
        history: earlier questions, oldest first.
    """
    streamed: list[str] = []
    extractive: Answer | None = None
    final: Answer | None = None
    try:
        chain = answer_chain(assistant, shown=False)
        for chunk in chain.stream({"question": question, "filters": filters, "history": history}):
            if "extractive" in chunk:
                extractive = chunk["extractive"]
            if chunk.get("text") and chunk["text"] != MODEL_FAILED:
                streamed.append(chunk["text"])
                yield "delta", chunk["text"]
            if "answer" in chunk:
                final = chunk["answer"]
    except Exception as exc:  # a model that fails mid-answer, after its first token
        if extractive is None:
            raise
        from grund.prompts import LLM_UNAVAILABLE

        log.warning("answer chain failed: %r", exc)
        final = _with_note(extractive, LLM_UNAVAILABLE)
    assert final is not None
    if not streamed:
        for piece in final.answer.splitlines(keepends=True):
            yield "delta", piece
    elif "".join(streamed).strip() != final.answer:
        yield "replace", final.answer
    yield "answer", final


def ask_chain(assistant: Services) -> Runnable[str | dict[str, Any], Answer]:
    """A Runnable from a question (a str, or a dict with question, filters, history) to an ``Answer``.

    It runs ``Assistant.ask``, so the answer is the product's: ``answer_chain`` (extractive
    without a language model, generated and verified with one), then the prompt-injection notes
    and personnummer masking. Callbacks in the config reach every step of ``answer_chain``.

    Args:
        assistant: the assistant that answers.
    """

    def ask(inputs: str | dict[str, Any]) -> Answer:
        x = _inputs(inputs)
        return assistant.ask(x["question"], filters=x["filters"], history=x["history"])

    return RunnableLambda(ask, name="namnd_ask")
