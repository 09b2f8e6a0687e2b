"""Structure on layouts of real archives: small fixtures cut from Alingsås' and Nykarleby's PDFs.

tests/fixtures/layouts/ holds pages of ../shared/realdocs2 (Alingsås, MeetingPlus protokoll,
a tjänsteskrivelse, a slide deck of budget tables, a scanned protokollsutdrag) and
../shared/realdocs (Nykarleby's "44 §" protokoll with a garbled/OCR'd text layer), plus the
SN protokoll written out as a Markdown export with pipe tables.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest.clean import clean_document
from ingest.read import ocr_available, read_file
from ingest.segment import segment

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"


def _parse(name: str, settings):
    return segment(clean_document(read_file(LAYOUTS / name, settings)))


def _paragrafer(parsed) -> dict[int, object]:
    return {s.paragraf_nr: s for s in parsed.sections if s.kind == "paragraf"}


@pytest.mark.parametrize(
    "name, expected",
    [
        # TOC page (fixture page 2) + bodies; the dnr stands on the § line ("§ 113  2026.266 KS")
        (
            "alingsas_ks_protokoll_toc.pdf",
            {111: (None, 3), 112: ("2026.272 KS", 4), 113: ("2026.266 KS", 5)},
        ),
        # a Markdown export: § heading with the dnr on the heading line and on the next line
        (
            "alingsas_sn_protokoll_export.md",
            {34: (None, None), 35: ("2026.034 SN", None), 36: ("2026.084 SN", None)},
        ),
    ],
)
def test_paragraf_sections_with_dnr_and_page(name, expected, settings):
    found = _paragrafer(_parse(name, settings))
    assert set(found) == set(expected)
    for nr, (dnr, page) in expected.items():
        assert found[nr].diarienummer == dnr, nr
        assert found[nr].page_start == page, nr


def test_toc_is_a_map_not_sections(settings):
    parsed = _parse("alingsas_ks_protokoll_toc.pdf", settings)
    found = _paragrafer(parsed)
    # the TOC lists §§ 111-122; only the bodies in the file become §§, each with its body text
    assert "Transportstyrelsens föreskrifter" in found[113].text
    assert found[113].rubrik == "Revidering felparkeringsavgifter"
    assert "Alingsås kommuns medlemsbidrag" in found[112].text
    assert "Revidering felparkeringsavgifter" not in found[112].text
    toc = [s for s in parsed.sections if s.kind == "dagordning"]
    assert len(toc) == 1 and "§ 116" in toc[0].text and toc[0].page_start == 2


def test_nykarleby_44_paragraf_style_uses_the_map_for_ocr_pages(settings):
    # pages 4-5 are OCR'd or garbled: their "11 §"/"12 §" markers are lost; the TOC names them
    if not ocr_available(settings.ingest.ocr_lang):
        pytest.skip("Tesseract med svensk modell saknas")
    found = _paragrafer(_parse("nykarleby_rff_protokoll.pdf", settings))
    assert {10, 11, 12} <= set(found)
    assert "protokolljusterare" in (found[11].rubrik or "").lower()
    assert found[10].page_start == 3 and found[11].page_start == 4


def test_scanned_protokollsutdrag(settings):
    if not ocr_available(settings.ingest.ocr_lang):
        pytest.skip("Tesseract med svensk modell saknas")
    parsed = _parse("alingsas_kf_utdrag_scanned.pdf", settings)
    doc = parsed.document
    assert doc.dokumenttyp == "protokoll" and doc.utdrag
    assert doc.namnd == "Kommunfullmäktige"
    assert doc.datum == dt.date(2026, 5, 6)
    found = _paragrafer(parsed)
    assert set(found) == {89}  # OCR read "§ 89" as "I 89"
    assert found[89].diarienummer == "2026.112 KS"


def test_protokoll_is_not_an_utdrag(settings):
    doc = _parse("alingsas_ks_protokoll_toc.pdf", settings).document
    assert not doc.utdrag
    assert (doc.kommun, doc.namnd, doc.datum) == ("Alingsås kommun", "Kommunstyrelsen", dt.date(2026, 6, 15))


def test_tjansteskrivelse_metadata(settings):
    parsed = _parse("alingsas_tjansteskrivelse.pdf", settings)
    doc = parsed.document
    assert doc.dokumenttyp == "tjansteskrivelse"
    assert doc.namnd == "Kommunstyrelsen"
    assert doc.datum == dt.date(2026, 6, 2)
    assert doc.diarienummer == "2026.021 KS"


def test_table_rows_keep_columns_and_are_no_headings(settings):
    parsed = _parse("alingsas_budget_table.pdf", settings)
    text = "\n".join(s.text for s in parsed.sections)
    assert "NÄMND | Ram inkl PKV | Resurs kompensation" in text
    assert "Socialnämnden | 274 077 | -427 | -50 | 273 600 | 9 192 | 282 792" in text
    headings = [s.rubrik or "" for s in parsed.sections] + [h for s in parsed.sections for h in s.heading_path]
    assert not any("|" in h or h.startswith(("Socialnämnden", "2027")) for h in headings)
    assert "Ram 2027" in headings


def test_organ_named_only_in_table_rows_is_left_empty_and_flagged(settings):
    doc = _parse("alingsas_budget_table.pdf", settings).document
    # the slides name eight nämnder in their table and none as their own organ
    assert doc.namnd is None
    organ = next(e for e in doc.evidence if e.field == "namnd")
    assert organ.flagged or organ.confidence == 0.0


@pytest.mark.parametrize(
    "text, organ",
    [
        # a quoted decision names another organ many times; the letterhead names the document's
        (
            "Socialnämnden\nProtokoll\n2026-06-16\n\n§ 35 Ekonomisk uppföljning\n"
            + "Tekniska nämnden beslutade den 17 februari 2026 att föreslå inskränkning.\n" * 4,
            "Socialnämnden",
        ),
        # only table rows name organs
        ("Ramar 2027\n\nNämnd | Ram\nSocialnämnden | 274 077\nTekniska nämnden | 88 604\n", None),
        # a registry code names the organ mentioned in the text
        (
            "Riktlinjer för servering\nDiarienummer: 2026-0148 BMN\n\n"
            "Bygg- och miljönämnden prövar ansökningar om serveringstillstånd.\n",
            "Bygg- och miljönämnden",
        ),
        # the kommunstyrelse's own office
        ("Fördjupad månadsuppföljning 2026\nKommunledningskontorets kommentar\nText.", "Kommunstyrelsen"),
    ],
)
def test_read_organ(text, organ):
    from ingest.metadata_evidence import read_organ

    assert read_organ(text).value == organ


@pytest.mark.parametrize(
    "text, doctype, datum",
    [
        # a date quoted from another decision is not the document's date
        ("Riktlinje\n" + "Text utan datum.\n" * 20 + "beslutade den 17 april 2026", "riktlinje", None),
        ("Datum:\n2026-06-02\nKommunstyrelsen", "tjansteskrivelse", dt.date(2026, 6, 2)),
    ],
)
def test_read_date(text, doctype, datum):
    from ingest.metadata_evidence import detect_date

    assert detect_date(text, doctype) == datum


KALLELSE_WITH_UTDRAG = """Kallelse till sammanträde
Bygg- och miljönämnden
2026-06-16

