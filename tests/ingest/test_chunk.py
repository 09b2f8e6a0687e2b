"""Chunking: chunks stay inside their section, fit the model, carry a context header and pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pymupdf
import pytest

from grund.records import Document, ParsedDocument, Section, SectionPart
from grund.settings import ChunkSettings
from ingest.chunk import chunk_document, context_header
from ingest.pipeline import parse_file
from tests.conftest import CORPUS

PROTOKOLL = CORPUS / "003_99c67a5cadad0a17.txt"


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def parsed_corpus(embedder):
    """Every corpus document parsed and chunked with default sizes and the real token counter."""
    from grund.settings import Settings

    s = Settings(data_dir=Path("/nonexistent-unused"))
    out = {}
    for path in sorted(CORPUS.glob("*.txt")):
        _, parsed, chunks = parse_file(path, s, embedder.count_tokens)
        out[path.name[:3]] = (parsed, chunks)
    return out


@pytest.mark.parametrize("doc", ["000", "001", "002", "003", "004"])
def test_chunks_never_cross_a_section(parsed_corpus, doc):
    parsed, chunks = parsed_corpus[doc]
    sections = {s.id: s for s in parsed.sections}
    assert chunks
    for c in chunks:
        assert c.section_id in sections and c.id.startswith(c.section_id + "-c")
        # the chunk's words are one contiguous run of its own section's words
        assert _squash(c.text) in _squash(sections[c.section_id].text), c.id
    # every section with text is covered by at least one chunk
    assert {s.id for s in parsed.sections if s.text.strip()} == {c.section_id for c in chunks}


@pytest.mark.parametrize("doc", ["000", "001", "002", "003", "004"])
def test_chunks_fit_word_budget_and_model(parsed_corpus, embedder, doc):
    _, chunks = parsed_corpus[doc]
    limit = ChunkSettings().max_words
    for c in chunks:
        assert len(c.text.split()) <= limit, c.id
        assert embedder.count_tokens(c.embed_text) <= 512, c.id


@pytest.mark.parametrize("max_words,overlap", [(40, 0), (60, 10), (120, 30)])
def test_small_budgets_still_respected(embedder, max_words, overlap):
    _, parsed, _ = parse_file(PROTOKOLL, _settings_with(max_words, overlap), None)
    chunks = chunk_document(parsed, ChunkSettings(max_words=max_words, overlap_words=overlap), embedder.count_tokens)
    sections = {s.id: s for s in parsed.sections}
    assert max(len(c.text.split()) for c in chunks) <= max_words
    assert all(_squash(c.text) in _squash(sections[c.section_id].text) for c in chunks)
    # ids are unique and indexes run 0..n-1 within each section
    assert len({c.id for c in chunks}) == len(chunks)
    for sid in sections:
        idx = [c.index for c in chunks if c.section_id == sid]
        assert idx == list(range(len(idx)))


def _settings_with(max_words: int, overlap: int):
    from grund.settings import Settings

    return Settings(data_dir=Path("/nonexistent-unused"), chunk=ChunkSettings(max_words=max_words, overlap_words=overlap))


def test_token_limit_halves_dense_chunks():
    """A chunk over the token limit is split until it fits, losing no words."""
    section = Section(id="d-s0", document_id="d", index=0, kind="text", text=" ".join(["123 456,7"] * 150))
    parsed = ParsedDocument(
        document=Document(id="d", fil="t.txt", path="t.txt", sha256="0" * 64, format="txt"), sections=[section]
    )
    count = lambda text: len(text.split()) * 3  # noqa: E731 - a table of numbers: ~3 tokens per word
    chunks = chunk_document(parsed, ChunkSettings(max_words=220, overlap_words=0), count, max_tokens=512)
    assert len(chunks) >= 2
    assert all(count(c.embed_text) <= 512 - 8 for c in chunks)
    assert sum(len(c.text.split()) for c in chunks) == 300


@pytest.mark.parametrize(
    "paragraf,dnr,rubrik",
    [
        ("§ 14", "SN.2023.373", "Godkännande av föredragningslista"),
        ("§ 16", "VSF.2023.59", "Bokslut 2023"),
        ("§ 23", "VSF.2024.8", "Höjning av avgift för hemsjukvård 2024"),
        ("§ 27", "HSV-VSF.2023.112", "Beslut efter tillsyn av medicinsk vård och behandling"),
    ],
)
def test_context_header_on_protokoll(parsed_corpus, paragraf, dnr, rubrik):
    _, chunks = parsed_corpus["003"]
    mine = [c for c in chunks if c.paragraf == paragraf]
    assert mine
    for c in mine:
        bits = c.header.split(" · ")
        assert bits[:3] == ["Strömsunds kommun", "Socialnämnden", "2024-02-21"]
        assert paragraf in bits and dnr in bits and rubrik in bits
        assert c.embed_text.startswith(c.header + "\n")
        assert (c.kommun, c.namnd, c.datum, c.diarienummer) == ("Strömsunds kommun", "Socialnämnden", dt.date(2024, 2, 21), dnr)


def test_context_header_leaves_out_what_is_unknown():
    doc = Document(id="d", fil="x.txt", path="x.txt", sha256="0" * 64, format="txt", kommun="Gnesta kommun")
    sec = Section(id="d-s0", document_id="d", index=0, kind="rubrik", rubrik="Mål", heading_path=["Plan", "Del 1"], text="x")
    assert context_header(doc, sec) == "Gnesta kommun · Plan > Del 1 > Mål"


def test_section_date_wins_over_document_date():
    doc = Document(id="d", fil="x", path="x", sha256="0" * 64, format="txt", datum=dt.date(2024, 1, 1))
    sec = Section(id="d-s0", document_id="d", index=0, kind="tjansteskrivelse", datum=dt.date(2023, 12, 5), text="x")
    assert "2023-12-05" in context_header(doc, sec) and "2024-01-01" not in context_header(doc, sec)


def test_beslut_is_its_own_chunk(parsed_corpus):
    """§ 16's decision is a chunk of its own, marked part='beslut', holding only the decision."""
    parsed, chunks = parsed_corpus["003"]
    sec = next(s for s in parsed.sections if s.paragraf == "§ 16")
    beslut = [c for c in chunks if c.section_id == sec.id and c.part == "beslut"]
    assert len(beslut) == 1
    assert _squash(beslut[0].text) == _squash(next(p.text for p in sec.parts if p.kind == "beslut"))
    assert "godkänner redovisning av bokslut 2023" in beslut[0].text
    assert "yrkar" not in beslut[0].text  # the yrkande is a different chunk


