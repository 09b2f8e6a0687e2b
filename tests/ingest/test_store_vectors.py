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
