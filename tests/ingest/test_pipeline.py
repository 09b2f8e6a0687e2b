"""The ingest pipeline: discovery, incremental and idempotent re-ingest, pruning and bad input.

Documents are a sentence or two so the real model embeds them in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from ingest.pipeline import IngestSummary, discover, ingest_paths
from ingest.store import Store
from tests.conftest import FIXTURES
from tests.ingest.test_store import DOC_A, DOC_A2, DOC_B, assert_consistent, chunk_texts, write

DOC_C = "Barn- och utbildningsnämnden beslutar att införa läxhjälp på alla högstadieskolor."
LATIN1 = "Socialnämnden beslutar att återremittera ärendet om äldreboendet i Öregrund."


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "handlingar"
    write(folder, "a.txt", DOC_A)
    write(folder, "b.txt", DOC_B)
    return folder


def test_discover_recurses_skips_hidden_and_reports_unsupported(tmp_path, settings):
    folder = _folder(tmp_path)
    write(folder / "under", "c.md", DOC_C)
    write(folder / ".dold", "x.txt", DOC_C)
    write(folder, "tabell.xlsx", "inte text")
    files, failures = discover([folder, folder / "a.txt", tmp_path / "saknas"], settings)
    assert [f.name for f in files] == ["a.txt", "b.txt", "c.md"]  # a.txt given twice, kept once
    reasons = {Path(f.path).name: f.reason for f in failures}
    assert reasons == {"tabell.xlsx": "filtypen .xlsx stöds inte", "saknas": "finns inte (varken fil eller mapp)"}


def test_second_ingest_embeds_nothing(tmp_path, settings):
    folder = _folder(tmp_path)
    first = ingest_paths([folder], settings, progress=False)
    assert first.ok and first.documents_new == 2 and first.chunks_embedded >= 2
    counts = assert_consistent(settings).stats()
    second = ingest_paths([folder], settings, progress=False)
    assert second.ok and second.chunks_embedded == 0 and second.documents_new == 0
    assert second.documents_unchanged == 2 and second.stray_vectors_removed == 0
    assert assert_consistent(settings).stats() == counts


def test_documents_from_an_older_parser_are_parsed_again_once(tmp_path, settings, monkeypatch):
    import ingest.pipeline as pipeline

    folder = _folder(tmp_path)
    ingest_paths([folder], settings, progress=False)
    counts = assert_consistent(settings).stats()
    monkeypatch.setattr(pipeline, "PARSER_VERSION", pipeline.PARSER_VERSION + 1)
    upgraded = ingest_paths([folder], settings, progress=False)
    assert upgraded.documents_updated == 2 and upgraded.documents_new == 0 and upgraded.chunks_embedded > 0
    store = assert_consistent(settings)
    assert store.stats() == counts
    assert {d.parser_version for d, *_ in store.list_documents()} == {pipeline.PARSER_VERSION}
    again = ingest_paths([folder], settings, progress=False)
    assert again.chunks_embedded == 0 and again.documents_unchanged == 2


def test_changed_file_replaces_its_chunks(tmp_path, settings):
    folder = _folder(tmp_path)
    ingest_paths([folder], settings, progress=False)
    (folder / "a.txt").write_text(DOC_A2, encoding="utf-8")
    summary = ingest_paths([folder], settings, progress=False)
    assert summary.documents_updated == 1 and summary.documents_unchanged == 1 and summary.documents_new == 0
    store = assert_consistent(settings)
    assert store.count_documents() == 2
    texts = chunk_texts(store)
    assert "Storgatan" not in texts and "kostnadsskäl" in texts  # nothing left of the old version


def test_file_changed_into_copy_of_another(tmp_path, settings):
    """a.txt becomes identical to b.txt: no embedding, a.txt's old document goes, b's is shared."""
    folder = _folder(tmp_path)
    ingest_paths([folder], settings, progress=False)
    (folder / "a.txt").write_text(DOC_B, encoding="utf-8")
    summary = ingest_paths([folder], settings, progress=False)
    assert summary.chunks_embedded == 0 and summary.documents_updated == 1
    store = assert_consistent(settings)
    assert store.count_documents() == 1 and len(store.sources()) == 2
    assert "Storgatan" not in chunk_texts(store)


def test_copy_at_second_path_stored_once(tmp_path, settings):
    folder = _folder(tmp_path)
    write(tmp_path / "annan", "kopia_av_a.txt", DOC_A)
    summary = ingest_paths([folder, tmp_path / "annan"], settings, progress=False)
    assert summary.documents_new == 2 and summary.documents_unchanged == 1
    store = assert_consistent(settings)
    assert store.count_documents() == 2 and len(store.sources()) == 3
    chunks = store.get_chunks(store.chunk_ids()).values()
    assert len([c for c in chunks if "Storgatan" in c.text]) == 1
    assert store.collection.count() == len(chunks)


def test_prune_removes_documents_whose_files_are_gone(tmp_path, settings):
    folder = _folder(tmp_path)
    ingest_paths([folder], settings, progress=False)
    (folder / "a.txt").unlink()
    kept = ingest_paths([folder], settings, progress=False)  # without --prune nothing is removed
    assert kept.documents_pruned == 0 and Store(settings).count_documents() == 2
    summary = ingest_paths([folder], settings, progress=False, prune=True)
    assert summary.documents_pruned == 1
    store = assert_consistent(settings)
    assert store.count_documents() == 1 and "Storgatan" not in chunk_texts(store)
    assert [Path(p).name for p, _ in store.sources()] == ["b.txt"]


def test_latin1_text_ingested_with_swedish_letters(tmp_path, settings):
    path = tmp_path / "latin1.txt"
    path.write_bytes(LATIN1.encode("latin-1"))
    summary = ingest_paths([path], settings, progress=False)
    assert summary.ok and summary.documents_new == 1
    store = assert_consistent(settings)
    assert LATIN1 in chunk_texts(store)


def _pdf_bytes(text: str) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text, fontsize=10)
    return doc.tobytes()


def _encrypted(path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), DOC_C, fontsize=10)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="agare", user_pw="hemligt")


def _truncated(path: Path) -> None:
    data = (FIXTURES / "nykarleby_garbled.pdf").read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize(
    "name,make,reason",
    [
        ("tom.txt", lambda p: p.write_bytes(b""), "tom"),
        ("trasig.pdf", _truncated, "skadad"),
        ("krypterad.pdf", _encrypted, "lösenordsskyddad"),
        ("skrap.pdf", lambda p: p.write_bytes(b"\x00\x01\x02skrap" * 300), "ingen PDF"),
        ("budget.xlsx", lambda p: p.write_bytes(b"PK\x03\x04 kalkylblad"), "stöds inte"),
        ("stor.txt", lambda p: p.write_text("Nämnden beslutar. " * 100, encoding="utf-8"), "för stor"),
        ("bara_blanksteg.txt", lambda p: p.write_text(" \n\n \t\n", encoding="utf-8"), "ingen text"),
    ],
)
def test_bad_file_reported_and_batch_continues(tmp_path, settings, name, make, reason):
    folder = _folder(tmp_path)
    make(folder / name)
    if name == "stor.txt":
        settings.ingest.max_file_mb = 0.0005  # 500 bytes: stor.txt (1 800 B) is over, a.txt/b.txt (~90 B) under
    summary = ingest_paths([folder], settings, progress=False)
    assert not summary.ok
    assert [(Path(f.path).name, reason in f.reason) for f in summary.failures] == [(name, True)]
    assert summary.documents_new == 2 and summary.files_seen == 3
    assert f"✗ {summary.failures[0].path}: " in summary.render()
    store = assert_consistent(settings)
    assert sorted(Path(p).name for p, _ in store.sources()) == ["a.txt", "b.txt"]


def test_missing_folder_reported_and_others_ingested(tmp_path, settings):
    folder = _folder(tmp_path)
    summary = ingest_paths([tmp_path / "finns_inte", folder], settings, progress=False)
    assert not summary.ok and summary.documents_new == 2
    assert [(Path(f.path).name, f.reason) for f in summary.failures] == [
        ("finns_inte", "finns inte (varken fil eller mapp)")
    ]
    assert_consistent(settings)


def test_failed_file_does_not_disturb_its_earlier_version(tmp_path, settings):
    """A file that was fine and is now corrupt: the failure is reported, the stored version stays."""
    folder = tmp_path / "pdf"
    folder.mkdir()
    (folder / "beslut.pdf").write_bytes(_pdf_bytes(DOC_C))
    assert ingest_paths([folder], settings, progress=False).documents_new == 1
    (folder / "beslut.pdf").write_bytes(b"\x00trasig")
    summary = ingest_paths([folder], settings, progress=False)
    assert [Path(f.path).name for f in summary.failures] == ["beslut.pdf"]
    store = assert_consistent(settings)
    assert store.count_documents() == 1 and "läxhjälp" in chunk_texts(store)


def test_summary_counts_and_json(tmp_path, settings):
    folder = _folder(tmp_path)
    (folder / "protokoll.pdf").write_bytes(_pdf_bytes(DOC_C))
    summary = ingest_paths([folder], settings, progress=False, keep_parsed=True)
    assert summary.files_seen == 3 and summary.documents_new == 3 and summary.pages == 3  # 2 TXT + 1 PDF page
    assert summary.sections >= 3 and summary.chunks_embedded >= 3 and len(summary.parsed) == 3
    assert summary.total_seconds >= summary.embed_seconds > 0
    data = summary.model_dump(mode="json")
    assert "parsed" not in data and data["failures"] == []
    assert IngestSummary.model_validate(data).documents_new == 3
    text = summary.render()
    assert "Dokument: 3 nya" in text and "Misslyckades" not in text
