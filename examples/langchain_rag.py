"""Nämndassistenten from LangChain, offline on the bundled example corpus.

    . .venv/bin/activate && python examples/langchain_rag.py

Reads ``corpus/`` into the data directory first when it is empty (ASSISTENT_DATA_DIR, default
``data``; about a minute the first time). No language model is needed: the answer chain is
extractive unless ASSISTENT_LLM_BASE_URL and ASSISTENT_LLM_MODEL are set, and then streams the
model's tokens before the verified answer.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistent.api import Assistant
from assistent.lc_chain import answer_chain
from assistent.lc_retriever import NamndRetriever
from assistent.lc_store import as_vectorstore

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTION = "Vad gäller ärende VSF.2024.8?"


def source_line(doc: Document) -> str:
    m = doc.metadata
    where = ", ".join(
        str(v) for v in (m["kommun"], m["namnd"], m["datum"], m["diarienummer"], m["paragraf"]) if v
    )
    return f"{where} – {m['rubrik'] or m['fil']} (s. {m['sida']}, score {m['score']:.3f})"


def numbered_sources(docs: list[Document]) -> str:
    """What a user's prompt would get: numbered sources with their citation fields."""
    return "\n".join(f"[{i}] {source_line(d)}\n    {d.page_content[:160]}…" for i, d in enumerate(docs, 1))


def demo(assistant: Assistant) -> None:
    # 1. our retriever in a user's own RAG chain (here the "model" just shows the prompt it would get)
    retriever = NamndRetriever(assistant=assistant, search_kwargs={"k": 3})
    rag = {
        "sources": retriever | RunnableLambda(numbered_sources),
        "question": RunnablePassthrough(),
    } | RunnableLambda(lambda x: f"Fråga: {x['question']}\nKällor:\n{x['sources']}")
    print(rag.invoke(QUESTION), end="\n\n")

    # 2. the assistant's own answer as an LCEL chain, streamed: the model's tokens as they come
    #    (with ASSISTENT_LLM_BASE_URL set), then the verified answer; extractive without a model
    answer = None
    for chunk in answer_chain(assistant).stream(QUESTION):
        if chunk.get("text"):
            print(chunk["text"], end="", flush=True)
        answer = chunk.get("answer", answer)
    assert answer is not None  # the last chunk holds it; ask_chain(assistant).invoke(q) returns it directly
    print(f"Svar ({answer.mode}): {answer.answer}")
    for c in answer.citations:
        print(
            f"  [{c.n}] {', '.join(str(v) for v in (c.kommun, c.namnd, c.datum, c.diarienummer, c.paragraf) if v)}"
        )
    print()

    # 3. the collection as a plain LangChain vector store (dense only)
    for doc in as_vectorstore(assistant).similarity_search("avgift för hemsjukvård", k=2):
        print(f"Chroma: {doc.metadata.get('kommun')} · {doc.metadata.get('fil')}: {doc.page_content[:100]}…")


def main() -> None:
    assistant = Assistant()
    if assistant.store.count_documents() == 0:
        from ingest.pipeline import ingest_paths

        print(f"Läser in {CORPUS} …")
        ingest_paths([CORPUS], assistant.settings, progress=False)
        assistant = Assistant(assistant.settings)
    demo(assistant)


if __name__ == "__main__":
    main()
