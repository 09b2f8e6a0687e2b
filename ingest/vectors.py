"""The vector side of the store: the Chroma client, chunk metadata, and exact filtered search.

Chroma holds every chunk's vector and answers unfiltered questions from its HNSW graph.
With a kommun/nämnd/date filter the chunk ids that pass come from the store's filter columns
(``Store.chunk_ids_where``, ingest/store_filters.py, with their positions, so their rows here
are one permutation away), and the store scores them exactly instead: ``VectorTable``
keeps every vector in one float32 matrix (47,431 × 384 = 73 MB at 100× the example
corpus) and takes dot products over the filtered rows. Chroma's filtered HNSW cost
157 / 625 ms p50 / p95 at 100× in the same run as the exact path's 74 / 224 ms
(eval/reports/bench.md, 2026-12-01).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from grund.dnr import normalize_paragraf
from grund.records import Chunk
from grund.settings import Settings

#: Filters whose rows (positions in the vector table) are kept: 8 bytes a row, ≤ 380 kB each at 100×.
ROWS_CACHE_SIZE = 32
#: Bytes of gathered sub-matrices kept over all cached filters (only shares under a quarter of
#: the archive are gathered: ≤ 18 MB each at 100×); over this the oldest sub-matrix goes.
SUBMATRIX_CACHE_BYTES = 96 << 20
#: Chroma's largest batch is 5461 ids; reads and writes go in steps below it.
CHROMA_STEP = 5000


class _OneBlasThread:
    """A context in which numpy's BLAS (OpenBLAS) runs a product on the calling thread alone.

    The products here are matrix × vector, bound by memory, not arithmetic; split over
    OpenBLAS's 2 threads they wait for each other whenever the machine is busy. Measured
    2026-12-01 on the shared 2 cores (load ~3): 5,000 × 384 rows 7.4 ms on 2 threads, 0.5 ms
    on one (the same scores, bit for bit). Nested and concurrent uses share one limit: the
    first in sets it, the last out restores the library's own setting (threadpoolctl).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._controller: Any = None
        self._limiter: Any = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                try:
                    if self._controller is None:
                        from threadpoolctl import ThreadpoolController

                        self._controller = ThreadpoolController()
                    self._limiter = self._controller.limit(limits=1, user_api="blas")
                except Exception:  # no threadpoolctl or an unknown BLAS: products run as they are
                    self._limiter = None
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._limiter is not None:
                    self._limiter.restore_original_limits()
                    self._limiter = None


one_blas_thread = _OneBlasThread()


#: chromadb starts one embedded system per path and process, and two threads starting it at
#: once fail ("'RustBindingsAPI' object has no attribute 'bindings'", or the process dies): seen
#: as HTTP 500s and reset connections in the first seconds of ``serve --workers 2`` under load.
_CLIENT_LOCK = threading.Lock()


def chroma_client(settings: Settings):
    """Embedded persistent client by default; a Chroma server when CHROMA_HOST is set."""
    with _CLIENT_LOCK:
        return _chroma_client(settings)


def _chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma.host:
        return chromadb.HttpClient(
            host=settings.chroma.host, port=settings.chroma.port, ssl=settings.chroma.ssl, settings=client_settings
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=client_settings)


