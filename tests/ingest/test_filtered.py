"""Filtered dense search: the chunks that pass kommun/nämnd/date filters are scored exactly,
so the top ids equal a brute-force search over them, and new writes are seen."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from assistent.retrieve import _where
from grund.records import Filters
from grund.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.store import Store
from tests.conftest import CORPUS
from tests.ingest.test_store import DOC_A, FakeEmbedder, write


@pytest.fixture(scope="module")
def settings(tmp_path_factory, models_dir) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("filtered"), model_cache=models_dir)


@pytest.fixture(scope="module")
def corpus_store(settings) -> Store:
    """The example corpus with hash vectors (plumbing: the ranking is checked against brute force),
    ingested once for the module; the last test adds a document."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("ingest.embed.get_embedder", lambda settings: FakeEmbedder())
        summary = ingest_paths([CORPUS], settings, progress=False)
        assert summary.ok, summary.render()
        store = Store(settings)
        yield store
        store.close()


def brute_force(store: Store, query: np.ndarray, allowed: set[str], k: int) -> list[str]:
    got = store.collection.get(include=["embeddings"])
    sims = {cid: float(np.dot(v, query)) for cid, v in zip(got["ids"], got["embeddings"], strict=True)}
    return sorted((c for c in allowed if c in sims), key=lambda c: (-sims[c], c))[:k]


def filter_cases(store: Store) -> list[Filters]:
    facets = store.facets()
    kommuner, namnder = facets["kommuner"], facets["namnder"]
    assert len(kommuner) >= 2 and namnder
    return [
        Filters(kommun=kommuner[0]),
        Filters(kommun=kommuner[-1]),
        Filters(namnd=namnder[0]),
        Filters(kommun=kommuner[0], date_from=dt.date(2023, 1, 1)),
        Filters(date_to=dt.date(2023, 12, 31)),
    ]


def test_filtered_search_equals_brute_force(corpus_store):
    rng = np.random.default_rng(7)
    for f in filter_cases(corpus_store):
        allowed = corpus_store.chunk_ids_where(f)
        assert allowed, f
        for _ in range(3):
            q = rng.normal(size=FakeEmbedder.dim).astype(np.float32)
            q /= np.linalg.norm(q)
            hits = corpus_store.dense_search(q, 10, _where(f), allowed=allowed)
            assert [c for c, _ in hits] == brute_force(corpus_store, q, allowed, 10), f
            assert all(a >= b for (_, a), (_, b) in zip(hits, hits[1:], strict=False))


def _sql_ids_where(store: Store, f: Filters) -> set[str]:
    """The same filter as SQL over the chunks table (the store's way before the filter columns)."""
    clauses, args = [], []
    for col in ("kommun", "namnd", "dokumenttyp"):
        if getattr(f, col):
            clauses.append(f"{col} = ?")
            args.append(getattr(f, col))
    if f.date_from:
        clauses.append("datum >= ?")
        args.append(f.date_from.isoformat())
    if f.date_to:
        clauses.append("datum <= ?")
        args.append(f.date_to.isoformat())
    return {r[0] for r in store._rows(f"SELECT id FROM chunks WHERE {' AND '.join(clauses)}", args)}


def test_filter_columns_pass_what_sql_passes(corpus_store):
    """The vectorised filter columns (ingest/store_filters.py) pass exactly the chunks SQL would,
    and the positions they hand to BM25 and the vector table are those chunks'."""
    undated = corpus_store._rows("SELECT COUNT(*) FROM chunks WHERE datum IS NULL")[0][0]
    cases = [
        *filter_cases(corpus_store),
        Filters(kommun="Ingenstans kommun"),
        Filters(dokumenttyp="protokoll", date_to=dt.date(2030, 1, 1)),
        Filters(date_from=dt.date(1990, 1, 1)),
        Filters(namnd=corpus_store.facets()["namnder"][-1], date_from=dt.date(2023, 6, 1), date_to=dt.date(2024, 6, 1)),
    ]
    for f in cases:
        got = corpus_store.chunk_ids_where(f)
        assert got is not None and set(got) == _sql_ids_where(corpus_store, f), f
    assert corpus_store.chunk_ids_where(Filters()) is None
    table = corpus_store.vector_table()
    allowed = corpus_store.chunk_ids_where(cases[0])
    assert list(table.rows_of(allowed)) == sorted(table.pos[c] for c in allowed)
    index = corpus_store.lexical()
    assert list(allowed.rows_in(index, index._pos)) == sorted(index._pos[c] for c in allowed)
    # an undated chunk passes no date bound, as in SQL (the corpus may date every chunk)
    everything = corpus_store.chunk_ids_where(Filters(date_from=dt.date(1, 1, 1)))
    assert len(everything) == len(corpus_store.chunk_ids()) - undated


def test_chroma_path_agrees_on_a_small_store(corpus_store, settings):
    """The old path (exact_filter_max=0: Chroma's filtered HNSW) finds the same chunks here."""
    chroma_only = settings.model_copy(
        update={"retrieval": settings.retrieval.model_copy(update={"exact_filter_max": 0})}
    )
    old = Store(chroma_only)
    q = np.ones(FakeEmbedder.dim, np.float32) / 4.0
    for f in filter_cases(corpus_store):
        allowed = corpus_store.chunk_ids_where(f)
        new_hits = corpus_store.dense_search(q, 10, _where(f), allowed=allowed)
        old_hits = old.dense_search(q, 10, _where(f), allowed=allowed)
        assert [c for c, _ in new_hits] == [c for c, _ in old_hits], f
        np.testing.assert_allclose([s for _, s in new_hits], [s for _, s in old_hits], atol=1e-5)
    old.close()


def test_nothing_passes_the_filter(corpus_store):
    q = np.ones(FakeEmbedder.dim, np.float32) / 4.0
    assert corpus_store.dense_search(q, 10, {"kommun": "Ingenstans"}, allowed=set()) == []


def test_cached_filter_masks_give_the_same_bm25_hits(corpus_store):
    f = filter_cases(corpus_store)[0]
    allowed = corpus_store.chunk_ids_where(f)
    index = corpus_store.lexical()
    first = index.search("socialnämnden budget", 10, allowed_ids=allowed)
    assert first and all(c in allowed for c, _ in first)
    assert index.search("socialnämnden budget", 10, allowed_ids=allowed) == first
    assert index.search("socialnämnden budget", 10, allowed_ids=set(allowed)) == first


def test_a_new_document_is_found_by_the_next_filtered_search(tmp_path, corpus_store, settings, monkeypatch):
    monkeypatch.setattr("ingest.embed.get_embedder", lambda settings: FakeEmbedder())
    q = np.ones(FakeEmbedder.dim, np.float32) / 4.0
    everything = set(corpus_store.chunk_ids())
    corpus_store.dense_search(q, 5, None, allowed=everything)  # loads the vector table
    f = filter_cases(corpus_store)[0]
    kept = corpus_store.chunk_ids_where(f)
    assert corpus_store.chunk_ids_where(f) is kept  # one set per filter until the next write
    before = corpus_store.dense_search(q, 5, _where(f), allowed=kept)
    ingest_paths([write(tmp_path / "ny", "a.txt", DOC_A)], settings, progress=False, store=corpus_store)
    added = set(corpus_store.chunk_ids()) - everything
    assert added
    hits = corpus_store.dense_search(q, 5, None, allowed=added)
    assert {c for c, _ in hits} == added
    again = corpus_store.chunk_ids_where(f)
    assert again is not kept and again >= kept
    assert corpus_store.dense_search(q, 5, _where(f), allowed=again)[0][1] >= before[0][1]
