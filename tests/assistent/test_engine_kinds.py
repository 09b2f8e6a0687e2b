"""The kinds registry: what a question asks for, and whether a unit provides it."""

from __future__ import annotations

import pytest

from assistent.engine.kinds import KINDS, provides, wants


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Vad kostar hemsjukvården i Strömsund?", "amount"),
        ("Vad beräknas en ny rutt kosta?", "amount"),
        ("Hur mycket fick nämnden i statsbidrag?", "amount"),
        ("Hur många hushåll fick ekonomiskt bistånd?", "count"),
        ("Vilken lön har den nya välfärdschefen?", "amount"),
        ("Vilket arvode får ordföranden i nämnden?", "amount"),
        ("Hur hög var sjukfrånvaron 2022?", "percentage"),
        ("Vilken internränta ska användas?", "percentage"),
        ("Hur ofta träffas gruppen?", "frequency"),
        ("När ska policyn vara klar?", "deadline"),
        ("Under vilken period gäller avtalet?", "period"),
        ("När öppnar det nya boendet?", "date"),
        ("Vem är ordförande i nämnden?", "person"),
        ("Från vilken leverantör köps skrivaren?", "organisation"),
        ("Var ligger den nya lokalen?", "place"),
        ("Varför går hemtjänsten med underskott?", "reason"),
        ("Vad beslutade socialnämnden om bokslutet?", "decision"),
        ("Vilka mål har nämnden för 2024?", "list"),
        ("Har nämnden ändrat sitt reglemente?", "yesno"),
    ],
)
def test_question_wants_kind(question, kind):
    assert kind in wants(question)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Hur jobbar förvaltningen med miljö när det gäller resor?", "date"),
        ("Hur många procent av eleverna är frånvarande?", "count"),
        ("När ska planen vara klar?", "date"),
    ],
)
def test_question_does_not_want_kind(question, kind):
    assert kind not in wants(question)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("amount", "Avgiften höjs till 400 kronor per månad.", True),
        ("amount", "Resultatet blev -11,2 mnkr.", True),
        ("amount", "Antal hushåll som får ekonomiskt bistånd", False),
        ("count", "Sju ärenden rapporterades.", True),
        ("count", "Beslutet fattades 2023-05-12 § 23.", False),
        ("percentage", "Sjukfrånvaron var 8,76 %.", True),
        ("frequency", "Gruppen träffas en gång per månad.", True),
        ("date", "Nästa möte hålls den 24.8.2023 i Larsmo.", True),
        ("reason", "Underskottet beror på ökade kostnader för bemanning.", True),
        ("person", "Ordförande Anna Svensson öppnade mötet.", True),
    ],
)
def test_unit_provides_kind(kind, text, expected):
    assert provides(kind, text) is expected


def test_every_kind_has_a_unique_name():
    names = [k.name for k in KINDS]
    assert len(names) == len(set(names))


def test_a_list_is_provided_by_items_and_rows_not_by_sentences():
    assert provides("list", "Ökad trygghet", "item")
    assert not provides("list", "Nämnden arbetar med trygghet.", "sentence")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Hur många platser har härbärget i Alingsås?", "platser"),
        ("hur manga lagenheter far det nya boendet?", "lagenheter"),  # typed without å/ä/ö
        ("Hur många orosanmälningar kom in 2023?", "orosanmalningar"),
        # what follows "hur mycket/många" is a verb or a function word: nothing to stand next to
        ("hur mycket okar den totala ramen 2027?", None),
        ("Hur mycket mer får kommunstyrelsen för lokalerna?", None),
        ("Hur mycket vill nämnden investera i Tobisviksbadet?", None),
        ("Hur mycket blir medlemsbidraget 2027?", None),
    ],
)
def test_the_focus_of_a_count_or_amount_question_is_a_noun(question, expected):
    from assistent.engine.kinds import focus

    assert focus(question) == expected


@pytest.mark.parametrize(
    ("question", "unit", "context", "given"),
    [
        # Gnesta's staff table: the row has the figures, its caption names what is counted
        ("Hur många anställda hade förvaltningen?", "Urval: Totalt; Jan-jun 2023: 335", "Tabell 1. Antal anställda i socialförvaltningen.", True),
        # Strängnäs: "underskott" said as "negativ avvikelse" (a synonym group)
        ("Hur stort underskott hade nämnden?", "en negativ avvikelse mot budget med 35,5 miljoner kronor", "Ekonomi och verksamhet", True),
        # Alingsås: an amount next to other words, under a heading about something else, is no answer
        ("Hur många platser har härbärget?", "Ramen ökar med 40 tkr för lokaler.", "Budget 2027 kommunstyrelsen", False),
    ],
)
def test_a_count_or_amount_is_about_the_focus_when_its_caption_or_a_synonym_names_it(question, unit, context, given):
    from assistent.engine.kinds import focus, focus_stems, provided
    from grund.synonyms import synonyms_for
    from grund.textproc import restore_diacritics

    f = focus(question)
    stems = focus_stems(f, tuple(synonyms_for(restore_diacritics(f or ""))))
    got = provided(wants(question), unit, "row" if "|" in unit or ";" in unit else "sentence", stems, context)
    assert bool(set(got) & {"count", "amount", "magnitude"}) is given


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("Omröstning genomförs där 7 röstar ja och 4 nej.", True),
        ("Mot beslutet reserverar sig Anna Berg (M) till förmån för eget yrkande.", True),
        ("Ordföranden ställer proposition och finner att nämnden bifaller förslaget.", False),
        ("Socialnämnden beslutar att föreslå kommunfullmäktige att höja avgiften.", False),
    ],
)
def test_a_vote_is_provided_only_where_the_protocol_records_one(text, given):
    """Near misses in three kommuner's protocols ask how members voted where no vote was held."""
    assert "vote" in wants("Hur röstade ledamöterna om avgiften?")
    assert "vote" in wants("reserverade sig nagon mot beslutet")
    assert provides("vote", text) is given
