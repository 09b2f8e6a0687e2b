"""Personnummer never reach the store: SQLite, Chroma and BM25 hold [personnummer] instead."""

from __future__ import annotations

import sqlite3

from ingest.pipeline import ingest_paths

# 121212-1212 is Skatteverket's test number (Luhn-valid); the sentence is a typical sekretess case.
TEXT = """Socialnämnden
Protokoll
2026-06-16

§ 40  2026.101 SN
Ansökan om bistånd
Ärendebeskrivning
Sökande Anna Andersson, personnummer 121212-1212, har ansökt om ekonomiskt bistånd för hyra.
Beslut
Socialnämnden beviljar ekonomiskt bistånd för hyra i juli 2026.
"""


def test_personnummer_are_masked_before_storing(settings, tmp_path):
    path = tmp_path / "sn.txt"
    path.write_text(TEXT, encoding="utf-8")
    summary = ingest_paths([path], settings, progress=False)
    assert summary.ok, summary.render()
    from ingest.store import Store

    store = Store(settings)
    db = next(settings.data_dir.rglob("*.sqlite*"), None) or next(settings.data_dir.rglob("*.db"))
    dump = "\n".join(str(row) for row in sqlite3.connect(db).iterdump())
    assert "121212-1212" not in dump and "[personnummer]" in dump
    docs = store.collection.get(include=["documents"])["documents"]
    assert docs and not any("121212" in d for d in docs)
    assert not store.lexical().search("121212-1212", 5)
    assert store.lexical().search("ekonomiskt bistånd hyra", 5)  # the rest is searchable


def test_masking_at_ingest_can_be_turned_off(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(settings.privacy, "mask_at_ingest", False)
    path = tmp_path / "sn.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert ingest_paths([path], settings, progress=False).ok
    db = next(settings.data_dir.rglob("*.sqlite*"), None) or next(settings.data_dir.rglob("*.db"))
    assert "121212-1212" in "\n".join(str(row) for row in sqlite3.connect(db).iterdump())
