"""Document metadata from content (never from the file name)."""

from __future__ import annotations

import datetime as dt

import pytest

from grund.kommuner import KOMMUNER, SVERIGE, display_name
from ingest.metadata import detect_doctype, detect_kommun, detect_own_dnr
from ingest.metadata_evidence import detect_date, detect_namnd
from tests.conftest import CORPUS


def _corpus(prefix: str) -> str:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "prefix, doctype, kommun, namnd, datum, dnr",
    [
        ("000", "tjansteskrivelse", "Strängnäs kommun", "Socialnämnden", None, None),
        ("001", "kallelse", "Gnesta kommun", "Socialnämnden", dt.date(2023, 10, 3), None),
        ("002", "plan", "Strängnäs kommun", "Socialnämnden", dt.date(2023, 12, 4), "SN/2023:875"),
        ("003", "protokoll", "Strömsunds kommun", "Socialnämnden", dt.date(2024, 2, 21), None),
        ("004", "tjansteskrivelse", "Solna stad", "Socialnämnden", dt.date(2023, 11, 28), "SN/2023:1"),
    ],
)
def test_corpus_metadata(prefix, doctype, kommun, namnd, datum, dnr):
    text = _corpus(prefix)
    assert detect_doctype(text) == doctype
    assert detect_kommun(text) == kommun
    assert detect_namnd(text) == namnd
    if datum:
        assert detect_date(text, doctype) == datum
    assert detect_own_dnr(text, doctype) == dnr


def test_kommun_list_is_complete():
    assert len(SVERIGE) == len(set(SVERIGE)) == 290
    assert KOMMUNER["Nykarleby"] == "Nykarleby stad"


@pytest.mark.parametrize(
    "name, shown",
    [
        ("Strömsund", "Strömsunds kommun"),
        ("Gnesta", "Gnesta kommun"),
        ("Solna", "Solna stad"),
        ("Strängnäs", "Strängnäs kommun"),
        ("Simrishamn", "Simrishamns kommun"),
        ("Sundsvall", "Sundsvalls kommun"),
        ("Dals-Ed", "Dals-Eds kommun"),
        ("Upplands Väsby", "Upplands Väsby kommun"),
        ("Gotland", "Region Gotland"),
    ],
)
def test_display_name(name, shown):
    assert display_name(name) == shown


@pytest.mark.parametrize(
    "text, kommun",
    [
        ("STRÄNGNÄS KOMMUN\nMånadsbrev", "Strängnäs kommun"),
        ("Kommunledningskontoret Västra Storgatan 15, Gnesta", "Gnesta kommun"),
        ("Handlingarna finns på www.gnesta.se", "Gnesta kommun"),
        ("Vårdtagare i Strömsunds kommun som har insatser", "Strömsunds kommun"),
        ("Protokollet publiceras på www.nykarleby.fi", "Nykarleby stad"),
        ("Solna stads verksamhet", "Solna stad"),
        ("Ring 0152-29664", None),
        ("Ett dokument utan ort.", None),
    ],
)
def test_detect_kommun_snippets(text, kommun):
    assert detect_kommun(text) == kommun


def test_kommun_prefers_whole_names():
    # "Strömsunds kommun" must not count for Sund (Åland), nor Nykarleby for Karleby
    assert detect_kommun("Strömsunds kommun och Nykarleby stad") in {"Strömsunds kommun", "Nykarleby stad"}
    assert detect_kommun("Nykarleby stad, Nykarleby stad") == "Nykarleby stad"


@pytest.mark.parametrize(
    "text, namnd",
    [
        ("Sammanträde i socialnämnden\n\nKommunstyrelsen får del av beslutet.", "Socialnämnden"),
        ("Organ\nVälfärdsnämnden\nSammanträdestid\n15.9.2022", "Välfärdsnämnden"),
        ("Sammanträdesprotokoll\nKultur- och fritidsnämnden\n", "Kultur- och fritidsnämnden"),
        ("Organ\nRådet för funktionshindrade\n", "Rådet för funktionshindrade"),
        ("Personalsektionen\nProtokoll\n", "Personalsektionen"),
        ("Protokoll\nIFO-utskottet\n", "IFO-utskottet"),
        (
            "Barn- och utbildningsnämnden\n\nBarn- och utbildningsnämndens beslut",
            "Barn- och utbildningsnämnden",
        ),
        ("Organisation: Näringsliv, kommunstyrelsekontoret", "Kommunstyrelsen"),
        ("Ingen organ här.", None),
    ],
)
def test_detect_namnd(text, namnd):
    assert detect_namnd(text) == namnd


@pytest.mark.parametrize(
    "text, doctype, datum",
    [
        ("Sammanträde\nTisdagen den 3 oktober 2023, kl. 14.00", "kallelse", dt.date(2023, 10, 3)),
        ("Socialnämnden\nden 21 februari 2024", "protokoll", dt.date(2024, 2, 21)),
        ("Sammanträdestid\n28.3.2023 kl. 15.00", "protokoll", dt.date(2023, 3, 28)),
        ("Tjänsteskrivelse\n2023-11-28\nSN/2023:1", "tjansteskrivelse", dt.date(2023, 11, 28)),
        ("Upprättad: 2023-09-26\nDiarienummer: SN.2023.38", "tjansteskrivelse", dt.date(2023, 9, 26)),
        ("Budget 2027–2031 och 2023-2025", "plan", None),
        ("Möte 2023-02-30", "ovrigt", None),
    ],
)
def test_detect_date(text, doctype, datum):
    assert detect_date(text, doctype) == datum


@pytest.mark.parametrize(
    "text, doctype",
    [
        ("Sammanträdesprotokoll\nSocialnämnden\n§ 1 Val av justerare\n\n§ 2 Dagordning", "protokoll"),
        ("Protokoll\n5/2022\nSammanträdets laglighet\n39 §\nVal av justerare\n40 §", "protokoll"),
        ("Föredragningslista\nStadsstyrelsen\n188 §\n189 §", "kallelse"),
        ("Kallelse till sammanträde\nDagordning", "kallelse"),
        ("Socialförvaltningen\nTjänsteskrivelse\n2023-11-28", "tjansteskrivelse"),
        (
            "Handläggare\nSocialnämnden\nMånadsbrev\n\nFörslag till beslut\nNämnden beslutar",
            "tjansteskrivelse",
        ),
        ("Kontorsplan 2024\nInledning", "plan"),
        ("Riktlinje för dokumentation\nSyfte", "riktlinje"),
        ("Verksamhetsberättelse 2025\nÅrsbokslut", "rapport"),
        ("Något helt annat\nText.", "ovrigt"),
    ],
)
def test_detect_doctype_snippets(text, doctype):
    assert detect_doctype(text) == doctype
