"""The JSON API beside the HTML: the same records as the CLI's --json (see grund/records.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from assistent.api import SearchResult
from assistent.limits import MAX_HISTORY, MAX_K, MAX_QUESTION_CHARS
from grund.records import Answer, Chunk, Document, Filters, Section
from web.deps import AssistantDep

router = APIRouter(prefix="/api", tags=["api"])
health_router = APIRouter(tags=["api"])


class AskRequest(BaseModel):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_CHARS)]
    filters: Filters | None = None
    history: list[Annotated[str, StringConstraints(max_length=MAX_QUESTION_CHARS)]] = Field(
        default_factory=list, max_length=MAX_HISTORY
    )


class DocumentStatus(BaseModel):
    document: Document
    n_sections: int
    n_chunks: int
    ingested_at: str


class SectionDetail(BaseModel):
    section: Section
    document: Document
    chunks: list[Chunk]


class Health(BaseModel):
    status: str
    documents: int


@router.post("/ask", response_model=Answer)
def api_ask(body: AskRequest, assistant: AssistantDep):
    """Besvara en fråga med källhänvisningar."""
    return assistant.ask(body.question, filters=body.filters, history=body.history)


@router.get("/search", response_model=SearchResult)
def api_search(
    assistant: AssistantDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS)],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    kommun: str | None = None,
    namnd: str | None = None,
    dokumenttyp: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """Rangordnade stycken för sökorden, utan sammanfattat svar."""
    filters = Filters(
        kommun=kommun, namnd=namnd, dokumenttyp=dokumenttyp, date_from=date_from, date_to=date_to
    )
    return assistant.search(q, filters=filters, k=k)


@router.get("/documents", response_model=list[DocumentStatus])
def api_documents(assistant: AssistantDep):
    """Alla inlästa dokument med antal avsnitt och delar."""
    return [
        DocumentStatus(document=d, n_sections=s, n_chunks=c, ingested_at=t)
        for d, s, c, t in assistant.documents()
    ]


@router.get("/sections/{section_id}", response_model=SectionDetail)
def api_section(section_id: str, assistant: AssistantDep):
    """Ett avsnitt med dess dokument och delar."""
    view = assistant.section(section_id)
    return SectionDetail(section=view.section, document=view.document, chunks=view.chunks)


@health_router.get("/healthz", response_model=Health)
def healthz(assistant: AssistantDep):
    """Lever tjänsten, och hur många dokument finns i arkivet."""
    return Health(status="ok", documents=assistant.store.count_documents())
