"""What a runtime gives the Embedder (ingest/embed.py): the ``Encoder`` protocol, and the
callback ingest's progress bar hears each batch through. Runtimes: ingest/encoder_torch.py
(sentence-transformers, any model) and ingest/encoder_onnx.py (the bundled e5 on onnxruntime).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

#: Called after each batch of passages with the number of texts it held (a progress bar's update).
OnBatch = Callable[[int], None]


class Encoder(Protocol):
    """What a runtime gives the Embedder: vectors for already prefixed texts, and token counts."""

    runtime: str
    dim: int

    def passages(
        self, texts: list[str], prefix: str, batch_size: int, show_progress: bool, on_batch: OnBatch | None = None
    ) -> np.ndarray: ...

    def queries(self, texts: list[str], prefix: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    def raw(self, texts: list[str], batch_size: int) -> np.ndarray: ...
