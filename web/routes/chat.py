"""The chat: the page (new, or a stored conversation at /c/<id>), the question form and the answer stream (SSE).

A question becomes a stored turn the moment it is asked; its answer streams from
/fraga/strom/<turn id> and is stored when the stream ends, so a reload or a server
restart shows the same conversation (assistent/conversations.py). Without JavaScript the
form posts, the answer is computed at once and the browser lands on /c/<id>.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from markupsafe import escape
from pydantic import BaseModel, Field, StringConstraints, field_validator

from assistent.conversations import Conversation, Turn
from grund.errors import AssistentError, NotFoundError
from grund.records import Answer, Filters
from web.conversation_deps import ConversationsDep, owner_of, owns, remember_owner, shown_answer
from web.deps import AssistantDep
from web.errors import describe, wants_fragment
from web.render import templates

router = APIRouter(tags=["chatt"])
log = logging.getLogger(__name__)

#: Earlier questions sent along with a follow-up; older ones are dropped.
MAX_HISTORY = 6
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ChatForm(BaseModel):
    """The chat form (a POST body, or the query string of the stateless answer stream)."""

    fraga: Question
    konversation: str | None = Field(None, max_length=40)
    historik: list[Annotated[str, StringConstraints(max_length=1000)]] = Field(default_factory=list)
    kommun: str | None = None
    namnd: str | None = None
    dokumenttyp: str | None = None
    fran: dt.date | None = None
    till: dt.date | None = None

    @field_validator("kommun", "namnd", "dokumenttyp", "fran", "till", "konversation", mode="before")
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
        fields = self.model_dump(exclude_none=True, exclude={"konversation"}, mode="json")
        fields["historik"] = self.history
        return "/fraga/strom?" + urlencode(fields, doseq=True)


def page(request: Request, assistant, store, conv: Conversation | None, status: int = 200):
    """The chat page: the side panel of the browser's conversations, the turns, the form."""
    owner = owner_of(request)
    last = conv.turns[-1] if conv and conv.turns else None
    context = {
        "facets": assistant.facets(),
        "conv": conv,
        "turns": conv.turns if conv else [],
        "conversations": store.list_for(owner) if owner else [],
        "form": last.filters if last else None,
        "mine": conv is None or owns(request, conv),
        "feedback": {t.id: fb for t in conv.turns if (fb := store.feedback_for(t.id))} if conv else {},
    }
    return templates.TemplateResponse(request, "chat.html", context, status_code=status)


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, assistant: AssistantDep, store: ConversationsDep):
    """Chattsidan med en ny, tom konversation."""
    return page(request, assistant, store, None)


@router.get("/c/{conv_id}", response_class=HTMLResponse)
def conversation_page(request: Request, conv_id: str, assistant: AssistantDep, store: ConversationsDep):
    """En sparad konversation: alla frågor och svar, och formuläret för en följdfråga."""
    conv = store.get(conv_id)
    if conv is None:
        raise NotFoundError("Konversationen finns inte. Den kan ha tagits bort.")
    return page(request, assistant, store, conv)


@router.post("/fraga", response_class=HTMLResponse)
def ask_form(
    request: Request, assistant: AssistantDep, store: ConversationsDep, form: Annotated[ChatForm, Form()]
):
    """Ställ en fråga i konversationen (en ny om ingen anges): htmx får en samtalsrad som strömmar svaret,
    utan JavaScript beräknas svaret direkt och webbläsaren går till konversationens adress."""
    owner, new_owner = remember_owner(request)
    conv = store.get(form.konversation) if form.konversation else None
    if conv is None or conv.owner != owner:  # another browser's conversation is read-only: start our own
        conv = store.create(owner)
    turn = store.add_turn(conv, form.fraga, form.filters)
    if wants_fragment(request):
        context = {
            "turn": turn,
            "conv": conv,
            "conversations": store.list_for(owner),
            "first": len(conv.turns) == 1,
        }
        response = templates.TemplateResponse(request, "_asked.html", context)
        response.headers["HX-Push-Url"] = f"/c/{conv.id}"
    else:
        answer_turn(assistant, store, conv, turn)
        response = RedirectResponse(f"/c/{conv.id}#tur-{turn.id}", status_code=303)  # type: ignore[assignment]
    if new_owner:
        new_owner(response)
    return response


