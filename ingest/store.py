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
import logging
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from assistent.errors import StoreError
from assistent.records import Chunk, Document, Filters, ParsedDocument, Section, Unit
from assistent.settings import Settings
from ingest.dnr import normalize_paragraf
from ingest.lexical import LexicalIndex, fingerprint_of

_UNITS: TypeAdapter[list[Unit]] = TypeAdapter(list[Unit])

log = logging.getLogger(__name__)
#: Tries of a Chroma query before dense search gives up for this question.
_CHROMA_TRIES = 3

#: Filters whose chunk ids (and their positions in BM25 and the vector table) are kept.
_FILTER_CACHE_SIZE = 32

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


def chroma_client(settings: Settings):
    """Embedded persistent client by default; a Chroma server when CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma.host:
        return chromadb.HttpClient(
            host=settings.chroma.host, port=settings.chroma.port, ssl=settings.chroma.ssl, settings=client_settings
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=client_settings)


def forget_chroma_client(settings: Settings) -> None:
    """Make the next ``chroma_client`` read the disk afresh instead of this process's cached one.

    chromadb keeps one embedded system per path and process; its vector index is loaded
    once, so another process's writes stay invisible to it. Dropping it from the cache
    (not stopping it: queries of other threads may still run on it) lets the next client
    load the index as it is now; the old one goes when nothing refers to it.
    """
    if settings.chroma.host:
        return
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(settings.chroma_dir), None)


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata: only scalars, None left out; dates as YYYYMMDD ints for range filters."""
    meta: dict[str, Any] = {
        "document_id": chunk.document_id,
        "section_id": chunk.section_id,
        "kommun": chunk.kommun,
        "namnd": chunk.namnd,
        "dokumenttyp": chunk.dokumenttyp,
        "datum": int(chunk.datum.strftime("%Y%m%d")) if chunk.datum else None,
        "dnr_norm": chunk.dnr_norm,
        "paragraf_nr": normalize_paragraf(chunk.paragraf) if chunk.paragraf else None,
        "part": chunk.part,
        "fil": chunk.fil,
        "sida": chunk.sida,
    }
    return {k: v for k, v in meta.items() if v is not None}


