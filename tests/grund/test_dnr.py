"""Diarienummer and § handling."""

from __future__ import annotations

import pytest

from grund.dnr import find_diarienummer, format_paragraf, looks_like_dnr, normalize_dnr, normalize_paragraf


@pytest.mark.parametrize(
    "text, display, norm",
    [
        ("SN.2023.62", "SN.2023.62", "SN-2023-62"),
        ("Dnr: SN/2023:875", "SN/2023:875", "SN-2023-875"),
        ("VSF.2023.363", "VSF.2023.363", "VSF-2023-363"),
        ("Diarienummer: KS-2025-00512", "KS-2025-00512", "KS-2025-512"),
        ("IF-2023-00256", "IF-2023-00256", "IF-2023-256"),
        ("Diarienummer HSV-VSF.2023.112 709", "HSV-VSF.2023.112", "HSV-VSF-2023-112"),
        ("Diarienummer ÄO-VSF.2022.290 734", "ÄO-VSF.2022.290", "ÄO-VSF-2022-290"),
        ("Diarienummer IFO.2022.7 751", "IFO.2022.7", "IFO-2022-7"),
        ("BIST.2023.366", "BIST.2023.366", "BIST-2023-366"),
        ("DNR: GNU/6/2023", "GNU/6/2023", "GNU-2023-6"),
        ("ärende SN 2023/62 om", "SN 2023/62", "SN-2023-62"),
        ("Vårt dnr 2023/45", "2023/45", "2023-45"),
        ("Ärendenr KS 2023/12", "KS 2023/12", "KS-2023-12"),
        ("NKBY/497/12.03.01/2022", "NKBY/497/12.03.01/2022", "NKBY-2022-497"),
        # registry code after the number (Alingsås, MeetingPlus protokoll and Ciceron dnr)
        ("§ 113  2026.266 KS   Revidering felparkeringsavgifter", "2026.266 KS", "KS-2026-266"),
        ("Diarienr: 2026.021 KS", "2026.021 KS", "KS-2026-21"),
        ("§ 35  2026.034 SN", "2026.034 SN", "SN-2026-34"),
        ("Diarienummer: 2026-0148 BMN", "2026-0148 BMN", "BMN-2026-148"),
        ("KS 2026/123", "KS 2026/123", "KS-2026-123"),
        ("KS2024/0123", "KS2024/0123", "KS-2024-123"),
        ("Dnr KS 2024-000123", "KS 2024-000123", "KS-2024-123"),
        ("KS/2023:45", "KS/2023:45", "KS-2023-45"),
        ("SBN-2023-1234", "SBN-2023-1234", "SBN-2023-1234"),
        ("NKBY/912/00.01.01.01/2021", "NKBY/912/00.01.01.01/2021", "NKBY-2021-912"),
        ("SRV\u20132024\u201300118", "SRV\u20132024\u201300118", "SRV-2024-118"),
    ],
)
def test_find_diarienummer(text, display, norm):
    found = find_diarienummer(text)
    assert [(m.display, m.norm) for m in found] == [(display, norm)]
    assert text[found[0].start : found[0].end] == display


@pytest.mark.parametrize(
    "line, dnr",
    [
        ("Diarienummer VSF.2024.8 706", "VSF.2024.8"),
        ("Diarienummer SN.2023.373 700", "SN.2023.373"),
        ("SN.2023.373 700", "SN.2023.373"),
    ],
)
def test_filing_code_is_not_part_of_dnr(line, dnr):
    assert [m.display for m in find_diarienummer(line)] == [dnr]


@pytest.mark.parametrize(
    "text",
    [
        "Beslutad 2023-12-04",
        "tel 0152-29664",
        "enligt § 23 kommunallagen",
        "under år 2023",
        "kostar 5 000 kr",
        "Lag (2018:597) om kommunal bokföring",
        "SFS 2017:725",
        "LSS 9§9 - bostad",
        "2023-2025",
        "0158-275 000",
        "Ramar 2027-2029 KS",
        "2026.266 Kommunstyrelsen",
        "den 2026-06-15 KS",
        "2023-5 SEK",
        "Lag 2018:597 KL",
    ],
)
def test_no_false_positives(text):
    assert find_diarienummer(text) == []


@pytest.mark.parametrize(
    "form",
    ["SN.2023.62", "sn 2023 62", "SN2023/62", "SN/2023:62", "SN-2023-0062", "sn.2023.062", " SN 2023/62 "],
)
def test_normalize_dnr_forms_share_key(form):
    assert normalize_dnr(form) == "SN-2023-62"
    assert looks_like_dnr(form)


@pytest.mark.parametrize("form", ["GNU/6/2023", "GNU 2023 6", "gnu.2023.6", "GNU-2023-006"])
def test_serial_before_year_shares_key(form):
    assert normalize_dnr(form) == "GNU-2023-6"


@pytest.mark.parametrize("form", ["2026.266 KS", "KS 2026/266", "ks-2026-0266", "KS.2026.266", "2026-266 KS"])
def test_registry_code_after_number_shares_key(form):
    assert normalize_dnr(form) == "KS-2026-266"


def test_normalize_dnr_survives_huge_serial():
    # int() refuses strings over 4,300 digits; a typed URL must not crash the lookup
    assert normalize_dnr("SN.2024." + "9" * 8000).startswith("SN-2024-99")


@pytest.mark.parametrize("s", ["hej", "2023-12-04", "§ 23", "Socialnämnden 2023", "0152-29664"])
def test_looks_like_dnr_rejects(s):
    assert not looks_like_dnr(s)


@pytest.mark.parametrize(
    "s, n",
    [
        ("§ 23", 23),
        ("§23", 23),
        ("paragraf 23", 23),
        ("Paragrafen 7", 7),
        ("23 §", 23),
        ("44§", 44),
        ("12", 12),
        ("§ 14 Godkännande av föredragningslista", 14),
        ("inget", None),
        ("", None),
    ],
)
def test_normalize_paragraf(s, n):
    assert normalize_paragraf(s) == n


@pytest.mark.parametrize("n, shown", [(1, "§ 1"), (23, "§ 23"), (188, "§ 188")])
def test_format_paragraf(n, shown):
    assert format_paragraf(n) == shown
    assert normalize_paragraf(shown) == n
