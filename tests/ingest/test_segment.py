"""Segmentation into citable sections: §, tjänsteskrivelser, headings, parts, pages."""

from __future__ import annotations

import hashlib
import re

import pytest

from assistent.cli_tables import format_report
from grund.dnr import normalize_dnr
from grund.records import PageText, RawDocument
from ingest.clean import clean_document
from ingest.segment import find_parts, segment
from tests.conftest import CORPUS


def _raw(text: str, pages: list[str] | None = None, fil: str = "doc.txt") -> RawDocument:
    page_list = (
        [PageText(page=i + 1, text=t) for i, t in enumerate(pages)] if pages else [PageText(text=text)]
    )
    return RawDocument(
        path=fil,
        fil=fil,
        sha256=hashlib.sha256((text or "".join(pages or [])).encode()).hexdigest(),
        format="pdf" if pages else "txt",
        pages=page_list,
    )


def _corpus_raw(prefix: str) -> RawDocument:
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return _raw(path.read_text(encoding="utf-8"), fil=path.name)


@pytest.fixture(scope="module")
def parsed():
    return {p: segment(_corpus_raw(p)) for p in ("000", "001", "002", "003", "004")}


# Read off the text of corpus/003: the "Diarienummer X <code>" line above each § heading.
# (§ 24's own number is SN.2024.5; GNU/6/2023 belongs to the attached GNUS agreement.)
PROTOKOLL_003 = {
    14: "SN.2023.373",
    15: "SN.2024.32",
    16: "VSF.2023.59",
    17: "SN.2022.562",
    18: "VSF.2023.363",
    19: "SN.2023.261",
    20: "AME.2023.367",
    21: "BIST.2023.366",
    22: "VSF.2023.247",
    23: "VSF.2024.8",
    24: "SN.2024.5",
    25: "VSF.2024.1",
    26: "IFO.2022.7",
    27: "HSV-VSF.2023.112",
    28: "ÄO-VSF.2022.290",
    29: "VSF.2024.11",
    30: "SN.2024.15",
    31: "SN.2024.17",
}
# § 25 (sekretess) and § 30 (no delegationsbeslut) record no decision in the text.
NO_BESLUT_003 = {25, 30}


def test_protokoll_003_paragrafer(parsed):
    secs = [s for s in parsed["003"].sections if s.kind == "paragraf"]
    assert {s.paragraf_nr: s.diarienummer for s in secs} == PROTOKOLL_003
    for s in secs:
        assert s.paragraf == f"§ {s.paragraf_nr}"
        assert s.text.split("\n")[0].startswith("Diarienummer")  # the dnr line travels with its §
        assert s.dnr_norm == normalize_dnr(s.diarienummer)
        kinds = {p.kind for p in s.parts}
        assert ("beslut" in kinds) == (s.paragraf_nr not in NO_BESLUT_003), s.paragraf


@pytest.mark.parametrize(
    "nr, rubrik, beslut_start",
    [
        (14, "Godkännande av föredragningslista", "Föredragningslistan godkänns"),
        (23, "Höjning av avgift för hemsjukvård 2024", "Socialnämnden"),
        (24, "Översyn av samverkansavtal GNUS", "Socialnämnden fastställer reviderat samverkansavtal"),
    ],
)
def test_protokoll_003_rubrik_and_beslut(parsed, nr, rubrik, beslut_start):
    s = next(s for s in parsed["003"].sections if s.paragraf_nr == nr)
    assert s.rubrik == rubrik
    beslut = next(p for p in s.parts if p.kind == "beslut")
    assert beslut.label == "Socialnämndens beslut"
    assert beslut.text.startswith(beslut_start)


def test_protokoll_003_skickas_till(parsed):
    s = next(s for s in parsed["003"].sections if s.paragraf_nr == 24)
    assert any(p.kind == "skickas_till" and "Region Jämtland Härjedalen" in p.text for p in s.parts)


# Each tjänsteskrivelse in corpus/001 with its own dnr; the agenda items SN.2023.2, .5 and
# .73 have no tjänsteskrivelse attached (information and sekretess items).
KALLELSE_001 = [
    ("SN.2023.38", "Rapportering av ej verkställa gynnande biståndsbeslut, kvartal 2, 2023", True),
    ("SN.2023.62", "Delårsrapport 2023", True),
    ("SN.2023.69", "Uppföljning av internkontrollplan", True),
    ("SN.2023.68", None, True),
    ("SN.2023.65", "Handlingsplan för ökad patientsäkerhet", True),
    ("SN.2023.75", "Ianspråktagande av investeringsmedel - digital utrustning", True),
    ("SN.2023.76", "Ianspråktagande av investeringsmedel - skrivare", True),
    ("SN.2023.3", "Redovisning av delegationsbeslut", False),
    ("SN.2023.4", "Anmälningsärenden", False),
]