def answer_turn(assistant, store, conv: Conversation, turn: Turn) -> Answer:
    """Answer a stored turn at once (the form without JavaScript) and store the answer."""
    seed_memory(assistant, conv, turn)
    answer = shown_answer(
        assistant, assistant.ask(turn.question, filters=turn.filters, history=_history(conv, turn))
    )
    store.finish_turn(turn.id, answer, "done")
    turn.answer, turn.status = answer, "done"
    return answer


def _history(conv: Conversation, turn: Turn) -> list[str]:
    return conv.history_before(turn)[-MAX_HISTORY:]


def seed_memory(assistant, conv: Conversation, turn: Turn) -> None:
    """Give the answer engine what the previous stored answer resolved (kommun, case), so a
    follow-up keeps it even after a server restart (assistent/engine/converse.py)."""
    prev = conv.previous(turn)
    if prev is None or prev.answer is None or not hasattr(assistant, "store"):
        return
    from assistent.engine import converse

    converse.remember(assistant, prev.question, _history(conv, prev), prev.answer)


def sse(event: str, data: str) -> str:
    """One server-sent event; every line of data gets its own 'data:' field."""
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/fraga/strom/{turn_id}")
def turn_stream(turn_id: str, assistant: AssistantDep, store: ConversationsDep):
    """En frågas svar som server-sent events: 'delta' (text), 'svar' (färdigt svar med källor) eller 'fel', 'klart'."""
    turn = store.get_turn(turn_id)
    conv = store.get(turn.conversation_id) if turn else None
    if turn is None or conv is None:
        raise NotFoundError("Frågan finns inte längre i konversationen.")
    turn = next(t for t in conv.turns if t.id == turn.id)

    def events() -> Iterator[str]:
        if turn.status != "pending":  # answered or stopped already (a second tab, a reconnect)
            if turn.status == "done" and turn.answer:
                yield sse("svar", render_answer(turn, conv))
            elif turn.status == "stopped":
                yield sse("svar", templates.get_template("_turn_stopped.html").render(turn=turn))
            else:
                message = "Svaret kunde inte tas fram. Försök igen om en stund."
                yield sse(
                    "fel",
                    templates.get_template("_turn_error.html").render(turn=turn, message=message, status=500),
                )
            yield sse("klart", "")
            return
        try:
            seed_memory(assistant, conv, turn)
            stream = assistant.ask_stream(turn.question, filters=turn.filters, history=_history(conv, turn))
            for kind, value in stream:
                if kind == "delta":
                    yield sse("delta", str(value))
                elif kind == "answer":
                    turn.answer, turn.status = shown_answer(assistant, value), "done"
                    store.finish_turn(turn.id, turn.answer, "done", only_pending=True)
                    yield sse("svar", render_answer(turn, conv))
        except Exception as exc:  # the stream has started: the error can only travel as an event
            status, message = describe(exc)
            if not isinstance(exc, AssistentError):
                log.error("Fel i svarsströmmen", exc_info=exc)
            store.finish_turn(turn.id, None, "error", only_pending=True)
            yield sse(
                "fel",
                templates.get_template("_turn_error.html").render(turn=turn, message=message, status=status),
            )
        yield sse("klart", "")

    return StreamingResponse(events(), media_type="text/event-stream", headers=_SSE_HEADERS)


def render_answer(turn: Turn, conv: Conversation) -> str:
    return templates.get_template("_answer.html").render(answer=turn.answer, turn=turn, conv=conv)


@router.get("/fraga/strom")
def ask_stream(assistant: AssistantDep, form: Annotated[ChatForm, Query()]):
    """Ett svar utan sparad konversation, som server-sent events: 'delta' (text), 'svar' (färdigt svar med källor), 'klart'."""

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

    return StreamingResponse(events(), media_type="text/event-stream", headers=_SSE_HEADERS)
