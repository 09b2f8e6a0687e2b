"""The query side of the BM25 index (ingest/lexical.py): a question spelt as the corpus spells it.

Words typed without å/ä/ö get the corpus spelling back ("stromsund" → "strömsund", which
matters for compound splitting and stopwords), misspelt words get the nearest corpus word
within 1–2 edits ("barnutredingar" → "barnutredningar"), other words get their å/ä/ö from
wordfreq ("hemsjukvardsavgiften" → "hemsjukvårdsavgiften"), and synonyms from
grund.synonyms are added at a lower weight. The corpus spellings are counted per
segment; a deleted chunk's spellings stay in that table until its segment is merged.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from grund.synonyms import synonyms_for
from grund.textproc import analyze, fold, is_stopword, restore_diacritics, zipf
from ingest.lexical_segment import WORD_RE, Segment

#: Weight of terms that come from synonyms rather than the question itself.
SYNONYM_WEIGHT = 0.5
# Typo correction: only words of at least 5 letters that neither the corpus nor
# wordfreq knows (Zipf < 2.5); up to 1 edit for words of ≤ 6 letters, 2 for longer.
MIN_TYPO_LEN = 5
KNOWN_WORD_ZIPF = 2.5


def _surface_of(words: Counter[str] | dict[str, int]) -> dict[str, str]:
    """Each folded word's most frequent spelling ("stromsund" → "strömsund"); on a tie the one
    with more å/ä/ö, then the first in code-point order, so the result never depends on the
    order chunks were indexed in."""
    ranked = sorted(words.items(), key=lambda wc: (-wc[1], -sum(ord(ch) > 127 for ch in wc[0]), wc[0]))
    surface: dict[str, str] = {}
    for w, _ in ranked:
        surface.setdefault(fold(w), w)
    return surface


class QuerySide:
    """Spelling repair and query terms over the index's segments (mixed into ``LexicalIndex``)."""

    if TYPE_CHECKING:
        _segments: Sequence[Segment]

        def _has_term(self, term: str) -> bool: ...

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

        return WORD_RE.sub(fix, query)

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
