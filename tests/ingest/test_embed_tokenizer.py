"""The question tokenizer in plain Python (ingest/e5tokenizer.py) gives the Rust tokenizer's ids,
id for id, on every line of the example corpus, the dev questions and hostile strings."""

from __future__ import annotations

import json

import pytest
from tokenizers import Tokenizer

from ingest.e5convert import ensure_converted
from ingest.e5tokenizer import QueryTokenizer
from tests.conftest import CORPUS, ROOT

HOSTILE = [
    "",
    " ",
    "\t\n",
    "  inledande och avslutande blanksteg  ",
    "ﬁnansiering ① Ångström",  # NFKC: ligature, circled digit
    "nolla\u200bbredd och\u00a0hårt mellanslag",  # zero-width space and NBSP become spaces
    "kontroll\x07tecken\x1fförsvinner",  # control characters are deleted
    "query: <s>avgift</s> <mask>x<pad>",  # special tokens typed into a question
    "😀🦄 ✓ ∑ 中文 日本語 한국어 ᄀᄀ",
    "𐀀𐀁 och 🪐🪑",  # characters no piece covers, fused into one <unk>
    "\u0301a kombinerande accent först",
    "ÅÄÖ åäö " * 40,
    "x" * 700,
]


@pytest.fixture(scope="module")
def tokenizers(models_dir):
    folder = ensure_converted(models_dir)
    return QueryTokenizer(folder / "tokenizer.json"), Tokenizer.from_file(str(folder / "tokenizer.json"))


def _texts() -> list[str]:
    lines = [line for f in sorted(CORPUS.glob("*.txt")) for line in f.read_text(encoding="utf-8").splitlines()]
    dev = (ROOT / "eval" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()
    return lines + ["query: " + json.loads(q)["question"] for q in dev] + HOSTILE


def test_ids_equal_the_rust_tokenizer(tokenizers):
    ours, rust = tokenizers
    texts = _texts()
    assert len(texts) > 1000
    differ = [t for t in texts if ours.encode(t) != rust.encode(t).ids]
    assert differ == []


def test_unknown_characters_fuse_and_specials_keep_their_ids(tokenizers):
    ours, rust = tokenizers
    ids = ours.encode("𐀀𐀁🪐")  # Linear B and a planet: no piece covers them
    assert ids.count(ours.unk_id) == 1 and ids == rust.encode("𐀀𐀁🪐").ids
    mask = rust.token_to_id("<mask>")
    assert mask in ours.encode("a <mask> b")


def test_kept_pieces_give_the_same_ids(tokenizers, models_dir):
    # the second encode of a text takes every word from QueryTokenizer's cache
    ours, rust = tokenizers
    texts = ["query: Vad beslutade Kommunstyrelsen i Strömsund om dnr KS 2023/412 (§ 45)?"] + HOSTILE
    first = [ours.encode(t) for t in texts]
    assert [ours.encode(t) for t in texts] == first == [rust.encode(t).ids for t in texts]
    fresh = QueryTokenizer(ensure_converted(models_dir) / "tokenizer.json")
    assert [fresh.encode(t) for t in texts] == first
