"""The onnxruntime runtime of the Embedder (ingest/embed.py): the bundled e5 exported to ONNX
(ingest/e5onnx.py), fp32 for passages and int8 on one thread for questions.

onnxruntime's worker threads are told not to spin, so a waiting thread gives its core to a
neighbour instead of burning it.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ingest.encoder import OnBatch

#: Texts per onnxruntime call. Passages of ~300 tokens on 2 cores: 5.0/s in batches of 8,
#: 1.6/s in batches of 32 (the attention matrices of 32 × 512 tokens no longer fit in cache).
ONNX_BATCH = 8


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
        if len(encoded) == 1 and on_batch is None:  # one question: no padding, sorting or copy into out
            ids = np.array(encoded, dtype=np.int64)
            return np.asarray(session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0])
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