def test_kallelse_001_tjansteskrivelser(parsed):
    secs = parsed["001"].sections
    assert secs[0].kind == "dagordning"
    for dnr in ("SN.2023.2", "SN.2023.73", "Tisdagen den 3 oktober 2023"):
        assert dnr in secs[0].text
    ts = [s for s in secs if s.kind == "tjansteskrivelse"]
    assert [s.diarienummer for s in ts] == [d for d, _, _ in KALLELSE_001]
    for s, (dnr, rubrik, has_forslag) in zip(ts, KALLELSE_001, strict=True):
        if rubrik:
            assert s.rubrik == rubrik
        assert s.datum is not None and s.datum.year == 2023
        assert ("forslag" in {p.kind for p in s.parts}) == has_forslag, dnr
        if has_forslag:
            forslag = next(p for p in s.parts if p.kind == "forslag")
            assert forslag.label.startswith("Förslag till beslut")


def test_kallelse_001_attachment_keeps_dnr(parsed):
    secs = parsed["001"].sections
    delar = [s for s in secs if s.kind in ("rubrik", "text") and s.heading_path[:1] == ["Delårsrapport 2023"]]
    assert len(delar) >= 10
    assert {s.diarienummer for s in delar} == {"SN.2023.62"}
    assert any(s.rubrik == "Investeringsuppföljning" for s in delar)


def test_tjansteskrivelser_004(parsed):
    ts = [s for s in parsed["004"].sections if s.kind == "tjansteskrivelse"]
    assert [s.diarienummer for s in ts] == ["SN/2023:1", "SN/2023:89", "SN/2023:91", "SN/2023:88"]
    assert ts[0].rubrik == "Reviderad verksamhetsplan och budget 2024"
    assert all(any(p.kind == "forslag" for p in s.parts) for s in ts)
    plan = [
        s
        for s in parsed["004"].sections
        if s.heading_path[:1] == ["Reviderad verksamhetsplan och budget 2024"]
    ]
    assert any(s.rubrik == "Intern kontroll" for s in plan)


def test_plan_002_headings_inherit_dnr(parsed):
    pd = parsed["002"]
    assert pd.document.titel == "Kontorsplan 2024"
    rubriker = [s.rubrik for s in pd.sections]
    for heading in ("Inledning", "Beskrivning", "Mål och förväntan på organisationen"):
        assert heading in rubriker
    assert all(s.diarienummer == "SN/2023:875" and s.dnr_norm == "SN-2023-875" for s in pd.sections)
    # a table-of-contents line is not a heading
    assert not any(s.rubrik and "....." in s.rubrik for s in pd.sections)


def test_monthly_letter_000(parsed):
    secs = parsed["000"].sections
    assert secs[0].kind == "tjansteskrivelse"
    assert secs[0].rubrik == "Socialkontorets månadsbrev januari och februari 2024"
    assert {p.kind for p in secs[0].parts} >= {"forslag", "arende"}
    assert "Kontorschefen har ordet" in [s.rubrik for s in secs]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_no_text_lost(parsed, prefix):
    words = _corpus_raw(prefix).text.split()
    covered = {w for s in parsed[prefix].sections for w in s.text.split()}
    assert sum(w in covered for w in words) / len(words) >= 0.97
    pd = parsed[prefix]
    assert [s.index for s in pd.sections] == list(range(len(pd.sections)))
    assert all(s.id == f"{pd.document.id}-s{s.index}" for s in pd.sections)
    assert pd.document.id == hashlib.sha256(_corpus_raw(prefix).text.encode()).hexdigest()[:16]


def test_txt_has_no_pages(parsed):
    assert all(s.page_start is None and s.page_breaks == [] for s in parsed["003"].sections)


