"""Baselines: fixed windows for BM25, the LangChain recipe over the real e5 model."""

from __future__ import annotations

import pytest

from eval.baselines import BM25System, LangChainSystem, word_windows

TEXTS = {
    "avgift.txt": "Socialnämnden beslutar att höja avgiften för hemsjukvård till 300 kronor per månad från 1 mars.",
    "skola.txt": "Barn- och utbildningsnämnden beslutar om nya skolskjutsar till hösten för elever i årskurs 6.",
}


@pytest.mark.parametrize(
    ("n_words", "starts"),
    [(420, [0, 150, 300]), (200, [0]), (201, [0, 150]), (30, [0]), (0, [])],
)
def test_word_windows_step_150(n_words, starts):
    words = [f"w{i}" for i in range(n_words)]
    windows = word_windows(" ".join(words))
    assert [int(w.split()[0][1:]) for w in windows] == starts
    assert all(len(w.split()) <= 200 for w in windows)


def test_bm25_finds_stemmed_word_and_answers_naively():
    system = BM25System(TEXTS)
    hits = system.search("avgifterna för hemsjukvården", 5)
    assert hits[0].fil == "avgift.txt"
    answer = system.ask("skolskjutsen")
    assert not answer.abstained and answer.citations[0].fil == "skola.txt" and "[1]" in answer.answer


@pytest.mark.slow
def test_langchain_recipe_ranks_by_meaning(embedder):
    system = LangChainSystem(TEXTS, embedder)
    try:
        assert system.search("vad kostar sjukvård i hemmet?", 2)[0].fil == "avgift.txt"
        assert system.search("transport till skolan", 2)[0].fil == "skola.txt"
    finally:
        system.close()
