"""BM25 index over chunk texts, Swedish-analysed (assistent.textproc), in plain numpy.

Each term keeps a posting list of (chunk, precomputed BM25 weight), so a query is a
few fancy-indexed additions into one score vector: ~1 ms over 10k chunks. The
index is one ``.npz`` file written atomically beside the store; its fingerprint
(hash of the sorted chunk ids) tells the store whether it is in step with Chroma.

Query side: the question is analysed like the chunks, words typed without å/ä/ö
get the corpus spelling back ("stromsund" → "strömsund", which matters for
compound splitting and stopwords), misspelt words get the nearest corpus word
within 1–2 edits ("barnutredingar" → "barnutredningar"), other words get their
å/ä/ö from wordfreq ("hemsjukvardsavgiften" → "hemsjukvårdsavgiften"), and synonyms from
assistent.synonyms are added at a lower weight.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from assistent.synonyms import synonyms_for
from assistent.textproc import analyze, fold, is_stopword, restore_diacritics, zipf

FILE_NAME = "lexical.npz"
FORMAT_VERSION = 1
# Okapi BM25 defaults (Robertson & Zaragoza): k1 saturates term frequency, b normalises length.
K1 = 1.5
B = 0.75
#: Weight of terms that come from synonyms rather than the question itself.
SYNONYM_WEIGHT = 0.5
# Typo correction: only words of at least 5 letters that neither the corpus nor
# wordfreq knows (Zipf < 2.5); up to 1 edit for words of ≤ 6 letters, 2 for longer.
MIN_TYPO_LEN = 5
KNOWN_WORD_ZIPF = 2.5

_WORD_RE = re.compile(r"[^\W\d_]+")


def fingerprint_of(ids: list[str] | set[str]) -> str:
    """Hash of the sorted chunk ids: equal when two indexes cover the same chunks.

    Args:
        ids: chunk ids.
    """
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


class LexicalIndex:
    """BM25 over chunks; build with ``LexicalIndex.build`` or ``LexicalIndex.load``."""

    def __init__(
        self,
        ids: list[str],
        terms: list[str],
        indptr: np.ndarray,
        postings: np.ndarray,
        weights: np.ndarray,
        surface: dict[str, str],
    ):
        self.ids = ids
        self._pos = {cid: i for i, cid in enumerate(ids)}
        self._term_index = {t: i for i, t in enumerate(terms)}
        self._terms = terms
        self._indptr = indptr
        self._postings = postings
        self._weights = weights
        self._surface = surface
        by_len: dict[int, list[str]] = defaultdict(list)
        for w in surface:
            by_len[len(w)].append(w)
        self._by_len = by_len

    # ---------------------------------------------------------------- building
    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> LexicalIndex:
        """Index ``texts`` (one per chunk id) with the Swedish analyzer.

        Args:
            ids: chunk ids, unique.
            texts: the text to index for each id (header + chunk text).
        """
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        if len(set(ids)) != len(ids):
            raise ValueError("chunk ids are not unique")
        vocab: dict[str, int] = {}
        rows: list[int] = []  # term id of each (term, chunk) pair
        cols: list[int] = []  # chunk index
        tfs: list[int] = []
        lengths = np.zeros(len(ids), dtype=np.float32)
        word_counts: Counter[str] = Counter()
        for d, text in enumerate(texts):
            terms = analyze(text)
            lengths[d] = len(terms)
            for t, count in Counter(terms).items():
                rows.append(vocab.setdefault(t, len(vocab)))
                cols.append(d)
                tfs.append(count)
            word_counts.update(_WORD_RE.findall(text.lower()))
        n = len(ids)
        avgdl = float(lengths.mean()) if n and lengths.sum() else 1.0
        term_ids = np.asarray(rows, dtype=np.int64)
        docs = np.asarray(cols, dtype=np.int32)
        tf = np.asarray(tfs, dtype=np.float32)
        df = np.bincount(term_ids, minlength=len(vocab)).astype(np.float32)
        # Lucene's idf, never negative: a term in every chunk still counts a little.
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        norm = K1 * (1.0 - B + B * lengths[docs] / avgdl)
        weights = idf[term_ids] * tf * (K1 + 1.0) / (tf + norm)
        # Posting lists: pairs sorted by term (then chunk), with indptr marking each term's slice.
        terms_sorted = sorted(vocab)
        rank = np.empty(len(vocab), dtype=np.int64)
        rank[[vocab[t] for t in terms_sorted]] = np.arange(len(vocab))
        order = np.lexsort((docs, rank[term_ids]))
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rank[term_ids], minlength=len(vocab)))))
        # Each folded word keeps its most frequent spelling ("stromsund" → "strömsund").
        surface: dict[str, str] = {}
        for w, _ in word_counts.most_common():
            surface.setdefault(fold(w), w)
        return cls(list(ids), terms_sorted, indptr.astype(np.int64), docs[order], weights[order].astype(np.float32), surface)

    # ---------------------------------------------------------------- identity
    @property
    def fingerprint(self) -> str:
        """Hash of the sorted chunk ids (see ``fingerprint_of``)."""
        return fingerprint_of(self.ids)

    @property
    def vocabulary(self) -> frozenset[str]:
        """Folded surface words seen in the indexed texts."""
        return frozenset(self._surface)

    def document_frequency(self, term: str) -> int:
        """Number of indexed chunks containing an analysed ``term`` (0 when unknown).

        Args:
            term: one term as produced by ``analyze``.
        """
        i = self._term_index.get(term)
        return 0 if i is None else int(self._indptr[i + 1] - self._indptr[i])

    def __len__(self) -> int:
        return len(self.ids)

    # ---------------------------------------------------------------- query side
    def correct(self, word: str) -> str | None:
        """The corpus word nearest to an unknown ``word`` within 1–2 edits, or None.

        Args:
            word: one lower-case word as typed, e.g. "barnutredingar".
        """
        f = fold(word)
        if f in self._surface or len(f) < MIN_TYPO_LEN or is_stopword(word) or zipf(word) >= KNOWN_WORD_ZIPF:
            return None
        # Another inflection of a word the corpus has is no typo: "bokslutet" must not
        # become "beslutet" (2 edits) because the corpus only says "bokslut".
        if any(t in self._term_index for t in analyze(word, compounds=False)):
            return None
        max_d = 1 if len(f) <= 6 else 2
        # Only words whose length is within max_d can be within max_d edits.
        pool = [w for n in range(len(f) - max_d, len(f) + max_d + 1) for w in self._by_len.get(n, ())]
        hits = process.extract(f, pool, scorer=Levenshtein.distance, score_cutoff=max_d, limit=5)
        if not hits:
            return None
        # Fewest edits first; among equals the longer word (a dropped letter is the commonest typo).
        best = min(hits, key=lambda h: (h[1], -len(h[0]), h[0]))
        return self._surface[best[0]]

    def restore(self, query: str) -> str:
        """``query`` with each word spelt as in the corpus: diacritics back, typos corrected.

        Args:
            query: a question as typed, e.g. "hur manga barnutredingar i stromsund".
        """

        def fix(m: re.Match[str]) -> str:
            w = m.group(0).lower()
            f = fold(w)
            if is_stopword(w):
                return w
            if f in self._surface:
                return self._surface[f]
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
        self, query: str | list[str], k: int, allowed_ids: set[str] | None = None
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
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for term, w in weights.items():
            i = self._term_index.get(term)
            if i is None:
                continue
            lo, hi = self._indptr[i], self._indptr[i + 1]
            # Each chunk appears once per posting list, so plain fancy-index addition is exact.
            scores[self._postings[lo:hi]] += w * self._weights[lo:hi]
        if allowed_ids is not None:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[[self._pos[c] for c in allowed_ids if c in self._pos]] = True
            scores[~mask] = 0.0
        nz = np.flatnonzero(scores > 0)
        if nz.size > k:
            nz = nz[np.argpartition(-scores[nz], k - 1)[:k]]
        order = nz[np.lexsort((nz, -scores[nz]))]
        return [(self.ids[i], float(scores[i])) for i in order]

    # ---------------------------------------------------------------- persistence
    def save(self, dir: Path) -> Path:
        """Write the index to ``dir/lexical.npz`` atomically (temp file, then rename).

        Args:
            dir: the index directory of the store.
        """
        dir = Path(dir)
        dir.mkdir(parents=True, exist_ok=True)
        meta = {"version": FORMAT_VERSION, "ids": self.ids, "terms": self._terms, "surface": self._surface}
        fd, tmp = tempfile.mkstemp(prefix=".lexical-", suffix=".npz", dir=dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
                    indptr=self._indptr,
                    postings=self._postings,
                    weights=self._weights,
                )
            os.replace(tmp, dir / FILE_NAME)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dir / FILE_NAME

    @classmethod
    def load(cls, dir: Path) -> LexicalIndex | None:
        """The index saved in ``dir``, or None when there is none or it is unreadable or of another format.

        Args:
            dir: the index directory of the store.
        """
        path = Path(dir) / FILE_NAME
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes().decode())
                if meta.get("version") != FORMAT_VERSION:
                    return None
                return cls(meta["ids"], meta["terms"], z["indptr"], z["postings"], z["weights"], meta["surface"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            # A damaged file is rebuilt by the store, never trusted.
            return None

