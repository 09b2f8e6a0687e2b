"""What one does with a conversation and its answers: rename, delete, regenerate, stop, 👍/👎.

htmx gets the fragment that replaces what changed; without JavaScript each form posts
and the browser returns to the conversation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistent.conversations import MAX_COMMENT_CHARS, MAX_TITLE_CHARS, Conversation, ConversationStore, Turn
from grund.errors import NotFoundError
from web.conversation_deps import ConversationsDep, owner_of, require_owner
from web.errors import wants_fragment
from web.render import templates

router = APIRouter(tags=["konversationer"])


def _conversation(store: ConversationStore, conv_id: str) -> Conversation:
    conv = store.get(conv_id)
    if conv is None:
        raise NotFoundError("Konversationen finns inte. Den kan ha tagits bort.")
    return conv


def _turn(store: ConversationStore, turn_id: str) -> tuple[Turn, Conversation]:
    found = store.get_turn(turn_id)
    conv = store.get(found.conversation_id) if found else None
    if found is None or conv is None:
        raise NotFoundError("Frågan finns inte längre i konversationen.")
    return next(t for t in conv.turns if t.id == found.id), conv


def _back(conv: Conversation, turn: Turn | None = None) -> RedirectResponse:
    return RedirectResponse(f"/c/{conv.id}" + (f"#tur-{turn.id}" if turn else ""), status_code=303)


def _list(request: Request, store: ConversationStore, current: str | None):
    owner = owner_of(request)
    context = {"conversations": store.list_for(owner) if owner else [], "current": current}
    return templates.TemplateResponse(request, "_conversations.html", context)


@router.post("/c/{conv_id}/byt-namn", response_class=HTMLResponse)
def rename(
    request: Request, conv_id: str, store: ConversationsDep,
    titel: Annotated[str, Form(max_length=MAX_TITLE_CHARS * 2)],
    aktuell: Annotated[str | None, Form(max_length=40)] = None,
):  # fmt: skip
    """Byt namn på en konversation."""
    conv = _conversation(store, conv_id)
    require_owner(request, conv)
    store.rename(conv.id, titel)
    return _list(request, store, aktuell) if wants_fragment(request) else _back(conv)


@router.post("/c/{conv_id}/ta-bort", response_class=HTMLResponse)
def delete(
    request: Request,
    conv_id: str,
    store: ConversationsDep,
    aktuell: Annotated[str | None, Form(max_length=40)] = None,
):
    """Ta bort en konversation med alla dess frågor och svar (givna omdömen sparas)."""
    conv = _conversation(store, conv_id)
    require_owner(request, conv)
    store.delete(conv.id)
    if not wants_fragment(request):
        return RedirectResponse("/", status_code=303)
    if aktuell == conv.id:  # the open conversation went: start afresh
        return Response(status_code=204, headers={"HX-Redirect": "/"})
    return _list(request, store, aktuell)


@router.post("/tur/{turn_id}/igen", response_class=HTMLResponse)
def regenerate(request: Request, turn_id: str, store: ConversationsDep):
    """Ta fram svaret på en fråga igen (efter ett fel, ett avbrott, eller för ett nytt försök)."""
    turn, conv = _turn(store, turn_id)
    require_owner(request, conv)
    store.reset_turn(turn.id)
    turn.answer, turn.status = None, "pending"
    if not wants_fragment(request):
        from web.deps import get_assistant
        from web.routes.chat import answer_turn

        answer_turn(get_assistant(request), store, conv, turn)
        return _back(conv, turn)
    return templates.TemplateResponse(request, "_turn.html", {"turn": turn, "conv": conv})


@router.post("/tur/{turn_id}/stoppa", response_class=HTMLResponse)
def stop(request: Request, turn_id: str, store: ConversationsDep):
    """Avbryt ett svar som strömmar; frågan står kvar och kan besvaras igen."""
    turn, conv = _turn(store, turn_id)
    require_owner(request, conv)
    if store.finish_turn(turn.id, None, "stopped", only_pending=True):
        turn.answer, turn.status = None, "stopped"
    else:  # the answer arrived first: show it
        turn, conv = _turn(store, turn_id)
    fb = store.feedback_for(turn.id)
    if not wants_fragment(request):
        return _back(conv, turn)
    return templates.TemplateResponse(request, "_turn.html", {"turn": turn, "conv": conv, "fb": fb})


@router.post("/tur/{turn_id}/omdome", response_class=HTMLResponse)
def feedback(
    request: Request, turn_id: str, store: ConversationsDep,
    betyg: Annotated[int, Form(ge=-1, le=1)],
    kommentar: Annotated[str, Form(max_length=MAX_COMMENT_CHARS)] = "",
):  # fmt: skip
    """Spara 👍 (1) eller 👎 (-1) med en valfri kommentar, tillsammans med frågan, svaret och källorna."""
    turn, conv = _turn(store, turn_id)
    require_owner(request, conv)
    if turn.answer is None or betyg == 0:
        raise NotFoundError("Frågan har inget svar att bedöma ännu.")
    fb = store.save_feedback(turn, conv, betyg, kommentar)
    if not wants_fragment(request):
        return _back(conv, turn)
    return templates.TemplateResponse(request, "_feedback.html", {"turn": turn, "fb": fb, "saved": True})
