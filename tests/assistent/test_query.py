"""Question parsing: references, dates, kommun, nämnd, document type, intent, follow-ups."""

from __future__ import annotations

import datetime as dt

import pytest

from assistent.followup import contextualize, is_followup
from assistent.query import parse_query

KNOWN = ["Strömsunds kommun", "Solna stad", "Gnesta kommun", "Strängnäs kommun"]


@pytest.mark.parametrize(
    ("question", "display", "norm"),
    [
        ("Vad gäller ärende SN.2023.75?", "SN.2023.75", "SN-2023-75"),
        ("vad gäller sn 2023 62", "sn 2023 62", "SN-2023-62"),
        ("ärende SN2023/62", "SN2023/62", "SN-2023-62"),
        ("Vad är Dnr SN/2023:875 och vem har beslutat det?", "SN/2023:875", "SN-2023-875"),
        ("beslut i sn.2023.62 om avgifter", "sn.2023.62", "SN-2023-62"),
        ("Diarienummer VSF.2023.59", "VSF.2023.59", "VSF-2023-59"),
    ],
)
def test_diarienummer_forms(question, display, norm):
    p = parse_query(question)
    assert p.dnr == [display] and p.dnr_norm == [norm]


@pytest.mark.parametrize("question", ["Vad hände i mars 2023 12 gånger?", "Hur många barn 2023?", "budget 2024 33 mkr"])
def test_no_false_diarienummer(question):
    assert parse_query(question).dnr == []


@pytest.mark.parametrize(
    ("question", "paragrafer"),
    [
        ("Vad handlar § 26 om?", [26]),
        ("Vad står i §26", [26]),
        ("paragraf 26", [26]),
        ("beslutet i 26 § om avgifter", [26]),
        ("§§ 23-24 i protokollet", [23, 24]),
        ("§§ 14–16", [14, 15, 16]),
        ("paragraf 26 och 27", [26, 27]),
        ("Vad gäller SN.2023.62?", []),
    ],
)
def test_paragraf_forms(question, paragrafer):
    assert parse_query(question).paragrafer == paragrafer


@pytest.mark.parametrize(
    ("question", "date_from", "date_to"),
    [
        ("Vad beslutade socialnämnden i februari 2024?", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("Vad handlar § 26 om i protokollet från 21 februari 2024?", dt.date(2024, 2, 21), dt.date(2024, 2, 21)),
        ("Vilka ärenden tog nämnden upp i okt 2023?", dt.date(2023, 10, 1), dt.date(2023, 10, 31)),
        ("sammanträdet 2023-10-03", dt.date(2023, 10, 3), dt.date(2023, 10, 3)),
        # Finland's Swedish-speaking kommuner: day.month.year
        ("Vad behandlades under 44 § på välfärdsnämndens möte 15.9.2022?", dt.date(2022, 9, 15), dt.date(2022, 9, 15)),
        ("Vad tog rådet upp den 24.05.2023?", dt.date(2023, 5, 24), dt.date(2023, 5, 24)),
        ("Vad säger version 1.5.2023.4 av planen?", None, None),
        ("Vad beslutade KS under 2023?", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
        # topic, not meeting date
        ("vilka mål har socialnämnden för 2024?", None, None),
        ("Vad beslutade socialnämnden om bokslutet för 2023?", None, None),
        ("Gick socialnämnden med underskott 2023?", None, None),
        ("Hur många föräldrar kom på ANDTS-kvällen i mars 2023?", None, None),
    ],
)
def test_dates_only_filter_in_meeting_context(question, date_from, date_to):
    p = parse_query(question)
    assert (p.date_from, p.date_to) == (date_from, date_to)


def test_years_listed_whether_filter_or_topic():
    p = parse_query("Vad beslutade nämnden om målen för 2023 och budgeten för 2024? Dnr SN.2022.5")
    assert p.years == [2023, 2024]


@pytest.mark.parametrize(
    ("question", "kommun"),
    [
        ("Vad beslutade socialnämnden i Strömsund?", "Strömsunds kommun"),
        ("strömsunds socialnämnd", "Strömsunds kommun"),
        ("hur manga barnutredingar i stromsund", "Strömsunds kommun"),
        ("vilka mål har socialnämnden i Solna", "Solna stad"),
        ("När ska Solnas nya anhörigpolicy vara klar?", "Solna stad"),
        ("solna soc invensteringsbudget 2024", "Solna stad"),
        ("nar borjar man anvanda cosmic i strangnas socialkontor?", "Strängnäs kommun"),
        ("Hur är det i Umeå?", "Umeå kommun"),  # national list
        ("Vad gäller i Vara kommun?", "Vara kommun"),
        ("När ska policyn vara klar?", None),  # "vara" the verb
        ("Vilka insatser ingår i planen?", None),  # "ingår" is not Ingå
    ],
)
def test_kommun(question, kommun):
    assert parse_query(question, known_kommuner=KNOWN).kommun == kommun


@pytest.mark.parametrize(
    ("question", "known", "namnd"),
    [
        ("Vad beslutade socialnämnden?", [], "Socialnämnden"),
        ("socialnamndens mål", [], "Socialnämnden"),
        ("solna soc budget", [], "Socialnämnden"),
        ("nar o var sitter ifo-utskottet i solna?", [], "IFO-utskottet"),
        ("Biföll kommunfullmäktige motionen?", [], "Kommunfullmäktige"),
        ("Vad beslutade KS?", [], "Kommunstyrelsen"),
        ("Vad har barn- och utbildningsnämnden beslutat?", [], "Barn- och utbildningsnämnden"),
        ("Vad har barn- och utbildningsnämnden beslutat?", ["Barn- och Utbildningsnämnden"], "Barn- och Utbildningsnämnden"),
        ("Strömsunds socialnämndsprotokoll", [], "Socialnämnden"),
        ("Vad beslutade nämnden i § 17?", [], None),
    ],
)
def test_namnd(question, known, namnd):
    assert parse_query(question, known_namnder=known).namnd == namnd


@pytest.mark.parametrize(
    ("question", "doctype"),
    [
        ("vem ska justera protokollet?", "protokoll"),
        ("Strömsunds socialnämndsprotokoll från februari", "protokoll"),
        ("Vad står i kallelsen?", "kallelse"),
        ("föredragningslistan för oktober", "kallelse"),
        ("Vilka mål står i kontorsplanen?", "plan"),
        ("verksamhetsplanen och budgeten för 2024", "plan"),
        ("Vad säger riktlinjen?", "riktlinje"),
        ("Vad säger policyn om resor?", "riktlinje"),
        ("enligt tjänsteskrivelsen", "tjansteskrivelse"),
        ("Vad stod i månadsbrevet?", "rapport"),
        ("årsrapporten för 2023", "rapport"),
        ("handlingsplanen mot våld", None),
        ("Hur mycket höjs avgiften?", None),
    ],
)
def test_dokumenttyp(question, doctype):
    assert parse_query(question).dokumenttyp == doctype


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Vad beslutade socialnämnden i Strömsund om bokslutet för 2023?", "decision"),
        ("Vad föreslås socialnämnden i Solna besluta om verksamhetsplanen?", "decision"),
        ("Vad ska nämnden besluta om rapporten?", "decision"),
        ("Har kommunfullmäktige fastställt reglementet?", "decision"),
        ("Biföll kommunfullmäktige motionen?", "decision"),
        ("Har socialnämnden godkänt avtalet?", "decision"),
        ("Vad föreslås socialnämnden besluta i ärende SN.2023.68 om samverkan?", "decision"),
        ("Vad gäller ärende SN.2023.75?", "lookup"),
        ("Vad handlar § 26 om?", "lookup"),
        ("Vad är Dnr SN/2023:875 och vem har beslutat det?", "lookup"),
        ("SN.2023.73", "lookup"),
        ("Hur ska socialnämnden i Solna jobba för att barn inte ska fara illa?", "policy"),
        ("Hur arbetar förvaltningen med miljö?", "policy"),
        ("vilka mål har socialnämnden i Solna för 2024?", "policy"),
        ("Vilka fokusområden har socialkontoret för 2024?", "policy"),
        ("Vilka insatser ingår i handlingsplanen?", "policy"),
        ("När är nästa sammanträde med socialnämnden?", "fact"),
        ("Hur många hushåll fick ekonomiskt bistånd under 2023?", "fact"),
        ("Hur mycket fick Gnesta i statsbidrag?", "fact"),
        ("Vem ska justera protokollet?", "fact"),
        ("Varför går hemtjänsten med underskott?", "fact"),
        ("Hur många platser har härbärget i § 12?", "fact"),
    ],
)
def test_intent(question, intent):
    assert parse_query(question).intent == intent


