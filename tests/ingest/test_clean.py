"""Cleaning: each repair on real examples from corpus/ and the realdocs PDFs, and idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest

from grund.records import PageText, RawDocument
from ingest.clean import (
    clean_document,
    is_structural,
    join_hard_breaks,
    normalise_tables,
    normalise_unicode,
    remove_repeated_lines,
)
from ingest.ligatures import repair_ligatures
from ingest.read import read_file
from tests.conftest import CORPUS, FIXTURES


def _raw(*texts: str) -> RawDocument:
    pages = [PageText(page=i + 1 if len(texts) > 1 else None, text=t) for i, t in enumerate(texts)]
    return RawDocument(path="x.pdf", fil="x.pdf", sha256="0" * 64, format="pdf", pages=pages)


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("Handlingsplan mot våld i nära rela oner 2024", "Handlingsplan mot våld i nära relationer 2024"),
        ("Ta reda på om otrygghet har a göra", "Ta reda på om otrygghet har att göra"),
        ("ge möjlighet a u rycka sig.", "ge möjlighet att uttrycka sig."),
        ("Barn som bevi nat våld eller utsa s", "Barn som bevittnat våld eller utsatts"),
        ("Insatser för våldsutsa a", "Insatser för våldsutsatta"),
        ("A systema skt erbjuda insatser", "Att systematiskt erbjuda insatser"),
        ("det händer o a", "det händer ofta"),
        ("har ord örandena i nämnder", "har ordförandena i nämnder"),
        ("att ölja upp", "att följa upp"),
    ],
)
def test_repair_ligatures(damaged, repaired):
    assert repair_ligatures(damaged) == repaired


@pytest.mark.parametrize(
    "intact",
    [
        "i en kommun",
        "de är klara",
        "med s",
        "möjlighet a",
        "Barn o unga",
        "initieras av nämnden",
        "FN:s internationella dag",
        "fortsat samarbete",
        "bilaga A till protokollet",
        "www.nykarleby.fi a",
    ],
)
def test_repair_ligatures_leaves_real_words(intact):
    assert repair_ligatures(intact) == intact


def test_repair_ligatures_on_corpus_003():
    text = next(CORPUS.glob("003_*.txt")).read_text(encoding="utf-8")
    repaired = repair_ligatures(text)
    assert "nära relationer 2024" in repaired and "bevittnat våld" in repaired
    assert "rela oner" not in repaired


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # corpus/003: wrapped lines separated by blank lines
        (
            "ett underskott på -11,2 mnkr vilket är en avvikelse mot\n\nnettobudget på omkring 3 %.",
            "ett underskott på -11,2 mnkr vilket är en avvikelse mot nettobudget på omkring 3 %.",
        ),
        ("timlön för vikarier (-4\n\nmnkr) samt övertid", "timlön för vikarier (-4 mnkr) samt övertid"),
        ("Hyrpersonal,\nFysioterapeuter", "Hyrpersonal, Fysioterapeuter"),
        ("Hyrpersonal,\n\nFysioterapeuter", "Hyrpersonal,\n\nFysioterapeuter"),
        # hyphenation undone, real compounds kept
        ("beslut av social-\nnämnden", "beslut av socialnämnden"),
        ("Barn-\noch utbildningsnämnden", "Barn- och utbildningsnämnden"),
        ("ett EU-\nprojekt", "ett EU-projekt"),
        # sentence ends, capitals and paragraph breaks stay
        ("Föredragningslistan godkänns.\nnästa", "Föredragningslistan godkänns.\nnästa"),
        ("Arbetsmarknadsenhet\n\nResultat +275 tkr.", "Arbetsmarknadsenhet\n\nResultat +275 tkr."),
        ("första stycket\n\n\nandra stycket", "första stycket\n\n\nandra stycket"),
        # structural lines are never joined into or out of
        (
            "§ 15 Besökares närvaro vid\n\nsocialnämndens sammanträde",
            "§ 15 Besökares närvaro vid\n\nsocialnämndens sammanträde",
        ),
        ("Diarienummer SN.2024.32 700\nnästa", "Diarienummer SN.2024.32 700\nnästa"),
        ("texten slutar här,\nSocialnämndens beslut", "texten slutar här,\nSocialnämndens beslut"),
        ("Beslutet skickas till\nsocialchef", "Beslutet skickas till\nsocialchef"),
        ("- första punkten\nfortsätter", "- första punkten\nfortsätter"),
        ("Enhet | Resultat\nhemtjänst | -3", "Enhet | Resultat\nhemtjänst | -3"),
        ("# Rubrik\ntext", "# Rubrik\ntext"),
        ("17 §\nuppvaktningar", "17 §\nuppvaktningar"),
        # a line that ends before its number: "§" + "132", a month + its year
        (
            "fjorton mål den 19 oktober 2022 §\n\n132 Sammantaget",
            "fjorton mål den 19 oktober 2022 § 132 Sammantaget",
        ),
        ("beslutade den 28 november\n2023 § 146 att regionen", "beslutade den 28 november 2023 § 146 att regionen"),
        ("Budget\n2024", "Budget\n2024"),
    ],
)
def test_join_hard_breaks(text, expected):
    assert join_hard_breaks(text) == expected


@pytest.mark.parametrize(
    ("line", "structural"),
    [
        ("§ 23 Bokslut", True),
        ("23 § Arbetsvärdering", True),
        ("Dnr KS 2024/12", True),
        ("Personalsektionens beslut:", True),
        ("Förslag till beslut", True),
        ("Ärendebeskrivning", True),
        ("1. Första punkten", True),
        ("• punkt", True),
        ("Beslutet fattades enhälligt", False),
        ("Resultatet 2023 var bra", False),
        ("2023 § 146 att regionen höjde avgiften", False),  # a year and a § reference, no "23 §" heading
    ],
)
def test_is_structural(line, structural):
    assert is_structural(line) is structural


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Korsavads\u00adanläggningen", "Korsavadsanläggningen"),
        ("3\u00a0%", "3 %"),
        ("noll\u200bbredd", "nollbredd"),
        ("\uf0b7 punkt", "• punkt"),
        ("målƟdsspridning genom aƩ", "måltidsspridning genom att"),
        ("e\ufb03cient \ufb01nns", "efficient finns"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("Socialna\u0308mnden", "Socialnämnden"),
    ],
)
def test_normalise_unicode(text, expected):
    assert normalise_unicode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Enhet\tResultat", "Enhet | Resultat"),
        ("Enhet \t\t Resultat\t+131 tkr", "Enhet | Resultat | +131 tkr"),
        ("Projektnamn        Valfisken inklusive gamingrum", "Projektnamn | Valfisken inklusive gamingrum"),
        ("a|b |  c", "a | b | c"),
        ("vanlig  text", "vanlig text"),
    ],
)
def test_normalise_tables(text, expected):
    assert normalise_tables(text) == expected


BODIES = [
    "Nämnden beslutar att godkänna bokslutet.\nUnderskottet är 3 mnkr.\nEnheten redovisar orsaker.",
    "Ärendet gäller en motion om skolskjuts.\nMotionären vill ha gratis resor.\nFörvaltningen avstyrker.",
    "Uppvaktning av anställda ses över.\nLagret av gåvor är slut.\nNya gåvor föreslås.",
    "Personalrapporten för 2022 redovisas.\nSjukfrånvaron ökade.\nÅtgärder planeras.",
]


def test_remove_repeated_page_headers_keeps_first():
    pages = [
        PageText(
            page=n, text=f"Protokoll\n28.03.2023\nSida\n{n} §\n{body}\nJusterandes signatur\nSida {n} av 4"
        )
        for n, body in enumerate(BODIES, start=1)
    ]
    out = remove_repeated_lines(pages)
    assert out[0].text == pages[0].text
    for n, page in enumerate(out[1:], start=2):
        assert page.text == f"{n} §\n{BODIES[n - 1]}"


def test_remove_repeated_blocks_single_text_corpus_003():
    text = next(CORPUS.glob("003_*.txt")).read_text(encoding="utf-8")
    block = "Sammanträdesprotokoll\nSocialnämnden\n\nden 21 februari 2024\n\nJusterare"
    assert text.count(block) >= 3
    out = remove_repeated_lines([PageText(page=None, text=normalise_unicode(text))])[0].text
    assert out.count(block) == 1
    assert out.index(block) == normalise_unicode(text).index(block)  # the first one stays
    assert out.count("Socialnämndens beslut") == text.count("Socialnämndens beslut")


def test_clean_document_is_pure():
    raw = _raw("rela oner\n\noch mer")
    cleaned = clean_document(raw)
    assert raw.pages[0].text == "rela oner\n\noch mer"
    assert cleaned.pages[0].text == "relationer och mer" and cleaned is not raw


@pytest.mark.parametrize(
    "path", sorted(CORPUS.glob("*.txt")) + [FIXTURES / "nykarleby_garbled.pdf"], ids=lambda p: p.name
)
def test_clean_is_idempotent(path: Path, settings):
    settings.ingest.ocr = False
    once = clean_document(read_file(path, settings))
    assert clean_document(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>Organisation: Hemtjänst Gnesta</p>", "Organisation: Hemtjänst Gnesta"),
        ('Innehåll: <ul style="list-style-type: disc"><li>ANDTS</li></ul>', "Innehåll: ANDTS"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("villkor a < b > c", "villkor a < b > c"),
    ],
)
def test_layout_tags_from_case_systems_are_removed_other_markup_kept(text, expected):
    assert " ".join(normalise_unicode(text).split()) == expected
