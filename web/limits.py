"""Request size limits, enforced while the body is read (not only by Content-Length).

The check raises inside the endpoint's body read, so the one error handler in
web/errors.py turns it into a 413 page or JSON like every other error.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grund.settings import WebSettings

#: An upload request may carry this many files of max_upload_mb each.
MAX_UPLOAD_FILES = 10


class RequestTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"Förfrågan är för stor (högst {_human(limit)}).")


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} kB"


class BodyLimitMiddleware:
    """Refuse bodies over max_request_kb (uploads: max_upload_mb × MAX_UPLOAD_FILES)."""

    def __init__(self, app: ASGIApp, settings: WebSettings, upload_paths: set[str]):
        self.app = app
        self.limit = settings.max_request_kb * 1024
        # 50 MB × 10 files = 500 MB for one upload request; each file is checked on its own too.
        self.upload_limit = int(settings.max_upload_mb * 1024 * 1024) * MAX_UPLOAD_FILES
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in self.upload_paths else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise RequestTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
