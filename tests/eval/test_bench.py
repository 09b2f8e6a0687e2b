"""The benchmark's own arithmetic and report: copies get their own references, growth fits are
least squares, and the committed bench.json renders with every target beside its figure."""

from __future__ import annotations

import json

import pytest

from eval.bench_corpus import SECTION_REFERENCES, alter, references
from eval.bench_report import KOMMUN_CHUNKS, TARGETS, fit_line, growth_fits, render_bench
from grund.records import Section
from tests.conftest import ROOT


def test_alter_raises_every_number():
    assert alter("2023-10-03, 120 deltagare, § 45", 2) == "2025-12-5, 122 deltagare, § 47"


def test_a_copy_gets_its_own_dnr_and_paragraf():
    s = Section.model_construct(paragraf="§ 45", paragraf_nr=45, diarienummer="SN 2023/65", dnr_norm="SN-2023-65")
    assert references(s, 3, SECTION_REFERENCES) == {
        "paragraf": "§ 48", "paragraf_nr": 48, "diarienummer": "SN 2026/68", "dnr_norm": "SN-2026-68",
    }  # fmt: skip
    assert references(Section.model_construct(paragraf=None, paragraf_nr=None), 3, ("paragraf", "paragraf_nr")) == {}


@pytest.mark.parametrize(("xs", "ys", "ab"), [([1, 2, 3], [5, 7, 9], (3, 2)), ([10, 10], [4, 6], (5, 0))])
def test_fit_line_is_least_squares(xs, ys, ab):
    a, b = fit_line(xs, ys)
    assert a == pytest.approx(ab[0]) and b == pytest.approx(ab[1])


def test_committed_report_renders_every_target_and_the_growth_fits():
    r = json.loads((ROOT / "eval" / "reports" / "bench.json").read_text(encoding="utf-8"))
    md = render_bench(r)
    for label, _ in TARGETS.values():
        assert label in md
    fits = {f["measure"]: f for f in growth_fits(r)}
    disk = fits["disk totalt (MB)"]
    assert len(disk["points"]) == len(r["scales"]) and disk["b"] > 0
    assert disk["kommun"] == pytest.approx(disk["a"] + disk["b"] * KOMMUN_CHUNKS)
    assert "## Anpassning och extrapolering" in md and "## Flera serverprocesser" in md
