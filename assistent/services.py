"""What retrieval, the answer engine and the LangChain chain need from the assistant.

They take a ``Services`` (this Protocol) rather than ``assistent.api.Assistant``, so they sit
below the public API in the import graph: ``Assistant`` implements ``Services`` and calls them,
they never import it back.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from grund.records import Answer, Filters, SearchResult
    from grund.settings import Settings
    from ingest.embed import Embedder
    from ingest.store import Store


class Services(Protocol):
    """The store, the models and the settings one question is answered with."""

    settings: Settings
    store: Store
    #: What earlier answers resolved (kommun, nämnd, case), keyed by question and history;
    #: follow-up questions read it (assistent.engine.converse).
    answer_memory: OrderedDict[Any, dict[str, Any]]

    @property
    def embedder(self) -> Embedder: ...

    @property
    def reranker(self) -> Any: ...

    def ask(self, question: str, filters: Filters | None = None, history: list[str] | None = None) -> Answer: ...

    def search(
        self, query: str, filters: Filters | None = None, k: int | None = None, history: list[str] | None = None
    ) -> SearchResult: ...
