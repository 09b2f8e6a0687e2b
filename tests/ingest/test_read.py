"""Reading files: every format, scanned and garbled pages, and every kind of bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import docx
import pymupdf
import pytest

from grund.errors import EmptyDocumentError, InputFileError, UnsupportedFileError
from ingest.read import (
    NOTE_GARBLED,
    NOTE_SCAN_NO_OCR,
    decode_text,
    is_garbled,
    ocr_available,
    read_file,
    text_quality,
)
from tests.conftest import CORPUS, FIXTURES

PAGE1 = "Socialnämnden beslutar att godkänna bokslutet för år 2023 enligt förslaget."
SCANNED = "Kommunstyrelsen beslutar att anta riktlinjen för arvoden."


def _text_image(text: str) -> bytes:
    """A page-sized grey PNG of black text on white, like a scanned A4 page."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 100), text, fontsize=14)
    return page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY).tobytes("png")


@pytest.fixture
def scanned_pdf(tmp_path) -> Path:
    """Page 1 has a text layer; page 2 is only an image of text (a scan)."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), PAGE1, fontsize=10)
    page = doc.new_page()
    page.insert_image(page.rect, stream=_text_image(SCANNED))
    path = tmp_path / "skannad.pdf"
    doc.save(path)
    return path


def test_pdf_pages_numbered_with_text(scanned_pdf, settings):
    settings.ingest.ocr = False
    raw = read_file(scanned_pdf, settings)
    assert raw.format == "pdf" and raw.fil == "skannad.pdf"
    assert raw.sha256 == hashlib.sha256(scanned_pdf.read_bytes()).hexdigest()
    assert [p.page for p in raw.pages] == [1, 2]
    assert raw.pages[0].status == "ok" and "godkänna bokslutet" in raw.pages[0].text


@pytest.mark.parametrize("ocr_setting", [False, True])
def test_scanned_page_skipped_without_ocr(scanned_pdf, settings, monkeypatch, ocr_setting):
    settings.ingest.ocr = ocr_setting
    monkeypatch.setattr("ingest.read_pdf.ocr_available", lambda lang="swe": False)
    page = read_file(scanned_pdf, settings).pages[1]
    assert page.status == "skipped" and page.text == ""
    assert page.note == NOTE_SCAN_NO_OCR if ocr_setting else "OCR är avstängt" in page.note


def test_scanned_page_ocr(scanned_pdf, settings):
    if not ocr_available(settings.ingest.ocr_lang):
        pytest.skip("tesseract med svensk språkmodell saknas")
    page = read_file(scanned_pdf, settings).pages[1]
    assert page.status == "ocr" and "skannad" in page.note
    assert "riktlinjen" in page.text and "arvoden" in page.text


def test_garbled_page_flagged(settings, monkeypatch):
    monkeypatch.setattr("ingest.read_pdf.ocr_available", lambda lang="swe": False)
    raw = read_file(FIXTURES / "nykarleby_garbled.pdf", settings)
    assert [p.status for p in raw.pages] == ["ok", "garbled"]
    assert raw.pages[1].text == "" and raw.pages[1].note == NOTE_GARBLED
    assert "Uppvaktningar och gåvor" in raw.pages[0].text


def test_garbled_page_ocr(settings):
    if not ocr_available(settings.ingest.ocr_lang):
        pytest.skip("tesseract med svensk språkmodell saknas")
    page = read_file(FIXTURES / "nykarleby_garbled.pdf", settings).pages[1]
    assert page.status == "ocr" and "förvanskat" in page.note
    assert "Arbetsvärdering" in page.text and not is_garbled(page.text)


@pytest.mark.parametrize(
    ("text", "garbled"),
    [
        (
            "Arbetsbeskrivningngörsnförnvarjenanställdnochngodkännsnavndennmyndighetnsom ansvararnförnanställningen. "
            "Arbetsvärdering ska också göras på alla ändrade arbetsbeskrivningar tydande nändringar nsketninarbetsuppgiferna."
            "nArbetsvärderingnharngjortsnför samtliganin01TOI060n(Förvaltningspersonal).nEnligtnPESn7§/2017nuppgörsnförsla-",
            True,
        ),
        (
            "Plangring av ungdomsfullmäktggs aktvivgvgr undgr vårgn 2023 gn gnkäv skihkas uv i vår ohm valkampanj dgv btlir",
            True,
        ),
        (
            "Socialnämnden godkänner enhälligt att handläggare inom individ- och familjeomsorgen deltar vid dagens sammanträde.",
            False,
        ),
        (
            "Barn- och utbildningsnämnden föreslår kommunfullmäktige att anta verksamhetsplanen och internbudgeten för 2024.",
            False,
        ),
        (
            "Totala årsverken i Nykarleby är 373 under 2022. Henkilötyövuosien yhteenlaskettu määrä oli 373 vuonna 2022.",
            False,
        ),
    ],
)
def test_garbled_detection(text, garbled):
    assert is_garbled(text) is garbled


def test_short_text_not_scored():
    assert text_quality("Protokoll 28.03.2023 Sida") is None


def test_docx_paragraphs_and_table_in_order(tmp_path, settings):
    document = docx.Document()
    document.core_properties.title = "Tjänsteskrivelse"
    document.add_heading("Bokslut 2023", level=1)
    document.add_paragraph("Resultatet är ett underskott på -11,2 mnkr.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Enhet", "Resultat"), ("Hemsjukvård", "+131 tkr")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Förslag till beslut")
    path = tmp_path / "skrivelse.docx"
    document.save(path)
    raw = read_file(path, settings)
    assert raw.format == "docx" and raw.title == "Tjänsteskrivelse" and raw.pages[0].page is None
    lines = [line for line in raw.text.splitlines() if line]
    assert lines == [
        "Bokslut 2023",
        "Resultatet är ett underskott på -11,2 mnkr.",
        "Enhet | Resultat",
        "Hemsjukvård | +131 tkr",
        "Förslag till beslut",
    ]


HTML = """<!doctype html><html><head><title>Protokoll KS 2024-02-21</title>
<script>var x = "skript";</script><style>body {color: red}</style></head><body>
<header>Sidhuvud med logga</header><nav><ul><li>Meny: Start</li></ul></nav>
<div role="navigation">Brödsmulor</div>
<main><h1>§ 23 Bokslut</h1><p>Kommunstyrelsen   beslutar
att godkänna bokslutet.</p><ul><li>Punkt ett</li><li>Punkt två</li></ul>
<table><tr><th>Enhet</th><th>Resultat</th></tr><tr><td>IFO</td><td>-3 mnkr</td></tr></table>
<form><input value="Sök"></form></main>
<aside>Relaterat innehåll</aside><footer>Kontakta oss</footer></body></html>"""


def test_html_main_text_only(tmp_path, settings):
    path = tmp_path / "sida.html"
    path.write_text(HTML, encoding="utf-8")
    raw = read_file(path, settings)
    assert raw.format == "html" and raw.title == "Protokoll KS 2024-02-21"
    assert raw.text.splitlines() == [
        "§ 23 Bokslut",
        "Kommunstyrelsen beslutar att godkänna bokslutet.",
        "- Punkt ett",
        "- Punkt två",
        "Enhet | Resultat",
        "IFO | -3 mnkr",
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_txt_encodings(tmp_path, settings, encoding):
    text = "Socialnämnden beslutar: åtgärder för äldre i Öregrund – klart."
    if encoding == "latin-1":
        text = text.replace("–", "-")  # latin-1 has no en dash
    path = tmp_path / "beslut.txt"
    path.write_bytes(text.encode(encoding))
    raw = read_file(path, settings)
    assert raw.format == "txt" and raw.pages[0].text == text


def test_decode_latin1_fallback():
    # 0x81 is undefined in cp1252, so only latin-1 can decode this file.
    assert decode_text("å ä ö".encode("latin-1") + b"\x81") == "å ä ö\x81"


def test_md_title(tmp_path, settings):
    path = tmp_path / "plan.md"
    path.write_text("# Verksamhetsplan 2024\n\nText om planen.\n", encoding="utf-8")
    raw = read_file(path, settings)
    assert raw.format == "md" and raw.title == "Verksamhetsplan 2024" and "Text om planen." in raw.text


def test_corpus_txt(settings):
    path = next(CORPUS.glob("003_*.txt"))
    raw = read_file(path, settings)
    assert raw.fil == path.name and "§ 16 Bokslut 2023" in raw.text


def test_empty_user_password_pdf_is_read(tmp_path, settings):
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), PAGE1, fontsize=10)
    path = tmp_path / "krypterad_utan_losen.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="agare", user_pw="")
    assert "godkänna bokslutet" in read_file(path, settings).text


def _encrypted(path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), PAGE1)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="agare", user_pw="hemligt")


def _truncated(path: Path) -> None:
    data = (FIXTURES / "nykarleby_garbled.pdf").read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _blank_pages(path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page()
    doc.new_page()
    doc.save(path)


@pytest.mark.parametrize(
    ("name", "make", "error", "message"),
    [
        ("saknas.pdf", None, InputFileError, "finns inte"),
        ("mapp.pdf", lambda p: p.mkdir(), InputFileError, "mapp"),
        ("tom.pdf", lambda p: p.write_bytes(b""), EmptyDocumentError, "tom"),
        ("tom.txt", lambda p: p.write_text("  \n\n "), EmptyDocumentError, "ingen text"),
        ("skrap.pdf", lambda p: p.write_bytes(b"\x00\x01\x02junk" * 300), InputFileError, "ingen PDF"),
        ("trasig.pdf", _truncated, InputFileError, "skadad"),
        ("krypterad.pdf", _encrypted, InputFileError, "lösenordsskyddad"),
        ("blank.pdf", _blank_pages, EmptyDocumentError, "ingen text"),
        ("skrap.docx", lambda p: p.write_bytes(b"PK\x03\x04inte en docx"), InputFileError, "Word-filen"),
        ("bild.png", lambda p: p.write_bytes(b"\x89PNG"), UnsupportedFileError, "stöds inte"),
        ("utan_filandelse", lambda p: p.write_text("text"), UnsupportedFileError, "stöds inte"),
    ],
)
def test_bad_input(tmp_path, settings, name, make, error, message):
    path = tmp_path / name
    if make:
        make(path)
    with pytest.raises(error) as info:
        read_file(path, settings)
    assert message in str(info.value) and name in str(info.value)


def test_too_big(tmp_path, settings):
    settings.ingest.max_file_mb = 0.001
    path = tmp_path / "stor.txt"
    path.write_text("Socialnämnden beslutar. " * 100)
    with pytest.raises(InputFileError, match="för stor"):
        read_file(path, settings)


def test_scanned_only_pdf_without_ocr_is_empty(tmp_path, settings, monkeypatch):
    monkeypatch.setattr("ingest.read_pdf.ocr_available", lambda lang="swe": False)
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_image(page.rect, stream=_text_image(SCANNED))
    path = tmp_path / "bara_skanning.pdf"
    doc.save(path)
    with pytest.raises(EmptyDocumentError, match="Tesseract saknas"):
        read_file(path, settings)


def test_pdf_page_tree_with_absurd_count_is_a_file_error(settings, tmp_path):
    import pymupdf

    doc = pymupdf.open()
    doc.new_page()
    path = tmp_path / "count.pdf"
    path.write_bytes(doc.tobytes().replace(b"/Count 1", b"/Count 2000000000"))
    with pytest.raises(InputFileError, match="count.pdf"):
        read_file(path, settings)
