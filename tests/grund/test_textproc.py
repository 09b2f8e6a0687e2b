"""The Swedish analyzer: folding, stopwords, stemming, compounds, reference tokens, speed."""

from __future__ import annotations

import time

import pytest

from grund.textproc import analyze, fold, is_stopword, restore_diacritics, split_compound, stem, words
from tests.conftest import CORPUS


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Strömsund", "stromsund"), ("SOCIALNÄMNDEN", "socialnamnden"), ("Återhämtning", "aterhamtning"), ("idé", "ide")],
)
def test_fold_drops_diacritics_and_case(text, folded):
    assert fold(text) == folded


def test_words_keeps_reference_tokens_whole():
    assert words("Dnr SN/2023:875, § 16: -11,2 mnkr 2023") == ["dnr", "sn/2023:875", "16", "11,2", "mnkr", "2023"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("socialnämnden", "socialnämndens"),
        ("barnutredningar", "barnutredningen"),
        ("beslutade", "beslut"),
        ("socialnamnden", "socialnämnden"),  # typed without å/ä/ö
        ("stromsund", "Strömsund"),
    ],
)
def test_inflections_and_missing_diacritics_share_a_stem(a, b):
    assert analyze(a)[0] == analyze(b)[0]


@pytest.mark.parametrize("word", ["och", "att", "när", "nar", "på", "pa", "vad", "är"])
def test_stopwords_dropped_with_or_without_diacritics(word):
    assert is_stopword(word)
    assert analyze(f"{word} hemtjänst") == analyze("hemtjänst")


def test_word_with_diacritic_is_not_mistaken_for_folded_stopword():
    # "år" folds to "ar", which is also the folded stopword "är": the year must survive.
    assert analyze("år") == ["ar"]


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("hemsjukvårdsavgift", ("hem", "sjukvård", "avgift")),
        ("försörjningsstöd", ("försörjning", "stöd")),
        ("investeringsbudget", ("investering", "budget")),
        ("barnutredningar", ("barn", "utredningar")),
        ("delårsrapport", ("delår", "rapport")),  # not del + årsrapport
        ("delårsrapporten", ("delår", "rapporten")),
        ("verksamhetsplanen", ("verksamhet", "planen")),
        ("skolfrånvaro", ("skol", "frånvaro")),  # skola without its final vowel
        ("familjerådgivningen", ("familj", "rådgivningen")),  # linking -e-
    ],
)
def test_compound_splitting(word, parts):
    assert split_compound(word) == parts


@pytest.mark.parametrize("word", ["ordförande", "verksamhet", "strömsund", "strängnäs", "hemtjänst", "2023"])
def test_common_short_or_simple_words_are_not_split(word):
    assert split_compound(word) == ()


def test_analyze_adds_compound_part_stems():
    terms = analyze("Hemsjukvårdsavgiften höjs")
    assert terms[0] == stem("hemsjukvårdsavgiften")
    assert {"hem", "sjukvard", "avgift"} <= set(terms)
    assert "arsrapport" not in analyze("delårsrapporten")


def test_analyze_without_compounds_gives_one_term_per_word():
    assert analyze("hemsjukvårdsavgiften höjs", compounds=False) == [stem("hemsjukvårdsavgiften"), stem("höjs")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ärende SN.2023.62", ["sn.2023.62", "sn", "2023", "62"]),
        ("SN/2023:62", ["sn.2023.62", "sn", "2023", "62"]),
        ("underskott på -11,2 mnkr", ["11,2"]),
        ("3.6 mnkr", ["3,6"]),
    ],
)
def test_reference_and_number_terms(text, expected):
    terms = analyze(text)
    pos = terms.index(expected[0])
    assert terms[pos : pos + len(expected)] == expected


def test_whole_corpus_is_analyzed_fast():
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    analyze("värm upp frekvenstabellen")  # table load (~0.4 s) is a one-off, not per text
    start = time.perf_counter()
    n = sum(len(analyze(t)) for t in texts)
    elapsed = time.perf_counter() - start
    assert n > 30_000
    assert elapsed < 2.0, f"{elapsed:.2f} s"


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        ("hemsjukvardsavgiften", "hemsjukvårdsavgiften"),  # compound, part by part
        ("hogstadiet", "högstadiet"),
        ("uppsagningstid", "uppsägningstid"),
        ("har", "har"),  # the more frequent reading wins over "här"
        ("strömsund", "strömsund"),  # already has its diacritics
        ("xqzvw", "xqzvw"),
    ],
)
def test_restore_diacritics(typed, restored):
    assert restore_diacritics(typed) == restored
