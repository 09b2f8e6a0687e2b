"""Gold-file validation: every problem is reported as file:line: field: problem."""

from __future__ import annotations

import json

import pytest

from eval.gold import GoldError, load_gold
from eval.run import DEFAULT_GOLD, ROOT

GOOD = {
    "id": "q1",
    "question": "Vad beslutade nämnden?",
    "kind": "decision",
    "kommun": "Strömsund",
    "sources": [
        {
            "file": "doc.txt",
            "diarienummer": "SN.2023.1",
            "paragraf": "§ 3",
            "heading": "H",
            "quote": "Nämnden  beslutar\natt godkänna",
        }
    ],  # fmt: skip
    "facts": [["godkänna"]],
    "answer": "Nämnden godkände.",
}


def write(tmp_path, *objs, raw: str = "") -> object:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs) + raw, encoding="utf-8")
    return path


def with_(**changes) -> dict:
    obj = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is KeyError:
            obj.pop(key)
        else:
            obj[key] = value
    return obj


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (with_(question=KeyError), "gold.jsonl:1: question: fältet saknas"),
        (with_(id=7), "gold.jsonl:1: id: ska vara text, är int"),
        (with_(kind="gissning"), "gold.jsonl:1: kind: okänd sort 'gissning'"),
        (with_(question="  "), "gold.jsonl:1: question: är tom"),
        (with_(facts=[["ok"], []]), "gold.jsonl:1: facts[1]: ska vara en icke-tom lista"),
        (with_(facts="godkänna"), "gold.jsonl:1: facts: ska vara lista, är str"),
        (with_(sources=[{"file": "doc.txt"}]), "gold.jsonl:1: sources[0].quote: fältet saknas"),
        (
            with_(sources=[{"file": "doc.txt", "quote": "x", "paragraf": 3}]),
            "sources[0].paragraf: ska vara text eller null",
        ),
        (with_(sources=[]), "gold.jsonl:1: sources: en besvarbar fråga behöver minst en källa"),
        (with_(kind="unanswerable"), "gold.jsonl:1: sources: en obesvarbar fråga ska ha en tom lista"),
        (with_(kind="ambiguous"), "gold.jsonl:1: sources: en tvetydig fråga behöver minst två källor"),
        ([1, 2], "gold.jsonl:1: raden ska vara ett JSON-objekt"),
    ],
)
def test_invalid_line_is_named_with_line_and_field(tmp_path, obj, message):
    with pytest.raises(GoldError) as exc:
        load_gold(write(tmp_path, obj))
    assert message in str(exc.value)


def test_every_problem_is_listed_with_its_line(tmp_path):
    path = write(tmp_path, GOOD, with_(id="q2", kind="x"), GOOD, raw="{inte json\n")
    with pytest.raises(GoldError) as exc:
        load_gold(path)
    text = str(exc.value)
    assert "gold.jsonl:2: kind" in text
    assert "gold.jsonl:3: id: 'q1' finns redan på rad 1" in text
    assert "gold.jsonl:4: ogiltig JSON" in text
    assert len(exc.value.problems) == 3


@pytest.mark.parametrize(
    ("doc_text", "files", "message"),
    [
        ("nämnden beslutar att GODKÄNNA förslaget", {"doc.txt"}, None),  # case/whitespace-blind
        ("nämnden beslutar att avslå", {"doc.txt"}, "sources[0].quote: citatet finns inte i doc.txt"),
        ("", set(), "sources[0].file: 'doc.txt' finns inte bland dokumenten"),
    ],
)
def test_quotes_are_checked_against_documents(tmp_path, doc_text, files, message):
    doc = tmp_path / "doc.txt"
    doc.write_text(doc_text, encoding="utf-8")
    documents = {name: doc for name in files}
    if message is None:
        assert [q.id for q in load_gold(write(tmp_path, GOOD), documents)] == ["q1"]
    else:
        with pytest.raises(
            GoldError, match="gold.jsonl:1: " + message.replace("[", r"\[").replace("]", r"\]")
        ):
            load_gold(write(tmp_path, GOOD), documents)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(GoldError, match="filen finns inte"):
        load_gold(tmp_path / "nej.jsonl")
    with pytest.raises(GoldError, match="inga frågor"):
        load_gold(write(tmp_path))


def test_dev_set_is_valid_against_bundled_corpus():
    corpus = {p.name: p for p in (ROOT / "corpus").glob("*.txt")}
    questions = load_gold(DEFAULT_GOLD, corpus)
    assert len(questions) >= 50
    assert {q.kind for q in questions} >= {"fact", "unanswerable", "ambiguous"}
