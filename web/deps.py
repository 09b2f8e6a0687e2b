"""Dependencies as ``Annotated`` aliases; tests override ``get_assistant``/``get_settings``."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assistent.api import Assistant
from grund.settings import Settings

ADMIN_COOKIE = "namnd_admin"
ADMIN_LOCAL_ONLY = (
    "Dokumentadministrationen är bara öppen från den här datorn när ingen administratörsnyckel är satt. "
    "Sätt ASSISTENT_WEB_ADMIN_TOKEN för att administrera över nätet."
)


def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def is_admin(request: Request, settings: Settings) -> bool:
    """True when the request carries the token (header or login cookie), or no token is configured
    and the request comes straight from this machine (see web/security.py)."""
    from web.security import is_loopback_client

    token = settings.web.admin_token
    if not token:
        return is_loopback_client(request)
    cookie = request.cookies.get(ADMIN_COOKIE, "")
    sessions = getattr(request.app.state, "admin_sessions", None)
    return token_matches(request.headers.get("X-Admin-Token", ""), settings) or bool(
        cookie and sessions is not None and sessions.valid(cookie)
    )


def token_matches(given: str, settings: Settings) -> bool:
    """Constant-time comparison with the configured admin token (False when none is set)."""
    token = settings.web.admin_token
    return token is not None and hmac.compare_digest(given.encode(), token.encode())


def require_admin(request: Request, settings: SettingsDep) -> None:
    from web.security import is_same_origin

    if not is_same_origin(request) and request.method not in ("GET", "HEAD"):
        raise HTTPException(403, "Förfrågan kom från en annan webbplats och avvisades.")
    if not is_admin(request, settings):
        if not settings.web.admin_token:
            raise HTTPException(403, ADMIN_LOCAL_ONLY)
        raise HTTPException(401)


AdminDep = Annotated[None, Depends(require_admin)]
