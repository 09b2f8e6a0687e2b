"""BM25 index over chunk texts, Swedish-analysed (grund.textproc), in plain numpy, in segments.

An index is a list of immutable segments plus, per segment, the chunk ids deleted from it
since it was written (Lucene's design, small). A segment keeps each term's posting list
of (chunk, term frequency) and each chunk's length; BM25 weights are computed at query
time from the statistics of the live chunks of all segments (N, mean length, document
frequency), so an index grown by segments scores exactly like one built at once.

Adding or replacing a document writes one small segment (its chunks only) and a new
manifest; it never rewrites the archive. At 100× the example corpus (47,200 chunks) a
full rebuild re-analyses every chunk (~60 s on 2 cores); one protokoll is ~20 chunks.
Segments are merged on threshold: more than ``MAX_SEGMENTS`` merges the small ones into
one; when the small segments and the deleted chunks together pass ``MERGE_FRACTION`` of
the largest segment, everything is merged. A merge concatenates posting lists (no text
is analysed again), so its cost is bounded by the postings, and adding N documents one
by one costs O(N) amortised.

On disk (``<index dir>/lexical/``): ``seg-<name>.npz`` per segment, written once, and
``manifest.json`` naming the live segments, their deletions and a stamp; the manifest
is replaced atomically after the segments it names are on disk, so a kill at any point
(mid-merge included) leaves the previous manifest and its files, still consistent.
Files of the manifest before the current one are kept (a reader in another process may
be loading them) and older ones removed. The fingerprint (hash of the sorted live
chunk ids) tells the store whether the index is in step with Chroma.

Segments live in ingest/lexical_segment.py; the query side (spelling repair, synonyms)
in ingest/lexical_query.py.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import numpy as np

from ingest.lexical_query import QuerySide
from ingest.lexical_segment import FORMAT_VERSION, Segment, fingerprint_of

__all__ = ["FILE_NAME", "LexicalIndex", "MAX_SEGMENTS", "MERGE_FRACTION", "fingerprint_of"]

#: The file that marks an index directory (the segments are named in it).
FILE_NAME = "manifest.json"
# Okapi BM25 defaults (Robertson & Zaragoza): k1 saturates term frequency, b normalises length.
K1 = 1.5
B = 0.75
#: Segments beyond the largest before the small ones are merged into one.
MAX_SEGMENTS = 8
#: Small segments plus deleted chunks, as a share of the largest segment, that trigger a full merge.
MERGE_FRACTION = 0.25
#: Filter masks kept per index (one per frozenset of allowed ids the store hands out).
MASK_CACHE_SIZE = 32


class LexicalIndex(QuerySide):
    """BM25 over chunks; make one with ``build``, ``load`` or ``updated``."""

    def __init__(
        self,
        segments: Sequence[Segment],
        deleted: dict[str, frozenset[str]] | None = None,
        stamp: str = "",
        previous: Sequence[str] = (),
    ):
        self._segments = list(segments)
        deleted = {name: ids for name, ids in (deleted or {}).items() if ids}
        self._deleted = deleted
        #: Opaque to the index: the store keeps here what it last indexed (see Store.update_lexical).
        self.stamp = stamp
        self._previous = list(previous)  # segment files of the manifest before this one
        masks, offsets, all_ids = [], [], []
        offset = 0
        for seg in self._segments:
            dead = deleted.get(seg.name)
            masks.append(
                np.fromiter((cid not in dead for cid in seg.ids), dtype=bool, count=len(seg.ids))
                if dead
                else np.ones(len(seg.ids), dtype=bool)
            )
            offsets.append(offset)
            offset += len(seg.ids)
            all_ids += seg.ids
        self._masks = masks
        self._offsets = offsets
        self._alive = np.concatenate(masks) if masks else np.zeros(0, dtype=bool)
        self._has_deleted = bool(deleted)
        self._all_ids = all_ids
        self.ids = [cid for cid, a in zip(all_ids, self._alive, strict=True) if a] if deleted else all_ids
        self._pos = {cid: i for i, cid in enumerate(all_ids) if self._alive[i]}
        if len(self._pos) != len(self.ids):
            raise ValueError("chunk ids are not unique")
        lengths = (
            np.concatenate([s.lengths for s in self._segments]) if self._segments else np.zeros(0, np.float32)
        )
        self._n = len(self.ids)
        live = lengths[self._alive]
        avgdl = float(live.mean()) if self._n and live.sum() else 1.0
        self._norm = (K1 * (1.0 - B + B * lengths / avgdl)).astype(np.float32)
        self._masks_of: dict[int, tuple[Collection[str], np.ndarray]] = {}  # search(allowed_ids=frozenset)

    # ---------------------------------------------------------------- building
    @classmethod
    def build(cls, ids: list[str], texts: list[str], stamp: str = "") -> LexicalIndex:
        """Index ``texts`` (one per chunk id) with the Swedish analyzer, as one segment.

        Args:
            ids: chunk ids, unique.
            texts: the text to index for each id (header + chunk text).
            stamp: what the caller indexed (kept, not interpreted).
        """
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        if len(set(ids)) != len(ids):
            raise ValueError("chunk ids are not unique")
        return cls([Segment.build(ids, texts)], stamp=stamp)

    def updated(
        self,
        add_ids: Sequence[str],
        add_texts: Sequence[str],
        remove_ids: Iterable[str] = (),
        stamp: str | None = None,
    ) -> LexicalIndex:
        """A new index: this one with ``remove_ids`` deleted and ``add_ids`` added (or replaced,
        when already indexed) as one new segment; merged when the thresholds say so. This
        index is left as it was, so a search running on it meanwhile is unaffected.

        Args:
            add_ids: chunk ids to add; an id already in the index is replaced.
            add_texts: the text of each added id.
            remove_ids: chunk ids to delete (unknown ids are ignored).
            stamp: the new index's stamp (default: keep this one's).
        """
        if len(add_ids) != len(add_texts):
            raise ValueError("ids and texts differ in length")
        if len(set(add_ids)) != len(add_ids):
            raise ValueError("chunk ids are not unique")
        gone = {cid for cid in (*remove_ids, *add_ids) if cid in self._pos}
        deleted = dict(self._deleted)
        for seg, offset in zip(self._segments, self._offsets, strict=True):
            here = {cid for cid in gone if offset <= self._pos[cid] < offset + len(seg.ids)}
            if here:
                deleted[seg.name] = deleted.get(seg.name, frozenset()) | here
        segments = list(self._segments)
        if add_ids:
            segments.append(Segment.build(add_ids, add_texts))
        index = LexicalIndex(segments, deleted, self.stamp if stamp is None else stamp, self._previous)
        return index._compacted()

    def _compacted(self) -> LexicalIndex:
        # drop segments with nothing live, then merge on threshold (module docstring)
        parts = [(s, m) for s, m in zip(self._segments, self._masks, strict=True) if m.any()]
        if not parts:
            return LexicalIndex([], {}, self.stamp, self._previous)
        largest = max(range(len(parts)), key=lambda i: len(parts[i][0].ids))
        small = sum(len(s.ids) for i, (s, _) in enumerate(parts) if i != largest)
        dead = sum(int((~m).sum()) for _, m in parts)
        if small + dead > MERGE_FRACTION * len(parts[largest][0].ids) and len(parts) + bool(dead) > 1:
            merged = [Segment.merge(parts)]
        elif len(parts) - 1 > MAX_SEGMENTS:
            rest = [p for i, p in enumerate(parts) if i != largest]
            merged = [parts[largest][0], Segment.merge(rest)]
        elif len(parts) == len(self._segments):
            return self
        else:
            merged = [s for s, _ in parts]
        kept = {s.name for s in merged}
        deleted = {name: ids for name, ids in self._deleted.items() if name in kept}
        return LexicalIndex(merged, deleted, self.stamp, self._previous)

    def merged(self) -> LexicalIndex:
        """This index as one segment without deletions (what ``build`` on the live chunks gives)."""
        parts = [(s, m) for s, m in zip(self._segments, self._masks, strict=True) if m.any()]
        return LexicalIndex([Segment.merge(parts)] if parts else [], {}, self.stamp, self._previous)

    # ---------------------------------------------------------------- identity
    @property
    def fingerprint(self) -> str:
        """Hash of the sorted chunk ids (see ``fingerprint_of``)."""
        return fingerprint_of(self.ids)

    @property
    def segments(self) -> int:
        """Number of segments (1 after a build or a full merge)."""
        return len(self._segments)

    def _has_term(self, term: str) -> bool:
        return any(term in seg.term_index for seg in self._segments)

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(global chunk positions, term frequencies) of ``term`` over all segments, or None."""
        docs, tfs = [], []
        for seg, offset in zip(self._segments, self._offsets, strict=True):
            i = seg.term_index.get(term)
            if i is None:
                continue
            lo, hi = seg.indptr[i], seg.indptr[i + 1]
            docs.append(seg.postings[lo:hi] + offset if offset else seg.postings[lo:hi])
            tfs.append(seg.tfs[lo:hi])
        if not docs:
            return None
        if len(docs) == 1:
            return docs[0], tfs[0]
        return np.concatenate(docs), np.concatenate(tfs)

    def document_frequency(self, term: str) -> int:
        """Number of indexed chunks containing an analysed ``term`` (0 when unknown).

        Args:
            term: one term as produced by ``analyze``.
        """
        hit = self._postings(term)
        if hit is None:
            return 0
        return int(self._alive[hit[0]].sum()) if self._has_deleted else len(hit[0])

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: str | list[str], k: int, allowed_ids: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best chunks for ``query`` as (chunk id, BM25 score), best first; zero scores left out.

        Args:
            query: a question (expanded with ``weighted_terms``) or ready terms (each occurrence weighs 1).
            k: how many to return.
            allowed_ids: when given, only these chunk ids may be returned (metadata filters).
        """
        if not self.ids or k <= 0:
            return []
        weights = self.weighted_terms(query) if isinstance(query, str) else dict(Counter(query))
        scores = np.zeros(len(self._all_ids), dtype=np.float32)
        n = self._n
        for term, w in weights.items():
            hit = self._postings(term)
            if hit is None:
                continue
            docs, tf = hit
            df = int(self._alive[docs].sum()) if self._has_deleted else len(docs)
            if not df:
                continue
            # Lucene's idf, never negative: a term in every chunk still counts a little.
            idf = np.float32(np.log1p((n - df + 0.5) / (df + 0.5)))
            # Each chunk appears once per posting list, so plain fancy-index addition is exact.
            scores[docs] += w * (idf * tf * (K1 + 1.0) / (tf + self._norm[docs]))
        if self._has_deleted:
            scores[~self._alive] = 0.0
        nz = np.flatnonzero(scores > 0)
        if allowed_ids is not None:
            # whichever is smaller is looked up: the allowed ids, or the chunks that scored;
            # an immutable set's mask is kept (the store hands out one frozenset per filter)
            cached = self._masks_of.get(id(allowed_ids))
            if cached is not None and cached[0] is allowed_ids:
                nz = nz[cached[1][nz]]
            elif len(allowed_ids) < nz.size or isinstance(allowed_ids, frozenset):
                mask = np.zeros(len(self._all_ids), dtype=bool)
                rows_in = getattr(allowed_ids, "rows_in", None)  # a filter's ChunkSet (ingest/store_filters.py)
                if rows_in is not None:
                    mask[rows_in(self, self._pos)] = True
                else:
                    mask[[self._pos[c] for c in allowed_ids if c in self._pos]] = True
                if isinstance(allowed_ids, frozenset):
                    if len(self._masks_of) >= MASK_CACHE_SIZE:
                        self._masks_of.pop(next(iter(self._masks_of)))
                    self._masks_of[id(allowed_ids)] = (allowed_ids, mask)
                nz = nz[mask[nz]]
            else:
                all_ids = self._all_ids
                nz = nz[np.fromiter((all_ids[i] in allowed_ids for i in nz), dtype=bool, count=nz.size)]
        if nz.size > k:
            nz = nz[np.argpartition(-scores[nz], k - 1)[:k]]
        order = nz[np.lexsort((nz, -scores[nz]))]
        return [(self._all_ids[i], float(scores[i])) for i in order]

    # ---------------------------------------------------------------- persistence
    def save(self, dir: Path) -> Path:
        """Write new segments, then the manifest atomically; remove files no manifest since the last names.

        Returns the manifest's path.

        Args:
            dir: the index directory of the store.
        """
        dir = Path(dir)
        dir.mkdir(parents=True, exist_ok=True)
        for seg in self._segments:
            seg.save(dir)
        current = [s.file_name for s in self._segments]
        old = _read_manifest(dir)
        previous = list(old.get("segments", [])) if old else []
        manifest = {
            "version": FORMAT_VERSION,
            "segments": current,
            "deleted": {
                s.file_name: sorted(self._deleted[s.name]) for s in self._segments if s.name in self._deleted
            },
            "stamp": self.stamp,
            "fingerprint": self.fingerprint,
            "previous": previous,
        }
        fd, tmp = tempfile.mkstemp(prefix=".lexical-", suffix=".json", dir=dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(manifest, fh, ensure_ascii=False)
            os.replace(tmp, dir / FILE_NAME)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        keep = set(current) | set(previous)
        for path in dir.glob("seg-*.npz"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
        (dir / "lexical.npz").unlink(missing_ok=True)  # format 1: one file, rebuilt once into segments
        self._previous = previous
        return dir / FILE_NAME

    @classmethod
    def load(cls, dir: Path) -> LexicalIndex | None:
        """The index saved in ``dir``, or None when there is none or it is unreadable or of another format.

        Args:
            dir: the index directory of the store.
        """
        dir = Path(dir)
        manifest = _read_manifest(dir)
        if manifest is None:
            return None
        try:
            segments = []
            deleted: dict[str, frozenset[str]] = {}
            for file_name in manifest["segments"]:
                name = file_name.removeprefix("seg-").removesuffix(".npz")
                segments.append(Segment.load(dir / file_name, name))
                if file_name in manifest["deleted"]:
                    deleted[name] = frozenset(manifest["deleted"][file_name])
            index = cls(segments, deleted, manifest.get("stamp", ""), manifest.get("previous", []))
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            # A damaged file is rebuilt by the store, never trusted.
            return None
        if manifest.get("fingerprint") not in (None, index.fingerprint):
            return None
        return index


def _read_manifest(dir: Path) -> dict | None:
    try:
        manifest = json.loads((dir / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("version") != FORMAT_VERSION:
        return None
    return manifest
