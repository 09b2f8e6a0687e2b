"""A small tokenizer for questions: the bundled e5's Unigram tokenizer in plain Python.

Why: the Hugging Face ``tokenizers`` Unigram model keeps its 250,002 pieces in a trie of
per-character hash maps, ~230 MB of every serving process (measured 2026-12-01: RSS 54 MB
after the imports, 342 MB with the model built). A serving process only tokenizes short
questions, so it reads the same ``tokenizer.json`` into one dict (piece → id) and one
array of scores, ~45 MB, and runs the same Viterbi search; passages and token counts at
ingest keep the Rust tokenizer (ingest/embed.py loads it on first use).

It reproduces ``tokenizer.json`` as ingest/e5convert.py writes it, step by step:
1. special tokens (``<s>``, ``</s>``, ``<pad>``, ``<unk>``, ``<mask>``) in the raw text are
   their own ids (they are added tokens, not normalised);
2. normaliser: the Replace rules of the file (control characters deleted; tabs, newlines,
   zero-width spaces → " "), NFKC, runs of spaces → one;
3. Metaspace: spaces become "▁", a "▁" is prepended, and the text splits before each "▁";
4. Unigram: per piece the path of vocabulary pieces with the highest total score; a
   character no piece covers is ``<unk>`` scored min score − 10, and neighbouring unknowns
   fuse into one ``<unk>``; ties keep the first path found (earlier start, then shorter
   piece), as the Rust ``encode_optimized`` does;
5. ``<s>`` … ``</s>`` around the ids.
tests/ingest/test_embed_tokenizer.py holds it to the Rust tokenizer, id for id, on the
example corpus, the dev questions and hostile strings.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

#: What a character no vocabulary piece covers scores below the lowest piece
#: (``kUnkPenalty`` in SentencePiece and in the Rust Unigram model).
UNK_PENALTY = 10.0
#: Whitespace-delimited pieces whose ids are kept (QueryTokenizer._cache): questions reuse their
#: words ("nämnden", "kommun", "beslut"), and a kept word skips the Viterbi search, which was
#: ~0.4 ms of a ~6.5 ms question (measured 2026-12-01). 8,192 short strings are ~1 MB.
PIECE_CACHE_SIZE = 8192
_RUST_HEX = re.compile(r"\\x\{([0-9a-fA-F]+)\}")


def _python_pattern(rust: str) -> re.Pattern[str]:
    """A Rust regex of the normaliser (``[\\x{1}\\x{7f}…]`` classes, ``" {2,}"``) as a Python one."""
    return re.compile(_RUST_HEX.sub(lambda m: re.escape(chr(int(m.group(1), 16))), rust))


class QueryTokenizer:
    """Token ids of the bundled e5 for short texts, equal to the ``tokenizers`` Unigram's."""

    def __init__(self, path: Path):
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        model = spec["model"]
        if model.get("type") != "Unigram" or model.get("byte_fallback"):
            raise ValueError(f"{path}: inte en Unigram-tokenisering utan byte-reserv")
        vocab = model["vocab"]
        self._ids: dict[str, int] = {piece: i for i, (piece, _) in enumerate(vocab)}
        self._scores = np.fromiter((s for _, s in vocab), dtype=np.float64, count=len(vocab))
        del vocab, model
        self._max_len = max(map(len, self._ids))
        self.unk_id = int(spec["model"]["unk_id"])
        self._unk_score = float(self._scores.min()) - UNK_PENALTY
        self._rules: list[tuple[re.Pattern[str], str] | None] = []
        for step in spec["normalizer"]["normalizers"]:
            if step["type"] == "Replace":
                self._rules.append((_python_pattern(step["pattern"]["Regex"]), step["content"]))
            elif step["type"] == "NFKC":
                self._rules.append(None)
            else:
                raise ValueError(f"{path}: normaliseringssteget {step['type']} stöds inte")
        pre = spec["pre_tokenizer"]
        if pre.get("type") != "Metaspace" or pre.get("prepend_scheme") != "always" or not pre.get("split"):
            raise ValueError(f"{path}: förtokeniseringen {pre.get('type')} stöds inte")
        self._space = pre["replacement"]
        single = spec["post_processor"]["single"]
        self._bos = self._ids[single[0]["SpecialToken"]["id"]]
        self._eos = self._ids[single[-1]["SpecialToken"]["id"]]
        added = {t["content"]: int(t["id"]) for t in spec.get("added_tokens", []) if t.get("special")}
        self._added = added
        self._added_re = (
            re.compile("|".join(re.escape(t) for t in sorted(added, key=len, reverse=True))) if added else None
        )
        self._cache: dict[str, list[int]] = {}

    def _normalize(self, text: str) -> str:
        for rule in self._rules:
            text = unicodedata.normalize("NFKC", text) if rule is None else rule[0].sub(rule[1], text)
        return text

    def _pieces(self, text: str) -> list[str]:
        text = self._normalize(text).replace(" ", self._space)
        if not text:
            return []
        if not text.startswith(self._space):
            text = self._space + text
        out, start = [], 0
        for i in range(1, len(text)):
            if text[i] == self._space:
                out.append(text[start:i])
                start = i
        out.append(text[start:])
        return out

    def _viterbi(self, piece: str) -> list[int]:
        n = len(piece)
        best = [-np.inf] * (n + 1)
        back = [-1] * (n + 1)
        token = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk = self._ids, self._scores, self.unk_id
        for start in range(n):
            here = best[start]
            single = False
            for end in range(start + 1, min(n, start + self._max_len) + 1):
                tid = ids.get(piece[start:end])
                if tid is None:
                    continue
                score = here + scores[tid]
                if back[end] < 0 or score > best[end]:
                    best[end], back[end], token[end] = score, start, tid
                single = single or end == start + 1
            if not single:
                score = here + self._unk_score
                if back[start + 1] < 0 or score > best[start + 1]:
                    best[start + 1], back[start + 1], token[start + 1] = score, start, unk
        path: list[int] = []
        end = n
        while end > 0:
            tid = token[end]
            if not (tid == unk and path and path[-1] == unk):  # neighbouring unknowns fuse
                path.append(tid)
            end = back[end]
        return path[::-1]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` with ``<s>`` and ``</s>``, untruncated.

        Args:
            text: e.g. "query: Vad kostar hemtjänsten?".
        """
        parts = [text]
        if self._added_re is not None:
            parts = self._added_re.split(text)
            specials = self._added_re.findall(text)
        ids = [self._bos]
        cache = self._cache
        for i, part in enumerate(parts):
            for piece in self._pieces(part):
                found = cache.get(piece)
                if found is None:
                    found = self._viterbi(piece)
                    if len(cache) >= PIECE_CACHE_SIZE:
                        cache.clear()  # rare; cheaper than keeping an order for eviction
                    cache[piece] = found
                ids += found
            if i < len(parts) - 1:
                ids.append(self._added[specials[i]])
        ids.append(self._eos)
        return ids
