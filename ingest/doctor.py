"""`assistent doctor`: is the store in step (SQLite ↔ Chroma ↔ BM25 ↔ files/), and repair what is not.

SQLite is the source of truth (see ingest/store.py). What can go out of step, and why:
- a vector SQLite does not know: an ingest killed between Chroma upsert and COMMIT;
- a chunk without a vector: two writers at once (before the write lock), or a Chroma
  directory restored from an older backup;
- a BM25 index whose fingerprint differs from SQLite's chunk ids: a kill before the rebuild;
- a document without its original in files/: a kill between COMMIT and the copy (the
  original is now copied first, so this only comes from older stores or deleted files);
- temp files (``.lexical-*.npz``, ``files/*.tmp``, half-converted model folders) left by kills;
- sections of a current-parser document without answer units of the current version, or
  units rows whose section is gone (a kill between a document's write and its units).

Repairs run under the write lock: stray vectors deleted, missing vectors re-embedded from
SQLite's chunk texts, the BM25 index rebuilt, originals copied again from their source
paths when the file there still has the same sha256, temp files removed, answer units
rebuilt (orphans deleted, missing ones built and embedded, present vectors kept).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pydantic import BaseModel, Field

from grund.settings import Settings
from ingest.store import file_sha256
from ingest.tempfiles import remove_stray_temp_files, stray_temp_files


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


def diagnose(settings: Settings, repair: bool = False) -> DoctorReport:
    """Check the store of ``settings`` and, with ``repair``, mend what can be mended.

    Runs under the write lock (an ingest in progress would look like damage), so it
    raises StoreBusyError while another writer works.

    Args:
        settings: whose data directory and collection.
        repair: delete stray vectors and temp files, re-embed missing vectors, rebuild the
            BM25 index, copy missing originals again from their source paths.
    """
    from ingest.lock import write_lock

    with write_lock(settings, "doctor --repair" if repair else "doctor"):
        return _diagnose_locked(settings, repair)


def _diagnose_locked(settings: Settings, repair: bool) -> DoctorReport:
    from ingest.lexical import LexicalIndex, fingerprint_of
    from ingest.store import Store

    store = Store(settings)
    report = DoctorReport(data_dir=str(settings.data_dir.resolve()))
    add = report.findings.append
    changed = False
    try:
        integrity = store._rows("PRAGMA integrity_check")[0][0]
        add(Finding(check="sqlite", ok=integrity == "ok", message=f"SQLite: {integrity}"))

        orphans = [r[0] for r in store._rows("SELECT id FROM documents WHERE id NOT IN (SELECT document_id FROM sources)")]
        sql_ids = set(store.chunk_ids())
        chroma_ids = set(store.collection.get(include=[])["ids"])
        stray = chroma_ids - sql_ids
        f = Finding(
            check="vectors_stray", ok=not (stray or orphans), count=len(stray) + len(orphans),
            message=f"Vektorer utan del i SQLite: {len(stray)}; dokument utan källfil: {len(orphans)}",
        )
        if repair and not f.ok:
            store.reconcile()
            f.repaired, changed = True, True
            sql_ids = set(store.chunk_ids())
            chroma_ids = set(store.collection.get(include=[])["ids"])
        add(f)

        missing = sorted(sql_ids - chroma_ids)
        f = Finding(check="vectors_missing", ok=not missing, count=len(missing), message=f"Delar utan vektor: {len(missing)}")
        if repair and missing:
            _reembed(store, settings, missing)
            f.repaired, changed = True, True
        add(f)
        report.documents, report.chunks = store.count_documents(), len(sql_ids)
        report.vectors = store.collection.count()

        saved = LexicalIndex.load(store.dir / "lexical")
        lexical_ok = (saved is not None and saved.fingerprint == fingerprint_of(store.chunk_ids())) or (
            saved is None and not sql_ids
        )
        f = Finding(
            check="lexical", ok=lexical_ok,
            message="BM25-indexet stämmer med SQLite" if lexical_ok else "BM25-indexet saknas eller är inaktuellt",
        )
        if repair and (not lexical_ok or changed):
            store.rebuild_lexical()
            f.repaired, changed = not lexical_ok, True
        add(f)

        f = _check_units(store, settings, repair)
        changed = changed or f.repaired
        add(f)
        add(_check_originals(store, settings, repair))
        add(_check_stray_originals(store, settings, repair))

        temps = stray_temp_files(settings)
        f = Finding(
            check="temp_files", ok=not temps, count=len(temps),
            message=f"Kvarlämnade temporära filer: {len(temps)}" + (f" ({', '.join(p.name for p in temps[:5])})" if temps else ""),
        )
        if repair and temps:
            remove_stray_temp_files(settings)
            f.repaired = True
        add(f)
        if changed:
            store.bump_generation()
    finally:
        store.close()
    return report


def _reembed(store, settings: Settings, ids: list[str]) -> None:
    """Embed SQLite's chunks again and upsert their vectors (the same ids and metadata as an ingest)."""
    from ingest.embed import get_embedder
    from ingest.store import chunk_metadata

    embedder = get_embedder(settings)
    chunks = store.get_chunks(ids)
    for i in range(0, len(ids), 256):
        batch = [chunks[c] for c in ids[i : i + 256]]
        vectors = embedder.embed_passages([c.embed_text for c in batch])
        store.collection.upsert(
            ids=[c.id for c in batch], embeddings=vectors.tolist(),
            metadatas=[chunk_metadata(c) for c in batch], documents=[c.embed_text for c in batch],
        )


