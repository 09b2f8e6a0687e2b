"""The one place where errors become responses: a friendly Swedish page, an htmx
fragment, or JSON for /api/. Every handler registration points at ``handle_error``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from grund.errors import AssistentError, ModelError, NotFoundError, QuestionError, StoreError
from web.render import templates

log = logging.getLogger(__name__)

UNEXPECTED = "Ett oväntat fel inträffade. Försök igen om en stund, eller kontakta den som driver tjänsten."
_HTTP_MESSAGES = {
    401: "Den här sidan kräver administratörsbehörighet.",
    403: "Du har inte behörighet till den här sidan.",
    404: "Sidan finns inte. Kontrollera adressen eller gå tillbaka till startsidan.",
    405: "Sidan kan inte användas på det sättet (fel HTTP-metod).",
}
_FIELD_NAMES = {"fraga": "frågan", "question": "frågan", "q": "sökorden", "k": "antal träffar"}


def describe(exc: Exception) -> tuple[int, str]:
    """(HTTP status, message for the user) for any exception.

    Args:
        exc: the exception raised while handling a request (or while streaming an answer).
    """
    if isinstance(exc, NotFoundError):
        return 404, str(exc)
    if isinstance(exc, QuestionError):
        return 422, str(exc)
    if isinstance(exc, StoreError | ModelError):
        return 503, str(exc)
    if isinstance(exc, AssistentError):
        return 400, str(exc)
    if isinstance(exc, RequestValidationError):
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        named = ", ".join(_FIELD_NAMES.get(f, f) for f in fields) or "förfrågan"
        return 422, f"Kontrollera {named}: värdet saknas, är för långt eller har fel format."
    if isinstance(exc, StarletteHTTPException):
        # a detail of our own (Swedish) is shown; Starlette's default ('Forbidden') gives way to ours
        own = isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase
        detail = exc.detail if own and (exc.status_code not in _HTTP_MESSAGES or exc.status_code == 403) else None
        return exc.status_code, detail or _HTTP_MESSAGES.get(exc.status_code, UNEXPECTED)
    return 500, UNEXPECTED


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def wants_fragment(request: Request) -> bool:
    """htmx asked for a piece of a page (a boosted navigation or a history restore wants the whole page)."""
    h = request.headers
    return h.get("HX-Request") == "true" and "true" not in (
        h.get("HX-Boosted"),
        h.get("HX-History-Restore-Request"),
    )


async def handle_error(request: Request, exc: Exception) -> Response:
    """Turn any error into the right status and a page, fragment or JSON body."""
    status, message = describe(exc)
    if status >= 500 and not isinstance(exc, AssistentError):
        log.error("Fel vid %s %s", request.method, request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None)
    if wants_json(request):
        body: dict = {"detail": message}
        if isinstance(exc, RequestValidationError):
            body["errors"] = jsonable_encoder(exc.errors(), exclude={"input", "ctx", "url"})
        return JSONResponse(body, status_code=status, headers=headers)
    template = "_error.html" if wants_fragment(request) else "error.html"
    return templates.TemplateResponse(
        request, template, {"status": status, "message": message}, status_code=status, headers=headers
    )


def install_error_handler(app: FastAPI) -> None:
    for kind in (Exception, StarletteHTTPException, RequestValidationError, AssistentError):
        app.add_exception_handler(kind, handle_error)
