"""The exact vector table (ingest/vectors.py): every way it scores a filtered subset (whole-matrix
product, gathered rows, cached sub-matrix, evicted and gathered again) gives brute force's top ids."""

from __future__ import annotations

import numpy as np
import pytest

from ingest import vectors
from ingest.vectors import VectorTable


@pytest.fixture
def table() -> VectorTable:
    rng = np.random.default_rng(3)
    m = rng.normal(size=(1000, 16)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return VectorTable([f"c{i:04d}" for i in range(1000)], m)


def brute(table: VectorTable, q: np.ndarray, allowed, k: int) -> list[str]:
    sims = table.matrix @ q
    return sorted((c for c in allowed if c in table.pos), key=lambda c: (-sims[table.pos[c]], c))[:k]


def test_every_share_and_cache_state_equals_brute_force(table, monkeypatch):
    # a budget of three small sub-matrices: the twelve filters below evict each other in turn
    monkeypatch.setattr(vectors, "SUBMATRIX_CACHE_BYTES", 3 * 60 * 16 * 4)
    rng = np.random.default_rng(5)
    filters = [frozenset(f"c{i:04d}" for i in rng.choice(1000, size, replace=False)) for size in
               (3, 10, 60, 60, 60, 60, 200, 249, 250, 600, 1000, 40)]  # fmt: skip
    for _ in range(3):
        for allowed in filters:
            q = rng.normal(size=16).astype(np.float32)
            q /= np.linalg.norm(q)
            hits = table.search(q, 10, allowed)
            assert [c for c, _ in hits] == brute(table, q, allowed, 10)
            assert all(a >= b for (_, a), (_, b) in zip(hits, hits[1:], strict=False))
    assert table._sub_bytes <= vectors.SUBMATRIX_CACHE_BYTES
    assert all(len(table.rows_of(f)) == len(f) for f in filters)


def test_mutable_sets_and_ids_without_vectors(table):
    q = np.ones(16, np.float32) / 4.0
    allowed = {"c0001", "c0500", "okand-s0-c0"}  # a chunk whose vector is missing is left out
    assert [c for c, _ in table.search(q, 5, allowed)] == brute(table, q, allowed, 5)
    assert len(table.search(q, 5, allowed)) == 2
    allowed.add("c0999")  # a mutable set is never cached: the change is seen
    assert "c0999" in {c for c, _ in table.search(q, 5, allowed)}
    assert table.search(q, 5, frozenset()) == [] and table.search(q, 0, allowed) == []


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory, models_dir):
    """The example corpus with hash vectors (plumbing: rankings are checked against brute force)."""
    from grund.settings import Settings
    from ingest.pipeline import ingest_paths
    from ingest.store import Store
    from tests.conftest import CORPUS
    from tests.ingest.test_store import FakeEmbedder

    settings = Settings(data_dir=tmp_path_factory.mktemp("vectors"), model_cache=models_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("ingest.embed.get_embedder", lambda settings: FakeEmbedder())
        assert ingest_paths([CORPUS], settings, progress=False).ok
    store = Store(settings)
    yield store
    store.close()


def test_large_shares_through_unfiltered_hnsw_equal_brute_force(corpus_store, monkeypatch):
    """With the HNSW path forced on the small store (every share, any size), the chunks kept from
    the over-fetched HNSW candidates all pass the filter, carry their exact cosine, and are nearly
    all brute force's (HNSW is approximate, and Chroma builds it with threads, so not always
    every one); a share too small for the candidates to hold k of it falls back to exact scores."""
    from assistent.retrieve import _where
    from grund.records import Filters

    config = corpus_store.settings.retrieval
    monkeypatch.setattr(config, "hnsw_min_chunks", 0)
    monkeypatch.setattr(config, "hnsw_share", 0.0)
    every = corpus_store.chunk_ids()
    facets = corpus_store.facets()
    cases = [Filters(kommun=k) for k in facets["kommuner"]] + [Filters(namnd=facets["namnder"][0])]
    rng = np.random.default_rng(11)
    dim = corpus_store.vector_table().matrix.shape[1]
    chroma_calls = []
    real = corpus_store._chroma_query
    monkeypatch.setattr(corpus_store, "_chroma_query", lambda *a: chroma_calls.append(a[1]) or real(*a))
    table = corpus_store.vector_table()
    overlaps = []
    for f in cases:
        allowed = corpus_store.chunk_ids_where(f)
        for _ in range(3):
            q = rng.normal(size=dim).astype(np.float32)
            q /= np.linalg.norm(q)
            hits = corpus_store.dense_search(q, 10, _where(f), allowed=allowed)
            assert len(hits) == 10 and all(c in allowed for c, _ in hits), f
            for c, sim in hits:
                assert sim == pytest.approx(float(table.matrix[table.pos[c]] @ q), abs=1e-4)
            assert all(a >= b - 1e-6 for (_, a), (_, b) in zip(hits, hits[1:], strict=False))
            overlaps.append(len({c for c, _ in hits} & set(brute(table, q, allowed, 10))) / 10)
    assert chroma_calls and all(n <= len(every) for n in chroma_calls)
    assert sum(overlaps) / len(overlaps) >= 0.9, overlaps
    few = frozenset(every[:3])  # 3 of ~470: 10 of them cannot be among the candidates
    q = np.ones(dim, np.float32) / np.sqrt(dim)
    assert [c for c, _ in corpus_store.dense_search(q, 10, None, allowed=few)] == brute(
        corpus_store.vector_table(), q, few, 10
    )


def test_unfiltered_search_is_exact_when_hnsw_returns_too_few(corpus_store, monkeypatch):
    """Chroma's HNSW may return fewer than k beside near-duplicates; then every chunk is scored."""
    dim = corpus_store.vector_table().matrix.shape[1]
    q = np.ones(dim, np.float32) / np.sqrt(dim)
    everything = corpus_store.chunk_ids()
    expected = brute(corpus_store.vector_table(), q, everything, 10)
    assert [c for c, _ in corpus_store.vector_table().search(q, 10, None)] == expected
    real = corpus_store._chroma_query
    monkeypatch.setattr(corpus_store, "_chroma_query", lambda *a: real(*a)[:3])
    assert [c for c, _ in corpus_store.dense_search(q, 10, None)] == expected


def test_products_on_one_blas_thread_are_the_same_and_the_setting_comes_back():
    from threadpoolctl import ThreadpoolController

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in ThreadpoolController().info() if i["user_api"] == "blas"]

    before = blas_threads()
    rng = np.random.default_rng(7)
    m = rng.normal(size=(5000, 384)).astype(np.float32)
    q = rng.normal(size=384).astype(np.float32)
    with vectors.one_blas_thread():
        with vectors.one_blas_thread():  # nested (or another thread's) use shares the limit
            inner = m @ q
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before
    np.testing.assert_array_equal(inner, m @ q)
