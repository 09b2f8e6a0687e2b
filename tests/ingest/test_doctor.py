"""`assistent doctor`: finds each seeded inconsistency and repairs it; originals survive a
kill at any moment of the write (subprocess + SIGKILL).

Plumbing, so the FakeEmbedder embeds (also for the re-embedding repair).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistent.cli import main
from ingest.doctor import diagnose
from ingest.lexical import LexicalIndex
from ingest.pipeline import ingest_paths
from ingest.store import Store
from tests.conftest import ROOT
from tests.ingest.test_store import DOC_A, DOC_B, assert_consistent, write


def _ingested(tmp_path, settings) -> Store:
    write(tmp_path / "in", "a.txt", DOC_A)
    write(tmp_path / "in", "b.txt", DOC_B)
    assert ingest_paths([tmp_path / "in"], settings, progress=False).ok
    return Store(settings)


def _bad(report) -> dict[str, int]:
    return {f.check: f.count for f in report.findings if not f.ok}


def _old(path: Path) -> Path:
    os.utime(path, (time.time() - 3600, time.time() - 3600))
    return path


def test_a_store_in_step_is_healthy_and_cli_exits_0(tmp_path, settings, fake_embedder):
    _ingested(tmp_path, settings)
    report = diagnose(settings)
    assert report.ok and _bad(report) == {} and report.documents == 2 and report.chunks == report.vectors == 2
    result = CliRunner().invoke(main, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def _seed_missing_vector(store, settings):
    store.collection.delete(ids=[store.chunk_ids()[0]])


def _seed_stray_vector(store, settings):
    store.collection.upsert(ids=["okand-s0-c0"], embeddings=[[0.25] * 16], metadatas=[{"document_id": "okand"}])


def _seed_stale_lexical(store, settings):
    LexicalIndex.build(store.chunk_ids()[:1], ["gammalt"]).save(store.dir / "lexical")


def _seed_missing_original(store, settings):
    doc = store.list_documents()[0][0]
    store.original_file(doc).unlink()


def _seed_stray_original(store, settings):
    (settings.files_dir / ("f" * 64 + ".txt")).write_text("rest", encoding="utf-8")


def _seed_temp_files(store, settings):
    (store.dir / ".lexical-abc123.npz").write_bytes(b"halv")
    _old(store.dir / ".lexical-abc123.npz")
    (settings.files_dir / ("e" * 64 + ".pdf.tmp")).write_bytes(b"halv")
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    model_tmp = settings.models_dir / ".multilingual-e5-small-xyz"
    model_tmp.mkdir()
    _old(model_tmp)


def _seed_missing_units(store, settings):
    section = store.sections_of(store.list_documents()[0][0].id)[0]
    store._rows("DELETE FROM units WHERE section_id = ?", [section.id])


def _seed_orphan_units(store, settings):
    doc = store.list_documents()[0][0]
    store._rows(
        "INSERT INTO units SELECT section_id || '-borta', document_id, version, json, vectors FROM units "
        "WHERE document_id = ? LIMIT 1",
        [doc.id],
    )


@pytest.mark.parametrize(
    ("seed", "check"),
    [
        (_seed_missing_units, "units"),
        (_seed_orphan_units, "units"),
        (_seed_missing_vector, "vectors_missing"),
        (_seed_stray_vector, "vectors_stray"),
        (_seed_stale_lexical, "lexical"),
        (_seed_missing_original, "originals"),
        (_seed_stray_original, "originals_stray"),
        (_seed_temp_files, "temp_files"),
    ],
)
def test_doctor_finds_and_repairs(tmp_path, settings, fake_embedder, seed, check):
    store = _ingested(tmp_path, settings)
    seed(store, settings)
    found = diagnose(settings)
    assert not found.ok and check in _bad(found), found.render()
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 2 and "doctor --repair" in result.output

    repaired = diagnose(settings, repair=True)
    assert repaired.ok, repaired.render()
    assert diagnose(settings).ok and _bad(diagnose(settings)) == {}
    store = assert_consistent(settings)
    assert all(store.original_file(d) is not None for d, *_ in store.list_documents())
    assert not list(settings.files_dir.glob("*.tmp")) and not list(store.dir.glob(".lexical-*"))


def test_missing_original_whose_source_changed_is_reported_not_invented(tmp_path, settings, fake_embedder):
    store = _ingested(tmp_path, settings)
    doc = next(d for d, *_ in store.list_documents() if d.fil == "a.txt")
    store.original_file(doc).unlink()
    (tmp_path / "in" / "a.txt").write_text("ändrad", encoding="utf-8")
    report = diagnose(settings, repair=True)
    assert not report.ok and "kan inte återskapas" in report.render() and "a.txt" in report.render()


def test_reingest_restores_a_lost_original_of_an_unchanged_file(tmp_path, settings, fake_embedder):
    store = _ingested(tmp_path, settings)
    doc = store.list_documents()[0][0]
    store.original_file(doc).unlink()
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.documents_unchanged == 2 and Store(settings).original_file(doc) is not None


@pytest.mark.parametrize("moment", ["after_commit", "after_copy"])
def test_kill_around_the_write_never_loses_the_original(tmp_path, settings, moment):
    """SIGKILL right after the SQLite COMMIT (it lost the original for good) or right after the copy."""
    write(tmp_path / "in", "a.txt", DOC_A)
    code = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        import ingest.embed
        from grund.settings import get_settings, offline_env
        from ingest.pipeline import ingest_paths
        from ingest.store import Store
        from tests.ingest.test_store import FakeEmbedder

        offline_env()
        ingest.embed.get_embedder = lambda settings: FakeEmbedder()
        name = {"'write_document'" if moment == "after_commit" else "'copy_original'"}
        real = getattr(Store, name)

        def then_die(self, *args, **kwargs):
            real(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        setattr(Store, name, then_die)
        ingest_paths([Path({str(tmp_path / "in")!r})], get_settings(), progress=False)
        """
    )
    env = dict(os.environ, ASSISTENT_DATA_DIR=str(settings.data_dir), ASSISTENT_MODEL_CACHE=str(settings.models_dir),
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == -9
    store = Store(settings)
    if moment == "after_commit":
        doc = store.list_documents()[0][0]
        assert store.original_file(doc) is not None  # copied before the commit
        report = diagnose(settings)
        # neither the BM25 update nor the answer units ran; the document's one section lacks units
        assert _bad(report) == {"lexical": 0, "units": len(store.sections_of(doc.id))}, report.render()
        assert diagnose(settings, repair=True).ok
    else:
        assert store.count_documents() == 0  # nothing committed, the copy is only a stray file
        assert "originals_stray" in _bad(diagnose(settings))
        summary = ingest_paths([tmp_path / "in"], settings, progress=False, store=None)
        assert summary.documents_new == 1 and summary.stray_vectors_removed == 0
    store = Store(settings)
    ingest_paths([tmp_path / "in"], settings, progress=False)
    assert diagnose(settings).ok
    assert_consistent(settings)
    assert store.original_file(store.list_documents()[0][0]).read_text(encoding="utf-8") == DOC_A
