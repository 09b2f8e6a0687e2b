"""BM25 index over chunk texts, Swedish-analysed (assistent.textproc), in plain numpy, in segments.

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

Query side: the question is analysed like the chunks, words typed without å/ä/ö
get the corpus spelling back ("stromsund" → "strömsund", which matters for
compound splitting and stopwords), misspelt words get the nearest corpus word
within 1–2 edits ("barnutredingar" → "barnutredningar"), other words get their
å/ä/ö from wordfreq ("hemsjukvardsavgiften" → "hemsjukvårdsavgiften"), and synonyms from
assistent.synonyms are added at a lower weight. The corpus spellings are counted per
segment; a deleted chunk's spellings stay in that table until its segment is merged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from assistent.synonyms import synonyms_for
from assistent.textproc import analyze, fold, is_stopword, restore_diacritics, zipf

#: The file that marks an index directory (the segments are named in it).
FILE_NAME = "manifest.json"
FORMAT_VERSION = 2
# Okapi BM25 defaults (Robertson & Zaragoza): k1 saturates term frequency, b normalises length.
K1 = 1.5
B = 0.75
#: Weight of terms that come from synonyms rather than the question itself.
SYNONYM_WEIGHT = 0.5
# Typo correction: only words of at least 5 letters that neither the corpus nor
# wordfreq knows (Zipf < 2.5); up to 1 edit for words of ≤ 6 letters, 2 for longer.
MIN_TYPO_LEN = 5
KNOWN_WORD_ZIPF = 2.5
#: Segments beyond the largest before the small ones are merged into one.
MAX_SEGMENTS = 8
#: Small segments plus deleted chunks, as a share of the largest segment, that trigger a full merge.
MERGE_FRACTION = 0.25
#: Filter masks kept per index (one per frozenset of allowed ids the store hands out).
MASK_CACHE_SIZE = 32

_WORD_RE = re.compile(r"[^\W\d_]+")


def fingerprint_of(ids: Iterable[str]) -> str:
    """Hash of the sorted chunk ids: equal when two indexes cover the same chunks.

    Args:
        ids: chunk ids.
    """
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def _csr(term_ids: np.ndarray, docs: np.ndarray, n_terms: int) -> tuple[np.ndarray, np.ndarray]:
    """Order of (term, doc) pairs sorted by term then doc, and the indptr of each term's slice."""
    order = np.lexsort((docs, term_ids))
    indptr = np.concatenate(([0], np.cumsum(np.bincount(term_ids, minlength=n_terms)))).astype(np.int64)
    return order, indptr


