"""Conversation storage and the feedback export (assistent/conversations.py, `assistent feedback export`)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistent.cli import main
from assistent.conversations import ConversationStore, gold_drafts
from eval.gold import load_gold
from grund.records import Answer, Citation, Clarification, Filters

CITED = Citation(
    n=1, kommun="Strömsunds kommun", namnd="Socialnämnden", paragraf="§ 23", diarienummer="VSF.2024.8",
    rubrik="Bokslut 2023", fil="protokoll.pdf", text="Socialnämnden godkänner bokslutet. … Beslutet skickas.",
)  # fmt: skip
ANSWER = Answer(
    question="q",
    answer="Nämnden godkände bokslutet [1].",
    citations=[CITED],
    resolved={"kommun": "Strömsunds kommun"},
)
ABSTAINED = Answer(question="q", answer="Det framgår inte av dokumenten.", abstained=True)


@pytest.fixture
def store(settings) -> ConversationStore:
    return ConversationStore.for_settings(settings)


def test_turns_keep_order_filters_and_answers_across_instances(store, settings):
    conv = store.create("ägare-123456789012")
    t1 = store.add_turn(conv, "Vad beslutade nämnden om bokslutet?", Filters(kommun="Strömsunds kommun"))
    t2 = store.add_turn(conv, "Och när?")
    store.finish_turn(t1.id, ANSWER, "done")
    again = ConversationStore.for_settings(settings).get(conv.id)
    assert [t.question for t in again.turns] == ["Vad beslutade nämnden om bokslutet?", "Och när?"]
    assert again.turns[0].answer == ANSWER and again.turns[0].filters.kommun == "Strömsunds kommun"
    assert again.turns[1].status == "pending" and again.history_before(again.turns[1]) == [t1.question]
    assert again.title == "Vad beslutade nämnden om bokslutet?", "named after its first question"
    assert t2.index == 1


def test_list_is_per_owner_newest_first_and_skips_empty(store):
    a = store.create("ägare-aaaaaaaaaaaaaa")
    b = store.create("ägare-aaaaaaaaaaaaaa")
    store.create("ägare-aaaaaaaaaaaaaa")  # never asked anything: not listed
    store.add_turn(a, "A?")
    store.add_turn(b, "B?")
    store.add_turn(store.create("ägare-bbbbbbbbbbbbbb"), "C?")
    assert [c.title for c in store.list_for("ägare-aaaaaaaaaaaaaa")] == ["B?", "A?"]
    store.rename(a.id, "  Mitt   namn ")
    store.delete(b.id)
    assert [c.title for c in store.list_for("ägare-aaaaaaaaaaaaaa")] == ["Mitt namn"]
    assert store.get(b.id) is None and store.get("../../etc") is None


def test_stop_wins_over_a_late_answer(store):
    conv = store.create("ägare-123456789012")
    turn = store.add_turn(conv, "Bokslutet?")
    assert store.finish_turn(turn.id, None, "stopped", only_pending=True)
    assert not store.finish_turn(turn.id, ANSWER, "done", only_pending=True)
    assert store.get_turn(turn.id).status == "stopped"
    store.reset_turn(turn.id)
    assert store.finish_turn(turn.id, ANSWER, "done", only_pending=True)


def _rated(store, answer: Answer, rating: int, comment: str = "", question: str = "Bokslutet?"):
    conv = store.create("ägare-123456789012")
    turn = store.add_turn(conv, question, Filters(kommun="Strömsunds kommun"))
    store.finish_turn(turn.id, answer, "done")
    conv = store.get(conv.id)
    return store.save_feedback(conv.turns[0], conv, rating, comment)


def test_feedback_keeps_a_copy_and_is_replaced_not_duplicated(store):
    fb = _rated(store, ANSWER, 1)
    conv = store.get(fb.conversation_id)
    store.save_feedback(conv.turns[0], conv, -1, "fel §")
    store.delete(conv.id)
    [kept] = store.all_feedback()
    assert (kept.rating, kept.comment, kept.answer.citations[0].paragraf) == (-1, "fel §", "§ 23")


def test_gold_drafts_from_feedback_load_as_a_gold_file(store, tmp_path):
    _rated(store, ANSWER, 1, question="Vad beslutade socialnämnden om bokslutet?")
    _rated(store, ABSTAINED, 1, question="Vad kostar en resa till Mars?")
    _rated(store, ABSTAINED, -1, "det finns visst", question="Hur många kom?")  # no source to offer
    two = ANSWER.model_copy(update={
        "citations": [CITED, CITED.model_copy(update={"n": 2, "kommun": "Gnesta kommun", "fil": "g.txt"})],
        "clarify": [Clarification(kommun="Strömsunds kommun"), Clarification(kommun="Gnesta kommun")],
    })  # fmt: skip
    _rated(store, two, -1, "menade Gnesta", question="Vad beslutade nämnden om bokslutet?")
    lines, skipped = gold_drafts(store.all_feedback())
    assert skipped == 1 and [x["kind"] for x in lines] == ["fact", "unanswerable", "ambiguous"]
    assert lines[0]["sources"][0] == {
        "file": "protokoll.pdf", "diarienummer": "VSF.2024.8", "paragraf": "§ 23",
        "heading": "Bokslut 2023", "quote": "Socialnämnden godkänner bokslutet.",
    }  # fmt: skip
    assert lines[0]["kommun"] == "Strömsunds kommun" and lines[2]["feedback"]["comment"] == "menade Gnesta"
    path = tmp_path / "utkast.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    gold = load_gold(path)  # the eval format accepts the draft as it is
    assert [q.question for q in gold] == [x["question"] for x in lines]


def test_cli_feedback_export_writes_the_draft(store, settings, tmp_path):
    _rated(store, ANSWER, 1)
    _rated(store, ANSWER, -1, "fel")
    out = tmp_path / "egna.jsonl"
    result = CliRunner().invoke(main, ["feedback", "export", "--betyg", "bra", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["feedback"]["rating"] == "bra"
    assert "Skrev 1 frågor" in result.output
    assert len(load_gold(out)) == 1
