"""The torch runtime of the Embedder (ingest/embed.py): a sentence-transformers model, for any
configured model (hub name or folder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ingest.encoder import OnBatch

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class TorchEncoder:
    """A sentence-transformers model run by torch: any configured model."""

    runtime = "torch"

    def __init__(self, model: SentenceTransformer):
        self.model = model
        # sentence-transformers 6 renamed get_sentence_embedding_dimension; 5 only has the old name
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)

    def _encode(self, texts: list[str], prefix: str, batch_size: int, show_progress: bool) -> np.ndarray:
        return self.model.encode(
            list(texts),
            prompt=prefix or None,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            # the bundled model ends in a Normalize module; hub models may not
            normalize_embeddings=True,
        )

    def passages(
        self, texts: list[str], prefix: str, batch_size: int, show_progress: bool, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        if on_batch is None:
            return self._encode(texts, prefix, batch_size, show_progress)
        # one encode call per batch, longest first as sentence-transformers orders them itself,
        # so the caller hears of each batch (same vectors, same padding)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._encode([texts[i] for i in rows], prefix, batch_size, False)
            on_batch(len(rows))
        return out

    def queries(self, texts: list[str], prefix: str) -> np.ndarray:
        return self._encode(texts, prefix, 32, False)

    def count_tokens(self, text: str) -> int:
        # truncation=False explicitly: encode() leaves truncation at 512 switched on in the
        # shared Rust tokenizer, which would cap every count at 512; verbose=False drops
        # the "longer than 512" warning that over-long chunks are counted to detect
        encoded = self.model.tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)
        return len(encoded["input_ids"])

    def raw(self, texts: list[str], batch_size: int) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True))
