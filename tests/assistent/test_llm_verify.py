"""The verifier against non-answers: what a small model writes when it has nothing to say.

The sources are written as the model sees them (assistent.llm.source_text: a label line, then
the text); the answers are the shapes Qwen2.5-0.5B produced on the dev set.
"""

from __future__ import annotations

import pytest

from assistent.verify import verify_answer

SOURCES = [
    "Gnesta kommun · Socialnämnden · 2023-09-26 · SN.2023.69 — Uppföljning av internkontrollplan\n"
    "Kontrollen av handläggningen av personlig assistans är ej genomförd. En informationsmiss vid "
    "chefsbyte ledde till att kontrollen ej är genomförd.",
    "Gnesta kommun · Socialnämnden · 2023-03-21 · SN.2023.12 — Kallelse\n"
    "ANDTS-utbildning för föräldrar genomförd 15/3 2023. 120 deltagare. Utbildning planeras årligen.",
]
YESNO = "Har Gnesta genomfört internkontrollen av ärenden om personlig assistans 2023?"
COUNT = "Hur många föräldrar kom på ANDTS-kvällen i Gnesta i mars 2023?"


@pytest.mark.parametrize(
    "answer, question, reason",
    [
        ("[1]", YESNO, "inget påstående"),
        ("[1][2]", YESNO, "inget påstående"),
        ("[2] 120", COUNT, "tal utan sammanhang"),
        # the question restated, with a citation
        ("Har Gnesta genomfört internkontrollen av personlig assistans 2023 [1].", YESNO, "inget påstående"),
        # the label line copied (seen three times in twelve dev questions)
        ("[1] [n] 2023-09-26 - SN.2023.69 — Uppföljning av internkontrollplan", YESNO, "rubriker"),
        ("Gnesta kommun, Socialnämnden, 2023-03-21, Kallelse [2].", COUNT, "rubriker"),
        # a real sentence of the cited source that has no count in it
        ("Utbildning planeras årligen för föräldrar [2].", COUNT, "anger inget antal"),
        # a sentence of source [1] cited as [2]
        (
            "Kontrollen av handläggningen av personlig assistans är ej genomförd [2].",
            YESNO,
            "stämmer inte med källan [2]",
        ),
        # a count, but of something else than the question asks about
        (
            "Det fanns 120 deltagare i utbildningen om internkontroll [2].",
            "Hur många ärenden granskades?",
            "anger inget antal",
        ),
    ],
)
def test_non_answers_are_rejected(answer, question, reason):
    v = verify_answer(answer, SOURCES, question)
    assert not v.ok, answer
    assert reason in v.reason, v.reason


@pytest.mark.parametrize(
    "answer, question",
    [
        ("Nej, kontrollen är ej genomförd på grund av en informationsmiss vid chefsbyte [1].", YESNO),
        ("Det kom 120 föräldrar till ANDTS-utbildningen den 15 mars 2023 [2].", COUNT),
        # the label's date and dnr may be used beside a statement
        ("Enligt uppföljningen 2023-09-26 (SN.2023.69) är kontrollen ej genomförd [1].", YESNO),
    ],
)
def test_real_answers_pass(answer, question):
    v = verify_answer(answer, SOURCES, question)
    assert v.ok, v.problems


def test_a_count_must_stand_by_what_the_question_counts():
    # strict like the answer engine (kinds.focus): "120 deltagare" does not answer "hur många
    # föräldrar" although a reader would take it so; such an answer falls back to the extractive one
    assert not verify_answer("ANDTS-utbildningen hade 120 deltagare [2].", SOURCES, COUNT).ok


def test_without_the_question_only_the_source_checks_apply():
    # the kind check needs the question; the claim itself is sourced
    assert verify_answer("Utbildning planeras årligen för föräldrar [2].", SOURCES).ok
