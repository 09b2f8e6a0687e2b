"""Browsing: kommun → nämnd → documents → §-list, a document, a case's timeline, search."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from grund.errors import NotFoundError
from grund.records import Filters
from web.deps import AssistantDep
from web.errors import wants_fragment
from web.render import templates

router = APIRouter(tags=["bläddra"])

UNKNOWN_KOMMUN = "Okänd kommun"
UNKNOWN_NAMND = "Okänd nämnd"
#: The longest diarienummer in the corpora is ~25 characters ('HSV-VSF.2023.112 1.2.3');
#: 8,000 digits reached int()'s digit limit in the parser and gave a 500.
MAX_DNR_CHARS = 100


@router.get("/bladdra", response_class=HTMLResponse)
def browse_page(
    request: Request,
    assistant: AssistantDep,
    kommun: Annotated[str | None, Query(max_length=200)] = None,
    namnd: Annotated[str | None, Query(max_length=200)] = None,
):
    """Bläddra: kommuner, en kommuns nämnder, en nämnds dokument."""
    tree: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for doc, n_sections, _, _ in assistant.documents():
        tree[doc.kommun or UNKNOWN_KOMMUN][doc.namnd or UNKNOWN_NAMND].append((doc, n_sections))
    for namnder in tree.values():
        for docs in namnder.values():
            docs.sort(key=lambda r: r[0].datum or dt.date.min, reverse=True)  # newest first, undated last
    kommun = kommun if kommun in tree else None
    namnd = namnd if kommun and namnd in tree[kommun] else None
    return templates.TemplateResponse(
        request, "browse.html", {"tree": tree, "kommun": kommun, "namnd": namnd}
    )


@router.get("/dokument/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, assistant: AssistantDep, doc_id: str):
    """Ett dokument: metadata och dess avsnitt (§-lista med rubrik och diarienummer)."""
    doc = assistant.document(doc_id)
    rows = [(doc, s) for s in assistant.sections(doc_id)]
    has_file = assistant.store.original_file(doc) is not None
    return templates.TemplateResponse(
        request, "document.html", {"doc": doc, "rows": rows, "has_file": has_file}
    )


@router.get("/arende/{dnr:path}", response_class=HTMLResponse)
def case_page(request: Request, assistant: AssistantDep, dnr: str):
    """Ett ärendes tidslinje: alla avsnitt som har eller nämner diarienumret."""
    if len(dnr) > MAX_DNR_CHARS:
        raise NotFoundError(f"Diarienumret är för långt ({len(dnr)} tecken; högst {MAX_DNR_CHARS}).")
    rows = assistant.case_timeline(dnr)
    return templates.TemplateResponse(request, "case.html", {"dnr": dnr, "rows": rows})


@router.get("/sok", response_class=HTMLResponse)
def search_page(
    request: Request,
    assistant: AssistantDep,
    q: Annotated[str, Query(max_length=500)] = "",
    kommun: Annotated[str | None, Query(max_length=200)] = None,
):
    """Sök i dokumenten: de bäst matchande styckena, utan sammanfattat svar."""
    filters = Filters(kommun=kommun or None)
    passages = assistant.search(q.strip(), filters=filters, k=20).passages if q.strip() else []
    context = {"q": q, "kommun": kommun, "passages": passages, "facets": assistant.facets()}
    return templates.TemplateResponse(
        request, "_search_results.html" if wants_fragment(request) else "search.html", context
    )
