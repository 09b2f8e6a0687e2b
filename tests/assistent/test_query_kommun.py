"""_find_kommun (assistent/query.py) looks each word of the question up in an index of kommun
forms; it must find what the earlier scan did (one regex per form, earliest match, the longest
form at a tie) on every kommun name in many inflections and on every eval question."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache

import pytest

from assistent.query import _find_kommun, _kommun_forms
from grund.kommuner import KOMMUNER, genitive
from grund.textproc import fold
from tests.conftest import ROOT

KNOWN_SETS = [
    (),
    ("Strömsunds kommun", "Sundsvalls kommun", "Simrishamns kommun", "Nykarleby stad", "Alingsås kommun"),
    ("Solna stad", "Gnesta kommun", "Strängnäs kommun", "Vara kommun", "Region Gotland", "Upplands Väsby kommun"),
    ("Strömsund", "alingsås", "Nykarleby", "Sundsvalls Kommun"),  # spelt otherwise than the national list
]


@lru_cache(maxsize=8)
def _reference_forms(known: tuple[str, ...]) -> list[tuple[str, re.Pattern[str], str, bool]]:
    return [(f, re.compile(rf"(?<![\w-]){re.escape(f)}(?![\w-])"), d, a) for f, d, a in _kommun_forms(known)]


def reference_find_kommun(text: str, folded: str, known: Sequence[str]) -> str | None:
    """The scan _find_kommun replaced (before 2026-12-01): every form's regex over the question."""
    best: tuple[int, str] | None = None
    for form, rx, display, ambiguous in _reference_forms(tuple(known)):
        if form not in folded:  # (only to keep the test fast: no match without the substring)
            continue
        for m in rx.finditer(folded):
            if ambiguous and not text[m.start()].isupper():
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), display)
            break
    return best[1] if best else None


def inflections(short: str, display: str) -> list[str]:
    gen = genitive(short)
    low = short.lower()
    return [
        short, low, fold(short), short.upper(), display, display.lower(), fold(display),
        f"i {display}", f"Vad beslutade {gen} kommunstyrelse?", f"hur mycket kostar hemtjänsten i {low}?",
        f"{short}s kommun", f"{short} stad", f"i {low}s kommun", f"{gen}", f"{short}s",
        f"({short})", f"{short}, {short}.", f"{short}-borna", f"nord{low}", f"{low}ska", f"{short}:s budget",
        f"Jämför {short} och Strömsund", f"Jämför Strömsund och {short}", f"{short} 2023 dnr KS 2023/412",
        f"ska {low} vara klar", f"{short}\u00a0kommun", f"  {short}  ",
    ]  # fmt: skip


CASES = [q for short, display in KOMMUNER.items() for q in inflections(short, display)] + [
    "Alingsås", "alingsas", "Alingsås kommun", "i Strömsunds kommun", "Nykarleby stad", "ska vara klar",
    "vilka insatser ingår", "Vara kommun", "Dals-Ed", "dals-eds kommun", "Upplands Väsby", "upplands-bro",
    "Malung-Sälen", "Region Gotland", "gotlands", "", "?", "kommun", "stad",
]  # fmt: skip


def eval_questions() -> list[str]:
    out = []
    for f in sorted((ROOT / "eval").glob("*_questions.jsonl")):
        out += [json.loads(line)["question"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


@pytest.mark.parametrize("known", KNOWN_SETS)
def test_same_kommun_as_the_regex_scan(known):
    texts = CASES + eval_questions()
    assert len(texts) > 9000
    found = [(t, _find_kommun(t, fold(t), known), reference_find_kommun(t, fold(t), known)) for t in texts]
    assert [f for f in found if f[1] != f[2]] == []
    assert sum(f[1] is not None for f in found) > 0.8 * len(texts)  # the cases do name kommuner


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alingsås", "Alingsås kommun"),
        ("alingsas", "Alingsås kommun"),
        ("i Strömsunds kommun", "Strömsunds kommun"),
        ("Nykarleby stad", "Nykarleby stad"),
        ("ska vara klar", None),
        ("Vara kommun", "Vara kommun"),
        ("Jämför Sundsvall och Strömsund", "Sundsvalls kommun"),
        ("nordalingsås", None),
    ],
)
def test_examples(text, expected):
    assert _find_kommun(text, fold(text), KNOWN_SETS[1]) == expected
