"""Hostile input: every file costs bounded time and memory, and a file that breaks a reader
fails alone with its name and reason while the batch goes on.

Plumbing, so the FakeEmbedder embeds; the limits are measured on real inputs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pymupdf
import pytest

from grund.records import Document, ParsedDocument, Section
from grund.settings import ChunkSettings
from ingest.bounds import strip_controls
from ingest.chunk import MAX_WORD_CHARS, _split_units, _windows, chunk_document
from ingest.pipeline import ingest_paths
from ingest.store import Store
from tests.ingest.test_store import DOC_A, DOC_B, assert_consistent, write


def _page_count_bomb(path: Path) -> Path:
    """A one-page PDF whose page tree claims two billion pages (pymupdf raises RuntimeError)."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Socialnämnden beslutar att godkänna bokslutet.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc.tobytes().replace(b"/Count 1", b"/Count 2000000000"))
    return path


def _reasons(summary) -> dict[str, str]:
    return {Path(f.path).name: f.reason for f in summary.failures}


def test_page_count_bomb_fails_alone_and_the_batch_goes_on(tmp_path, settings, fake_embedder):
    _page_count_bomb(tmp_path / "in" / "bomb.pdf")
    write(tmp_path / "in", "a.txt", DOC_A)
    t = time.monotonic()
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert time.monotonic() - t < 60
    assert summary.documents_new == 1
    assert "bomb.pdf" in _reasons(summary) and "läsas" in _reasons(summary)["bomb.pdf"]  # read.py's or the pipeline's words
    assert_consistent(settings)


def test_any_reader_exception_becomes_that_files_failure(tmp_path, settings, fake_embedder, monkeypatch):
    import ingest.pipeline as pipeline

    real = pipeline.read_file

    def flaky(path, s):
        if path.name == "trasig.txt":
            raise MemoryError("simulerat")
        return real(path, s)

    monkeypatch.setattr(pipeline, "read_file", flaky)
    write(tmp_path / "in", "trasig.txt", DOC_B)
    write(tmp_path / "in", "a.txt", DOC_A)
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.documents_new == 1 and not summary.ok
    assert _reasons(summary) == {"trasig.txt": "filen kunde inte läsas (MemoryError: simulerat)"}


@pytest.mark.parametrize("kind", ["one_line", "no_spaces"])
def test_huge_text_is_refused_fast_with_the_limit_named(tmp_path, settings, fake_embedder, kind):
    """6 MB of text under the 200 MB file limit: refused in seconds (it parsed for > 300 s at 2.6 GB)."""
    folder = tmp_path / "in"
    folder.mkdir()
    text = ("Nämnden beslutar att godkänna förslaget. " * 150_000) if kind == "one_line" else "x" * 6_000_000
    (folder / "stor.txt").write_text(text, encoding="utf-8")
    write(folder, "a.txt", DOC_A)
    t = time.monotonic()
    summary = ingest_paths([folder], settings, progress=False)
    assert time.monotonic() - t < 20
    reason = _reasons(summary)["stor.txt"]
    assert "texten är för lång" in reason and "gränsen är 4 000 000 tecken, ASSISTENT_INGEST_MAX_TEXT_CHARS" in reason
    assert summary.documents_new == 1


def test_text_cap_is_a_setting(tmp_path, settings, fake_embedder):
    settings.ingest.max_text_chars = 50
    write(tmp_path / "in", "a.txt", DOC_A)  # 88 characters
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert "texten är för lång (88 tecken; gränsen är 50 tecken" in _reasons(summary)["a.txt"]


def test_windows_are_linear_in_the_number_of_words():
    """40,000 units of 10 words: scanning every unit boundary per window took ~8 s, bisecting takes < 1 s."""
    units = [(" ".join(f"ord{i}" for i in range(10)) + ".", n * 60) for n in range(40_000)]
    t = time.monotonic()
    windows = _windows(units, 220, 40)
    assert time.monotonic() - t < 3.0
    assert len(windows) > 2000
    # windows end on unit boundaries (220 words = 22 units) and overlap by whole units
    assert all(len(w.split()) % 10 == 0 for w, _ in windows)


def test_a_word_without_spaces_is_cut_not_chunked_whole():
    blob = "A" * 1_000_000
    section = Section(id="d-s0", document_id="d", index=0, kind="text", text=f"Inledning. {blob} Slut.")
    doc = Document(id="d", fil="d.txt", path="d.txt", sha256="0" * 64, format="txt")
    chunks = chunk_document(ParsedDocument(document=doc, sections=[section]), ChunkSettings())
    assert len(chunks) == 1 and len(chunks[0].text) < MAX_WORD_CHARS + 50
    assert chunks[0].text.startswith("Inledning. AAAA") and "…" in chunks[0].text
    assert _split_units("a\n\nb") == [("a", 0), ("b", 3)]


def test_nul_and_control_characters_are_stripped_at_ingest(tmp_path, settings, fake_embedder):
    write(tmp_path / "in", "nul.txt", "Tekniska\x00 nämnden\x07 beslutar att bygga\x1b en ny väg.\tKlart.\n")
    summary = ingest_paths([tmp_path / "in"], settings, progress=False)
    assert summary.ok
    store = Store(settings)
    doc = store.list_documents()[0][0]
    texts = [s.text for s in store.sections_of(doc.id)] + [c.text for c in store.get_chunks(store.chunk_ids()).values()]
    assert texts and not any(ch in t for t in texts for ch in "\x00\x07\x1b")
    assert "Tekniska nämnden beslutar att bygga en ny väg." in texts[0]
    assert strip_controls("a\x00b\tc\nd\x0ce\ud800") == "ab\tc\nd\x0ce"


def test_symlink_loops_and_broken_links_are_reported(tmp_path, settings, fake_embedder):
    folder = tmp_path / "in"
    write(folder, "a.txt", DOC_A)
    os.symlink("loop2.txt", folder / "loop1.txt")
    os.symlink("loop1.txt", folder / "loop2.txt")
    os.symlink("saknas.txt", folder / "trasig.txt")
    (folder / "under").mkdir()
    os.symlink("..", folder / "under" / "upp")
    os.symlink("a.txt", folder / "lank.txt")  # a link to a file is read (once: same file)
    summary = ingest_paths([folder], settings, progress=False)
    reasons = _reasons(summary)
    assert "slinga" in reasons["loop1.txt"] and "slinga" in reasons["loop2.txt"]
    assert "inte finns" in reasons["trasig.txt"]
    assert "mapp följs inte" in reasons["upp"]
    assert "a.txt" not in reasons and "lank.txt" not in reasons and summary.documents_new == 1
    loop = ingest_paths([folder / "loop1.txt"], settings, progress=False)
    assert "slinga" in _reasons(loop)["loop1.txt"]
