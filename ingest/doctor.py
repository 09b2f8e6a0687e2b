"""`assistent doctor`: is the store in step (SQLite ↔ Chroma ↔ BM25 ↔ files/), and repair what is not.

SQLite is the source of truth (see ingest/store.py). What can go out of step, and why:
- a vector SQLite does not know: an ingest killed between Chroma upsert and COMMIT;
- a chunk without a vector: two writers at once (before the write lock), or a Chroma
  directory restored from an older backup;
- a BM25 index whose fingerprint differs from SQLite's chunk ids: a kill before the rebuild;
- a document without its original in files/: a kill between COMMIT and the copy (the
  original is now copied first, so this only comes from older stores or deleted files);
- temp files (``.lexical-*.npz``, ``files/*.tmp``, half-converted model folders) left by kills.

Repairs run under the write lock: stray vectors deleted, missing vectors re-embedded from
SQLite's chunk texts, the BM25 index rebuilt, originals copied again from their source
paths when the file there still has the same sha256, temp files removed.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

from pydantic import BaseModel, Field

from assistent.settings import Settings

#: Temp files younger than this may belong to a running process (a server rebuilding its
#: BM25 index, a model being converted) and are left alone.
TEMP_MIN_AGE_S = 600.0


class Finding(BaseModel):
    """One thing doctor checked: what, how it stands, and what repair did."""

    check: str = Field(description="short id: vectors_missing, vectors_stray, lexical, originals, temp_files, …")
    ok: bool
    message: str = Field(description="Swedish, for the operator")
    count: int = 0
    repaired: bool = False


class DoctorReport(BaseModel):
    data_dir: str
    documents: int = 0
    chunks: int = 0
    vectors: int = 0
    findings: list[Finding] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok or f.repaired for f in self.findings)

    def render(self) -> str:
        lines = [f"Datakatalog: {self.data_dir}", f"Dokument: {self.documents}  delar: {self.chunks}  vektorer: {self.vectors}"]
        for f in self.findings:
            mark = "✓" if f.ok else ("åtgärdat" if f.repaired else "✗")
            lines.append(f"  {mark} {f.message}")
        lines.append("Arkivet är i ordning." if self.ok else "Arkivet har fel; kör `assistent doctor --repair`.")
        return "\n".join(lines)


def stray_temp_files(settings: Settings, min_age_s: float = TEMP_MIN_AGE_S) -> list[Path]:
    """Temp files and folders a killed process left in the data directory.

    Args:
        settings: whose data directory.
        min_age_s: skip BM25 and model temp files younger than this (a live process may own them);
            ``files/*.tmp`` are only written under the write lock, so the caller's lock makes
            every one of them stray.
    """
    now = time.time()
    out: list[Path] = []
    index_root = settings.data_dir / "index"
    candidates = list(index_root.glob("*/.lexical-*.npz")) if index_root.is_dir() else []
    if settings.models_dir.is_dir():
        candidates += [p for p in settings.models_dir.glob(".*-*") if p.is_dir()]
    for p in candidates:
        try:
            if now - p.stat().st_mtime >= min_age_s:
                out.append(p)
        except OSError:
            continue
    if settings.files_dir.is_dir():
        out += sorted(settings.files_dir.glob("*.tmp"))
    return out


def remove_stray_temp_files(settings: Settings, min_age_s: float = TEMP_MIN_AGE_S) -> int:
    """Delete what ``stray_temp_files`` finds (call it holding the write lock). Returns how many went."""
    removed = 0
    for p in stray_temp_files(settings, min_age_s):
        try:
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
