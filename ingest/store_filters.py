"""Which chunks pass a kommun/nämnd/dokumenttyp/date filter, and the store's facets.

A mixin of ``Store`` (ingest/store.py). The filter columns of every chunk are read from
SQLite once per store generation into numpy arrays (``ChunkColumns``: ids in one fixed
order, a code per kommun, nämnd and document type, the ISO date), so a filter is a few
vectorised comparisons instead of a SQL query, and its result (``ChunkSet``) carries the
passing chunks' positions in that order. BM25 and the exact vector table map those
positions to their own rows through one permutation each, made once per generation
(``ChunkColumns.positions_in``), instead of looking up every passing id by string.

Measured at 100× the example corpus (47,400 chunks) on the shared 2-core machine, first
use of each filter: SQLite's id query for a date range 116 ms, mapping a kommun's ~20k ids
to vector rows 20 ms and to BM25 positions 36 ms; every filter was new to a serving
process once per write, and those first uses made filtered search's p95.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from grund.records import Filters

if TYPE_CHECKING:
    from ingest.vectors import VectorTable

#: Filters whose chunk ids (and their positions in BM25 and the vector table) are kept.
FILTER_CACHE_SIZE = 32
#: The filter columns, in ``ChunkColumns``' order and as ``Filters`` names them.
_CODED = ("kommun", "namnd", "dokumenttyp")


class ChunkColumns:
    """Every chunk's id and filter fields of one store generation, as arrays (see module docstring)."""

    def __init__(self, rows: list[tuple[str, str | None, str | None, str | None, str | None]]):
        self.ids = [r[0] for r in rows]
        self._codes: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        for col, name in enumerate(_CODED, start=1):
            column: list[str | None] = [r[col] for r in rows]
            code_of = {v: i for i, v in enumerate(sorted({v for v in column if v is not None}))}
            codes = np.fromiter((-1 if v is None else code_of[v] for v in column), dtype=np.int32, count=len(rows))
            self._codes[name] = (code_of, codes)
        # ISO dates as SQLite compares them (as text, code point by code point); NULL as ""
        self._datum = np.array([r[4] or "" for r in rows], dtype="U10") if rows else np.zeros(0, dtype="U10")
        self._perms: dict[int, tuple[Any, np.ndarray]] = {}  # id(owner) -> (owner, positions)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, filters: Filters) -> np.ndarray | None:
        """Ascending positions (in ``ids``) of the chunks that pass; None when no filter is set.

        Args:
            filters: the filters (equality for kommun, nämnd and type; an inclusive date range).
        """
        keep: np.ndarray | None = None

        def both(mask: np.ndarray) -> None:
            nonlocal keep
            keep = mask if keep is None else keep & mask

        for name in _CODED:
            value = getattr(filters, name)
            if value:
                code_of, codes = self._codes[name]
                both(codes == code_of.get(value, -2))
        if filters.date_from:
            both(self._datum >= filters.date_from.isoformat())
        if filters.date_to:
            both((self._datum <= filters.date_to.isoformat()) & (self._datum != ""))
        return None if keep is None else np.flatnonzero(keep)

    def positions_in(self, owner: Any, pos: dict[str, int]) -> np.ndarray:
        """Each chunk's position in another index's order (-1 where it lacks the chunk), made once per owner.

        Args:
            owner: the index whose positions these are (kept while it lives; a new index gets its own).
            pos: that index's map of chunk id to position.
        """
        key = id(owner)
        hit = self._perms.get(key)
        if hit is not None and hit[0] is owner:
            return hit[1]
        with self._lock:
            # map over the dict's own get: ~2× faster than a generator over 47k ids
            perm = np.fromiter(map(pos.get, self.ids, repeat(-1)), dtype=np.int64, count=len(self.ids))
            if len(self._perms) >= 4:  # BM25 and the vector table, plus replaced ones
                self._perms.pop(next(iter(self._perms)))
            self._perms[key] = (owner, perm)
        return perm


