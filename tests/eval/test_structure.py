"""The structure scorer: § recall/precision, dnr, pages and metadata against a structure gold."""

from __future__ import annotations

import json

from eval.structure import score_document, score_set

GOLD = {
    "file": "p.pdf",
    "kommun": "Alingsås kommun",
    "organ": "Kommunstyrelsen",
    "datum": "2026-06-15",
    "dokumenttyp": "protokoll",
    "utdrag": False,
    "diarienummer": None,
    "sections": [
        {"paragraf": 112, "diarienummer": "2026.272 KS", "rubrik": "Budget 2027", "sida": 5},
        {"paragraf": 113, "diarienummer": "2026.266 KS", "rubrik": "Revidering felparkeringsavgifter", "sida": 7},
    ],
    "headings": [],
    "notes": "",
}


def _got(sections, **meta):
    base = {"kommun": "Alingsås kommun", "organ": "Kommunstyrelsen", "datum": "2026-06-15",
            "dokumenttyp": "protokoll", "flagged": []}
    base.update(meta)
    return {**base, "sections": [
        {"paragraf": nr, "diarienummer": dnr, "rubrik": "x", "heading_path": [], "sida": page, "kind": "paragraf"}
        for nr, dnr, page in sections
    ]}


def test_perfect_document_scores_one():
    got = _got([(112, "2026.272 KS", 5), (113, "KS-2026-0266", 7)])  # same dnr, typed form
    summary = score_set([GOLD], {"p.pdf": got})["summary"]
    assert summary["paragraf_recall"] == summary["paragraf_precision"] == 1.0
    assert summary["dnr"] == summary["page"] == 1.0
    assert summary["organ"] == summary["datum"] == 1.0


def test_toc_sections_count_as_found_but_wrong_page_and_dnr():
    # what the old segmenter did on Alingsås: every § taken from the TOC on page 3, no dnr
    got = _got([(112, None, 3), (113, None, 3), (114, None, 3)])
    res = score_document(GOLD, got)
    c = res["counts"]
    assert (c["paragraf_right"], c["paragraf_found"], c["paragraf_gold"]) == (2, 3, 2)
    assert c.get("dnr_right", 0) == 0 and c.get("page_right", 0) == 0
    assert any("§ 114 finns inte i guldet" in d for d in res["diffs"])


def test_empty_metadata_is_counted_apart_from_wrong():
    got = _got([(112, "2026.272 KS", 5), (113, "2026.266 KS", 7)], organ=None, datum="2026-04-17",
               flagged=["namnd"])
    res = score_document(GOLD, got)
    c = res["counts"]
    assert c["organ_empty"] == 1 and c.get("organ_right", 0) == 0
    assert c.get("datum_right", 0) == 0 and c.get("datum_empty", 0) == 0
    assert any("organ: tomt (flaggat)" in d for d in res["diffs"])


def test_document_without_date_wants_none():
    gold = {**GOLD, "datum": None}
    assert score_document(gold, _got([], datum=None))["counts"]["datum_right"] == 1
    assert score_document(gold, _got([], datum="2026-01-01"))["counts"].get("datum_right", 0) == 0


def test_bundled_gold_files_parse():
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[2] / "eval" / "structure").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            assert {"file", "kommun", "organ", "datum", "dokumenttyp", "sections"} <= set(doc), path
