"""The store: SQLite (documents, sections, chunks, sources) + Chroma (vectors) + BM25.

SQLite is the source of truth. Ids are derived from content (document = sha256[:16],
section = doc-s<i>, chunk = section-c<j>), so writing the same document twice
upserts the same rows and vectors: never two copies of a chunk.

Write order for one document, and why it is crash-safe:
1. Chroma upsert of the new chunks (deterministic ids);
2. one SQLite transaction: document, sections, chunks, source path, and the removal
   of the rows of the document this path held before (unless another path holds it);
3. Chroma delete of that old document's vectors.
A crash after 1 leaves vectors SQLite does not know; after 2, the old version's
vectors. ``reconcile()`` (run at the start of every ingest) deletes every vector whose
chunk id is not in SQLite, and retrieval only returns chunks SQLite has, so an
interrupted ingest never leaves a half-written document visible.
The BM25 index is updated from SQLite's chunks by segments (``update_lexical``: the
documents written since its stamp, never the whole archive) and carries a fingerprint of
its ids; a reader whose fingerprint disagrees brings it in step the same way.

One writer, many readers: writers hold the data directory's lock (ingest/lock.py) and
bump the ``generation`` stamp in ``meta`` when they finish. A reader in another process
(a running server) keeps its BM25 index and its embedded Chroma client until the stamp
changes, then reopens both (``refresh``). An embedded Chroma client holds its vector
index in memory: after another process wrote, a filtered query fails with "Error finding
id", so a Chroma error makes the reader reopen and retry, and dense search gives no
candidates rather than a 500 when Chroma keeps failing (BM25 still answers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from grund.errors import StoreError
from grund.records import Chunk, Document, ParsedDocument, Section
from grund.settings import Settings
from ingest.lexical import LexicalIndex
from ingest.store_filters import ChunkColumns, ChunkFilters
from ingest.store_search import SearchIndexes
from ingest.store_units import UnitsTable
from ingest.vectors import CHROMA_STEP, VectorTable, chroma_client, chunk_metadata, forget_chroma_client

__all__ = ["Store", "chroma_client", "chunk_metadata", "file_sha256", "forget_chroma_client"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, fil TEXT NOT NULL, path TEXT NOT NULL,
    json TEXT NOT NULL, n_sections INTEGER NOT NULL, n_chunks INTEGER NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sections (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL, idx INTEGER NOT NULL,
    paragraf_nr INTEGER, dnr_norm TEXT, json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sections_doc ON sections(document_id);
CREATE INDEX IF NOT EXISTS sections_dnr ON sections(dnr_norm);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, section_id TEXT NOT NULL, document_id TEXT NOT NULL, idx INTEGER NOT NULL,
    kommun TEXT, namnd TEXT, dokumenttyp TEXT, datum TEXT, json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_section ON chunks(section_id);
-- covering indexes for chunk_ids_where (filters): at 100x a kommun filter read every row, 60 ms; now 8 ms
CREATE INDEX IF NOT EXISTS chunks_kommun ON chunks(kommun, id);
CREATE INDEX IF NOT EXISTS chunks_namnd ON chunks(namnd, id);
CREATE INDEX IF NOT EXISTS chunks_dokumenttyp ON chunks(dokumenttyp, id);
CREATE INDEX IF NOT EXISTS chunks_datum ON chunks(datum, id);
CREATE TABLE IF NOT EXISTS sources (path TEXT PRIMARY KEY, document_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    section_id TEXT PRIMARY KEY, document_id TEXT NOT NULL, version INTEGER NOT NULL,
    json TEXT NOT NULL, vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS units_doc ON units(document_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MB blocks: a document's id is its first 16 hex digits."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Store(SearchIndexes, ChunkFilters, UnitsTable):
    """Documents, sections and chunks of one collection (embedding model + chunking).

    Search over its indexes is in ingest/store_search.py, filters and facets in
    ingest/store_filters.py, the answer units in
    ingest/store_units.py, Chroma plumbing and the exact vector table in ingest/vectors.py.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.index_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.dir / "store.sqlite", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._collection = None
        self._lexical: LexicalIndex | None = None
        # the last index this store loaded or wrote: the base of the next update (not reset by writes)
        self._lexical_base: LexicalIndex | None = None
        # every chunk's vector, for exact filtered search (exact_dense_search); loaded on first use
        self._vectors: VectorTable | None = None
        self._filter_ids: dict[str, frozenset[str]] = {}  # chunk_ids_where, until the next write
        self._columns: ChunkColumns | None = None  # every chunk's filter fields (ingest/store_filters.py)
        self._chroma_n: int | None = None  # vectors in Chroma, counted once per generation
        self._facets: tuple[tuple, dict[str, Any]] | None = None
        self._generation = self.get_meta("generation")

    # ------------------------------------------------------------ plumbing
    @property
    def collection(self):
        collection = self._collection
        if collection is None:
            with self._lock:  # one client per store, however many threads ask at once
                if self._collection is None:
                    client = chroma_client(self.settings)
                    self._collection = client.get_or_create_collection(
                        self.settings.collection_name,
                        embedding_function=None,  # never Chroma's default: it downloads a model
                        configuration={"hnsw": {"space": "cosine"}},
                        metadata={"embedding_model": self.settings.embedding.model},
                    )
                collection = self._collection
        return collection

    def close(self) -> None:
        self._db.close()

    def bump_generation(self) -> None:
        """Tell readers in other processes that committed content changed (a writer calls it when done)."""
        stamp = uuid.uuid4().hex
        self.set_meta("generation", stamp)
        self._generation = stamp

    def refresh(self) -> bool:
        """Reopen the BM25 index and Chroma when another process changed the store. True if it did."""
        stamp = self.get_meta("generation")
        if stamp == self._generation:
            return False
        self._generation = stamp
        self._lexical = None
        self._drop_search_caches()
        self._facets = None
        self._reopen_chroma()
        return True

    def _reopen_chroma(self) -> None:
        forget_chroma_client(self.settings)
        self._collection = None
        self._chroma_n = None

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    # ------------------------------------------------------------ reading
    def count_documents(self) -> int:
        return self._rows("SELECT COUNT(*) FROM documents")[0][0]

    def document_for_path(self, path: Path) -> str | None:
        rows = self._rows("SELECT document_id FROM sources WHERE path = ?", [str(path)])
        return rows[0][0] if rows else None

    def has_document(self, doc_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM documents WHERE id = ?", [doc_id]))

    def get_document(self, doc_id: str) -> Document | None:
        rows = self._rows("SELECT json FROM documents WHERE id = ?", [doc_id])
        return Document.model_validate_json(rows[0][0]) if rows else None

    def list_documents(self) -> list[tuple[Document, int, int, str]]:
        """(document, n_sections, n_chunks, ingested_at), by kommun, date."""
        rows = self._rows("SELECT json, n_sections, n_chunks, ingested_at FROM documents")
        docs = [(Document.model_validate_json(j), s, c, t) for j, s, c, t in rows]
        docs.sort(key=lambda r: (r[0].kommun or "~", -(r[0].datum or dt.date.min).toordinal(), r[0].fil))
        return docs

    def get_section(self, section_id: str) -> Section | None:
        rows = self._rows("SELECT json FROM sections WHERE id = ?", [section_id])
        return Section.model_validate_json(rows[0][0]) if rows else None

    def sections_of(self, doc_id: str) -> list[Section]:
        rows = self._rows("SELECT json FROM sections WHERE document_id = ? ORDER BY idx", [doc_id])
        return [Section.model_validate_json(r[0]) for r in rows]

    def sections_by_dnr(self, dnr_norm: str) -> list[Section]:
        rows = self._rows("SELECT json FROM sections WHERE dnr_norm = ?", [dnr_norm])
        return [Section.model_validate_json(r[0]) for r in rows]

    def sections_mentioning(self, dnr: str, norm: str) -> list[Section]:
        """Sections whose text mentions a diarienummer (as typed, or in any form that normalises alike)."""
        from grund.dnr import find_diarienummer

        rows = self._rows("SELECT json FROM sections WHERE instr(json, ?) > 0 OR dnr_norm = ?", [dnr, norm])
        out = [Section.model_validate_json(r[0]) for r in rows]
        # other spellings of the same number: match on the serial's digits, then confirm by normalising
        digits = "".join(ch for ch in norm if ch.isdigit())[-4:]
        if digits:
            for (j,) in self._rows("SELECT json FROM sections WHERE instr(json, ?) > 0", [digits]):
                sec = Section.model_validate_json(j)
                if any(m.norm == norm for m in find_diarienummer(sec.text)) and all(o.id != sec.id for o in out):
                    out.append(sec)
        return out

    def sections_by_paragraf(self, nr: int) -> list[Section]:
        rows = self._rows("SELECT json FROM sections WHERE paragraf_nr = ?", [nr])
        return [Section.model_validate_json(r[0]) for r in rows]

    def get_chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        ids = list(ids)
        out: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT id, json FROM chunks WHERE id IN ({','.join('?' * len(part))})"
            out.update({cid: Chunk.model_validate_json(j) for cid, j in self._rows(q, part)})
        return out

    def chunks_of_section(self, section_id: str) -> list[Chunk]:
        rows = self._rows("SELECT json FROM chunks WHERE section_id = ? ORDER BY idx", [section_id])
        return [Chunk.model_validate_json(r[0]) for r in rows]

    def chunk_ids(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT id FROM chunks ORDER BY id")]

    def sources(self) -> list[tuple[str, str]]:
        return self._rows("SELECT path, document_id FROM sources ORDER BY path")

    # ------------------------------------------------------------ writing
    def write_document(self, parsed: ParsedDocument, chunks: list[Chunk], embeddings: np.ndarray, path: Path) -> None:
        """Store one document atomically (see module docstring), replacing what ``path`` held."""
        doc = parsed.document
        if len(chunks) != len(embeddings):
            raise StoreError(f"{doc.fil}: {len(chunks)} delar men {len(embeddings)} vektorer")
        previous = self.document_for_path(path)
        # re-parsing the same file (a newer parser) may yield fewer chunks: their vectors go after COMMIT
        old_ids = {r[0] for r in self._rows("SELECT id FROM chunks WHERE document_id = ?", [doc.id])}
        stale = sorted(old_ids - {c.id for c in chunks})
        orphaned = False
        step = CHROMA_STEP
        for i in range(0, len(chunks), step):
            batch = chunks[i : i + step]
            self.collection.upsert(
                ids=[c.id for c in batch],
                embeddings=embeddings[i : i + step].tolist(),
                metadatas=[chunk_metadata(c) for c in batch],
                documents=[c.embed_text for c in batch],
            )
        now = dt.datetime.now().isoformat(timespec="seconds")
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN")
            try:
                self._delete_rows(cur, doc.id)
                cur.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)",
                    (doc.id, doc.sha256, doc.fil, doc.path, doc.model_dump_json(), len(parsed.sections), len(chunks), now),
                )
                cur.executemany(
                    "INSERT INTO sections VALUES (?,?,?,?,?,?)",
                    [(s.id, doc.id, s.index, s.paragraf_nr, s.dnr_norm, s.model_dump_json()) for s in parsed.sections],
                )
                cur.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        (c.id, c.section_id, doc.id, c.index, c.kommun, c.namnd, c.dokumenttyp,
                         c.datum.isoformat() if c.datum else None, c.model_dump_json())
                        for c in chunks
                    ],
                )
                cur.execute("INSERT OR REPLACE INTO sources VALUES (?,?)", (str(path), doc.id))
                # The version this path held goes in the same transaction (unless another path
                # still holds it): a kill after COMMIT then leaves only its vectors, which
                # reconcile() removes, never a second, stale version of the file.
                orphaned = bool(previous and previous != doc.id) and not cur.execute(
                    "SELECT 1 FROM sources WHERE document_id = ?", (previous,)
                ).fetchone()
                if orphaned and previous:
                    self._delete_rows(cur, previous)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        if orphaned:
            self.collection.delete(where={"document_id": previous})
        for i in range(0, len(stale), step):
            self.collection.delete(ids=stale[i : i + step])
        self._lexical = None
        self._drop_search_caches()

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", [key])
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._rows("INSERT OR REPLACE INTO meta VALUES (?,?)", [key, value])

    def add_source(self, path: Path, doc_id: str) -> None:
        """Point ``path`` at an already stored document (same content found at another path)."""
        previous = self.document_for_path(path)
        self._rows("INSERT OR REPLACE INTO sources VALUES (?,?)", [str(path), doc_id])
        if previous and previous != doc_id:
            self._drop_if_orphaned(previous)

    def remove_source(self, path: str) -> bool:
        """Forget a source path; the document goes when no path refers to it. True if one went."""
        doc_id = self._rows("SELECT document_id FROM sources WHERE path = ?", [path])
        self._rows("DELETE FROM sources WHERE path = ?", [path])
        return bool(doc_id) and self._drop_if_orphaned(doc_id[0][0])

    def prune_missing(self) -> list[str]:
        """Remove documents whose every source file is gone. Returns the vanished paths."""
        gone = [p for p, _ in self.sources() if not Path(p).exists()]
        for p in gone:
            self.remove_source(p)
        return gone

    def delete_document(self, doc_id: str) -> None:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN")
            self._delete_rows(cur, doc_id)
            cur.execute("DELETE FROM sources WHERE document_id = ?", (doc_id,))
            cur.execute("COMMIT")
        self.collection.delete(where={"document_id": doc_id})
        self._lexical = None
        self._drop_search_caches()

    def _drop_if_orphaned(self, doc_id: str) -> bool:
        if self._rows("SELECT 1 FROM sources WHERE document_id = ?", [doc_id]):
            return False
        self.delete_document(doc_id)
        return True

    @staticmethod
    def _delete_rows(cur: sqlite3.Cursor, doc_id: str) -> None:
        for table in ("chunks", "sections", "units"):
            cur.execute(f"DELETE FROM {table} WHERE document_id = ?", (doc_id,))
        cur.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def reconcile(self) -> int:
        """Delete what an interrupted ingest left: documents no path refers to, vectors SQLite does not hold."""
        # add_source/remove_source drop the old document in a second step; a kill in between orphans it
        removed = 0
        for (doc_id,) in self._rows("SELECT id FROM documents WHERE id NOT IN (SELECT document_id FROM sources)"):
            removed += self._rows("SELECT COUNT(*) FROM chunks WHERE document_id = ?", [doc_id])[0][0]
            self.delete_document(doc_id)
        known = set(self.chunk_ids())
        stored = self.collection.get(include=[])["ids"]
        stray = [i for i in stored if i not in known]
        for i in range(0, len(stray), 5000):
            self.collection.delete(ids=stray[i : i + 5000])
        return removed + len(stray)

    def copy_original(self, path: Path, doc: Document) -> Path:
        """Keep a copy of the original for download; named by content so nothing collides."""
        self.settings.files_dir.mkdir(parents=True, exist_ok=True)
        dest = self.settings.files_dir / f"{doc.sha256}{path.suffix.lower()}"
        if not dest.exists():
            tmp = dest.with_suffix(dest.suffix + ".tmp")
            shutil.copyfile(path, tmp)
            tmp.replace(dest)
        return dest

    def original_file(self, doc: Document) -> Path | None:
        """The stored copy of a document's original file, if there is one."""
        dest = self.settings.files_dir / f"{doc.sha256}{Path(doc.fil).suffix.lower()}"
        return dest if dest.is_file() else None

    def stats(self) -> dict[str, int]:
        return {
            "documents": self.count_documents(),
            "sections": self._rows("SELECT COUNT(*) FROM sections")[0][0],
            "chunks": self._rows("SELECT COUNT(*) FROM chunks")[0][0],
        }
