"""Our Chroma collection as a LangChain vector store, for plain similarity search or MMR.

from assistent.lc_store import as_vectorstore
db = as_vectorstore(Assistant())
db.similarity_search("hemsjukvårdsavgift", k=4, filter={"kommun": "Strömsunds kommun"})

This is the dense half of retrieval only (no BM25, no § or dnr boosts): use
``assistent.lc_retriever.NamndRetriever`` for what ``assistent search`` returns. Stored texts are
the chunks' embed texts (context header + text); metadata is the collection's own (``datum`` as a
YYYYMMDD int, ``paragraf_nr``, ``dnr_norm``, ``section_id``, ``fil``, ``sida`` …).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from langchain_chroma import Chroma

    from assistent.api import Assistant
    from ingest.embed import Embedder


class NamndEmbeddings(Embeddings):
    """Our embedder as a LangChain ``Embeddings``: ``passage:`` for documents, ``query:`` for queries."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.asarray(self.embedder.embed_passages(list(texts))).tolist()

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self.embedder.embed_query(text)).tolist()


def as_vectorstore(assistant: Assistant) -> Chroma:
    """A ``langchain_chroma.Chroma`` over the assistant's collection and embedder (same client).

    Reading is safe; writing through it (``add_texts``) bypasses SQLite and BM25 and leaves the
    archive inconsistent (``assistent doctor`` reports it): add documents with ``assistent ingest``.

    Args:
        assistant: the assistant whose store is opened.
    """
    from langchain_chroma import Chroma

    from ingest.store import chroma_client

    return Chroma(
        collection_name=assistant.settings.collection_name,
        embedding_function=NamndEmbeddings(assistant.embedder),
        client=chroma_client(assistant.settings),
        create_collection_if_not_exists=False,
        # the collection is cosine space: Chroma returns 1 − cos, so relevance = cos
        relevance_score_fn=lambda distance: 1.0 - distance,
    )