def _check_units(store, settings: Settings, repair: bool) -> Finding:
    """Every section of a document of the current parser has its answer units of the current
    version, and no units row outlives its section (a kill between a document's write and its
    units, or units written by an older version of the code)."""
    from grund.units import UNITS_VERSION
    from ingest.pipeline import PARSER_VERSION, embed_units

    missing, orphans = store.units_health(UNITS_VERSION, PARSER_VERSION)
    sections = sum(missing.values())
    f = Finding(
        check="units", ok=not (missing or orphans), count=sections + len(orphans),
        message=f"Avsnitt utan svarsenheter: {sections} (i {len(missing)} dokument); "
        f"svarsenheter utan avsnitt: {len(orphans)}",
    )
    if repair and not f.ok:
        from ingest.embed import get_embedder

        store.mark_units_stale(missing, orphans)
        embed_units(store, lambda: get_embedder(settings))
        f.repaired = True
    return f


def _check_originals(store, settings: Settings, repair: bool) -> Finding:
    missing = [d for d, *_ in store.list_documents() if store.original_file(d) is None]
    unrepaired: list[str] = []
    for doc in missing:
        sources = [Path(p) for p, d in store.sources() if d == doc.id]
        found = next((p for p in sources if p.is_file() and file_sha256(p) == doc.sha256), None)
        if repair and found is not None:
            store.copy_original(found, doc)
        else:
            unrepaired.append(doc.fil)
    f = Finding(
        check="originals", ok=not missing, count=len(missing),
        message=f"Dokument utan sparad originalfil: {len(missing)}"
        + (f" (kan inte återskapas, källfilen saknas eller är ändrad: {', '.join(unrepaired[:5])})" if repair and unrepaired else ""),
    )
    f.repaired = repair and bool(missing) and not unrepaired
    return f


def _check_stray_originals(store, settings: Settings, repair: bool) -> Finding:
    # files/ is shared by every collection (another embedding model's index): a copy is stray
    # only when no collection's SQLite holds its document
    known = {d.sha256 for d, *_ in store.list_documents()}
    for db in (settings.data_dir / "index").glob("*/store.sqlite"):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            known |= {r[0] for r in con.execute("SELECT sha256 FROM documents")}
        except sqlite3.Error:
            pass
        finally:
            con.close()
    files = settings.files_dir
    stray = [p for p in files.iterdir() if p.is_file() and p.suffix != ".tmp" and p.stem not in known] if files.is_dir() else []
    f = Finding(
        check="originals_stray", ok=not stray, count=len(stray),
        message=f"Sparade originalfiler utan dokument: {len(stray)}",
    )
    if repair and stray:
        for p in stray:
            p.unlink(missing_ok=True)
        f.repaired = True
    return f
