"""Metrics: a perfect system scores 1, an empty one 0, and each metric reacts to its own failure."""

from __future__ import annotations

import pytest

from eval.gold import GoldQuestion, GoldSource
from eval.metrics import (
    LOWER_BETTER,
    METRICS,
    asks_which,
    coverage,
    facts_present,
    first_hit_rank,
    hits,
    mean_scores,
    percentiles,
    same_label,
    score_question,
)
from grund.records import Answer, Citation, Passage

FIL = "003_protokoll.txt"
SRC = GoldSource(
    file=FIL,
    diarienummer="SN.2023.261",
    paragraf="§ 19",
    heading="Revidering av reglemente",
    quote="Socialnämnden godkänner förslag till reglemente för socialnämnden.",
)
SRC2 = GoldSource(
    file="004_plan.txt",
    diarienummer="SN/2023:88",
    quote="Sammanträdesdagar 2024: 12 februari och 3 december.",
)
QUESTIONS = [
    GoldQuestion(
        id="a",
        question="Vad beslutade nämnden om reglementet?",
        kind="decision",
        sources=[SRC],
        facts=[["godkänner"], ["reglemente"]],
    ),  # fmt: skip
    GoldQuestion(
        id="b",
        question="När sammanträder nämnden?",
        kind="ambiguous",
        sources=[SRC, SRC2],
        facts=[["reglemente"], ["12 februari"]],
    ),  # fmt: skip
    GoldQuestion(id="c", question="Hur många platser har härbärget?", kind="unanswerable"),
]


def passage(src: GoldSource, **kw) -> Passage:
    return Passage(fil=src.file, text=f"Inledning. {src.quote} Mer text.", diarienummer=src.diarienummer,
                   paragraf=src.paragraf, chunk_id=src.file, **kw)  # fmt: skip


def perfect(q: GoldQuestion, paragraf: str | None = None) -> tuple[list[Passage], Answer]:
    """What a flawless system returns; ``paragraf`` overrides the cited § (to make it wrong)."""
    if not q.answerable:
        return [], Answer(answer="Det framgår inte av underlaget.", abstained=True)
    passages = [passage(s) for s in q.sources]
    cites = [Citation(**p.model_dump(), n=i) for i, p in enumerate(passages, start=1)]
    if paragraf:
        cites = [c.model_copy(update={"paragraf": paragraf}) for c in cites]
    text = " ".join(group[0] for group in q.facts)
    return passages, Answer(answer=text, citations=cites, passages=passages)


def scores_of(system) -> dict:
    return mean_scores(score_question(q, "x", *system(q)) for q in QUESTIONS)


def test_perfect_system_scores_one_everywhere():
    s = scores_of(perfect)
    assert {m: s[m] for m in METRICS} == dict.fromkeys(METRICS, 1.0)
    assert {m: s[m] for m in LOWER_BETTER} == dict.fromkeys(LOWER_BETTER, 0.0)


def test_empty_system_scores_zero_everywhere():
    s = scores_of(lambda q: ([], Answer(answer="")))
    assert {m: s[m] for m in METRICS} == dict.fromkeys(METRICS, 0.0)


def test_wrong_paragraf_loses_citation_correctness_only():
    s = scores_of(lambda q: perfect(q, paragraf="§ 91"))
    assert s["cit_paragraf"] == 0.0
    assert s["cit_dnr"] == 1.0 and s["cit_precision"] == 1.0 and s["facts"] == 1.0
    r = score_question(QUESTIONS[0], "x", *perfect(QUESTIONS[0], paragraf="§ 91"))
    assert not r.passed and any("§" in reason for reason in r.reasons)


def test_abstaining_on_answerable_question_counts_as_false_abstention():
    r = score_question(QUESTIONS[0], "x", [passage(SRC)], Answer(answer="Vet inte.", abstained=True))
    assert r.scores["false_abstention"] == 1.0 and r.scores["facts"] == 0.0 and not r.passed


def test_answering_unanswerable_question_fails_abstention():
    r = score_question(QUESTIONS[2], "x", [], Answer(answer="Tio platser."))
    assert r.scores["abstention"] == 0.0 and r.reasons == ["svarade på en obesvarbar fråga"]


@pytest.mark.parametrize(
    ("answer", "covered", "expected"),
    [
        ("reglemente och 12 februari", [SRC, SRC2], 1.0),
        ("reglemente och 12 februari", [SRC], 0.0),  # only one source cited
        ("Vilken kommun menar du?", [], 1.0),  # asks which one is meant
        ("reglemente", [SRC, SRC2], 0.0),  # facts of one source only
    ],
)
def test_ambiguity_handling(answer, covered, expected):
    passages = [passage(s) for s in covered]
    cites = [Citation(**p.model_dump(), n=1) for p in passages]
    r = score_question(QUESTIONS[1], "x", passages, Answer(answer=answer, citations=cites, passages=passages))
    assert r.scores["ambiguity"] == expected


@pytest.mark.parametrize(
    ("fil", "text", "expected"),
    [
        (FIL, SRC.quote, True),
        (FIL, "Socialnämnden godkänner förslag till något annat", True),  # 5 of 7 words
        (FIL, "Socialnämnden godkänner", False),  # 2 of 7
        ("annan.txt", SRC.quote, False),  # right words, wrong file
        (FIL, SRC.quote.upper().replace(" ", "\n"), True),  # case and line breaks ignored
    ],
)
def test_hits_needs_same_file_and_half_the_quote(fil, text, expected):
    assert hits(fil, text, SRC) is expected


def test_coverage_counts_distinct_words():
    assert coverage("a b", "a a b c") == pytest.approx(2 / 3)
    assert coverage("anything", "") == 0.0


@pytest.mark.parametrize(
    ("ranked", "rank"),
    [([SRC], 1), ([SRC2, SRC], 2), ([SRC2], None), ([], None)],
)
def test_first_hit_rank(ranked, rank):
    assert first_hit_rank([passage(s) for s in ranked], [SRC]) == rank


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("Budgeten är 279\u00a0094 tkr.", [["279 094 tkr"]], [True]),
        ("ETT ÅR", [["ett år", "1 år"], ["kalenderår"]], [True, False]),
        ("1 år", [["ett år", "1 år"]], [True]),
        ("", [["x"]], [False]),
    ],
)
def test_facts_present(text, facts, expected):
    assert facts_present(text, facts) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("§ 17", "§17", True),
        ("sn.2023.62", "SN.2023.62", True),
        ("§ 17", "§ 71", False),
        ("§ 44", "44 §", True),  # Finland's Swedish protocols put the § after the number
        ("§ 44", "§ 4", False),
        (None, "§ 1", False),
    ],
)
def test_same_label(a, b, expected):
    assert same_label(a, b) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vilken kommun menar du?", True),
        ("Menar du Gnesta eller Solna?", True),
        ("Nämnden beslutade.", False),
    ],
)
def test_asks_which(text, expected):
    assert asks_which(text) is expected


def test_percentiles():
    assert percentiles(list(range(1, 101))) == {"p50": pytest.approx(50.5), "p95": pytest.approx(95.05)}
    assert percentiles([]) == {"p50": None, "p95": None}
