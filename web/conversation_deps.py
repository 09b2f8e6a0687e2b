"""The chat's conversation store as a dependency, the browser's owner cookie, and answers as shown."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from assistent.conversations import Conversation, ConversationStore
from grund.records import Answer

#: A random id per browser: the side panel lists the conversations this browser started,
#: and only it may rename, delete or continue them (a link shows a conversation read-only).
OWNER_COOKIE = "namnd_klient"
OWNER_MAX_AGE = 365 * 24 * 3600


def get_conversations(request: Request) -> ConversationStore:
    return request.app.state.conversations


ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]


def owner_of(request: Request) -> str | None:
    value = request.cookies.get(OWNER_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None


def remember_owner(request: Request) -> tuple[str, Callable[[Response], None] | None]:
    """The browser's owner id, and (for a browser without one) a function that sets the cookie on a response."""
    owner = owner_of(request)
    if owner:
        return owner, None
    owner = secrets.token_urlsafe(18)

    def set_cookie(response: Response) -> None:
        response.set_cookie(OWNER_COOKIE, owner, max_age=OWNER_MAX_AGE, httponly=True, samesite="lax")

    return owner, set_cookie


def owns(request: Request, conv: Conversation) -> bool:
    return owner_of(request) == conv.owner


def require_owner(request: Request, conv: Conversation) -> None:
    if not owns(request, conv):
        raise HTTPException(403, "Konversationen startades i en annan webbläsare och kan bara läsas här.")


def shown_answer(assistant, answer: Answer) -> Answer:
    """The answer as the chat shows it: a kallelse's items carry the meeting's date (the
    document's datum), not the date of a tjänsteskrivelse printed inside the item."""
    documents = {}
    for p in [*answer.citations, *answer.passages]:
        if p.dokumenttyp == "kallelse" and p.document_id and hasattr(assistant, "store"):
            if p.document_id not in documents:
                documents[p.document_id] = assistant.store.get_document(p.document_id)
            doc = documents[p.document_id]
            if doc is not None and doc.datum:
                p.datum = doc.datum
    return answer
