"""Builds the FastAPI app: one Assistant, the templates, the limits, the routers.

uvicorn --factory web.app:create_app      # or: assistent serve
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from assistent.api import Assistant
from assistent.conversations import ConversationStore
from grund.settings import Settings, get_settings
from web.errors import install_error_handler
from web.limits import BodyLimitMiddleware
from web.routes import admin, api, browse, chat, conversations, sources
from web.security import AdminSessions, LoginLimiter, SecurityHeadersMiddleware, redact_access_log

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The web app over one Assistant; the model is warmed up when the server starts.

    Args:
        settings: defaults to the assistant's settings, else the environment's.
        assistant: an existing Assistant to serve (tests pass the corpus one).
    """
    assistant = assistant or Assistant(settings or get_settings())
    settings = settings or assistant.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Loading the model takes seconds; doing it here keeps the first question fast.
        assistant.warm_up()
        yield

    app = FastAPI(
        title="Nämndassistenten",
        description="Frågor och svar om kommunala nämndbeslut, med exakta källhänvisningar.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from web/static/vendor: /docs works without internet
        redoc_url=None,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    # in the data directory, so every worker process of `assistent serve --workers N` shares them
    app.state.admin_sessions = AdminSessions(
        settings.data_dir / "web-sessions.sqlite", settings.web.session_hours
    )
    app.state.login_limiter = LoginLimiter(settings.data_dir / "web-sessions.sqlite")
    app.state.conversations = ConversationStore.for_settings(settings)
    app.add_middleware(BodyLimitMiddleware, settings=settings.web, upload_paths={admin.UPLOAD_PATH})
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: also on errors and static files
    redact_access_log()  # questions travel in query strings; the access log gets paths only
    install_error_handler(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    routers = (chat.router, conversations.router, sources.router, browse.router, admin.router, api.router)
    for router in (*routers, api.health_router):
        app.include_router(router)
    add_offline_docs(app)
    return app


def add_offline_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc with their scripts from web/static/vendor instead of a CDN."""
    vendor = "/static/vendor"

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{vendor}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False, response_class=HTMLResponse)
    def redoc():
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            redoc_js_url=f"{vendor}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