Dagordning
1. Återrapportering av inkomna skrivelser

Tjänsteskrivelse
Diarienummer: BMN 2026/12
Upprättad: 2026-05-20
Återrapportering av inkomna skrivelser
Förslag till beslut
Bygg- och miljönämnden lägger återrapporteringen till handlingarna.
Ärendebeskrivning
Kommunfullmäktige har fattat beslut som nämnden ska känna till; protokollsutdragen bifogas.

Kommunfullmäktige
Protokoll
2026-05-06

§ 89  2026.112 KS
Inskränkning av verksamhetsområde Vässenbo
Ärendebeskrivning
Tekniska nämnden har till kommunstyrelsen inkommit med ett ärende gällande inskränkning av
verksamhetsområde för vatten och spillvattenavlopp inom Vässenbo 1:17 med omgivande mark.
Beslut
Inskränkning av verksamhetsområde för allmän vatten- och spillvattenanläggning i området fastställs.
"""


def test_protokollsutdrag_inside_a_kallelse_is_its_own_paragraf(settings, tmp_path):
    path = tmp_path / "bmn_kallelse.txt"
    path.write_text(KALLELSE_WITH_UTDRAG, encoding="utf-8")
    parsed = segment(clean_document(read_file(path, settings)))
    found = _paragrafer(parsed)
    assert set(found) == {89}
    assert found[89].diarienummer == "2026.112 KS"
    assert "Vässenbo 1:17" in found[89].text
    ts = [s for s in parsed.sections if s.kind == "tjansteskrivelse"]
    assert ts and "Vässenbo" not in ts[0].text  # the tjänsteskrivelse ends where the utdrag begins
