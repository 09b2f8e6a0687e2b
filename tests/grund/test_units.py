"""Answer units: sentences with abbreviations, table rows with column names, label lines, list items, wrapped lines."""

from __future__ import annotations

import pytest

from grund.records import Section, SectionPart
from grund.units import build_units, logical_lines, read_row, split_sentences


def _section(text: str, parts: list[SectionPart] | None = None) -> Section:
    return Section(id="d-s0", document_id="d", index=0, kind="text", text=text, parts=parts or [])


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Mötet börjar kl. 15.30 i Stadshuset. Alla är välkomna.", 2),
        ("Insatser, t.ex. boendestöd, ingår. Nämnden beslutar bl.a. om avgifter.", 2),
        ("Avgiften gäller fr.o.m. 1 januari 2025. Den höjs till 400 kr.", 2),
        ("Det kostar ca. 40 tkr per år. Budgeten är 2,5 mnkr.", 2),
        ("Kontakta A. Svensson för frågor. Hon svarar gärna.", 2),
        ("Resultatet blev 11,2 mnkr. Det är bättre än 2023.", 2),
    ],
)
def test_sentences_do_not_end_at_abbreviations_decimals_or_initials(text, n):
    assert len(split_sentences(text)) == n


def test_lines_the_pdf_broke_are_joined_and_hyphenation_mended():
    lines = logical_lines(
        "Nästa möte hålls på Kökarholmen i\nLarsmo. Beslutet gäller social-\nnämnden.\n\nNy rubrik"
    )
    assert lines == [
        "Nästa möte hålls på Kökarholmen i Larsmo. Beslutet gäller socialnämnden.",
        "",
        "Ny rubrik",
    ]


def test_a_table_row_is_read_with_its_column_names():
    text = "| Anmälare | 2022 | 2023 |\n|---|---|---|\n| Polisen | 69 | 74 |\n| Skolan | 52 | 40 |"
    units = build_units(_section(text))
    assert [u.text for u in units] == [
        "Anmälare: Polisen; 2022: 69; 2023: 74",
        "Anmälare: Skolan; 2022: 52; 2023: 40",
    ]
    assert all(u.kind == "row" for u in units)
    assert read_row(["2023", "74", "40"], None) == "2023 | 74 | 40"


def test_a_markdown_front_block_without_column_names_is_read_as_label_and_value():
    # the front of a protokoll exported to Markdown: an empty header row, then label | value rows;
    # a later row of words only ("Utses att justera | Leif Hansson") is data, never a header
    text = (
        "| | |\n|---|---|\n| Plats och tid | Stadshuset, kl. 14:00-16:20 |\n| Paragrafer | §§34-39 |\n"
        "| Utses att justera | Leif Hansson |\n| Justeringens plats och tid | Protokollet justeras på distans. |\n\n"
        "Beslutande\n\n| Namn | Roll |\n|---|---|\n| Kent Perciwall (KD) | ordförande |"
    )
    rows = [u.text for u in build_units(_section(text)) if u.kind == "row"]
    assert rows == [
        "Plats och tid: Stadshuset, kl. 14:00-16:20",
        "Paragrafer: §§34-39",
        "Utses att justera: Leif Hansson",
        "Justeringens plats och tid: Protokollet justeras på distans.",
        "Namn: Kent Perciwall (KD); Roll: ordförande",
    ]


def test_label_lines_list_items_and_headings():
    text = "Mål 6: Minskat matsvinn i särskilda boenden.\n\nFokusområden\nNämnden har följande mål:\n- Ökad trygghet\n- Bättre bemötande"
    units = build_units(_section(text))
    kinds = [(u.kind, u.text) for u in units]
    assert kinds[0] == ("label", "Mål 6: Minskat matsvinn i särskilda boenden.")
    assert ("heading", "Fokusområden") in kinds
    items = [u for u in units if u.kind == "item"]
    assert [u.text for u in items] == ["Ökad trygghet", "Bättre bemötande"]
    assert all(u.lead == "Nämnden har följande mål:" for u in items)


def test_units_keep_the_part_they_lie_in():
    parts = [
        SectionPart(kind="arende", text="Avgiften har inte höjts sedan 2019."),
        SectionPart(
            kind="beslut",
            label="Socialnämndens beslut",
            text="Socialnämnden beslutar att höja avgiften till 400 kronor.",
        ),
    ]
    units = build_units(
        _section(
            "Avgiften har inte höjts sedan 2019.\nSocialnämndens beslut\nSocialnämnden beslutar att höja avgiften till 400 kronor.",
            parts,
        )
    )
    assert [(u.part, u.lead) for u in units] == [("arende", None), ("beslut", "Socialnämndens beslut")]