class _Segment:
    """An immutable piece of the index: chunk ids, lengths, posting lists of (chunk, tf), spellings."""

    def __init__(
        self,
        name: str,
        ids: list[str],
        lengths: np.ndarray,
        terms: list[str],
        indptr: np.ndarray,
        postings: np.ndarray,
        tfs: np.ndarray,
        words: dict[str, int],
    ):
        self.name = name
        self.ids = ids
        self.lengths = lengths
        self.terms = terms
        self.indptr = indptr
        self.postings = postings
        self.tfs = tfs
        self.words = words
        self.term_index = {t: i for i, t in enumerate(terms)}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> _Segment:
        vocab: dict[str, int] = {}
        rows: list[int] = []  # term id of each (term, chunk) pair
        cols: list[int] = []  # chunk index
        tfs: list[int] = []
        lengths = np.zeros(len(ids), dtype=np.float32)
        words: Counter[str] = Counter()
        for d, text in enumerate(texts):
            terms = analyze(text)
            lengths[d] = len(terms)
            for t, count in Counter(terms).items():
                rows.append(vocab.setdefault(t, len(vocab)))
                cols.append(d)
                tfs.append(count)
            words.update(_WORD_RE.findall(text.lower()))
        terms_sorted = sorted(vocab)
        rank = np.empty(len(vocab), dtype=np.int64)
        rank[[vocab[t] for t in terms_sorted]] = np.arange(len(vocab))
        term_ids = rank[np.asarray(rows, dtype=np.int64)]
        docs = np.asarray(cols, dtype=np.int32)
        order, indptr = _csr(term_ids, docs, len(vocab))
        tf = np.asarray(tfs, dtype=np.float32)[order]
        return cls(
            uuid.uuid4().hex[:16], list(ids), lengths, terms_sorted, indptr, docs[order], tf, dict(words)
        )

    @classmethod
    def merge(cls, parts: Sequence[tuple[_Segment, np.ndarray]]) -> _Segment:
        """One segment holding the live chunks of ``parts`` (segment, live mask); no text is analysed."""
        all_terms = sorted(set().union(*(seg.terms for seg, _ in parts)))
        term_pos = {t: i for i, t in enumerate(all_terms)}
        ids: list[str] = []
        lengths, term_ids, docs, tfs = [], [], [], []
        words: Counter[str] = Counter()
        offset = 0
        for seg, alive in parts:
            new_pos = np.cumsum(alive, dtype=np.int64) - 1 + offset
            mapping = np.fromiter((term_pos[t] for t in seg.terms), dtype=np.int64, count=len(seg.terms))
            tid = np.repeat(mapping, np.diff(seg.indptr))
            keep = alive[seg.postings]
            term_ids.append(tid[keep])
            docs.append(new_pos[seg.postings[keep]])
            tfs.append(seg.tfs[keep])
            ids += [cid for cid, a in zip(seg.ids, alive, strict=True) if a]
            lengths.append(seg.lengths[alive])
            words.update(seg.words)
            offset += int(alive.sum())
        tid = np.concatenate(term_ids) if term_ids else np.zeros(0, np.int64)
        doc = np.concatenate(docs).astype(np.int32) if docs else np.zeros(0, np.int32)
        tf = np.concatenate(tfs) if tfs else np.zeros(0, np.float32)
        # terms whose every chunk was deleted go
        counts = np.bincount(tid, minlength=len(all_terms))
        used = counts > 0
        tid = (np.cumsum(used) - 1)[tid]
        terms = [t for t, u in zip(all_terms, used, strict=True) if u]
        order, indptr = _csr(tid, doc, len(terms))
        length = np.concatenate(lengths) if lengths else np.zeros(0, np.float32)
        return cls(uuid.uuid4().hex[:16], ids, length, terms, indptr, doc[order], tf[order], dict(words))

    @property
    def file_name(self) -> str:
        return f"seg-{self.name}.npz"

    def save(self, dir: Path) -> None:
        path = dir / self.file_name
        if path.is_file():  # segments are immutable: written once
            return
        meta = {"version": FORMAT_VERSION, "ids": self.ids, "terms": self.terms, "words": self.words}
        fd, tmp = tempfile.mkstemp(prefix=".lexical-", suffix=".npz", dir=dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
                    lengths=self.lengths,
                    indptr=self.indptr,
                    postings=self.postings,
                    tfs=self.tfs,
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, name: str) -> _Segment:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            if meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"{path}: format {meta.get('version')}")
            return cls(
                name,
                meta["ids"],
                z["lengths"],
                meta["terms"],
                z["indptr"],
                z["postings"],
                z["tfs"],
                meta["words"],
            )


def _surface_of(words: Counter[str] | dict[str, int]) -> dict[str, str]:
    """Each folded word's most frequent spelling ("stromsund" → "strömsund"); on a tie the one
    with more å/ä/ö, then the first in code-point order, so the result never depends on the
    order chunks were indexed in."""
    ranked = sorted(words.items(), key=lambda wc: (-wc[1], -sum(ord(ch) > 127 for ch in wc[0]), wc[0]))
    surface: dict[str, str] = {}
    for w, _ in ranked:
        surface.setdefault(fold(w), w)
    return surface