def test_search_text_keeps_references():
    p = parse_query("  Vad gäller\närende SN.2023.75 ?")
    assert p.search_text == "Vad gäller ärende SN.2023.75 ?"
    assert p.text == "  Vad gäller\närende SN.2023.75 ?"


PREVIOUS = "vad beslutade socialnämnden i Strömsund om hemsjukvård?"


@pytest.mark.parametrize(
    ("question", "followup"),
    [
        ("och vad kostar det?", True),
        ("vad kostar det?", True),
        ("men i Gnesta?", True),
        ("när beslutades den?", True),
        ("Hur många platser finns på särskilt boende i Gnesta?", False),
        ("vad gäller SN.2023.62?", False),
        ("hur mycket höjs avgiften?", False),
        ("", False),
    ],
)
def test_is_followup(question, followup):
    assert is_followup(question) is followup


def test_contextualize_carries_topic_and_kommun():
    out = contextualize("och vad kostar det?", [PREVIOUS])
    assert out.startswith("och vad kostar det?")
    assert "Strömsund" in out and "hemsjukvård" in out


def test_contextualize_new_kommun_replaces_old():
    out = contextualize("och i Gnesta?", [PREVIOUS])
    assert "Gnesta" in out and "hemsjukvård" in out and "Strömsund" not in out


def test_contextualize_carries_references_through_a_chain():
    out = contextualize("och när?", ["vad gäller SN.2023.62?", "vad kostar det?"])
    assert "SN.2023.62" in out


@pytest.mark.parametrize("history", [[], [PREVIOUS]])
def test_contextualize_leaves_standalone_questions(history):
    q = "Hur många platser finns på särskilt boende i Gnesta?"
    assert contextualize(q, history) == q


@pytest.mark.parametrize(
    "question, norm",
    [
        # upper-casing a typed question must not make an ordinary word a registry prefix
        ("vad gäller ärende 2026.266 KS?", ["KS-2026-266"]),
        ("Vad gäller ärende 2026.112 KS i fullmäktige?", ["KS-2026-112"]),
        ("vad beslutades i 2026.266 ks", ["KS-2026-266"]),
        ("ärende ks 2026/123", ["KS-2026-123"]),
        ("dnr 2026-0148 bmn", ["BMN-2026-148"]),
        ("Vad gäller ärende VSF.2024.8?", ["VSF-2024-8"]),
    ],
)
def test_dnr_in_typed_questions(question, norm):
    assert parse_query(question, [], []).dnr_norm == norm
