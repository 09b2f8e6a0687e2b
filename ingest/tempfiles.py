"""Temp files a killed process leaves in the data directory, and their removal.

Both the ingest (at the start of a run, under the write lock) and ``assistent doctor``
sweep them; this module sits below both so neither imports the other for it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from grund.settings import Settings

#: Temp files younger than this may belong to a running process (a server rebuilding its
#: BM25 index, a model being converted) and are left alone.
TEMP_MIN_AGE_S = 600.0


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
