"""Nämndassistenten: answers questions about Swedish municipal decisions, with exact citations."""

from assistent.api import Assistant, SearchResult, ask, search
from assistent.records import Answer, Citation, Filters, Passage

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Passage", "SearchResult", "ask", "search"]
