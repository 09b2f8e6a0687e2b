"""The assistant's retrieval as a LangChain retriever.

from assistent import Assistant
from assistent.lc_retriever import NamndRetriever
retriever = NamndRetriever(assistant=Assistant(), search_kwargs={"k": 5, "kommun": "Gnesta kommun"})
docs = retriever.invoke("vad beslutade socialnämnden om avgiften för hemsjukvård?")

It goes through ``Assistant.search``, so a LangChain app gets exactly what ``assistent search``
returns: hybrid dense + BM25, fused, §- and dnr-aware, one passage per section, filters the
question states (a kommun the store holds) plus explicit ones, personnummer masked.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, SkipValidation

from assistent.services import Services
from grund.records import Filters, Passage

#: search_kwargs keys that are filters (the rest: ``k``, ``filters``, ``history``)
FILTER_KEYS = tuple(Filters.model_fields)


def passage_document(passage: Passage) -> Document:
    """A ``Document`` whose metadata carries the citation contract of ``assistent search --json``.

    ``datum`` is an ISO string (or None) as in the JSON contract, so the metadata serialises as it is.

    Args:
        passage: a retrieved passage.
    """
    meta: dict[str, Any] = passage.model_dump(mode="json", exclude={"text"})
    return Document(page_content=passage.text, metadata=meta, id=passage.chunk_id)


def search_arguments(search_kwargs: dict[str, Any]) -> tuple[Filters | None, int | None, list[str] | None]:
    """(filters, k, history) for ``Assistant.search`` from retriever keyword arguments.

    Filters may be given one by one (``kommun="Gnesta kommun"``, ``date_from="2024-01-01"``) or as
    ``filters=Filters(...)`` / a dict; single keys win over the ``filters`` object.

    Args:
        search_kwargs: k, history, filters, kommun, namnd, dokumenttyp, date_from, date_to.
    """
    unknown = set(search_kwargs) - {"k", "history", "filters", *FILTER_KEYS}
    if unknown:
        raise ValueError(f"Okända sökargument: {', '.join(sorted(unknown))}")
    base = search_kwargs.get("filters")
    fields = dict(base.model_dump(exclude_none=True) if isinstance(base, Filters) else (base or {}))
    fields.update({key: search_kwargs[key] for key in FILTER_KEYS if search_kwargs.get(key) is not None})
    filters = Filters.model_validate(fields) if fields else None
    return filters, search_kwargs.get("k"), search_kwargs.get("history")


class NamndRetriever(BaseRetriever):
    """Hybrid, §-aware retrieval over the nämnd archive, returning LangChain ``Document``s.

    Per-call keyword arguments (``retriever.invoke(q, kommun=...)``) override ``search_kwargs``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: SkipValidation[Services] = Field(description="the assistant whose store and model are searched")
    search_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="k, history, filters, kommun, namnd, dokumenttyp, date_from, date_to",
    )

    def _search(self, query: str, overrides: dict[str, Any]) -> list[Document]:
        filters, k, history = search_arguments({**self.search_kwargs, **overrides})
        result = self.assistant.search(query, filters=filters, k=k, history=history)
        return [passage_document(p) for p in result.passages]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return self._search(query, kwargs)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        # retrieval is CPU-bound (ONNX, BM25, SQLite) and the Assistant is thread-safe for reading
        return await asyncio.to_thread(self._search, query, kwargs)
