"""LangChain parts over the real store (example corpus) and the real bundled model."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document

from assistent.lc_chain import ask_chain
from assistent.lc_retriever import NamndRetriever
from assistent.lc_store import as_vectorstore
from grund.records import Answer, Filters

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (
    "kommun",
    "namnd",
    "datum",
    "dokumenttyp",
    "diarienummer",
    "paragraf",
    "rubrik",
    "fil",
    "sida",
    "score",
)


class Recorder(BaseCallbackHandler):
    def __init__(self):
        self.events: list[tuple[str, object]] = []

    def on_retriever_start(self, serialized, query, **kwargs):
        self.events.append(("retriever_start", query))

    def on_retriever_end(self, documents, **kwargs):
        self.events.append(("retriever_end", len(documents)))

    def on_chain_start(self, serialized, inputs, **kwargs):
        self.events.append(("chain_start", kwargs.get("name")))

    def on_chain_end(self, outputs, **kwargs):
        self.events.append(("chain_end", type(outputs).__name__))


def test_retriever_returns_documents_with_the_contract_metadata(assistant):
    docs = NamndRetriever(assistant=assistant).invoke("Vad gäller ärende VSF.2024.8?")
    assert docs and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["paragraf"] == "§ 23"
    assert top.metadata["diarienummer"] and "VSF" in top.metadata["diarienummer"]
    for d in docs:
        assert set(CONTRACT) | {"section_id"} <= set(d.metadata)
        assert isinstance(d.metadata["score"], float) and isinstance(d.metadata["fil"], str)
        assert d.metadata["datum"] is None or isinstance(d.metadata["datum"], str)
        assert d.metadata["sida"] is None or isinstance(d.metadata["sida"], int)
        assert d.metadata["section_id"] and d.id == d.metadata["chunk_id"]
        assert d.page_content


def test_retriever_matches_assistant_search(assistant):
    question = "vad beslutade socialnämnden om avgiften för hemsjukvård?"
    expected = [p.chunk_id for p in assistant.search(question, k=5).passages]
    docs = NamndRetriever(assistant=assistant, search_kwargs={"k": 5}).invoke(question)
    assert [d.id for d in docs] == expected


@pytest.mark.parametrize(
    "search_kwargs",
    [
        {"kommun": "Gnesta kommun"},
        {"filters": Filters(kommun="Gnesta kommun")},
        {"filters": {"kommun": "Gnesta kommun"}},
    ],
)
def test_kommun_filter_is_hard(assistant, search_kwargs):
    docs = NamndRetriever(assistant=assistant, search_kwargs={"k": 10, **search_kwargs}).invoke(
        "vad beslutade socialnämnden om avgiften för hemsjukvård?"
    )
    assert docs and {d.metadata["kommun"] for d in docs} == {"Gnesta kommun"}


def test_per_call_kwargs_override_search_kwargs(assistant):
    retriever = NamndRetriever(assistant=assistant, search_kwargs={"k": 10, "kommun": "Gnesta kommun"})
    docs = retriever.invoke("sjukfrånvaro", kommun="Strängnäs kommun", dokumenttyp="plan", k=3)
    assert 0 < len(docs) <= 3
    assert {(d.metadata["kommun"], d.metadata["dokumenttyp"]) for d in docs} == {("Strängnäs kommun", "plan")}


def test_unknown_search_kwarg_is_refused(assistant):
    with pytest.raises(ValueError, match="kommuner"):
        NamndRetriever(assistant=assistant, search_kwargs={"kommuner": "x"}).invoke("avgift")


def test_ainvoke_returns_what_invoke_returns(assistant):
    retriever = NamndRetriever(assistant=assistant, search_kwargs={"k": 5})
    question = "Vad gäller ärende VSF.2024.8?"
    docs = asyncio.run(retriever.ainvoke(question))
    assert [d.id for d in docs] == [d.id for d in retriever.invoke(question)]
    assert docs[0].metadata["paragraf"] == "§ 23"


def test_callback_handler_sees_the_retriever_run(assistant):
    recorder = Recorder()
    docs = NamndRetriever(assistant=assistant).invoke(
        "Vad gäller ärende VSF.2024.8?", config={"callbacks": [recorder]}
    )
    assert recorder.events == [
        ("retriever_start", "Vad gäller ärende VSF.2024.8?"),
        ("retriever_end", len(docs)),
    ]


def test_vectorstore_similarity_search_returns_corpus_text(assistant):
    db = as_vectorstore(assistant)
    top = assistant.search("Vad gäller ärende VSF.2024.8?", k=1).passages[0]
    # a sentence of the § itself finds the §
    probe = top.text[:300]
    found = db.similarity_search(probe, k=3)
    assert found and all(d.page_content for d in found)
    assert top.section_id in {d.metadata["section_id"] for d in found}
    scored = db.similarity_search_with_relevance_scores(probe, k=1)
    assert 0.8 < scored[0][1] <= 1.0001


def test_vectorstore_filter_uses_collection_metadata(assistant):
    found = as_vectorstore(assistant).similarity_search("avgift", k=5, filter={"kommun": "Gnesta kommun"})
    assert found and {d.metadata["kommun"] for d in found} == {"Gnesta kommun"}


def test_ask_chain_returns_the_extractive_answer_and_passes_callbacks(assistant):
    recorder = Recorder()
    question = "Vad gäller ärende VSF.2024.8?"
    answer = ask_chain(assistant).invoke(question, config={"callbacks": [recorder]})
    assert isinstance(answer, Answer) and answer.mode == "extraktiv"
    assert answer.model_dump() == assistant.ask(question).model_dump()
    assert any(c.paragraf == "§ 23" for c in answer.citations)
    assert ("chain_start", "namnd_ask") in recorder.events and ("chain_end", "Answer") in recorder.events


def test_ask_chain_takes_filters_and_history(assistant):
    answer = ask_chain(assistant).invoke(
        {
            "question": "vad beslutade nämnden om avgiften för hemsjukvård?",
            "filters": {"kommun": "Gnesta kommun"},
        }
    )
    assert answer.passages and {p.kommun for p in answer.passages} == {"Gnesta kommun"}


def test_example_script_runs_offline(assistant, capsys):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import langchain_rag
    finally:
        sys.path.remove(str(ROOT / "examples"))
    langchain_rag.demo(assistant)
    out = capsys.readouterr().out
    assert "§ 23" in out and "VSF.2024.8" in out
    assert "Svar (extraktiv)" in out
