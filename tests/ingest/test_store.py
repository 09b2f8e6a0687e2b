"""The store: SQLite, Chroma and BM25 stay in step, also when an ingest is interrupted.

Most tests here check plumbing, not retrieval quality, so they embed with
``FakeEmbedder`` (deterministic hash vectors, see its docstring); the last ones use
the real model where search results matter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grund.errors import StoreError
from grund.records import Chunk
from ingest.lexical import LexicalIndex
from ingest.pipeline import ingest_paths, parse_file
from ingest.store import Store, chunk_metadata
from tests.utils import free_port, stop

DOC_A = "Tekniska nämnden beslutar att bygga en ny gång- och cykelväg längs Storgatan under 2025."
DOC_B = "Kultur- och fritidsnämnden beslutar att förlänga biblioteket öppettider på lördagar."
DOC_A2 = "Tekniska nämnden beslutar att skjuta upp gång- och cykelvägen till 2026 av kostnadsskäl."


class FakeEmbedder:
    """Plumbing-only stand-in for the model: 16-dim unit vectors from a hash of the text.

    Deterministic (same text → same vector) and instant, so crash-consistency tests
    do not wait for the real model; never used where retrieval quality is tested.
    """

    dim = 16

    def embed_passages(self, texts: list[str], **_) -> np.ndarray:
        out = np.array(
            [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8) for t in texts], dtype=np.float32
        ).reshape(len(texts), self.dim) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return 2 * len(text.split())


@pytest.fixture
def fake_embedder(monkeypatch) -> FakeEmbedder:
    fake = FakeEmbedder()
    monkeypatch.setattr("ingest.embed.get_embedder", lambda settings: fake)
    return fake


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_consistent(settings) -> Store:
    """SQLite chunks == Chroma vectors == saved BM25 index, and every source points at a document."""
    store = Store(settings)
    sql = set(store.chunk_ids())
    chroma = set(store.collection.get(include=[])["ids"])
    assert sql == chroma, f"SQLite {len(sql)} delar, Chroma {len(chroma)}"
    saved = LexicalIndex.load(store.dir / "lexical")
    if sql:
        assert saved is not None and set(saved.ids) == sql
        assert len(store.lexical()) == len(sql) == store.collection.count()
    doc_ids = {d.id for d, *_ in store.list_documents()}
    assert {doc for _, doc in store.sources()} == doc_ids
    assert {cid.split("-s")[0] for cid in sql} <= doc_ids
    return store


def chunk_texts(store: Store) -> str:
    """All text the store would show or search, SQLite and Chroma together."""
    sql = " ".join(c.text for c in store.get_chunks(store.chunk_ids()).values())
    return sql + " " + " ".join(store.collection.get(include=["documents"])["documents"])


class CrashingCollection:
    """A Chroma collection whose ``method`` dies like a killed process, before or after doing its work."""

    def __init__(self, real, method: str, before: bool = False):
        self._real, self._method, self._before = real, method, before

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if name != self._method:
            return attr

        def call(*args, **kwargs):
            if not self._before:
                attr(*args, **kwargs)
            raise KeyboardInterrupt(f"avbruten {'före' if self._before else 'efter'} {name}")

        return call


def test_write_keeps_sqlite_chroma_bm25_in_step(tmp_path, settings, fake_embedder):
    write(tmp_path / "in", "a.txt", DOC_A)
    write(tmp_path / "in", "b.txt", DOC_B)
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.ok and summary.documents_new == 2
    store = assert_consistent(settings)
    assert store.stats()["documents"] == 2 and store.stats()["chunks"] == summary.chunks_embedded


def test_chunk_metadata_is_scalar_and_filterable():
    chunk = Chunk(
        id="d-s0-c0", section_id="d-s0", document_id="d", index=0, header="h", text="t",
        kommun="Gnesta kommun", datum=dt.date(2024, 2, 21), paragraf="§ 23", sida=None, fil="x.pdf",
    )
    meta = chunk_metadata(chunk)
    assert meta["datum"] == 20240221 and meta["paragraf_nr"] == 23 and meta["kommun"] == "Gnesta kommun"
    assert "sida" not in meta and "namnd" not in meta  # None values are left out
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())


def test_write_refuses_mismatched_vectors(tmp_path, settings):
    path = write(tmp_path, "a.txt", DOC_A)
    _, parsed, chunks = parse_file(path, settings)
    with pytest.raises(StoreError, match="a.txt"):
        Store(settings).write_document(parsed, chunks, np.zeros((len(chunks) + 1, 16), dtype=np.float32), path)


def test_crash_after_chroma_upsert_leaves_nothing_visible(tmp_path, settings, fake_embedder):
    """Killed between the Chroma upsert and the SQLite commit: no document, and the next run cleans up."""
    write(tmp_path / "in", "a.txt", DOC_A)
    store = Store(settings)
    store._collection = CrashingCollection(store.collection, "upsert")
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([tmp_path / "in"], settings, progress=False, store=store)
    store = Store(settings)
    assert store.count_documents() == 0 and store.chunk_ids() == [] and store.sources() == []
    stray = store.collection.count()
    assert stray > 0  # the vectors did land: exactly the state reconcile() exists for
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.stray_vectors_removed == stray and summary.documents_new == 1
    assert assert_consistent(settings).count_documents() == 1


@pytest.mark.parametrize("before", [True, False], ids=["före-delete", "efter-delete"])
def test_crash_while_replacing_a_changed_file(tmp_path, settings, fake_embedder, before):
    """Killed after the new version's SQLite commit, before or after the old version's vectors go:
    only the new version is ever visible, and the next run removes the old vectors."""
    path = write(tmp_path / "in", "a.txt", DOC_A)
    assert ingest_paths([path], settings, progress=False).documents_new == 1
    path.write_text(DOC_A2, encoding="utf-8")
    store = Store(settings)
    store._collection = CrashingCollection(store.collection, "delete", before=before)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([path], settings, progress=False, store=store)
    after_crash = Store(settings)
    assert after_crash.count_documents() == 1 and len(after_crash.sources()) == 1
    visible = " ".join(c.text for c in after_crash.get_chunks(after_crash.chunk_ids()).values())
    assert "2026" in visible and "Storgatan" not in visible
    summary = ingest_paths([path], settings, progress=False)
    assert summary.documents_unchanged == 1 and summary.chunks_embedded == 0
    assert summary.stray_vectors_removed == (1 if before else 0)
    store = assert_consistent(settings)
    assert "Storgatan" not in chunk_texts(store) and "2026" in chunk_texts(store)


def test_crash_while_repointing_a_path_is_cleaned_up(tmp_path, settings, fake_embedder, monkeypatch):
    """a.txt becomes a copy of b.txt and the run dies before a.txt's old document is dropped:
    the next run's reconcile() removes the orphaned document and its vectors."""
    a = write(tmp_path / "in", "a.txt", DOC_A)
    write(tmp_path / "in", "b.txt", DOC_B)
    ingest_paths([tmp_path / "in"], settings, progress=False)
    a.write_text(DOC_B, encoding="utf-8")

    def killed(self, doc_id):
        raise KeyboardInterrupt("avbruten")

    monkeypatch.setattr(Store, "_drop_if_orphaned", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([tmp_path / "in"], settings, progress=False)
    monkeypatch.undo()
    assert Store(settings).count_documents() == 2  # the orphan is still there ...
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.stray_vectors_removed == 1 and summary.chunks_embedded == 0
    store = assert_consistent(settings)  # ... and now it is gone
    assert store.count_documents() == 1 and "Storgatan" not in chunk_texts(store)


def test_reconcile_removes_only_unknown_vectors(tmp_path, settings, fake_embedder):
    write(tmp_path / "in", "a.txt", DOC_A)
    ingest_paths([tmp_path / "in"], settings, progress=False)
    store = Store(settings)
    before = store.collection.count()
    store.collection.upsert(ids=["okand-s0-c0"], embeddings=[[0.25] * 16], metadatas=[{"document_id": "okand"}])
    assert store.reconcile() == 1
    assert store.collection.count() == before and store.reconcile() == 0


def test_lexical_index_rebuilt_when_out_of_step(tmp_path, settings, fake_embedder):
    write(tmp_path / "in", "a.txt", DOC_A)
    write(tmp_path / "in", "b.txt", DOC_B)
    ingest_paths([tmp_path / "in"], settings, progress=False)
    store = Store(settings)
    ids = store.chunk_ids()
    LexicalIndex.build(ids[:1], ["gammalt index"]).save(store.dir / "lexical")  # stale file on disk
    assert set(Store(settings).lexical().ids) == set(ids)


def test_remove_source_keeps_document_while_another_path_holds_it(tmp_path, settings, fake_embedder):
    a = write(tmp_path / "x", "a.txt", DOC_A)
    b = write(tmp_path / "y", "kopia.txt", DOC_A)
    ingest_paths([a, b], settings, progress=False)
    store = Store(settings)
    assert store.count_documents() == 1 and len(store.sources()) == 2
    assert store.remove_source(str(a.resolve())) is False
    assert store.count_documents() == 1
    assert store.remove_source(str(b.resolve())) is True
    assert store.count_documents() == 0 and store.collection.count() == 0


def test_original_file_copied_by_content(tmp_path, settings, fake_embedder):
    path = write(tmp_path / "in", "a.txt", DOC_A)
    ingest_paths([path], settings, progress=False)
    store = Store(settings)
    doc = store.list_documents()[0][0]
    copy = store.original_file(doc)
    assert copy is not None and copy.read_text(encoding="utf-8") == DOC_A
    assert copy.name == f"{doc.sha256}.txt"



@pytest.mark.slow
def test_chroma_server_mode(tmp_path, settings, embedder):
    """CHROMA_HOST/CHROMA_PORT: the same code ingests into and searches a real Chroma server."""
    import chromadb

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp_path / "server"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        client = None
        deadline = time.monotonic() + 60
        while client is None:
            assert server.poll() is None, "Chroma-servern avslutades vid start"
            try:
                client = chromadb.HttpClient(host="127.0.0.1", port=port)
                client.heartbeat()
            except Exception:  # noqa: BLE001 - not listening yet
                client = None
                assert time.monotonic() < deadline, "Chroma-servern svarade inte inom 60 s"
                time.sleep(0.3)
        settings.chroma.host, settings.chroma.port = "127.0.0.1", port
        write(tmp_path / "in", "a.txt", DOC_A)
        write(tmp_path / "in", "b.txt", DOC_B)
        summary = ingest_paths([tmp_path / "in"], settings, progress=False)
        assert summary.ok and summary.documents_new == 2
        store = assert_consistent(settings)
        hits = store.dense_search(embedder.embed_query("cykelväg längs Storgatan"), k=2)
        best = store.get_chunks([hits[0][0]])[hits[0][0]]
        assert best.fil == "a.txt" and hits[0][1] > hits[1][1]
        assert client.get_collection(settings.collection_name).count() == store.stats()["chunks"] == 2
        assert not settings.chroma_dir.exists()  # nothing went to an embedded store on disk
        assert ingest_paths([tmp_path / "in"], settings, progress=False).chunks_embedded == 0
    finally:
        stop(server, timeout=15)



def _open_chroma_at_once(settings, threads: int = 8) -> tuple[list, list[Exception]]:
    """``threads`` threads open the store's collection, or a client of the same path, at one moment."""
    import threading

    from ingest.vectors import chroma_client

    store = Store(settings)
    barrier = threading.Barrier(threads)
    got: list = []
    errors: list[Exception] = []

    def open_collection(i: int) -> None:
        barrier.wait()
        try:
            if i % 2:  # another user of the same path (the web admin's store, a second Store)
                chroma_client(settings).heartbeat()
            else:
                got.append(store.collection)
        except Exception as exc:  # the race surfaced as AttributeError/ValueError from chromadb
            errors.append(exc)

    running = [threading.Thread(target=open_collection, args=(i,)) for i in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    store.close()
    return got, errors


def test_threads_opening_chroma_at_once_share_one_client(tmp_path):
    # chromadb starts its embedded system once per path; 8 threads starting it together failed
    # in 7 of 10 trials before chroma_client took a lock (HTTP 500s under `serve --workers 2`)
    from grund.settings import Settings

    for trial in range(3):
        got, errors = _open_chroma_at_once(Settings(data_dir=tmp_path / f"t{trial}"))
        assert errors == [] and len(got) == 4 and all(c is got[0] for c in got)
