"""Question features: how much each question word weighs when the documents lack it."""

from __future__ import annotations

import pytest

from assistent.engine.features import VERB_WEIGHT, term_weight, verb_form


@pytest.mark.parametrize(
    ("word", "verb"),
    [
        ("höjs", True), ("minskade", True), ("pekas", True), ("kommit", True), ("röstade", True),
        ("kostar", True), ("beviljas", True),
        ("kronor", False), ("avgiften", False), ("barnutredningar", False), ("förskolor", False),
        ("halvåret", False), ("ledamöterna", False), ("timmar", False),
    ],
)  # fmt: skip
def test_an_inflected_verb_is_told_from_a_noun(word, verb):
    assert verb_form(word) is verb


def test_a_questions_verb_weighs_less_than_its_nouns():
    """The verb of a question is often paraphrased ("pekas ut" / "bedöms", "flytta in" / "öppnar");
    its weight is VERB_WEIGHT of what its frequency alone gives, a noun's is not reduced."""
    from grund.textproc import zipf

    def by_frequency(w: str) -> float:
        return min(4.0, max(1.0, 1.0 + (5.0 - zipf(w))))

    for verb in ("pekas", "minskade", "röstade"):
        assert term_weight(verb) == pytest.approx(VERB_WEIGHT * by_frequency(verb))
    for noun in ("risken", "avgiften", "uteserveringar"):
        assert term_weight(noun) == pytest.approx(by_frequency(noun))


@pytest.mark.parametrize(
    ("text", "quotable"),
    [
        ("Orsaken är försenade leveranser av insamlingsfordon", True),  # Alingsås: a reason without its full stop
        ("Mål: minskat matsvinn med tio procent", True),  # Strängnäs: a goal printed as a heading
        ("Ekonomi och verksamhet", False),  # a real sub-heading
        ("Investeringsprognos", False),  # the section's own title
    ],
)
def test_a_heading_joins_an_answer_as_context_only_when_it_reads_as_a_statement(text, quotable):
    from assistent.engine.compose import _quotable
    from assistent.engine.features import Candidate
    from grund.records import Passage, Section, Unit

    s = Section(id="d-s0", document_id="d", index=0, kind="text", text=text, rubrik="Investeringsprognos")
    c = Candidate(Unit(text=text, kind="heading"), s, Passage(text=text, fil="d.pdf"), 0, 0)
    assert _quotable(c) is quotable


@pytest.mark.parametrize(
    ("beslut", "brings_proposal"),
    [
        ("Stadsstyrelsens beslut i enlighet med stadsdirektörens förslag.", True),  # Nykarleby
        ("Enligt förslag.", True),
        ("Socialnämnden beslutar enligt ordförandens yrkande.", True),
        ("Socialnämnden beslutar att höja avgiften för hemsjukvård från 300 till 400 kronor per månad.", False),
    ],
)
def test_a_beslut_that_only_points_to_the_proposal_quotes_the_proposal(beslut, brings_proposal):
    from assistent.engine.compose import _decision_text
    from grund.records import Section, SectionPart

    forslag = "### Stadsstyrelsen beviljar anhållan om 7 283,73 euro för uppsökande ungdomsarbete."
    parts = [SectionPart(kind="forslag", text=forslag), SectionPart(kind="beslut", text=beslut)]
    s = Section(id="d-s0", document_id="d", index=0, kind="paragraf", text=f"{forslag}\n{beslut}", parts=parts)
    kind, text = _decision_text(s, None)
    assert kind == "beslut" and text.startswith(beslut)
    assert ("7 283,73 euro" in text) is brings_proposal and "###" not in text
