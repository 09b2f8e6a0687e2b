"""Two simple baselines over the same documents, read by the same readers as the assistant.

- ``BM25System``: fixed 200-word windows (50 words overlap, so a step of 150 words),
  scored by bm25s over the assistant's own Swedish analyzer (stemming, compounds).
- ``LangChainSystem``: the plain LangChain recipe: RecursiveCharacterTextSplitter(1000, 200)
  → the same e5 model (with its query/passage prefixes) → Chroma similarity search.
Neither knows about §, diarienummer or metadata: passages carry only ``fil`` and ``text``,
and their answers are the top passages joined (``eval.systems.naive_answer``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping

import numpy as np

from eval.systems import naive_answer
from grund.records import Answer, Passage

WINDOW = 200
OVERLAP = 50
LC_CHUNK = 1000
LC_OVERLAP = 200


def word_windows(text: str, size: int = WINDOW, overlap: int = OVERLAP) -> list[str]:
    """Consecutive windows of ``size`` words, each starting ``size - overlap`` words after the last.

    A 420-word text with 200/50 gives windows at words 0, 150 and 300: the last one
    (words 300–419) is shorter, and no window starts past the end.

    Args:
        text: the document text.
        size: words per window.
        overlap: words shared by consecutive windows.
    """
    words = text.split()
    step = size - overlap
    return [
        " ".join(words[i : i + size])
        for i in range(0, max(len(words) - overlap, 1), step)
        if words[i : i + size]
    ]


class BM25System:
    """BM25 with Swedish stemming over fixed-size word windows."""

    name = "bm25"

    def __init__(self, texts: Mapping[str, str]):
        import bm25s

        from grund.textproc import analyze

        self._analyze = analyze
        self.chunks = [(fil, w) for fil, text in texts.items() for w in word_windows(text)]
        self._index = bm25s.BM25()
        self._index.index([analyze(t) or ["∅"] for _, t in self.chunks], show_progress=False)

    def search(self, query: str, k: int) -> list[Passage]:
        terms = self._analyze(query) or ["∅"]
        ids, scores = self._index.retrieve([terms], k=min(k, len(self.chunks)), show_progress=False)
        return [
            Passage(fil=self.chunks[i][0], text=self.chunks[i][1], score=float(s))
            for i, s in zip(ids[0], scores[0], strict=True)
            if s > 0
        ]

    def ask(self, question: str) -> Answer:
        return naive_answer(question, self.search(question, 10))


def e5_embeddings(embedder):
    """A LangChain ``Embeddings`` over our embedder, so the recipe uses the same model and prefixes.

    Args:
        embedder: an ``ingest.embed.Embedder``.
    """
    from langchain_core.embeddings import Embeddings

    class E5Embeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return np.asarray(embedder.embed_passages(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return np.asarray(embedder.embed_query(text)).tolist()

    return E5Embeddings()


class LangChainSystem:
    """RecursiveCharacterTextSplitter(1000, 200) → e5 → Chroma (temporary directory) similarity search."""

    name = "langchain"

    def __init__(self, texts: Mapping[str, str], embedder):
        from chromadb.config import Settings as ChromaClientSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=LC_CHUNK, chunk_overlap=LC_OVERLAP)
        pieces = [(fil, piece) for fil, text in texts.items() for piece in splitter.split_text(text)]
        self._dir = tempfile.TemporaryDirectory(prefix="eval-langchain-")
        self._db = Chroma(
            collection_name="baseline",
            embedding_function=e5_embeddings(embedder),
            persist_directory=self._dir.name,
            client_settings=ChromaClientSettings(anonymized_telemetry=False, is_persistent=True),
        )
        self.n_chunks = len(pieces)
        # one add per 256 pieces: Chroma refuses batches above ~5000, and the model embeds per call
        for i in range(0, len(pieces), 256):
            batch = pieces[i : i + 256]
            self._db.add_texts([t for _, t in batch], metadatas=[{"fil": f} for f, _ in batch])

    def search(self, query: str, k: int) -> list[Passage]:
        found = self._db.similarity_search_with_score(query, k=k)
        # Chroma's default space is squared L2; on unit vectors that is 2 − 2·cos, so cos = 1 − d/2
        return [
            Passage(fil=d.metadata["fil"], text=d.page_content, score=1.0 - dist / 2) for d, dist in found
        ]

    def ask(self, question: str) -> Answer:
        return naive_answer(question, self.search(question, 10))

    def close(self) -> None:
        self._dir.cleanup()
