"""Synthetic growth for ``python -m eval bench``: copies of the example corpus with altered numbers.

Embedding 100× the corpus for real would take hours on 2 cores (~30 000 chunks at ~7/s ≈
70 min), so only the 1× corpus is embedded for real; each copy's chunks reuse the vector of
the original chunk plus small Gaussian noise (σ 0.01 per dimension, renormalised) and go
into the store through its normal write path (``Store.write_document``), which also fills
SQLite and the BM25 index. Search cost depends on the number of vectors and postings, not
on their exact values, so latency at 10×/100× is measured fairly.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from eval.run import ROOT
from grund.settings import Settings

CORPUS = ROOT / "corpus"
NOISE = 0.01


def alter(text: str, copy: int) -> str:
    """The text with every number raised by ``copy``, so each copy's content (and hash) differs.

    "2023-10-03, 120 deltagare" in copy 2 becomes "2025-12-5, 122 deltagare".

    Args:
        text: original text.
        copy: the copy's number (1, 2, ...).
    """
    return re.sub(r"\d+", lambda m: str(int(m.group(0)) + copy), text)


#: Reference fields altered like the text, so a copy's § and diarienummer are its own: with
#: the original's kept, 100 copies shared each dnr and a question naming one pulled its
#: ~2,500 sections into the candidates (not what an archive of distinct cases does).
SECTION_REFERENCES = ("paragraf", "paragraf_nr", "diarienummer", "dnr_norm")
CHUNK_REFERENCES = ("paragraf", "diarienummer", "dnr_norm")


def references(record, copy: int, fields: tuple[str, ...]) -> dict:
    """The record's reference fields with their numbers raised by ``copy`` (None stays None).

    Args:
        record: a Document, Section or Chunk.
        copy: the copy's number.
        fields: which fields.
    """
    out: dict = {}
    for name in fields:
        value = getattr(record, name)
        if isinstance(value, str):
            out[name] = alter(value, copy)
        elif isinstance(value, int):
            out[name] = value + copy
    return out


def add_copies(settings: Settings, first: int, last: int, folder: Path, seed: int = 0) -> int:
    """Store synthetic copies ``first..last`` of every original document, reusing noisy original vectors.

    Returns the number of chunks written.

    Args:
        settings: settings of the store holding the 1× corpus.
        first: number of the first copy.
        last: number of the last copy (inclusive).
        folder: where the copies' (altered) files are written, so their paths exist.
        seed: noise seed.
    """
    from grund.records import ParsedDocument
    from grund.units import UNITS_VERSION as units_version
    from ingest.store import Store

    rng = np.random.default_rng(seed + first)
    store = Store(settings)
    originals = [d for d, *_ in store.list_documents() if d.path.startswith(str(CORPUS))]
    written = 0
    for doc in originals:
        sections = store.sections_of(doc.id)
        chunks = [c for s in sections for c in store.chunks_of_section(s.id)]
        got = store.collection.get(ids=[c.id for c in chunks], include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        base = np.asarray([by_id[c.id] for c in chunks], dtype=np.float32)
        # answer units too (grund.units): a copy without them would have every
        # one of its units embedded for real by the next ingest (hours at 100×)
        unit_rows = store.units_of([sec.id for sec in sections])
        original_text = Path(doc.path).read_text(encoding="utf-8")
        for n in range(first, last + 1):
            text = alter(original_text, n)
            path = folder / f"kopia{n:03d}_{doc.fil}"
            path.write_text(text, encoding="utf-8")
            sha = hashlib.sha256(text.encode()).hexdigest()
            new_id = sha[:16]
            new_doc = doc.model_copy(
                update={
                    "id": new_id, "sha256": sha, "fil": path.name, "path": str(path),
                    **references(doc, n, ("diarienummer",)),
                }
            )  # fmt: skip
            sec_ids = {s.id: f"{new_id}-s{s.index}" for s in sections}
            new_sections = [
                s.model_copy(
                    update={
                        "id": sec_ids[s.id], "document_id": new_id, "text": alter(s.text, n),
                        **references(s, n, SECTION_REFERENCES),
                    }
                )  # fmt: skip
                for s in sections
            ]
            new_chunks = [
                c.model_copy(
                    update={
                        "id": f"{sec_ids[c.section_id]}-c{c.index}",
                        "section_id": sec_ids[c.section_id],
                        "document_id": new_id,
                        "text": alter(c.text, n),
                        "header": alter(c.header, n),
                        "fil": path.name,
                        **references(c, n, CHUNK_REFERENCES),
                    }
                )  # fmt: skip
                for c in chunks
            ]
            vectors = base + rng.normal(0, NOISE, base.shape).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.write_document(
                ParsedDocument(document=new_doc, sections=new_sections), new_chunks, vectors, path
            )
            rows = []
            for sec in sections:
                units, vecs = unit_rows.get(sec.id, ([], np.zeros((0, 0), np.float32)))
                copied = [u.model_copy(update={"text": alter(u.text, n)}) for u in units]
                noisy = vecs + rng.normal(0, NOISE, vecs.shape).astype(np.float32) if len(units) else vecs
                if len(units):
                    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
                rows.append((sec_ids[sec.id], copied, noisy))
            if unit_rows:
                store.write_units(new_id, rows, units_version)
            written += len(new_chunks)
    store.rebuild_lexical()
    store.close()
    return written


def store_size_mb(settings: Settings) -> dict[str, float]:
    """Disk use of the store in MB: SQLite (with its WAL), Chroma, the BM25 segments.

    Args:
        settings: settings of the store.
    """

    def size(paths) -> float:
        return round(sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()) / 2**20, 1)

    index = settings.index_dir
    return {
        "sqlite": size(index.glob("store.sqlite*")),
        "chroma": size([settings.chroma_dir]) if settings.chroma_dir.exists() else 0.0,
        "lexical": size([index / "lexical"]) if (index / "lexical").exists() else 0.0,
    }
