"""The source viewer (a section with the cited passage highlighted) and original file downloads."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from grund.errors import NotFoundError
from web.deps import AssistantDep
from web.errors import wants_fragment
from web.render import highlight, locate, templates

router = APIRouter(tags=["källor"])

#: Document ids are the first 16 hex digits of the file's sha256; nothing else reaches the store.
_DOC_ID = re.compile(r"[0-9a-f]{16}")


@router.get("/sektion/{section_id}", response_class=HTMLResponse)
def section_page(
    request: Request,
    assistant: AssistantDep,
    section_id: str,
    markera: Annotated[str | None, Query(max_length=2000)] = None,
):
    """Ett avsnitt (§ eller tjänsteskrivelse) med det citerade stycket markerat."""
    view = assistant.section(section_id)
    spans = locate(view.section.text, markera) if markera else []
    context = {
        "view": view,
        "text": highlight(view.section.text, spans),
        "page": view.section.page_at(spans[0][0]) if spans else view.section.page_start,
        "markera": markera,
        "found": bool(spans),
        "has_file": assistant.store.original_file(view.document) is not None,
    }
    return templates.TemplateResponse(
        request, "_section.html" if wants_fragment(request) else "section.html", context
    )


@router.get("/filer/{doc_id}")
def download(assistant: AssistantDep, doc_id: str):
    """Originalfilen till ett dokument, ur arkivets egen kopia."""
    if not _DOC_ID.fullmatch(doc_id):
        raise NotFoundError(f"Filen {doc_id} finns inte i arkivet.")
    doc = assistant.document(doc_id)
    path = assistant.store.original_file(doc)
    if path is None:
        raise NotFoundError(f"Originalfilen till {doc.fil} finns inte sparad i arkivet.")
    return FileResponse(path, filename=doc.fil)
