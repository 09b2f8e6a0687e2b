"""Nämndassistenten: answers questions about Swedish municipal decisions, with exact citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistent.api import Assistant, ask, search
    from grund.records import Answer, Citation, Filters, Passage, SearchResult

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Passage", "SearchResult", "ask", "search"]

# Imported on first use (PEP 562): `assistent --help` and `assistent status` import the
# package but never the search stack behind assistent.api (bm25s, scipy, wordfreq: ~0.8 s).
_WHERE = {
    "Assistant": "assistent.api", "SearchResult": "grund.records", "ask": "assistent.api", "search": "assistent.api",
    "Answer": "grund.records", "Citation": "grund.records", "Filters": "grund.records",
    "Passage": "grund.records",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'assistent' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
