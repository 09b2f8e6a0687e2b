"""One immutable segment of the BM25 index (ingest/lexical.py): chunk ids, lengths, posting
lists of (chunk, term frequency) and the surface spellings of its words, built from texts or
merged from other segments without analysing text again, and saved as one ``.npz`` file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from grund.textproc import analyze

#: Bump when the segment or manifest layout changes: an index of another format is rebuilt.
FORMAT_VERSION = 2

WORD_RE = re.compile(r"[^\W\d_]+")


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


class Segment:
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
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> Segment:
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
            words.update(WORD_RE.findall(text.lower()))
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
    def merge(cls, parts: Sequence[tuple[Segment, np.ndarray]]) -> Segment:
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
    def load(cls, path: Path, name: str) -> Segment:
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