FI_PAGES = [
    "Organ\nVälfärdsnämnden\nSammanträdestid\n15.9.2022 kl. 18.00\nÄrenden\n39 – 41 §\nProtokoll\n5/2022\n",
    "Sammanträdets laglighet\nOrdförande öppnar sammanträdet.\n______\nVälfärdsnämndens beslut:\n"
    "Nämnden är beslutför.\n______\n39 §\nProtokoll\n15.09.2022\nSida\nVälfärdsnämnden\n39 §\n 1\n",
    "NKBY/482/01.01.01.07/2022\nRekrytering av välfärdschef\nTjänsten har varit lediganslagen.\n"
    "Stadsdirektörens förslag:\nNämnden väljer sökande A.\n______\nBeslut:\nNämnden valde sökande A.\n"
    "40 §\nProtokoll\n15.09.2022\nSida\nVälfärdsnämnden\n40 §\n 2\n",
    "Fortsättning av ärendet om rekryteringen med mer text här.\n40 §\nProtokoll\n15.09.2022\nSida\n"
    "Välfärdsnämnden\n40 §\n 3\n",
    "Mötestider 2022\nNämnden sammanträder i oktober.\nVälfärdsnämndens beslut:\nGodkändes.\n"
    "41 §\nProtokoll\n15.09.2022\nSida\nVälfärdsnämnden\n41 §\n 4\n",
]


def test_finnish_protokoll_pages():
    pd = segment(_raw("", pages=FI_PAGES, fil="nyk.pdf"))
    assert pd.document.kommun is None and pd.document.namnd == "Välfärdsnämnden"
    assert pd.document.dokumenttyp == "protokoll" and str(pd.document.datum) == "2022-09-15"
    secs = {s.paragraf_nr: s for s in pd.sections if s.kind == "paragraf"}
    assert sorted(secs) == [39, 40, 41]
    assert pd.sections[0].kind == "text" and pd.sections[0].page_start == 1
    s40 = secs[40]
    assert (s40.rubrik, s40.diarienummer, s40.dnr_norm) == (
        "Rekrytering av välfärdschef",
        "NKBY/482/01.01.01.07/2022",
        "NKBY-2022-482",
    )
    assert (s40.page_start, s40.page_end) == (3, 4)
    assert s40.page_at(s40.text.index("Fortsättning")) == 4
    assert {p.kind for p in s40.parts} >= {"forslag", "beslut"}
    assert next(p for p in s40.parts if p.kind == "forslag").label == "Stadsdirektörens förslag"
    assert secs[41].rubrik == "Mötestider 2022"


@pytest.mark.parametrize(
    "text, kinds",
    [
        (
            "§ 5 Rubrik\nBakgrund text.\nYrkande\nOrdförande yrkar bifall.\nKommunstyrelsens beslut\nBifall.\n"
            "Protokollsutdrag till\nEkonomi",
            ["arende", "yrkande", "beslut", "skickas_till"],
        ),
        (
            "Titel\nFörslag till beslut i kommunfullmäktige\n1. Godkänns.\nÄrendebeskrivning\nText.\nSändlista\n- KS",
            ["forslag", "arende", "skickas_till"],
        ),
        (
            "§ 7 X\nArbetsutskottets förslag\nAtt godkänna.\nBeslut\nGodkänt.\nExpedieras:\nAlla",
            ["forslag", "beslut", "skickas_till"],
        ),
        ("§ 8 Y\nUnderlag till beslut\nTjänsteskrivelse\nNämndens beslut\nOk.", ["ovrigt", "beslut"]),
    ],
)
def test_find_parts(text, kinds):
    assert [p.kind for p in find_parts(text)] == kinds


def test_format_report(parsed):
    report = format_report([parsed["003"], parsed["001"]])
    assert "Strömsunds kommun" in report and "Gnesta kommun" in report
    assert re.search(r"§ 23\s+VSF\.2024\.8\s+Höjning av avgift", report)
    assert "SN.2023.62" in report and "beslut" in report


@pytest.mark.parametrize("prefix", ["000", "001", "003", "004"])
def test_cleaned_text_segments_the_same(parsed, prefix):
    """The segmenter runs after ingest.clean: the citable units must survive cleaning."""
    cleaned = segment(clean_document(_corpus_raw(prefix)))

    def key(pd):
        return [
            (s.kind, s.paragraf, s.diarienummer)
            for s in pd.sections
            if s.kind in ("paragraf", "tjansteskrivelse")
        ]

    assert key(cleaned) == key(parsed[prefix])
    assert cleaned.document.kommun == parsed[prefix].document.kommun
    assert cleaned.document.datum == parsed[prefix].document.datum