def test_units_of_a_real_finnish_swedish_protocol(tmp_path):
    """A real document other than the example corpus: a Nykarleby protocol page (garbled text layer)."""
    from grund.settings import Settings
    from ingest.clean import clean_document
    from ingest.read import read_file
    from ingest.segment import segment
    from tests.conftest import FIXTURES

    s = Settings(data_dir=tmp_path)
    parsed = segment(clean_document(read_file(FIXTURES / "nykarleby_garbled.pdf", s)))
    units = [u for sec in parsed.sections for u in build_units(sec)]
    # whatever the page holds, sentences stay sentence-sized
    assert sum(len(u.text.split()) > 120 for u in units) <= max(1, len(units) // 50)


@pytest.mark.parametrize(
    "name", ["alingsas_budget_table.pdf", "alingsas_ks_protokoll_toc.pdf", "../nykarleby_garbled.pdf"]
)
def test_a_bullet_the_pdf_put_on_a_line_of_its_own_starts_an_item(tmp_path, name):
    """Three real documents of two kommuner whose PDFs give "•" a line of its own: the line after it is the item."""
    import re

    from grund.settings import Settings
    from ingest.clean import clean_document
    from ingest.read import read_file
    from ingest.segment import segment
    from tests.conftest import FIXTURES

    parsed = segment(clean_document(read_file(FIXTURES / "layouts" / name, Settings(data_dir=tmp_path))))
    expected = []
    for sec in parsed.sections:
        lines = [x.strip() for x in sec.text.splitlines() if x.strip()]
        expected += [
            nxt for line, nxt in zip(lines, lines[1:], strict=False) if re.fullmatch(r"[•\uf0b7▪·]", line)
        ]
    assert expected, "the fixture has lone bullets"
    items = [u.text for sec in parsed.sections for u in build_units(sec) if u.kind == "item"]
    for text in expected:
        assert any(i.startswith(text[:30].strip()) for i in items), text


def test_short_lines_after_an_announcing_sentence_are_its_items_and_a_sub_heading_is_not():
    text = (
        "Offerter på lån hade lämnats av:\nVasa Andelsbank\nKommunfinans Ab\nNordea\n"
        "Stadens totala upplåning var ca 41 miljoner euro.\n\n"
        "Förvaltningen föreslår följande områden:\nUppsökande arbete\nTa reda på om otryggheten har med våld att göra."
    )
    units = build_units(_section(text))
    items = [(u.text, u.lead) for u in units if u.kind == "item"]
    assert items == [
        (b, "Offerter på lån hade lämnats av:") for b in ("Vasa Andelsbank", "Kommunfinans Ab", "Nordea")
    ]
    # one short line with a sentence under it is that sentence's heading, not an item
    assert ("heading", "Uppsökande arbete") in [(u.kind, u.text) for u in units]


def test_a_bulleted_sub_heading_leads_its_sentences_and_not_the_next_item():
    text = (
        "Kommentar\n• Barn- och ungdomsnämnden +5,0 mnkr\nFärre barn i förskolan än beräknat.\n"
        "• Kommunstyrelsen -47,5 mnkr\nLägre utgifter för expansionsinvesteringar."
    )
    units = build_units(_section(text))
    lead = {u.text: u.lead for u in units}
    assert lead["Färre barn i förskolan än beräknat."] == "Barn- och ungdomsnämnden +5,0 mnkr"
    assert lead["Kommunstyrelsen -47,5 mnkr"] == "Kommentar"
    assert lead["Lägre utgifter för expansionsinvesteringar."] == "Kommunstyrelsen -47,5 mnkr"


def test_a_list_interrupted_by_the_next_pages_running_header_keeps_its_lead():
    from grund.records import SectionPart

    page1 = "Föredragningslista\nSida 4\nStyrelsen beslutar att uppta lån enligt följande:\n- från Kommunfinans 6 miljoner euro\n"
    page2 = (
        "Föredragningslista\nSida 5\n- från Vasa Andelsbank 6 miljoner euro\nLånet är bundet till Euribor."
    )
    text = page1 + page2
    sec = _section(text, [SectionPart(kind="forslag", text=text)])
    sec.page_start, sec.page_breaks = 4, [(len(page1), 5)]
    units = build_units(sec)
    lead = {u.text: u.lead for u in units}
    announce = "Styrelsen beslutar att uppta lån enligt följande:"
    assert lead["från Kommunfinans 6 miljoner euro"] == announce
    assert lead["från Vasa Andelsbank 6 miljoner euro"] == announce


def test_a_short_line_between_two_items_explains_the_item_before_it():
    """Alingsås' month report prints the reason for each deviation under its bullet, without a
    full stop; no heading stands inside a list, so the line is a sentence led by its item."""
    text = "Kommentar\n• Avfall -9,3 mnkr\nOrsaken är försenade leveranser av insamlingsfordon\n• VA -76,9 mnkr\nLedningsnätet är försenat."
    units = build_units(_section(text))
    reason = next(u for u in units if u.text.startswith("Orsaken"))
    assert reason.kind == "sentence" and reason.lead == "Avfall -9,3 mnkr"
    assert [u.text for u in units if u.kind == "item"] == ["Avfall -9,3 mnkr", "VA -76,9 mnkr"]