def test_parts_ignored_when_they_miss_text():
    """Parts that cover under 90% of the section are not trusted: the whole text is chunked."""
    text = "Inledning " * 50 + "Nämnden beslutar att godkänna."
    sec = Section(
        id="d-s0", document_id="d", index=0, kind="paragraf",
        parts=[SectionPart(kind="beslut", text="Nämnden beslutar att godkänna.")], text=text,
    )
    parsed = ParsedDocument(document=Document(id="d", fil="x", path="x", sha256="0" * 64, format="txt"), sections=[sec])
    chunks = chunk_document(parsed, ChunkSettings())
    assert [c.part for c in chunks] == [None]
    assert _squash(chunks[0].text) == _squash(text)


PAGE_TEXT = {
    1: "Första sidan handlar om budgeten för äldreomsorgen och hur kostnaderna har ökat under året.",
    2: "Andra sidan beskriver skolskjutsarna i norra kommundelen och de nya turerna från augusti.",
    3: "Tredje sidan redovisar bygglovsärendena vid sjön och handläggningstiderna för dessa.",
}


def test_pdf_page_numbers_carried_to_chunks(tmp_path, settings):
    """A 3-page PDF: each page's sentences end up in chunks whose sida is that page."""
    doc = pymupdf.open()
    for n in (1, 2, 3):
        page = doc.new_page()
        # several distinct lines per page (repeated lines would be removed as headers)
        body = "\n".join(f"{PAGE_TEXT[n]} Punkt {n}.{i} gäller {w}." for i, w in enumerate(["ekonomi", "personal", "lokaler", "miljö"]))
        page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), body, fontsize=10)
    path = tmp_path / "tre_sidor.pdf"
    doc.save(path)
    settings.chunk.max_words = 30
    settings.chunk.overlap_words = 0
    raw, parsed, chunks = parse_file(path, settings, None)
    assert [p.page for p in raw.pages] == [1, 2, 3]
    assert len(chunks) >= 6
    pages = {p.page: _squash(p.text) for p in raw.pages}
    for c in chunks:
        # a chunk's page is the page its first words are on (each page's sentences differ)
        start = " ".join(c.text.split()[:3])
        assert start in pages[c.sida] and all(start not in t for n, t in pages.items() if n != c.sida), c.id
    assert {c.sida for c in chunks} == {1, 2, 3}
