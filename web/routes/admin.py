"""Documents admin: what is in the store and how it went, and uploading files to ingest."""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from grund.records import Document
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
    context = {"rows": assistant.documents(), "max_files": MAX_UPLOAD_FILES, "results": [], **extra}
    return templates.TemplateResponse(request, "admin.html", context, status_code=status)


class FileResult(BaseModel):
    """How one uploaded file went, for the results table (file name as the user chose it; no server paths)."""

    name: str
    ok: bool
    message: str
    document: Document | None = None
    n_sections: int = 0


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
            {
                "status": 429,
                "message": "För många felaktiga inloggningsförsök. Vänta en minut och försök igen.",
            },
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
    """Ladda upp filer och läs in dem i arkivet; resultatet anges per fil i en tabell."""
    results: list[FileResult] = []
    if len(filer) > MAX_UPLOAD_FILES:
        results.append(
            FileResult(
                name=f"{len(filer)} filer",
                ok=False,
                message=f"Välj högst {MAX_UPLOAD_FILES} filer åt gången.",
            )
        )
        filer = []
    saved: dict[Path, str] = {}
    for f in filer:
        path, refused = _save(f, settings)
        if path is not None:
            saved[path] = f.filename or path.name
        else:
            results.append(FileResult(name=f.filename or "(utan namn)", ok=False, message=refused or ""))
    try:
        summary = (
            assistant.ingest(list(saved), keep_parsed=True)
            if saved
            else None
        )
    except BaseException:  # e.g. StoreBusyError: another ingest holds the lock; nothing of this upload stays
        for p in saved:
            p.unlink(missing_ok=True)
        raise
    if summary:
        failed = {str(Path(f.path).resolve()): f.reason for f in summary.failures}
        parsed = {str(Path(d.document.path).resolve()): d for d in summary.parsed}
        for path, name in saved.items():
            key = str(path.resolve())
            if key in failed:
                results.append(
                    FileResult(name=name, ok=False, message=_without_paths(failed[key], path, settings))
                )
                path.unlink(missing_ok=True)  # a rejected upload is not kept in data/uploads
            elif key in parsed:
                d = parsed[key]
                results.append(
                    FileResult(
                        name=name, ok=True, message="Inläst", document=d.document, n_sections=len(d.sections)
                    )
                )
            else:
                results.append(FileResult(name=name, ok=True, message="Inläst"))
    n_failed = sum(not r.ok for r in results)
    status = 400 if n_failed and n_failed == len(results) else 200
    return _admin_page(request, assistant, status, summary=summary, results=results, n_failed=n_failed)


def _without_paths(reason: str, path: Path, settings) -> str:
    """A failure reason without server paths (the upload's generated name becomes the user's file name)."""
    for p in (str(path.resolve()), str(path), str(settings.data_dir.resolve()), str(settings.data_dir)):
        reason = reason.replace(p, "")
    return reason.strip(" :") or "Filen kunde inte läsas."


@router.post("/admin/dokument/{doc_id}/ta-bort", response_class=HTMLResponse)
def delete_document(
    request: Request, assistant: AssistantDep, _: AdminDep, doc_id: str,
    bekraftat: Annotated[str | None, Form()] = None,
):  # fmt: skip
    """Ta bort ett dokument ur arkivet (delarna ur Chroma, BM25 och SQLite); frågar först om bekräftelse."""
    doc = assistant.document(doc_id)
    if bekraftat != "ja":  # without JavaScript: a page that asks first
        return templates.TemplateResponse(request, "admin_delete.html", {"doc": doc})
    assistant.delete_document(doc_id)
    return _admin_page(request, assistant, deleted=doc)


def _save(upload: UploadFile, settings) -> tuple[Path | None, str | None]:
    """Copy one upload under data_dir/uploads with a generated safe name; (None, why) if refused."""
    name = upload.filename or ""
    suffix = Path(safe_name(name)).suffix.lower()
    if not name:
        return None, "Filen saknar namn och hoppades över."
    if suffix not in settings.ingest.extensions:
        allowed = ", ".join(e.lstrip(".").upper() for e in settings.ingest.extensions)
        return None, f"Filtypen stöds inte. Tillåtna filtyper: {allowed}."
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
        return None, f"Filen är större än {settings.web.max_upload_mb:g} MB och laddades inte upp."
    if size == 0:
        dest.unlink()
        return None, "Filen är tom."
    return dest, None
