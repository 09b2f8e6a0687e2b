"""The verifier: a generated answer counts only if every fact in it is in the source it cites."""

from __future__ import annotations

import pytest

from assistent.verify import cited_numbers, repair, verify_answer
from grund.prompts import CANNOT_ANSWER

SOURCES = [
    "Socialnämnden beslutar att avgiften för hemsjukvård höjs till 400 kronor per månad "
    "från den 1 april 2024. Dnr SN 2023/62.",
    "Resultatet för perioden uppgår till 6 914,4 tkr. Sammanträdet hölls den 21 februari 2024.",
]


@pytest.mark.parametrize(
    "answer, problem",
    [
        ("Avgiften höjs till 500 kronor per månad [1].", "talet 500"),
        ("Avgiften höjs till 500 kronor per månad. [1]", "talet 500"),
        ("Beslutet gäller från den 1 maj 2024 [1].", "talet 5 "),
        ("Sammanträdet hölls 2024-02-22 [2].", "talet 22"),
        # the amount is real, but in source [2], not in the cited [1]
        ("Resultatet uppgår till 6 914,4 tkr [1].", "talet 6914,4"),
        ("Avgiften höjs till 400 kronor [7].", "källa [7]"),
        ("Avgiften höjs till 400 kronor [1, 7].", "källa [7]"),
        ("Avgiften höjs till 400 kronor per månad.", "påstående utan källa"),
        ("Avgiften höjs [1]. Den blir 400 kronor.", "påstående utan källa"),
        ("Ärendet har diarienummer SN 2023/63 [1].", "diarienumret SN-2023-63"),
        ("Avgiften höjs enligt nämnden.", "hänvisar inte till någon källa"),
        ("[1] Varför höjs avgiften för hemsjukvård?", "hänvisar inte till någon källa"),
        ("[1] 400\n\n[2] 21", "tal utan sammanhang"),
        ("   ", "tomt svar"),
    ],
)
def test_rejects_invented_or_unsourced_facts(answer, problem):
    v = verify_answer(answer, SOURCES)
    assert not v.ok
    assert problem in v.reason + " "


@pytest.mark.parametrize(
    "answer",
    [
        "Avgiften för hemsjukvård höjs till 400 kronor per månad [1].",
        "Avgiften höjs till 400 kronor. [1] Resultatet är 6 914,4 tkr.[2]",
        "Resultatet uppgår till 6914,4 tkr [2].",
        "Resultatet uppgår till 6\u00a0914,4 tkr [2].",
        "Resultatet uppgår till 6914.4 tkr [2].",
        "Sammanträdet hölls 2024-02-21 [2].",
        "Sammanträdet hölls den 21 februari 2024 [2].",
        "Avgiften gäller från 2024-04-01 [1].",
        "Ärendet har dnr SN.2023.62 [1].",
        "Ärendet (SN 2023/62) gäller avgiften [1].",
        "Avgiften blir 400 kronor [1] och resultatet 6 914,4 tkr [2].",
        "Avgiften blir 400 kronor och resultatet 6 914,4 tkr [1, 2].",
        "Avgiften blir 400 kronor och resultatet 6 914,4 tkr [1][2].",
        "Nämnden beslutade:\n3. Avgiften höjs till 400 kronor [1].\n- Resultatet är 6 914,4 tkr [2].",
        "Avgiften höjs till 400 kronor [1].\nKällor: [1] Socialnämnden, 2023",
        CANNOT_ANSWER,
    ],
)
def test_accepts_faithful_answers(answer):
    v = verify_answer(answer, SOURCES)
    assert v.ok, v.problems


@pytest.mark.parametrize(
    "answer, kept, dropped",
    [
        (
            "Avgiften höjs till 400 kronor [1]. Den höjs sedan till 900 kronor [1].",
            "Avgiften höjs till 400 kronor [1].",
            "900",
        ),
        (
            "Resultatet är 6 914,4 tkr [2]. Se även källa [9]. Avgiften är 400 kronor [1].",
            "Resultatet är 6 914,4 tkr [2]. Avgiften är 400 kronor [1].",
            "[9]",
        ),
        (
            "Avgiften höjs till 400 kronor. [1] Beslutet togs 2019.",
            "Avgiften höjs till 400 kronor [1].",
            "2019",
        ),
    ],
)
def test_repair_drops_only_failing_sentences(answer, kept, dropped):
    v = verify_answer(answer, SOURCES)
    assert not v.ok
    fixed = repair(answer, v)
    assert fixed == kept
    assert dropped not in fixed
    assert verify_answer(fixed, SOURCES).ok


@pytest.mark.parametrize(
    "answer",
    [
        "Avgiften höjs till 500 kronor [1].",
        "Avgiften höjs till 400 kronor [3]. Resultatet är 7 000 tkr [2].",
    ],
)
def test_repair_gives_up_when_nothing_cited_is_left(answer):
    assert repair(answer, verify_answer(answer, SOURCES)) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a [2] b [1] c [2]", [2, 1]),
        ("a [1, 3] b [2][3]", [1, 3, 2]),
        ("inga källor", []),
    ],
)
def test_cited_numbers(text, expected):
    assert cited_numbers(text) == expected


def test_repair_removes_the_marker_of_a_dropped_list_item():
    answer = (
        "Nämnden beslutade:\n1. Avgiften höjs till 400 kronor [1].\n2. Den sänks 2030 till 100 kronor [1]."
    )
    fixed = repair(answer, verify_answer(answer, SOURCES))
    assert fixed == "Nämnden beslutade:\n1. Avgiften höjs till 400 kronor [1]."


@pytest.mark.parametrize(
    "answer",
    [
        "Sammanträdet hölls den 21 februari 2024 kl. 14.00 i Kommunhuset [2].",
        "Nämnden höjer bl.a. avgiften för hemsjukvård till 400 kronor per månad [1].",
    ],
)
def test_an_abbreviation_does_not_end_the_sentence_and_leave_half_of_it_unsourced(answer):
    sources = [SOURCES[0], SOURCES[1].replace("2024.", "2024 kl. 14.00 i Kommunhuset.")]
    v = verify_answer(answer, sources)
    assert v.ok, v.reason
