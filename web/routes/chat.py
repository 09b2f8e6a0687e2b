"""The chat: the page, the question form (full page or htmx fragment) and the answer stream (SSE)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from markupsafe import escape
from pydantic import BaseModel, Field, StringConstraints, field_validator

from assistent.errors import AssistentError
from assistent.records import Answer, Filters
from web.deps import AssistantDep
from web.errors import describe, wants_fragment
from web.render import templates

router = APIRouter(tags=["chatt"])
log = logging.getLogger(__name__)

#: Earlier questions sent along with a follow-up; older ones are dropped.
MAX_HISTORY = 6
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ChatForm(BaseModel):
    """The chat form (a POST body, or the query string of the answer stream)."""

    fraga: Question
    historik: list[Annotated[str, StringConstraints(max_length=1000)]] = Field(default_factory=list)
    kommun: str | None = None
    namnd: str | None = None
    dokumenttyp: str | None = None
    fran: dt.date | None = None
    till: dt.date | None = None

    @field_validator("kommun", "namnd", "dokumenttyp", "fran", "till", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return value or None

    @property
    def history(self) -> list[str]:
        return [q for q in self.historik if q.strip()][-MAX_HISTORY:]

    @property
    def filters(self) -> Filters:
        return Filters(
            kommun=self.kommun,
            namnd=self.namnd,
            dokumenttyp=self.dokumenttyp,
            date_from=self.fran,
            date_to=self.till,
        )

    def stream_url(self) -> str:
        fields = self.model_dump(exclude_none=True, mode="json")
        fields["historik"] = self.history
        return "/fraga/strom?" + urlencode(fields, doseq=True)


@dataclass
class Turn:
    """One question of a conversation and its answer (or the URL its answer streams from)."""

    question: str
    answer: Answer | None = None
    stream_url: str | None = None


def _page(request: Request, assistant, form: ChatForm | None, turns: list[Turn], earlier: list[str]):
    history = form.history + [form.fraga] if form else []
    context = {
        "facets": assistant.facets(),
        "form": form,
        "turns": turns,
        "earlier": earlier,
        "history": history,
    }
    return templates.TemplateResponse(request, "chat.html", context)


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, assistant: AssistantDep):
    """Chattsidan med ett nytt, tomt samtal."""
    return _page(request, assistant, None, [], [])


@router.post("/fraga", response_class=HTMLResponse)
def ask_form(request: Request, assistant: AssistantDep, form: Annotated[ChatForm, Form()]):
    """Ställ en fråga: htmx får en samtalsrad som strömmar svaret, utan JavaScript en hel sida med svaret."""
    if wants_fragment(request):
        turn = Turn(form.fraga, stream_url=form.stream_url())
        return templates.TemplateResponse(
            request, "_asked.html", {"turn": turn, "history": form.history + [form.fraga]}
        )
    answer = assistant.ask(form.fraga, filters=form.filters, history=form.history)
    return _page(request, assistant, form, [Turn(form.fraga, answer)], form.history)


def sse(event: str, data: str) -> str:
    """One server-sent event; every line of data gets its own 'data:' field."""
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


@router.get("/fraga/strom")
def ask_stream(assistant: AssistantDep, form: Annotated[ChatForm, Query()]):
    """Svaret som server-sent events: 'delta' (text), 'svar' (färdigt svar med källor), 'klart'."""

    def events() -> Iterator[str]:
        try:
            for kind, value in assistant.ask_stream(form.fraga, filters=form.filters, history=form.history):
                if kind == "delta":
                    yield sse("delta", str(escape(value)))
                elif kind == "answer":
                    yield sse("svar", templates.get_template("_answer.html").render(answer=value))
        except Exception as exc:  # the stream has started: the error can only travel as an event
            status, message = describe(exc)
            if not isinstance(exc, AssistentError):
                log.error("Fel i svarsströmmen", exc_info=exc)
            yield sse("svar", templates.get_template("_error.html").render(status=status, message=message))
        yield sse("klart", "")

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
