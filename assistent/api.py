"""The public Python API. The CLI, the web app and eval all go through ``Assistant``.

from assistent import Assistant
a = Assistant()                      # settings from the environment
answer = a.ask("vad beslutade socialnämnden om avgiften för hemsjukvård?")
for ev in a.ask_stream(question): ...  # ("delta", str) events, then ("answer", Answer)
result = a.search("hemsjukvårdsavgift", filters=Filters(kommun="Strömsunds kommun"), k=10)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grund.errors import NotFoundError
from grund.records import Answer, Chunk, Document, Filters, SearchResult, Section
from grund.settings import Settings, get_settings

if TYPE_CHECKING:
    from ingest.pipeline import IngestSummary


@dataclass
class SectionView:
    """A section with its document and chunks, for the source viewer."""

    section: Section
    document: Document
    chunks: list[Chunk]


def load_reranker(name: str):
    """A sentence-transformers CrossEncoder by name or path; ModelError when it cannot load."""
    from grund.errors import ModelError

    try:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(name)
    except Exception as exc:  # hub unreachable, no such model, broken folder
        raise ModelError(
            f"Omrankningsmodellen {name!r} kunde inte laddas ({exc}). Ange en lokal sökväg i "
            "ASSISTENT_RETRIEVAL_RERANKER eller ta bort inställningen."
        ) from exc


class Assistant:
    """One store + one embedding model + the answerers (implements assistent.services.Services).
    Thread-safe for reading."""

    def __init__(self, settings: Settings | None = None):
        from ingest.store import Store

        self.settings = settings or get_settings()
        self.store = Store(self.settings)
        self._embedder = None
        self._reranker = None
        self._lock = threading.Lock()
        self.answer_memory: OrderedDict[Any, dict[str, Any]] = OrderedDict()

    # ------------------------------------------------------------------ models
    @property
    def embedder(self):
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    from ingest.embed import get_embedder

                    self._embedder = get_embedder(self.settings)
        return self._embedder

    @property
    def reranker(self):
        """The configured cross-encoder (settings.retrieval.reranker), loaded on first use."""
        if self._reranker is None:
            with self._lock:
                if self._reranker is None:
                    self._reranker = load_reranker(self.settings.retrieval.reranker or "")
        return self._reranker

    def warm_up(self) -> None:
        """Load the model and the lexical index now rather than on the first question."""
        self.embedder.embed_query("uppvärmning")
        self.store.lexical()

    # ------------------------------------------------------------------ questions
    def search(
        self,
        query: str,
        filters: Filters | None = None,
        k: int | None = None,
        history: list[str] | None = None,
    ) -> SearchResult:
        """Ranked passages for a question (hybrid dense + BM25, fused, boosted, filtered).

        Args:
            query: the question or search words.
            filters: explicit filters, merged with those the question states.
            k: number of passages (default settings.retrieval.k).
            history: earlier questions of the conversation, for follow-ups.
        """
        from assistent.limits import check_history, check_k, check_question
        from assistent.retrieve import retrieve

        query, k = check_question(query), check_k(k, self.settings.retrieval.k)
        from assistent.safety import warn_passages

        hits = retrieve(self, query, filters=filters, k=k, history=check_history(history))
        return self._shown(SearchResult(query=query, passages=warn_passages(hits.passages)))

    def ask(self, question: str, filters: Filters | None = None, history: list[str] | None = None) -> Answer:
        """Answer a question with citations (generative when an LLM is configured, else extractive).

        Args:
            question: the question, in Swedish.
            filters: explicit filters, merged with those the question states.
            history: earlier questions of the conversation, for follow-ups.
        """
        answer: Answer | None = None
        for kind, value in self.ask_stream(question, filters=filters, history=history):
            if kind == "answer":
                answer = value
        assert answer is not None
        return answer

    def ask_stream(
        self, question: str, filters: Filters | None = None, history: list[str] | None = None
    ) -> Iterator[tuple[str, Any]]:
        """Yield ("delta", text) pieces as the answer is produced, then ("answer", Answer)."""
        from assistent.engine import answer_stream
        from assistent.limits import check_history, check_question

        question, history = check_question(question), check_history(history)
        from assistent.safety import safety_stream

        if self.settings.llm.enabled:
            # the generative path is the LCEL chain assistent.lc_chain offers LangChain users
            from assistent.lc_chain import stream_events

            raw = stream_events(self, question, filters=filters, history=history)
        else:
            raw = answer_stream(self, question, filters=filters, history=history)
        events = safety_stream(raw, self.store)
        if self.settings.privacy.mask_personnummer:
            from grund.privacy import mask_stream

            events = mask_stream(events)
        yield from events

    def _shown(self, value):
        """What leaves the assistant: personnummer masked unless settings.privacy says otherwise."""
        if not self.settings.privacy.mask_personnummer:
            return value
        from grund.privacy import mask_value

        return mask_value(value)

    # ------------------------------------------------------------------ browsing
    def ingest(
        self, paths: Iterable[Path | str], *, prune: bool = False, progress: bool = False, keep_parsed: bool = False
    ) -> IngestSummary:
        """Read, segment, embed and store files and folders into this assistant's store.

        The one way in for the CLI, the web admin and eval. New and changed documents are
        searchable at once (in this process and, after their next search, in other workers).

        Args:
            paths: files and/or folders (searched recursively).
            prune: also remove stored documents whose files no longer exist.
            progress: show a progress bar on stderr.
            keep_parsed: keep the parsed documents in the summary (for ``ingest --report``).

        Raises:
            StoreBusyError: another writer holds the data directory's lock.
        """
        from ingest.pipeline import ingest_paths

        return ingest_paths(
            [Path(p) for p in paths], self.settings, prune=prune, progress=progress,
            keep_parsed=keep_parsed, store=self.store,
        )  # fmt: skip

    def documents(self) -> list[tuple[Document, int, int, str]]:
        """(document, n_sections, n_chunks, ingested_at) for every stored document."""
        return self.store.list_documents()

    def document(self, doc_id: str) -> Document:
        doc = self.store.get_document(doc_id)
        if doc is None:
            raise NotFoundError(f"Dokumentet {doc_id} finns inte i arkivet.")
        return doc

    def delete_document(self, doc_id: str) -> Document:
        """Remove a document from the archive: its chunks from Chroma, BM25 and SQLite (the same
        path as ``ingest --prune``), its copy in files/ and an uploaded file in uploads/.

        Raises NotFoundError for an unknown id and StoreBusyError while another writer holds the lock.
        A file that still lies in an ingested folder comes back on the next ``assistent ingest`` of it.
        """

        from ingest.lock import write_lock

        doc = self.document(doc_id)
        with write_lock(self.settings, "borttagning av dokument"):
            original = self.store.original_file(doc)
            uploads = (self.settings.data_dir / "uploads").resolve()
            uploaded = [Path(p) for p, d in self.store.sources() if d == doc_id and Path(p).resolve().parent == uploads]
            self.store.delete_document(doc_id)
            self.store.update_lexical()  # a segment that drops the document's chunks
            self.store.bump_generation()  # other processes reopen BM25 and Chroma
            for path in [original, *uploaded]:
                if path is not None:
                    path.unlink(missing_ok=True)
        return doc

    def sections(self, doc_id: str) -> list[Section]:
        self.document(doc_id)
        return self._shown(self.store.sections_of(doc_id))

    def section(self, section_id: str) -> SectionView:
        section = self.store.get_section(section_id)
        if section is None:
            raise NotFoundError(f"Avsnittet {section_id} finns inte i arkivet.")
        from assistent.safety import flag_section

        return SectionView(
            section=self._shown(flag_section(section)),
            document=self.document(section.document_id),
            chunks=self._shown(self.store.chunks_of_section(section_id)),
        )

    def case_timeline(self, dnr: str) -> list[tuple[Document, Section]]:
        """Every section filed under (or mentioning) a diarienummer, oldest first."""
        from grund.dnr import normalize_dnr

        norm = normalize_dnr(dnr)
        found: dict[str, Section] = {s.id: s for s in self.store.sections_by_dnr(norm)}
        for s in self.store.sections_mentioning(dnr, norm):
            found.setdefault(s.id, s)
        rows = [(self.document(s.document_id), self._shown(s)) for s in found.values()]
        rows.sort(key=lambda r: ((r[1].datum or r[0].datum or _MIN_DATE), r[0].fil, r[1].index))
        return rows

    def facets(self) -> dict[str, Any]:
        """kommuner, namnder, dokumenttyper, date_min, date_max in the store (for filter menus)."""
        return self.store.facets()


_MIN_DATE = __import__("datetime").date.min
_default: Assistant | None = None


def _assistant() -> Assistant:
    global _default
    if _default is None:
        _default = Assistant()
    return _default


def ask(question: str, filters: Filters | None = None, history: list[str] | None = None) -> Answer:
    """Module-level shortcut: ``assistent.ask(question, filters=..., history=...)``."""
    return _assistant().ask(question, filters=filters, history=history)


def search(query: str, filters: Filters | None = None, k: int | None = None) -> SearchResult:
    """Module-level shortcut: ``assistent.search(query, filters=..., k=...)``."""
    return _assistant().search(query, filters=filters, k=k)
