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
    lines = logical_lines("Nästa möte hålls på Kökarholmen i\nLarsmo. Beslutet gäller social-\nnämnden.\n\nNy rubrik")
    assert lines == ["Nästa möte hålls på Kökarholmen i Larsmo. Beslutet gäller socialnämnden.", "", "Ny rubrik"]


def test_a_table_row_is_read_with_its_column_names():
    text = "| Anmälare | 2022 | 2023 |\n|---|---|---|\n| Polisen | 69 | 74 |\n| Skolan | 52 | 40 |"
    units = build_units(_section(text))
    assert [u.text for u in units] == ["Anmälare: Polisen; 2022: 69; 2023: 74", "Anmälare: Skolan; 2022: 52; 2023: 40"]
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
        SectionPart(kind="beslut", label="Socialnämndens beslut", text="Socialnämnden beslutar att höja avgiften till 400 kronor."),
    ]
    units = build_units(_section("Avgiften har inte höjts sedan 2019.\nSocialnämndens beslut\nSocialnämnden beslutar att höja avgiften till 400 kronor.", parts))
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
