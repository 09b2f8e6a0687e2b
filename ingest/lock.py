"""One writer at a time: an inter-process lock on the data directory.

Every command that writes the store (CLI ingest, web upload, ``doctor --repair``)
holds ``<data_dir>/write.lock`` while it runs. Readers (a running server) never take
it: they read SQLite's committed rows and pick up a finished ingest through the
store's generation stamp (see ``Store.refresh``).

Why a lock and not only SQLite's transactions: an ingest starts by deleting vectors
SQLite does not know (``Store.reconcile``). A second ingest running beside a first
would delete the first one's freshly upserted, not yet committed vectors, leaving
chunks in SQLite with no vector. ``flock`` is per open file description, so two
threads of one server (two uploads at once) exclude each other like two processes;
the lock is released by the kernel when its holder dies, so a killed ingest never
leaves the store locked.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grund.errors import StoreBusyError
from grund.prompts import STORE_BUSY
from grund.settings import Settings

LOCK_NAME = "write.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; one writer is then the operator's duty
    fcntl = None  # type: ignore[assignment]

# A thread that holds the lock may take it again (doctor --repair runs an ingest): count per path.
_held: dict[str, tuple[int, int]] = {}  # path → (thread id, depth)
_held_guard = threading.Lock()


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / LOCK_NAME


def holder(settings: Settings) -> str:
    """What the lock file says about the writer holding it ('pid 123, sedan 10:42:07, ingest'), or ''."""
    try:
        return lock_path(settings).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


@contextmanager
def write_lock(settings: Settings, what: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold the data directory's write lock for the block; StoreBusyError when another writer keeps it.

    Args:
        settings: whose data directory to lock.
        what: what this writer does, shown to a writer that is refused ('inläsning').
        wait_s: how long to wait for another writer (default settings.ingest.lock_wait_s).
    """
    path = lock_path(settings)
    key = str(path.resolve())
    me = threading.get_ident()
    with _held_guard:
        owner = _held.get(key)
        if owner and owner[0] == me:
            _held[key] = (me, owner[1] + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                tid, depth = _held[key]
                _held[key] = (tid, depth - 1)
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, settings, settings.ingest.lock_wait_s if wait_s is None else wait_s)
        stamp = f"pid {os.getpid()}, sedan {dt.datetime.now():%Y-%m-%d %H:%M:%S}, {what}\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode("utf-8"), 0)
        with _held_guard:
            _held[key] = (me, 1)
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, settings: Settings, wait_s: float) -> None:
    if fcntl is None:
        return
    deadline = time.monotonic() + max(wait_s, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                who = holder(settings)
                raise StoreBusyError(STORE_BUSY.format(holder=f" ({who})" if who else "")) from None
            time.sleep(0.1)
