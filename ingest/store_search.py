"""Search over the store's two indexes: dense (Chroma, or exact over a filtered subset) and
BM25 (ingest/lexical.py), kept in step with SQLite.

A mixin of ``Store`` (ingest/store.py). Dense search with filters scores the chunks that pass
exactly (ingest/vectors.py: ``VectorTable``) when there are at most
``settings.retrieval.exact_filter_max`` of them, else asks Chroma's filtered HNSW. The BM25
index is updated by segments from SQLite (``update_lexical``: the documents written since
its stamp) and carries a fingerprint of its ids; a reader whose fingerprint disagrees
brings it in step the same way.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grund.records import Chunk
from grund.settings import Settings
from ingest.lexical import LexicalIndex, fingerprint_of
from ingest.vectors import VectorTable

log = logging.getLogger(__name__)
#: Tries of a Chroma query before dense search gives up for this question.
_CHROMA_TRIES = 3
#: Candidates asked of the unfiltered HNSW per passing chunk wanted, over the share that passes:
#: at 100× with 1.5, 95 % of filtered dev questions got exact brute force's top 10 (overlap 99 %).
HNSW_OVERFETCH = 2.0


class SearchIndexes:
    """Dense and lexical search of the store (mixed into ``Store``)."""

    if TYPE_CHECKING:
        settings: Settings
        dir: Path
        _lock: threading.RLock
        _lexical: LexicalIndex | None
        _lexical_base: LexicalIndex | None
        _vectors: VectorTable | None
        _chroma_n: int | None

        @property
        def collection(self) -> Any: ...

        def refresh(self) -> bool: ...

        def _reopen_chroma(self) -> None: ...

        def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]: ...

        def chunk_ids(self) -> list[str]: ...

        def get_chunks(self, ids: Iterable[str]) -> dict[str, Chunk]: ...

    def dense_search(
        self,
        embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        allowed: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first; [] when Chroma keeps failing (see module docstring).

        Args:
            embedding: the question's vector.
            k: how many.
            where: Chroma metadata filter, used when the exact path is not taken.
            allowed: the chunk ids that pass the same filters (``chunk_ids_where``); when there
                are at most ``settings.retrieval.exact_filter_max`` of them they are scored exactly,
                unless the archive is large and they are a large share of it (see below).

        Chosen by measurement at 100× the example corpus (47,200 chunks, 2 busy cores): Chroma's
        unfiltered HNSW for 200 candidates took 15 / 32 ms p50 / p95, one exact product over all
        47,200 vectors 35 / 63 ms (72 MB read per question), Chroma's HNSW with the filter
        157 / 625 ms. So when at least ``hnsw_share`` of an archive of ``hnsw_min_chunks`` or
        more passes, the unfiltered HNSW is asked for k / share × 1.5 candidates and those that
        pass are kept (a kommun with half the archive: 130 for k = 40); when fewer than k pass,
        and for smaller shares, the passing chunks are scored exactly (ingest/vectors.py).
        """
        self.refresh()
        config = self.settings.retrieval
        if allowed is not None and len(allowed) <= config.exact_filter_max:
            total = self._chunk_count()
            share = len(allowed) / total if total else 1.0
            if total >= config.hnsw_min_chunks and share >= config.hnsw_share and k > 0:
                hits = self._chroma_query(embedding, min(total, math.ceil(k / share * HNSW_OVERFETCH) + 10), None)
                passing = [(cid, sim) for cid, sim in hits if cid in allowed][:k]
                if len(passing) == k:
                    return passing
            return self.exact_dense_search(embedding, k, allowed)
        hits = self._chroma_query(embedding, k, where)
        if where is None and len(hits) < k and len(hits) < self._chunk_count() <= config.exact_filter_max:
            # Chroma's HNSW can return fewer than k beside many near-duplicates (at 100× the example
            # corpus, whose copies are near-duplicates, 33 of 40 asked): score everything exactly
            return self.vector_table().search(embedding, k, None)
        return hits

    def _chunk_count(self) -> int:
        # the vector table's size once loaded, else SQLite's count (the table need not load for it)
        if self._vectors is not None:
            return len(self._vectors)
        return self._rows("SELECT COUNT(*) FROM chunks")[0][0]

    def _chroma_query(self, embedding: np.ndarray, k: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        from chromadb.errors import ChromaError

        for attempt in range(_CHROMA_TRIES):
            try:
                n = self._chroma_size()
                if n == 0:
                    return []
                res = self.collection.query(
                    query_embeddings=[embedding.tolist()], n_results=min(k, n), where=where or None,
                    include=["distances"],
                )
                return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]
            except ChromaError as exc:  # another process wrote since this one loaded the index
                log.warning("Chroma-sökningen misslyckades (försök %d): %s", attempt + 1, exc)
                self._reopen_chroma()
                time.sleep(0.05 * attempt)
        return []

    def _chroma_size(self) -> int:
        """Vectors in the collection, counted once per generation (~8 ms a count at 100×; Chroma
        answers fewer than ``n_results`` when it holds fewer, so a count is needed only for 0)."""
        if not self._chroma_n:
            self._chroma_n = self.collection.count()
        return self._chroma_n

    def vector_table(self) -> VectorTable:
        """Every chunk's vector as one float32 matrix, loaded on first use (ingest/vectors.py)."""
        with self._lock:
            if self._vectors is None:
                self._vectors = VectorTable.load(self.collection)
            return self._vectors

    def exact_dense_search(self, embedding: np.ndarray, k: int, allowed: Collection[str]) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``k`` best of ``allowed``, best first, by exact dot products.

        Chroma's HNSW with a metadata filter cost ~86 ms at 120k vectors; the filtered ids come
        from SQLite anyway, and a product over their vectors is ~1 ms per 10k (vectors are
        L2-normalised, so the dot product is the cosine Chroma's distance is 1 minus).

        Args:
            embedding: the question's vector.
            k: how many.
            allowed: chunk ids that may be returned.
        """
        return self.vector_table().search(embedding, k, allowed)

    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded from disk or rebuilt when it is out of step with SQLite."""
        self.refresh()
        if self._lexical is not None:
            return self._lexical
        ids = self.chunk_ids()
        index = LexicalIndex.load(self.dir / "lexical")
        if index is None:
            index = self.rebuild_lexical(ids)
        elif index.fingerprint != fingerprint_of(ids):
            self._lexical_base = index
            index = self.update_lexical()
        self._lexical = self._lexical_base = index
        return index

    def _lexical_stamp(self) -> str:
        return self._rows("SELECT MAX(ingested_at) FROM documents")[0][0] or ""

    def rebuild_lexical(self, ids: list[str] | None = None) -> LexicalIndex:
        """Build the BM25 index anew from every chunk in SQLite (cost proportional to the archive)."""
        with self._lock:
            stamp = self._lexical_stamp()
            ids = ids if ids is not None else self.chunk_ids()
            chunks = self.get_chunks(ids)
            index = LexicalIndex.build(ids, [chunks[i].embed_text for i in ids], stamp=stamp)
            index.save(self.dir / "lexical")
            self._lexical = self._lexical_base = index
            return index

    def update_lexical(self) -> LexicalIndex:
        """Bring the BM25 index in step with SQLite with one new segment (ingest/lexical.py).

        Chunks SQLite no longer holds are deleted; chunks SQLite holds that the index lacks,
        and every chunk of a document written at or after the index's stamp (the newest
        ``ingested_at`` it has seen: a re-parse keeps its chunk ids but not their text), are
        (re)indexed. Cost: the changed documents, not the archive. Rebuilds when there is no
        readable index or it has no stamp.
        """
        with self._lock:
            base = self._lexical_base or LexicalIndex.load(self.dir / "lexical")
            if base is None or not base.stamp:
                return self.rebuild_lexical()
            stamp = self._lexical_stamp()
            ids = set(self.chunk_ids())
            have = set(base.ids)
            fresh = {
                r[0]
                for r in self._rows(
                    "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.ingested_at >= ?",
                    [base.stamp],
                )
            }
            add = sorted((ids - have) | (fresh & ids))
            remove = have - ids
            index = base
            if add or remove or stamp != base.stamp:
                chunks = self.get_chunks(add)
                index = base.updated(add, [chunks[i].embed_text for i in add], remove, stamp=stamp)
                index.save(self.dir / "lexical")
            self._lexical = self._lexical_base = index
            return index