class LexicalIndex:
    """BM25 over chunks; make one with ``build``, ``load`` or ``updated``."""

    def __init__(
        self,
        segments: Sequence[_Segment],
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
        return cls([_Segment.build(ids, texts)], stamp=stamp)

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
            segments.append(_Segment.build(add_ids, add_texts))
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
            merged = [_Segment.merge(parts)]
        elif len(parts) - 1 > MAX_SEGMENTS:
            rest = [p for i, p in enumerate(parts) if i != largest]
            merged = [parts[largest][0], _Segment.merge(rest)]
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
        return LexicalIndex([_Segment.merge(parts)] if parts else [], {}, self.stamp, self._previous)

    # ---------------------------------------------------------------- identity
    @property
    def fingerprint(self) -> str:
        """Hash of the sorted chunk ids (see ``fingerprint_of``)."""
        return fingerprint_of(self.ids)

    @property
    def segments(self) -> int:
        """Number of segments (1 after a build or a full merge)."""
        return len(self._segments)

    @cached_property
    def _surface(self) -> dict[str, str]:
        if len(self._segments) == 1:
            return _surface_of(self._segments[0].words)
        words: Counter[str] = Counter()
        for seg in self._segments:
            words.update(seg.words)
        return _surface_of(words)

    @cached_property
    def _by_len(self) -> dict[int, list[str]]:
        by_len: dict[int, list[str]] = defaultdict(list)
        for w in self._surface:
            by_len[len(w)].append(w)
        return by_len

    @property
    def vocabulary(self) -> frozenset[str]:
        """Folded surface words seen in the indexed texts."""
        return frozenset(self._surface)

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

    # ---------------------------------------------------------------- query side
    def correct(self, word: str) -> str | None:
        """The corpus word nearest to an unknown ``word`` within 1–2 edits, or None.

        Args:
            word: one lower-case word as typed, e.g. "barnutredingar".
        """
        f = fold(word)
        surface = self._surface
        if f in surface or len(f) < MIN_TYPO_LEN or is_stopword(word) or zipf(word) >= KNOWN_WORD_ZIPF:
            return None
        # Another inflection of a word the corpus has is no typo: "bokslutet" must not
        # become "beslutet" (2 edits) because the corpus only says "bokslut".
        if any(self._has_term(t) for t in analyze(word, compounds=False)):
            return None
        max_d = 1 if len(f) <= 6 else 2
        # Only words whose length is within max_d can be within max_d edits.
        by_len = self._by_len
        pool = [w for n in range(len(f) - max_d, len(f) + max_d + 1) for w in by_len.get(n, ())]
        hits = process.extract(f, pool, scorer=Levenshtein.distance, score_cutoff=max_d, limit=5)
        if not hits:
            return None
        # Fewest edits first; among equals the longer word (a dropped letter is the commonest typo).
        best = min(hits, key=lambda h: (h[1], -len(h[0]), h[0]))
        return surface[best[0]]

    def restore(self, query: str) -> str:
        """``query`` with each word spelt as in the corpus: diacritics back, typos corrected.

        Args:
            query: a question as typed, e.g. "hur manga barnutredingar i stromsund".
        """

        surface = self._surface

        def fix(m: re.Match[str]) -> str:
            w = m.group(0).lower()
            f = fold(w)
            if is_stopword(w):
                return w
            if f in surface:
                return surface[f]
            return self.correct(w) or restore_diacritics(w)

        return _WORD_RE.sub(fix, query)

    def weighted_terms(self, query: str) -> dict[str, float]:
        """Query terms with weights: the question's own terms 1 per occurrence, synonyms ``SYNONYM_WEIGHT``.

        Args:
            query: a question as typed.
        """
        restored = self.restore(query)
        weights: dict[str, float] = {}
        for t in analyze(restored):
            weights[t] = weights.get(t, 0.0) + 1.0
        for phrase in synonyms_for(restored):
            for t in analyze(phrase):
                weights.setdefault(t, SYNONYM_WEIGHT)
        return weights

    def expand_query_terms(self, query: str) -> list[str]:
        """BM25 terms for a question: analysed, spelling restored, synonyms added.

        Args:
            query: a question as typed, e.g. "solna soc invensteringsbudget 2024".
        """
        return list(self.weighted_terms(query))

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
                segments.append(_Segment.load(dir / file_name, name))
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
