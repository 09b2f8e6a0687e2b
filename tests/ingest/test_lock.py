"""One writer, many readers: the write lock refuses a second ingest, and a reader in this
process sees what a writer in another process committed, without restart and without
chromadb's "Error finding id".

Writers run in subprocesses because the problem only exists across processes: in one
process every Store shares chromadb's cached client and sees its own writes.
Plumbing only, so the writers embed with the FakeEmbedder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistent.cli import main
from grund.errors import StoreBusyError
from ingest.lock import holder, write_lock
from ingest.pipeline import ingest_paths
from ingest.store import Store
from tests.conftest import ROOT
from tests.ingest.test_store import DOC_A, DOC_B, FakeEmbedder, assert_consistent, write

DOC_C = "Miljönämnden beslutar att inventera enskilda avlopp i Lillby under 2025."


def _env(settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ASSISTENT_DATA_DIR"] = str(settings.data_dir)
    env["ASSISTENT_MODEL_CACHE"] = str(settings.models_dir)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _writer(settings, folder: Path, delay_s: float = 0.0) -> subprocess.Popen:
    """An ingest of ``folder`` in another process, embedding with the fake (slowed by ``delay_s``)."""
    code = textwrap.dedent(
        f"""
        import time
        import ingest.embed
        from grund.settings import get_settings, offline_env
        from ingest.pipeline import ingest_paths
        from tests.ingest.test_store import FakeEmbedder

        offline_env()

        class Slow(FakeEmbedder):
            def embed_passages(self, texts, **kw):
                print("embedding", flush=True)
                time.sleep({delay_s})
                return super().embed_passages(texts, **kw)

        ingest.embed.get_embedder = lambda settings: Slow()
        from pathlib import Path
        s = ingest_paths([Path({str(folder)!r})], get_settings(), progress=False)
        assert s.ok, s.render()
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], env=_env(settings), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _holder_process(settings) -> subprocess.Popen:
    code = textwrap.dedent(
        """
        import time
        from grund.settings import get_settings
        from ingest.lock import write_lock
        with write_lock(get_settings(), "testets skrivare"):
            print("held", flush=True)
            time.sleep(120)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=_env(settings), cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_writer_is_refused_with_a_clear_message(tmp_path, settings, fake_embedder):
    write(tmp_path / "in", "a.txt", DOC_A)
    proc = _holder_process(settings)
    try:
        settings.ingest.lock_wait_s = 0.3
        t = time.monotonic()
        with pytest.raises(StoreBusyError) as err:
            ingest_paths([tmp_path / "in"], settings, progress=False)
        assert time.monotonic() - t < 5
        assert "Arkivet skrivs redan" in str(err.value) and f"pid {proc.pid}" in str(err.value)
        assert "testets skrivare" in holder(settings)
        # the CLI says the same in one line, exit code 1, no traceback
        os.environ["ASSISTENT_INGEST_LOCK_WAIT_S"] = "0.2"
        try:
            result = CliRunner().invoke(main, ["ingest", "-q", str(tmp_path / "in")])
        finally:
            del os.environ["ASSISTENT_INGEST_LOCK_WAIT_S"]
        assert result.exit_code == 1 and "Arkivet skrivs redan" in result.output, result.output
        assert Store(settings).count_documents() == 0
    finally:
        proc.send_signal(signal.SIGKILL)  # a killed holder: the kernel releases the lock
        proc.wait()
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.ok and summary.documents_new == 1


def test_two_concurrent_ingests_one_waits_nothing_lost(tmp_path, settings, fake_embedder):
    write(tmp_path / "first", "a.txt", DOC_A)
    write(tmp_path / "first", "b.txt", DOC_B)
    write(tmp_path / "second", "c.txt", DOC_C)
    proc = _writer(settings, tmp_path / "first", delay_s=2.0)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "embedding"  # holds the lock now
        settings.ingest.lock_wait_s = 0.0
        with pytest.raises(StoreBusyError):
            ingest_paths([tmp_path / "second"], settings, progress=False)
        settings.ingest.lock_wait_s = 60.0
        summary = ingest_paths([tmp_path / "second"], settings, progress=False)  # waits for the first
        assert summary.ok and summary.documents_new == 1
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    store = assert_consistent(settings)
    assert store.count_documents() == 3 and store.stats()["chunks"] == store.collection.count()


def test_lock_is_reentrant_in_one_thread_and_exclusive_across_threads(settings):
    import threading

    settings.ingest.lock_wait_s = 0.0
    refused: list[BaseException] = []

    def other():
        try:
            with write_lock(settings, "tråd"):
                pass
        except StoreBusyError as exc:
            refused.append(exc)

    with write_lock(settings, "yttre"):
        with write_lock(settings, "inre"):  # doctor --repair runs an ingest under its own lock
            t = threading.Thread(target=other)
            t.start()
            t.join()
    assert len(refused) == 1
    with write_lock(settings, "igen"):  # released after the outer block
        pass


def test_reader_sees_another_process_ingest_without_restart(tmp_path, settings, fake_embedder):
    """The server's case: its Store stays open while a CLI ingest in another process commits."""
    write(tmp_path / "first", "a.txt", DOC_A)
    ingest_paths([tmp_path / "first"], settings, progress=False)
    reader = Store(settings)
    vec = FakeEmbedder().embed_passages(["fråga"])[0]
    assert len(reader.dense_search(vec, 5)) == 1
    assert reader.lexical().search("Storgatan", 5)

    write(tmp_path / "second", "b.txt", DOC_B)
    proc = _writer(settings, tmp_path / "second")
    assert proc.wait(timeout=60) == 0
    doc_b = next(d.id for d, *_ in reader.list_documents() if d.fil == "b.txt")
    # a filtered query over a stale in-memory index raised chromadb's "Error finding id"
    hits = reader.dense_search(vec, 5, where={"document_id": doc_b})
    assert [cid.split("-s")[0] for cid, _ in hits] == [doc_b]
    assert len(reader.dense_search(vec, 5)) == 2
    assert [cid.split("-s")[0] for cid, _ in reader.lexical().search("biblioteket", 5)] == [doc_b]


def test_dense_search_retries_a_failing_chroma_then_gives_no_candidates(settings, monkeypatch):
    """A Chroma error during a reload is retried on a fresh client, never raised to the caller."""
    from chromadb.errors import InternalError

    store = Store(settings)
    store.collection.upsert(ids=["x-s0-c0"], embeddings=[[0.5] * 16], metadatas=[{"document_id": "x"}])
    calls = {"n": 0}
    real = type(store.collection).query

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise InternalError("Error executing plan: Internal error: Error finding id")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(store.collection), "query", flaky)
    assert [cid for cid, _ in store.dense_search(FakeEmbedder().embed_passages(["x"])[0], 3)] == ["x-s0-c0"]

    def broken(self, *args, **kwargs):
        raise InternalError("Error finding id")

    monkeypatch.setattr(type(store.collection), "query", broken)
    assert store.dense_search(FakeEmbedder().embed_passages(["x"])[0], 3) == []
