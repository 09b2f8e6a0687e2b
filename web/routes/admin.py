"""Documents admin: what is in the store and how it went, and uploading files to ingest."""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from web.deps import ADMIN_COOKIE, AdminDep, AssistantDep, SettingsDep, token_matches
from web.limits import MAX_UPLOAD_FILES
from web.render import templates

router = APIRouter(tags=["administration"])

UPLOAD_PATH = "/admin/ladda-upp"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_READ = 1024 * 1024


def safe_name(filename: str) -> str:
    """The basename of an uploaded file's name with only safe characters ('Protokoll §5 (1).pdf' → 'Protokoll_5_1_.pdf').

    Args:
        filename: the name the browser sent; folders (either slash) are dropped.
    """
    base = re.split(r"[\\/]", filename)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._")
    return cleaned[-120:] or "fil"


def _admin_page(request: Request, assistant, status: int = 200, **extra):
    context = {"rows": assistant.documents(), "max_files": MAX_UPLOAD_FILES, **extra}
    return templates.TemplateResponse(request, "admin.html", context, status_code=status)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, assistant: AssistantDep, _: AdminDep):
    """Dokumentlistan med status (avsnitt, delar, flaggade sidor) och uppladdning."""
    return _admin_page(request, assistant)


@router.post("/admin/logga-in")
def login(request: Request, settings: SettingsDep, token: Annotated[str, Form(max_length=500)]):
    """Logga in med administratörsnyckeln; sätter en kaka och går till dokumentlistan."""
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    if settings.web.admin_token and limiter.blocked(client):
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": 429, "message": "För många felaktiga inloggningsförsök. Vänta en minut och försök igen."},
            status_code=429,
            headers={"Retry-After": str(int(limiter.window_s))},
        )
    if settings.web.admin_token and not token_matches(token, settings):
        limiter.failed(client)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": 401, "message": "Fel administratörsnyckel. Försök igen."},
            status_code=401,
        )
    response = RedirectResponse("/admin", status_code=303)
    if settings.web.admin_token:
        sessions = request.app.state.admin_sessions
        response.set_cookie(
            ADMIN_COOKIE, sessions.create(), httponly=True, samesite="strict", max_age=int(sessions.ttl)
        )
    return response


@router.post("/admin/logga-ut")
def logout(request: Request):
    """Logga ut (tar bort inloggningskakan och gör sessionen ogiltig)."""
    request.app.state.admin_sessions.revoke(request.cookies.get(ADMIN_COOKIE, ""))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(ADMIN_COOKIE)
    return response


@router.post(UPLOAD_PATH, response_class=HTMLResponse)
def upload(
    request: Request,
    assistant: AssistantDep,
    settings: SettingsDep,
    _: AdminDep,
    filer: Annotated[list[UploadFile], File(description="en eller flera filer")],
):
    """Ladda upp filer och läs in dem i arkivet; fel anges per fil."""
    from ingest.pipeline import ingest_paths

    errors: list[str] = []
    if len(filer) > MAX_UPLOAD_FILES:
        errors.append(f"Välj högst {MAX_UPLOAD_FILES} filer åt gången (du valde {len(filer)}).")
        filer = []
    saved = [p for f in filer if (p := _save(f, settings, errors)) is not None]
    try:
        summary = ingest_paths(saved, settings, progress=False, store=assistant.store) if saved else None
    except BaseException:  # e.g. StoreBusyError: another ingest holds the lock; nothing of this upload stays
        for p in saved:
            p.unlink(missing_ok=True)
        raise
    if summary:
        errors += [f"{Path(f.path).name.split('-', 1)[-1]}: {f.reason}" for f in summary.failures]
        for f in summary.failures:  # a rejected upload is not kept in data/uploads
            if Path(f.path).parent == (settings.data_dir / "uploads").resolve():
                Path(f.path).unlink(missing_ok=True)
    status = 400 if errors and not (summary and summary.sections) else 200
    return _admin_page(request, assistant, status, summary=summary, errors=errors)


def _save(upload: UploadFile, settings, errors: list[str]) -> Path | None:
    """Copy one upload under data_dir/uploads with a generated safe name; None (and an error) if refused."""
    name = upload.filename or ""
    suffix = Path(safe_name(name)).suffix.lower()
    if not name:
        errors.append("En fil saknar namn och hoppades över.")
        return None
    if suffix not in settings.ingest.extensions:
        allowed = ", ".join(e.lstrip(".").upper() for e in settings.ingest.extensions)
        errors.append(f"{name}: filtypen stöds inte. Tillåtna filtyper: {allowed}.")
        return None
    limit = int(settings.web.max_upload_mb * 1024 * 1024)
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{uuid.uuid4().hex[:12]}-{safe_name(name)}"
    size = 0
    with dest.open("wb") as out:
        while block := upload.file.read(_READ):
            size += len(block)
            if size > limit:
                break
            out.write(block)
    if size > limit:
        dest.unlink()
        errors.append(f"{name}: filen är större än {settings.web.max_upload_mb:g} MB och laddades inte upp.")
        return None
    if size == 0:
        dest.unlink()
        errors.append(f"{name}: filen är tom.")
        return None
    return dest