class ChunkSet(frozenset):
    """The chunk ids that pass a filter (a frozenset), with their positions in ``columns``' order.

    ``rows_in`` gives the same ids' positions in another index without a look-up per id.
    """

    columns: ChunkColumns
    rows: np.ndarray

    @classmethod
    def of(cls, columns: ChunkColumns, rows: np.ndarray) -> ChunkSet:
        ids = columns.ids
        out = cls(ids[i] for i in rows.tolist())
        out.columns, out.rows = columns, rows
        return out

    def rows_in(self, owner: Any, pos: dict[str, int]) -> np.ndarray:
        """Ascending positions of these chunks in the index ``owner`` whose id map is ``pos``; chunks it lacks left out.

        Args:
            owner: the index (BM25, the vector table).
            pos: its map of chunk id to position.
        """
        got = self.columns.positions_in(owner, pos)[self.rows]
        got = got[got >= 0]
        got.sort()
        return got


class ChunkFilters:
    """``chunk_ids_where`` and ``facets`` of the store (mixed into ``Store``)."""

    if TYPE_CHECKING:
        _lock: threading.RLock
        _filter_ids: dict[str, frozenset[str]]
        _columns: ChunkColumns | None
        _vectors: VectorTable | None
        _chroma_n: int | None
        _facets: tuple[tuple, dict[str, Any]] | None

        def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]: ...

        def list_documents(self) -> list[tuple[Any, int, int, str]]: ...

    def _drop_search_caches(self) -> None:
        """Forget what was read for searching (vectors, filter columns, filtered ids): a write changed it."""
        self._vectors = None
        self._columns = None
        self._chroma_n = None
        self._filter_ids = {}

    def chunk_columns(self) -> ChunkColumns:
        """Every chunk's filter fields as arrays, read from SQLite once per generation."""
        with self._lock:
            if self._columns is None:
                self._columns = ChunkColumns(
                    self._rows("SELECT id, kommun, namnd, dokumenttyp, datum FROM chunks ORDER BY id")
                )
            return self._columns

    def chunk_ids_where(self, filters: Filters) -> frozenset[str] | None:
        """Chunk ids that pass the filters (a ``ChunkSet``); None when there are no filters (= all).

        Kept per filter until the next write (users filter on the same few kommuner and
        nämnder), and the same set object is returned each time, so BM25 and the dense
        search keep their position look-ups for it too (``LexicalIndex.search``,
        ``exact_dense_search``).
        """
        key = filters.model_dump_json()
        cached = self._filter_ids.get(key)
        if cached is not None:
            return cached
        columns = self.chunk_columns()
        rows = columns.where(filters)
        if rows is None:
            return None
        ids = ChunkSet.of(columns, rows)
        if len(self._filter_ids) >= FILTER_CACHE_SIZE:
            self._filter_ids.pop(next(iter(self._filter_ids)))
        self._filter_ids[key] = ids
        return ids

    def facets(self) -> dict[str, Any]:
        """What the store holds, for filters: kommuner, nämnder, document types, date span.

        Cached until the next write: every question asks for it, and parsing every
        document's JSON per question cost ~10 ms at 100× the example corpus.
        """
        stamp = self._rows("SELECT COUNT(*), MAX(ingested_at), GROUP_CONCAT(id) FROM documents")[0]
        if self._facets is None or self._facets[0] != stamp:
            self._facets = (stamp, self._compute_facets())
        return self._facets[1]

    def _compute_facets(self) -> dict[str, Any]:
        docs = [d for d, *_ in self.list_documents()]
        dates = [d.datum for d in docs if d.datum]
        return {
            "kommuner": sorted({d.kommun for d in docs if d.kommun}),
            "namnder": sorted({d.namnd for d in docs if d.namnd}),
            "dokumenttyper": sorted({d.dokumenttyp for d in docs}),
            "date_min": min(dates) if dates else None,
            "date_max": max(dates) if dates else None,
        }