class Store:
    """Documents, sections and chunks of one collection (embedding model + chunking)."""

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
        self._vectors: tuple[list[str], dict[str, int], np.ndarray] | None = None
        self._filter_ids: dict[str, frozenset[str]] = {}  # chunk_ids_where, until the next write
        self._rows_of: dict[int, tuple[Collection[str], np.ndarray]] = {}  # exact_dense_search look-ups
        self._facets: tuple[tuple, dict[str, Any]] | None = None
        self._generation = self.get_meta("generation")

    # ------------------------------------------------------------ plumbing
    @property
    def collection(self):
        if self._collection is None:
            client = chroma_client(self.settings)
            self._collection = client.get_or_create_collection(
                self.settings.collection_name,
                embedding_function=None,  # never Chroma's default: it downloads a model
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": self.settings.embedding.model},
            )
        return self._collection

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
        self._vectors = None
        self._filter_ids = {}
        self._facets = None
        self._reopen_chroma()
        return True

    def _reopen_chroma(self) -> None:
        forget_chroma_client(self.settings)
        self._collection = None

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
        from ingest.dnr import find_diarienummer

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

    def chunk_ids_where(self, filters: Filters) -> frozenset[str] | None:
        """Chunk ids that pass the filters; None when there are no filters (= all).

        Kept per filter until the next write (users filter on the same few kommuner and
        nämnder), and the same set object is returned each time, so BM25 and the dense
        search keep their position look-ups for it too (``LexicalIndex.search``,
        ``exact_dense_search``): at 100× one look-up of ~10k ids cost ~40 ms on a busy machine.
        """
        key = filters.model_dump_json()
        cached = self._filter_ids.get(key)
        if cached is not None:
            return cached
        ids = self._chunk_ids_where(filters)
        if ids is not None:
            if len(self._filter_ids) >= _FILTER_CACHE_SIZE:
                self._filter_ids.pop(next(iter(self._filter_ids)))
            self._filter_ids[key] = ids
        return ids

    def _chunk_ids_where(self, filters: Filters) -> frozenset[str] | None:
        clauses, args = [], []
        for col in ("kommun", "namnd", "dokumenttyp"):
            if getattr(filters, col):
                clauses.append(f"{col} = ?")
                args.append(getattr(filters, col))
        if filters.date_from:
            clauses.append("datum >= ?")
            args.append(filters.date_from.isoformat())
        if filters.date_to:
            clauses.append("datum <= ?")
            args.append(filters.date_to.isoformat())
        if not clauses:
            return None
        return frozenset(r[0] for r in self._rows(f"SELECT id FROM chunks WHERE {' AND '.join(clauses)}", args))

    def sources(self) -> list[tuple[str, str]]:
        return self._rows("SELECT path, document_id FROM sources ORDER BY path")

    # ------------------------------------------------------------ answer units
    def documents_without_units(self, version: int) -> list[str]:
        """Ids of stored documents whose answer units are missing or of another version."""
        rows = self._rows(
            "SELECT id FROM documents WHERE id NOT IN (SELECT document_id FROM units WHERE version = ?)", [version]
        )
        return [r[0] for r in rows]

    def write_units(self, doc_id: str, rows: list[tuple[str, list[Unit], np.ndarray]], version: int) -> None:
        """Replace a document's answer units: (section id, units, one float16 vector per unit)."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN")
            try:
                cur.execute("DELETE FROM units WHERE document_id = ?", (doc_id,))
                cur.executemany(
                    "INSERT OR REPLACE INTO units VALUES (?,?,?,?,?)",
                    [
                        (sid, doc_id, version, "[" + ",".join(u.model_dump_json() for u in units) + "]",
                         np.asarray(vecs, dtype=np.float16).tobytes())
                        for sid, units, vecs in rows
                    ],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def units_of(self, section_ids: Iterable[str]) -> dict[str, tuple[list[Unit], np.ndarray]]:
        """Section id → (its answer units, their float32 vectors, one row per unit)."""
        ids = list(dict.fromkeys(section_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        out: dict[str, tuple[list[Unit], np.ndarray]] = {}
        for sid, js, blob in self._rows(f"SELECT section_id, json, vectors FROM units WHERE section_id IN ({marks})", ids):
            units = _UNITS.validate_json(js) if js != "[]" else []
            vecs = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
            out[sid] = (units, vecs.reshape(len(units), -1) if units else np.zeros((0, 0), np.float32))
        return out

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
        step = 5000  # below Chroma's max batch size (5461)
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
                if orphaned:
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
        self._vectors = None
        self._filter_ids = {}

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
        self._vectors = None
        self._filter_ids = {}

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

    # ------------------------------------------------------------ search
    def dense_search(
        self,
        embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        allowed: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first; [] when Chroma keeps failing (see module docstring).

        Args:
            embedding: the question's vector.
            k: how many.
            where: Chroma metadata filter, used when the exact path is not taken.
            allowed: the chunk ids that pass the same filters (``chunk_ids_where``); when there
                are at most ``settings.retrieval.exact_filter_max`` of them they are scored exactly.
        """
        from chromadb.errors import ChromaError

        self.refresh()
        limit = self.settings.retrieval.exact_filter_max
        if allowed is not None and len(allowed) <= limit:
            return self.exact_dense_search(embedding, k, allowed)
        for attempt in range(_CHROMA_TRIES):
            try:
                n = self.collection.count()
                if n == 0:
                    return []
                res = self.collection.query(
                    query_embeddings=[embedding.tolist()], n_results=min(k, n), where=where or None,
                    include=["distances"],
                )
                return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]
            except ChromaError as exc:  # another process wrote since this one loaded the index
                log.warning("Chroma-sökningen misslyckades (försök %d): %s", attempt + 1, exc)
                self._reopen_chroma()
                time.sleep(0.05 * attempt)
        return []

    def _vector_table(self) -> tuple[list[str], dict[str, int], np.ndarray]:
        """Every chunk's vector as one float32 matrix (47,200 × 384 = 72 MB at 100× the example corpus)."""
        with self._lock:
            if self._vectors is None:
                ids: list[str] = []
                parts: list[np.ndarray] = []
                step = 5000  # below Chroma's max batch size (5461)
                for offset in range(0, self.collection.count(), step):
                    got = self.collection.get(include=["embeddings"], limit=step, offset=offset)
                    ids += got["ids"]
                    parts.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
                matrix = np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)
                self._vectors = (ids, {cid: i for i, cid in enumerate(ids)}, matrix)
                self._rows_of = {}
            return self._vectors

    def exact_dense_search(self, embedding: np.ndarray, k: int, allowed: Collection[str]) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``k`` best of ``allowed``, best first, by exact dot products.

        Chroma's HNSW with a metadata filter cost ~86 ms at 120k vectors; the filtered ids come
        from SQLite anyway, and a product over their vectors is ~1 ms per 10k (vectors are
        L2-normalised, so the dot product is the cosine Chroma's distance is 1 minus).

        Args:
            embedding: the question's vector.
            k: how many.
            allowed: chunk ids that may be returned.
        """
        ids, pos, matrix = self._vector_table()
        query = np.asarray(embedding, dtype=np.float32)
        if k > 0 and len(allowed) * 8 >= len(ids):
            # a large share of the archive passes: score every chunk (one matrix product) and
            # take the best that pass, cheaper than looking up each allowed id
            sims_all = matrix @ query
            m = min(len(ids), k * 16)
            cand = np.argpartition(-sims_all, m - 1)[:m] if len(ids) > m else np.arange(len(ids))
            cand = cand[np.lexsort((cand, -sims_all[cand]))]
            picked = [i for i in cand if ids[i] in allowed][:k]
            if len(picked) == k or m == len(ids):
                return [(ids[i], float(sims_all[i])) for i in picked]
        hit = self._rows_of.get(id(allowed))
        if hit is not None and hit[0] is allowed and self._vectors is not None:
            rows = hit[1]
        else:
            rows = np.fromiter((pos[c] for c in allowed if c in pos), dtype=np.int64)
            if isinstance(allowed, frozenset):  # immutable: its rows stay valid for this table
                if len(self._rows_of) >= _FILTER_CACHE_SIZE:
                    self._rows_of.pop(next(iter(self._rows_of)))
                self._rows_of[id(allowed)] = (allowed, rows)
        if not rows.size or k <= 0:
            return []
        sims = matrix[rows] @ query
        top = np.argpartition(-sims, k - 1)[:k] if sims.size > k else np.arange(sims.size)
        top = top[np.lexsort((rows[top], -sims[top]))]
        return [(ids[rows[i]], float(sims[i])) for i in top]

    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded from disk or rebuilt when it is out of step with SQLite."""
        self.refresh()
        if self._lexical is not None:
            return self._lexical
        ids = self.chunk_ids()
        index = LexicalIndex.load(self.dir / "lexical")
        if index is None:
            index = self.rebuild_lexical(ids)
        elif index.fingerprint != fingerprint_of(ids):
            self._lexical_base = index
            index = self.update_lexical()
        self._lexical = self._lexical_base = index
        return index

    def _lexical_stamp(self) -> str:
        return self._rows("SELECT MAX(ingested_at) FROM documents")[0][0] or ""

    def rebuild_lexical(self, ids: list[str] | None = None) -> LexicalIndex:
        """Build the BM25 index anew from every chunk in SQLite (cost proportional to the archive)."""
        with self._lock:
            stamp = self._lexical_stamp()
            ids = ids if ids is not None else self.chunk_ids()
            chunks = self.get_chunks(ids)
            index = LexicalIndex.build(ids, [chunks[i].embed_text for i in ids], stamp=stamp)
            index.save(self.dir / "lexical")
            self._lexical = self._lexical_base = index
            return index

    def update_lexical(self) -> LexicalIndex:
        """Bring the BM25 index in step with SQLite with one new segment (ingest/lexical.py).

        Chunks SQLite no longer holds are deleted; chunks SQLite holds that the index lacks,
        and every chunk of a document written at or after the index's stamp (the newest
        ``ingested_at`` it has seen: a re-parse keeps its chunk ids but not their text), are
        (re)indexed. Cost: the changed documents, not the archive. Rebuilds when there is no
        readable index or it has no stamp.
        """
        with self._lock:
            base = self._lexical_base or LexicalIndex.load(self.dir / "lexical")
            if base is None or not base.stamp:
                return self.rebuild_lexical()
            stamp = self._lexical_stamp()
            ids = set(self.chunk_ids())
            have = set(base.ids)
            fresh = {
                r[0]
                for r in self._rows(
                    "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.ingested_at >= ?",
                    [base.stamp],
                )
            }
            add = sorted((ids - have) | (fresh & ids))
            remove = have - ids
            index = base
            if add or remove or stamp != base.stamp:
                chunks = self.get_chunks(add)
                index = base.updated(add, [chunks[i].embed_text for i in add], remove, stamp=stamp)
                index.save(self.dir / "lexical")
            self._lexical = self._lexical_base = index
            return index

    def facets(self) -> dict[str, Any]:
        """What the store holds, for filters: kommuner, nämnder, document types, date span.

        Cached until the next write: every question asks for it, and parsing every
        document's JSON per question cost ~10 ms at 100× the example corpus.
        """
        stamp = self._rows("SELECT COUNT(*), MAX(ingested_at), GROUP_CONCAT(id) FROM documents")[0]
        if self._facets is None or self._facets[0] != stamp:
            self._facets = (stamp, self._compute_facets())
        return self._facets[1]

    def _compute_facets(self) -> dict[str, Any]:
        docs = [d for d, *_ in self.list_documents()]
        dates = [d.datum for d in docs if d.datum]
        return {
            "kommuner": sorted({d.kommun for d in docs if d.kommun}),
            "namnder": sorted({d.namnd for d in docs if d.namnd}),
            "dokumenttyper": sorted({d.dokumenttyp for d in docs}),
            "date_min": min(dates) if dates else None,
            "date_max": max(dates) if dates else None,
        }

    def stats(self) -> dict[str, int]:
        return {
            "documents": self.count_documents(),
            "sections": self._rows("SELECT COUNT(*) FROM sections")[0][0],
            "chunks": self._rows("SELECT COUNT(*) FROM chunks")[0][0],
        }
