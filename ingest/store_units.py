"""The answer units of the store: per section, the units the answer engine scores
(grund.units) and one float16 vector per unit, written at ingest.

A mixin of ``Store`` (ingest/store.py): it reads and writes the ``units`` table through the
store's connection and lock. ``units_health`` is what ``assistent doctor`` checks.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import TypeAdapter

from grund.records import Unit

_UNITS: TypeAdapter[list[Unit]] = TypeAdapter(list[Unit])


class UnitsTable:
    """Reading and writing the answer units (mixed into ``Store``)."""

    if TYPE_CHECKING:
        _db: sqlite3.Connection
        _lock: threading.RLock

        def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]: ...

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

    def units_health(self, version: int, parser_version: int) -> tuple[dict[str, int], list[str]]:
        """What doctor checks in the units table.

        Returns (document id → its sections without units of ``version``, counted only for
        documents parsed by ``parser_version``: older ones are re-parsed, units and all, by
        the next ingest; section ids whose units row has no section any more).

        Args:
            version: the current grund.units.UNITS_VERSION.
            parser_version: the current ingest.pipeline.PARSER_VERSION.
        """
        missing = self._rows(
            "SELECT s.document_id, COUNT(*) FROM sections s JOIN documents d ON d.id = s.document_id "
            "LEFT JOIN units u ON u.section_id = s.id AND u.version = ? "
            "WHERE u.section_id IS NULL AND json_extract(d.json, '$.parser_version') = ? "
            "GROUP BY s.document_id",
            [version, parser_version],
        )
        orphans = self._rows(
            "SELECT u.section_id FROM units u LEFT JOIN sections s ON s.id = u.section_id "
            "AND s.document_id = u.document_id WHERE s.id IS NULL ORDER BY u.section_id"
        )
        return {doc: n for doc, n in missing}, [r[0] for r in orphans]

    def mark_units_stale(self, doc_ids: Iterable[str], orphans: Iterable[str]) -> None:
        """Delete orphaned units rows and mark the documents' remaining rows as of no version, so
        the next ``embed_units`` (ingest/pipeline.py) rebuilds them; it keeps the vectors of units
        whose text it still finds, so only what was missing is embedded."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN")
            try:
                cur.executemany("DELETE FROM units WHERE section_id = ?", [(s,) for s in orphans])
                cur.executemany("UPDATE units SET version = -1 WHERE document_id = ?", [(d,) for d in doc_ids])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