def forget_chroma_client(settings: Settings) -> None:
    """Make the next ``chroma_client`` read the disk afresh instead of this process's cached one.

    chromadb keeps one embedded system per path and process; its vector index is loaded
    once, so another process's writes stay invisible to it. Dropping it from the cache
    (not stopping it: queries of other threads may still run on it) lets the next client
    load the index as it is now; the old one goes when nothing refers to it.
    """
    if settings.chroma.host:
        return
    from chromadb.api.shared_system_client import SharedSystemClient

    with _CLIENT_LOCK:
        SharedSystemClient._identifier_to_system.pop(str(settings.chroma_dir), None)


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata: only scalars, None left out; dates as YYYYMMDD ints for range filters."""
    meta: dict[str, Any] = {
        "document_id": chunk.document_id,
        "section_id": chunk.section_id,
        "kommun": chunk.kommun,
        "namnd": chunk.namnd,
        "dokumenttyp": chunk.dokumenttyp,
        "datum": int(chunk.datum.strftime("%Y%m%d")) if chunk.datum else None,
        "dnr_norm": chunk.dnr_norm,
        "paragraf_nr": normalize_paragraf(chunk.paragraf) if chunk.paragraf else None,
        "part": chunk.part,
        "fil": chunk.fil,
        "sida": chunk.sida,
    }
    return {k: v for k, v in meta.items() if v is not None}


class VectorTable:
    """Every chunk's vector in one matrix, for exact scores over a filtered subset.

    Built once per store generation (a write or another process's ingest drops it). Per
    filter set (the same frozenset object ``Store.chunk_ids_where`` hands out until the next
    write) it keeps the rows that pass (8 bytes a row) and, for a small share of the archive
    and within a byte budget, those rows' vectors as one contiguous matrix. How a question is
    scored, by the share of the archive that passes (measured at 100×, 47,200 vectors, on 2
    busy cores): a quarter or more → one product over the whole matrix, read in order, and
    the passing rows' scores (~14–20 ms, 72 MB read); less → the cached sub-matrix, or the
    rows gathered (a gather of 22k scattered rows cost ~60 ms, so it is done once per filter).
    Until 2026-12-01 rows and vectors shared one budget, so 8 filters in turn evicted each
    other and every question looked its ~20k ids up again (p95 224 ms at 100×).
    """

    def __init__(self, ids: list[str], matrix: np.ndarray):
        self.ids = ids
        self.pos = {cid: i for i, cid in enumerate(ids)}
        self.matrix = matrix
        self._rows: dict[int, tuple[Collection[str], np.ndarray]] = {}  # id(allowed) -> (allowed, rows)
        self._subs: dict[int, np.ndarray] = {}  # id(allowed) -> matrix[rows], for small shares
        self._sub_bytes = 0

    @classmethod
    def load(cls, collection: Any) -> VectorTable:
        """Read every vector of a Chroma collection, in steps below its batch limit."""
        ids: list[str] = []
        parts: list[np.ndarray] = []
        for offset in range(0, collection.count(), CHROMA_STEP):
            got = collection.get(include=["embeddings"], limit=CHROMA_STEP, offset=offset)
            ids += got["ids"]
            parts.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
        matrix = np.ascontiguousarray(np.concatenate(parts)) if parts else np.zeros((0, 0), np.float32)
        return cls(ids, matrix)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, allowed: Collection[str]) -> np.ndarray:
        """Ascending table rows of the ids in ``allowed`` (ids without a vector left out)."""
        key = id(allowed)
        hit = self._rows.get(key)
        if hit is not None and hit[0] is allowed:
            return hit[1]
        pos = self.pos
        rows_in = getattr(allowed, "rows_in", None)  # a filter's ChunkSet (ingest/store_filters.py)
        if rows_in is not None:
            rows = rows_in(self, pos)  # ascending already
            self._keep_rows(allowed, rows)
            return rows
        try:  # map over the dict's own look-up: ~3× faster than a generator at 20k ids
            rows = np.fromiter(map(pos.__getitem__, allowed), dtype=np.int64, count=len(allowed))
        except KeyError:  # a chunk without a vector (doctor repairs it): leave it out
            rows = np.fromiter((pos[c] for c in allowed if c in pos), dtype=np.int64)
        rows.sort()  # ascending rows read the matrix front to back; ties break by row below
        self._keep_rows(allowed, rows)
        return rows

    def _keep_rows(self, allowed: Collection[str], rows: np.ndarray) -> None:
        if isinstance(allowed, frozenset):  # a mutable set may change: never kept
            if len(self._rows) >= ROWS_CACHE_SIZE:
                self._forget(next(iter(self._rows)))
            self._rows[id(allowed)] = (allowed, rows)

    def _forget(self, key: int) -> None:
        self._rows.pop(key, None)
        sub = self._subs.pop(key, None)
        self._sub_bytes -= sub.nbytes if sub is not None else 0

    def _scores(self, q: np.ndarray, rows: np.ndarray, allowed: Collection[str]) -> np.ndarray:
        if rows.size * 4 >= len(self.ids):
            return (self.matrix @ q)[rows]
        key = id(allowed)
        sub = self._subs.get(key)
        if sub is None or self._rows.get(key, (None,))[0] is not allowed:
            sub = self.matrix[rows]
            if key in self._rows and sub.nbytes <= SUBMATRIX_CACHE_BYTES:
                while self._subs and self._sub_bytes + sub.nbytes > SUBMATRIX_CACHE_BYTES:
                    old = self._subs.pop(next(iter(self._subs)))
                    self._sub_bytes -= old.nbytes
                self._subs[key] = sub
                self._sub_bytes += sub.nbytes
        return sub @ q

    def search(self, query: np.ndarray, k: int, allowed: Collection[str] | None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``k`` best of ``allowed``, best first; ties by row.
        Vectors are L2-normalised, so the dot product is the cosine.

        Args:
            query: the question's vector.
            k: how many.
            allowed: chunk ids that may be returned; None = every chunk.
        """
        if k <= 0 or (allowed is not None and not allowed) or not self.ids:
            return []
        q = np.asarray(query, dtype=np.float32)
        if allowed is None:
            rows = np.arange(len(self.ids))
            with one_blas_thread():
                sims = self.matrix @ q
        else:
            rows = self.rows_of(allowed)
            if not rows.size:
                return []
            with one_blas_thread():
                sims = self._scores(q, rows, allowed)
        top = np.argpartition(-sims, k - 1)[:k] if sims.size > k else np.arange(sims.size)
        top = top[np.lexsort((rows[top], -sims[top]))]
        return [(self.ids[rows[i]], float(sims[i])) for i in top]
