"""Ingest: files → read → clean → segment → chunk → embed → store, for a batch of paths.

Per file the stages run in order; embedding is batched ACROSS files (up to
``_EMBED_BATCH`` chunks) because the model's throughput depends on full batches:
embedding a 3-chunk document alone wastes most of a 32-wide batch.
Every file either lands whole or not at all (see ingest/store.py); a file that
fails is reported with its reason and the batch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from grund.errors import AssistentError, InputFileError, UnsupportedFileError
from grund.injection import flag_injections
from grund.records import Chunk, ParsedDocument
from grund.settings import Settings
from ingest.bounds import sanitize, symlink_problem
from ingest.chunk import chunk_document
from ingest.clean import clean_document
from ingest.lock import write_lock
from ingest.read import read_file
from ingest.segment import segment
from ingest.store import Store, file_sha256

_EMBED_BATCH = 256
#: Bump when reading, cleaning, segmentation or chunking changes what a file turns into:
#: documents stored by an older version are then parsed and embedded again, once.
PARSER_VERSION = 8


class FileFailure(BaseModel):
    path: str
    reason: str


class IngestSummary(BaseModel):
    """What one ingest run did; printed at the end and returned as JSON."""

    files_seen: int = 0
    documents_new: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    documents_pruned: int = 0
    pages: int = 0
    pages_ocr: int = 0
    pages_skipped: int = 0
    pages_garbled: int = 0
    sections: int = 0
    chunks_embedded: int = 0
    units_embedded: int = Field(0, description="answer units built and embedded (grund.units)")
    stray_vectors_removed: int = 0
    failures: list[FileFailure] = Field(default_factory=list)
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0
    units_seconds: float = Field(0.0, description="building and embedding answer units")
    total_seconds: float = 0.0
    parsed: list[ParsedDocument] = Field(default_factory=list, exclude=True)

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        lines = [
            f"Dokument: {self.documents_new} nya, {self.documents_updated} ändrade, "
            f"{self.documents_unchanged} oförändrade, {self.documents_pruned} borttagna",
            f"Sidor: {self.pages} lästa, {self.pages_ocr} med OCR, {self.pages_skipped} överhoppade, "
            f"{self.pages_garbled} med trasigt textlager",
            f"Avsnitt: {self.sections}   Delar inbäddade: {self.chunks_embedded}",
            f"Tid: {self.total_seconds:.1f} s (tolkning {self.parse_seconds:.1f} s, inbäddning {self.embed_seconds:.1f} s, "
            f"svarsenheter {self.units_seconds:.1f} s för {self.units_embedded})",
        ]
        if self.stray_vectors_removed:
            lines.append(f"Städade {self.stray_vectors_removed} vektorer från en avbruten körning")
        if self.failures:
            lines.append(f"Misslyckades: {len(self.failures)} fil(er)")
            lines += [f"  ✗ {f.path}: {f.reason}" for f in self.failures]
        return "\n".join(lines)


@dataclass
class _Pending:
    path: Path
    parsed: ParsedDocument
    chunks: list[Chunk]
    updated: bool


@dataclass
class _Batch:
    items: list[_Pending] = field(default_factory=list)

    @property
    def n_chunks(self) -> int:
        return sum(len(p.chunks) for p in self.items)


def discover(paths: Iterable[Path], settings: Settings) -> tuple[list[Path], list[FileFailure]]:
    """Files to ingest under the given paths (folders recursively), and paths that cannot be."""
    files: list[Path] = []
    failures: list[FileFailure] = []
    for p in paths:
        if p.is_symlink() and not p.exists():
            failures.append(FileFailure(path=str(p), reason=symlink_problem(p) or "finns inte"))
        elif not p.exists():
            failures.append(FileFailure(path=str(p), reason="finns inte (varken fil eller mapp)"))
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                hidden = any(part.startswith(".") for part in f.relative_to(p).parts)
                if not hidden and (problem := symlink_problem(f)):
                    failures.append(FileFailure(path=str(f), reason=problem))
                    continue
                if not f.is_file() or hidden:
                    continue
                if f.suffix.lower() in settings.ingest.extensions:
                    files.append(f)
                else:
                    failures.append(
                        FileFailure(path=str(f), reason=f"filtypen {f.suffix or '(ingen)'} stöds inte")
                    )
        else:
            files.append(p)
    unique = list(dict.fromkeys(x.resolve() for x in files))  # first occurrence, in order
    return unique, failures


def parse_file(path: Path, settings: Settings, count_tokens: Callable[[str], int] | None = None):
    """read → clean → segment → chunk for one file. Raises InputFileError on bad input."""
    raw = sanitize(read_file(path, settings), settings)
    parsed = segment(clean_document(raw))
    parsed.document.parser_version = PARSER_VERSION
    chunks = chunk_document(parsed, settings.chunk, count_tokens, settings.embedding.max_tokens)
    flag_injections(parsed, chunks)  # instructions aimed at an assistant: flagged, warned about when cited
    if not chunks:
        raise InputFileError(str(path), "ingen text att indexera efter tolkning")
    return raw, parsed, chunks


def unreadable_reason(exc: Exception) -> str:
    """The per-file message for an unexpected error while reading one file (Swedish, bounded length)."""
    detail = " ".join(str(exc).split())[:200]
    return f"filen kunde inte läsas ({type(exc).__name__}{': ' + detail if detail else ''})"


def embed_units(store: Store, get_model: Callable[[], Any], on_batch: Callable[[int], None] | None = None) -> int:
    """Build and embed the answer units of every stored document that lacks current ones.

    Units are versioned on their own (grund.units.UNITS_VERSION): a change to
    how units are cut re-embeds units only, never the chunks. Returns the units embedded.

    Args:
        store: the open store.
        get_model: returns the embedder (called only when there is something to embed).
        on_batch: called after each batch of units embedded with its size (a progress bar).
    """
    from grund.units import UNITS_VERSION, build_units, embed_text

    n = 0
    model = None
    for doc_id in store.documents_without_units(UNITS_VERSION):
        sections = store.sections_of(doc_id)
        # vectors of units an older version already embedded are kept (same text, same vector)
        known: dict[str, np.ndarray] = {}
        stored = store.units_of([s.id for s in sections])
        for s in sections:
            for u, v in zip(*stored.get(s.id, ([], [])), strict=False):
                known[embed_text(u, s)] = v
        per_section = [(s, build_units(s)) for s in sections]
        texts = [embed_text(u, s) for s, units in per_section for u in units]
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            model = model or get_model()
            vectors = model.embed_passages(todo, on_batch=on_batch) if on_batch else model.embed_passages(todo)
            known.update(zip(todo, vectors, strict=True))
        rows = [(s.id, units, np.array([known[embed_text(u, s)] for u in units])) for s, units in per_section]
        store.write_units(doc_id, rows, UNITS_VERSION)
        n += len(todo)
    return n


def _rate_bar(desc: str, unit: str, progress: bool, position: int) -> Any:
    """A count-and-rate bar (no total: the number of chunks is known only once every file is read)."""
    from tqdm import tqdm

    bar_format = "{desc}: {n_fmt}{unit} [{elapsed}, {rate_noinv_fmt}]{postfix}"
    # every batch is drawn (a batch takes ~1 s; tqdm's default skips updates within 0.1 s)
    return tqdm(
        desc=desc, unit=unit, disable=not progress, dynamic_ncols=True, position=position,
        bar_format=bar_format, mininterval=0, miniters=1,
    )  # fmt: skip


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    *,
    prune: bool = False,
    progress: bool = True,
    keep_parsed: bool = False,
    store: Store | None = None,
) -> IngestSummary:
    """Ingest files and folders into the store of ``settings``.

    Args:
        paths: files and/or folders (searched recursively).
        settings: decides data dir, model and chunking.
        prune: also remove stored documents whose files no longer exist.
        progress: show a progress bar on stderr.
        keep_parsed: keep the parsed documents in the summary (for ``--report``), also unchanged ones.
        store: an open store to use (the web app passes its own).

    Raises:
        StoreBusyError: another writer holds the data directory's lock (ingest/lock.py).
    """
    with write_lock(settings, "inläsning"):
        return _ingest_locked(paths, settings, prune=prune, progress=progress, keep_parsed=keep_parsed, store=store)


def _ingest_locked(
    paths: Iterable[Path], settings: Settings, *, prune: bool, progress: bool, keep_parsed: bool, store: Store | None
) -> IngestSummary:
    from tqdm import tqdm

    from ingest.embed import get_embedder
    from ingest.tempfiles import remove_stray_temp_files

    t0 = time.perf_counter()
    summary = IngestSummary()
    own_store = store is None
    store = store or Store(settings)
    summary.stray_vectors_removed = store.reconcile()
    remove_stray_temp_files(settings)
    files, summary.failures = discover(paths, settings)
    summary.files_seen = len(files) + len(summary.failures)
    embedder = None
    embed_bar: Any = None
    batch = _Batch()
    written: list[Path] = []

    def flush() -> None:
        nonlocal embedder, embed_bar
        if not batch.items:
            return
        embedder = embedder or get_embedder(settings)
        if embed_bar is None:
            # Embedding a batch of 256 chunks takes minutes on 2 cores: this bar moves with every
            # batch the model runs (8 chunks with onnx) and shows chunks per second.
            embed_bar = _rate_bar("Inbäddning", " delar", progress, 1)
        texts = [c.embed_text for p in batch.items for c in p.chunks]
        t = time.perf_counter()
        embed_bar.unpause()  # the rate counts embedding only, not the parsing since the last batch
        vectors = embedder.embed_passages(texts, on_batch=embed_bar.update)
        summary.embed_seconds += time.perf_counter() - t
        summary.chunks_embedded += len(texts)
        offset = 0
        for item in batch.items:
            n = len(item.chunks)
            written.append(item.path)  # before the write: an interrupted write still needs a BM25 rebuild
            try:
                # the original first: a kill after COMMIT but before the copy lost it for good
                # (a re-ingest saw "oförändrad"); a copy without rows is only a stray file
                store.copy_original(item.path, item.parsed.document)
                store.write_document(item.parsed, item.chunks, vectors[offset : offset + n], item.path)
            except OSError as exc:
                summary.failures.append(
                    FileFailure(path=str(item.path), reason=f"originalet kunde inte sparas ({exc.strerror or exc})")
                )
            except AssistentError as exc:
                summary.failures.append(FileFailure(path=str(item.path), reason=str(exc)))
            else:
                if item.updated:
                    summary.documents_updated += 1
                else:
                    summary.documents_new += 1
            offset += n
        batch.items.clear()

    bar = tqdm(files, desc="Dokument", unit="fil", disable=not progress, dynamic_ncols=True)
    units_bar: Any = None

    def units_model() -> Any:  # called once, just before the first units are embedded
        nonlocal units_bar
        units_bar = units_bar or _rate_bar("Svarsenheter", " enheter", progress, 2)
        return embedder or get_embedder(settings)
    try:
        for path in bar:
            bar.set_postfix_str(path.name[:40])
            try:
                if path.stat().st_size == 0:
                    raise InputFileError(str(path), "filen är tom (0 byte)")
                sha = file_sha256(path)
                doc_id = sha[:16]
                previous = store.document_for_path(path)
                if any(p.parsed.document.id == doc_id for p in batch.items):
                    flush()  # an identical file waits in the batch: store it first, then this path joins it
                stored = store.get_document(doc_id)
                if stored is not None and stored.parser_version != PARSER_VERSION:
                    previous = previous or doc_id  # re-parse in place: counts as updated
                elif stored is not None:
                    # same content already stored (here or under another path): embed nothing
                    if store.original_file(stored) is None:
                        store.copy_original(path, stored)  # lost by an older version's kill, or deleted
                    if previous != doc_id:
                        store.add_source(path, doc_id)
                    if previous is not None and previous != doc_id:
                        # this path's file changed into a copy of another stored file
                        summary.documents_updated += 1
                    else:
                        summary.documents_unchanged += 1
                    if keep_parsed:
                        doc = store.get_document(doc_id)
                        summary.parsed.append(ParsedDocument(document=doc, sections=store.sections_of(doc_id)))
                    continue
                if embedder is None and settings.embedding.max_tokens:
                    embedder = get_embedder(settings)
                t = time.perf_counter()
                raw, parsed, chunks = parse_file(path, settings, embedder.count_tokens if embedder else None)
                summary.parse_seconds += time.perf_counter() - t
            except UnsupportedFileError as exc:
                summary.failures.append(FileFailure(path=str(path), reason=exc.reason))
                continue
            except InputFileError as exc:
                summary.failures.append(FileFailure(path=str(path), reason=exc.reason))
                continue
            except AssistentError as exc:
                summary.failures.append(FileFailure(path=str(path), reason=str(exc)))
                continue
            except Exception as exc:  # a reader/segmenter bug on hostile input fails this file, not the batch
                summary.failures.append(FileFailure(path=str(path), reason=unreadable_reason(exc)))
                continue
            summary.pages += len(raw.pages)
            for page in raw.pages:
                summary.pages_ocr += page.status == "ocr"
                summary.pages_skipped += page.status == "skipped"
                summary.pages_garbled += page.status == "garbled"
            summary.sections += len(parsed.sections)
            if keep_parsed:
                summary.parsed.append(parsed)
            batch.items.append(_Pending(path, parsed, chunks, updated=previous is not None))
            bar.set_postfix(sidor=summary.pages, delar=summary.chunks_embedded + batch.n_chunks)
            if batch.n_chunks >= _EMBED_BATCH:
                flush()
        flush()
        if embed_bar is not None:
            embed_bar.close()
        t = time.perf_counter()
        summary.units_embedded = embed_units(store, units_model, on_batch=lambda n: units_bar.update(n))
        summary.units_seconds = time.perf_counter() - t
    finally:
        bar.close()
        for other in (embed_bar, units_bar):
            if other is not None:
                other.close()
        if prune:
            summary.documents_pruned = len(store.prune_missing())
        changed = summary.documents_new + summary.documents_updated + summary.documents_pruned
        if changed or summary.stray_vectors_removed or written:
            store.update_lexical()  # one segment for what changed, not a rebuild of the archive
            store.bump_generation()  # readers in other processes reopen BM25 and Chroma
        summary.total_seconds = time.perf_counter() - t0
        if own_store:
            store.close()
    return summary
