"""BM25 index: build/search/save/load, fingerprint, filters, typo, diacritics and synonym queries,
and the segmented index: adds, replaces and deletes score as a full rebuild, merges, crash safety."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from grund.textproc import fold
from ingest import lexical
from ingest.lexical import FILE_NAME, MAX_SEGMENTS, LexicalIndex, fingerprint_of
from tests.conftest import CORPUS


def _corpus_chunks() -> tuple[list[str], list[str]]:
    """~250-word pieces of the example corpus, ids '<file>-<n>'."""
    ids, texts = [], []
    for path in sorted(CORPUS.glob("*.txt")):
        ws = path.read_text(encoding="utf-8").split()
        for n, i in enumerate(range(0, len(ws), 200)):
            ids.append(f"{path.stem[:3]}-{n}")
            texts.append(" ".join(ws[i : i + 250]))
    return ids, texts


@pytest.fixture(scope="module")
def corpus_index() -> tuple[LexicalIndex, dict[str, str]]:
    ids, texts = _corpus_chunks()
    return LexicalIndex.build(ids, texts), dict(zip(ids, texts, strict=True))


SMALL = {
    "a": "Socialnämnden beslutar att höja hemsjukvårdsavgiften i Strömsund.",
    "b": "Antal hushåll med ekonomiskt bistånd ökade under året.",
    "c": "Feriepraktik erbjuds ungdomar i årskurs 9 under sommaren.",
    "d": "Ärende SN.2023.62: uppföljning av internkontrollplan.",
    "e": "Kommunfullmäktige fastställer reglementet för socialnämnden.",
}


@pytest.fixture
def small() -> LexicalIndex:
    return LexicalIndex.build(list(SMALL), list(SMALL.values()))


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("hemsjukvårdsavgift", "a"),
        ("hemsjukvardsavgiften", "a"),  # no diacritics
        ("avgift för hemsjukvård", "a"),  # compound parts
        ("försörjningsstöd", "b"),  # synonym: ekonomiskt bistånd
        ("sommarjobb för unga", "c"),  # synonym: feriepraktik
        ("sn 2023 62", "d"),  # loosely typed dnr
        ("SN/2023:62", "d"),
        ("vad har KF fastställt", "e"),  # abbreviation
    ],
)
def test_small_index_finds_the_right_passage(small, query, best):
    hits = small.search(query, k=3)
    assert hits and hits[0][0] == best


def test_scores_descend_and_k_limits(small):
    hits = small.search("socialnämnden hemsjukvårdsavgiften reglementet", k=2)
    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1] > 0


def test_unknown_terms_return_nothing(small):
    assert small.search("xyzzy qwerty", k=5) == []


def test_allowed_ids_filter(small):
    assert [cid for cid, _ in small.search("socialnämnden", k=5)] == ["a", "e"] or {"a", "e"} == {
        cid for cid, _ in small.search("socialnämnden", k=5)
    }
    assert [cid for cid, _ in small.search("socialnämnden", k=5, allowed_ids={"e", "zz"})] == ["e"]
    assert small.search("socialnämnden", k=5, allowed_ids=set()) == []


def test_term_list_query(small):
    assert small.search(["feriepraktik"], k=1)[0][0] == "c"


def test_fingerprint_is_the_hash_of_sorted_ids(small):
    assert small.fingerprint == fingerprint_of(set(SMALL)) == fingerprint_of(sorted(SMALL, reverse=True))
    assert small.fingerprint != fingerprint_of(["a", "b"])


def test_vocabulary_is_folded_surface_words(small):
    assert {"hemsjukvardsavgiften", "stromsund", "bistand"} <= small.vocabulary
    assert "strömsund" not in small.vocabulary


def test_save_load_round_trip(small, tmp_path):
    path = small.save(tmp_path / "idx")
    assert path.name == FILE_NAME and not list((tmp_path / "idx").glob(".lexical-*"))
    loaded = LexicalIndex.load(tmp_path / "idx")
    assert loaded is not None
    assert loaded.fingerprint == small.fingerprint and loaded.vocabulary == small.vocabulary
    for q in ("hemsjukvardsavgiften", "försörjningsstöd", "sn 2023 62"):
        assert loaded.search(q, k=3) == small.search(q, k=3)


@pytest.mark.parametrize("content", [None, b"not a zip file", "other-version"])
def test_load_missing_damaged_or_foreign_gives_none(small, tmp_path, content):
    if content == "other-version":
        small.save(tmp_path)
        manifest = json.loads((tmp_path / FILE_NAME).read_text())
        (tmp_path / FILE_NAME).write_text(json.dumps({**manifest, "version": 999}))
    elif content is not None:
        (tmp_path / FILE_NAME).write_bytes(content)
    assert LexicalIndex.load(tmp_path) is None


def test_build_rejects_duplicate_ids():
    with pytest.raises(ValueError):
        LexicalIndex.build(["a", "a"], ["x", "y"])


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("barnutredingar", "barnutredningar"),
        ("invensteringsbudget", "investeringsbudget"),
        ("uppsagningstid", "uppsägningstid"),
    ],
)
def test_typos_and_missing_diacritics_are_corrected_from_the_corpus(corpus_index, typo, word):
    index, _ = corpus_index
    assert word in index.restore(f"hur många {typo}")


@pytest.mark.parametrize(
    ("query", "must_contain"),
    [
        ("hur manga barnutredingar i stromsund drog over tiden utan giltigt skal", "barnutredningar"),
        ("solna soc invensteringsbudget 2024", "investeringsbudget"),
        ("hemsjukvardsavgiften stromsund", "hemsjukvård"),
        ("Vad gäller ärende SN.2023.73?", "SN.2023.73"),
    ],
)
def test_noisy_corpus_queries_find_the_passage(corpus_index, query, must_contain):
    index, texts = corpus_index
    hits = index.search(query, k=3)
    assert any(fold(must_contain) in fold(texts[cid]) for cid, _ in hits)


def test_build_and_search_speed():
    ids, texts = _corpus_chunks()
    LexicalIndex.build(ids[:5], texts[:5])  # frequency table loaded once per process
    start = time.perf_counter()
    LexicalIndex.build(ids, texts)
    assert time.perf_counter() - start < 2.0
    # 10k chunks: the corpus cut into 40-word pieces, repeated under new ids (building
    # 10k full-size chunks takes ~5 s, too long for a unit test; the posting lists are as long).
    words = " ".join(texts).split()
    pieces = [" ".join(words[i : i + 40]) for i in range(0, len(words), 40)]
    copies = -(-10_000 // len(pieces))
    big = LexicalIndex.build([f"{r}-{i}" for r in range(copies) for i in range(len(pieces))], pieces * copies)
    assert len(big) >= 10_000
    queries = ["hur många barnutredningar drog över tiden", "budget 2024 socialnämnden", "hemsjukvårdsavgift"]
    for q in queries:
        big.search(q, k=40)
    start = time.perf_counter()
    for q in queries * 5:
        big.search(q, k=40)
    per_query = (time.perf_counter() - start) / (len(queries) * 5)
    assert per_query < 0.020, f"{per_query * 1000:.1f} ms"


def test_inflection_of_a_corpus_word_is_not_corrected_as_a_typo():
    """'bokslutet' is 'bokslut' inflected, not a misspelt 'beslutet' two edits away."""
    index = LexicalIndex.build(
        ["a", "b"], ["Socialnämnden godkänner bokslut 2023.", "Beslutet skickas till KF."]
    )
    assert index.correct("bokslutet") is None
    assert "bokslutet" in index.restore("om bokslutet för 2023")


# ---------------------------------------------------------------- segments
QUERIES = [
    "hur många barnutredningar drog över tiden",
    "budget 2024 socialnämnden",
    "hemsjukvårdsavgift",
    "internkontrollplan personlig assistans",
    "försörjningsstöd ekonomiskt bistånd",
]


def assert_same_search(a: LexicalIndex, b: LexicalIndex, queries=QUERIES, allowed=None) -> None:
    assert sorted(a.ids) == sorted(b.ids) and a.fingerprint == b.fingerprint
    for q in queries:
        ha, hb = a.search(q, k=20, allowed_ids=allowed), b.search(q, k=20, allowed_ids=allowed)
        assert [cid for cid, _ in ha] == [cid for cid, _ in hb], q
        np.testing.assert_allclose([s for _, s in ha], [s for _, s in hb], rtol=1e-5)


def test_adds_replaces_and_deletes_score_as_a_full_rebuild():
    ids, texts = _corpus_chunks()
    text = dict(zip(ids, texts, strict=True))
    half = len(ids) // 2
    index = LexicalIndex.build(ids[:half], texts[:half])
    for i in range(half, len(ids), 7):  # one "document" of up to 7 chunks at a time
        index = index.updated(ids[i : i + 7], texts[i : i + 7])
    replaced = {ids[3]: "Socialnämnden höjer hemsjukvårdsavgiften till 400 kronor.", ids[-2]: "Budget 2024."}
    index = index.updated(list(replaced), list(replaced.values()))
    removed = ids[10:14] + ids[-5:-3]
    index = index.updated([], [], remove_ids=removed + ["finns-inte"])
    text.update(replaced)
    live = [cid for cid in ids if cid not in removed]
    rebuilt = LexicalIndex.build(live, [text[c] for c in live])
    assert index.segments > 1 and index._has_deleted
    assert_same_search(index, rebuilt)
    assert_same_search(index, rebuilt, allowed=set(live[::3]))
    for term in ("socialnamnd", "budget", "hemsjukvard"):
        assert index.document_frequency(term) == rebuilt.document_frequency(term)
    assert_same_search(index.merged(), rebuilt)
    assert index.merged().segments == 1


def test_update_leaves_the_old_index_as_it_was(small):
    before = small.search("socialnämnden", k=5)
    newer = small.updated(["f"], ["Socialnämnden socialnämnden socialnämnden."], remove_ids=["a"])
    assert small.search("socialnämnden", k=5) == before
    assert [cid for cid, _ in newer.search("socialnämnden", k=5)] == ["f", "e"]


def test_small_segments_are_merged_on_threshold():
    ids, texts = _corpus_chunks()
    index = LexicalIndex.build(ids[:-20], texts[:-20])
    for i in range(len(ids) - 20, len(ids)):
        index = index.updated([ids[i]], [texts[i]])
        assert index.segments <= MAX_SEGMENTS + 1
    assert len(index) == len(ids)
    # deleting more than a quarter of the archive merges everything into one segment
    index = index.updated([], [], remove_ids=ids[: len(ids) // 2])
    assert index.segments == 1 and not index._has_deleted and len(index) == len(ids) - len(ids) // 2


def test_segmented_index_round_trips_with_its_deletions(tmp_path):
    ids, texts = _corpus_chunks()
    index = LexicalIndex.build(ids[:-10], texts[:-10], stamp="2026-12-01T10:00:00")
    index = index.updated(ids[-10:], texts[-10:], remove_ids=ids[:2])
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded is not None and loaded.segments == index.segments == 2
    assert loaded.stamp == "2026-12-01T10:00:00"
    assert_same_search(loaded, index)
    assert not list(tmp_path.glob(".lexical-*"))


def test_kill_during_merge_leaves_the_previous_index(tmp_path, monkeypatch):
    ids, texts = _corpus_chunks()
    index = LexicalIndex.build(ids[:-3], texts[:-3])
    index.save(tmp_path)
    merged = index.updated(ids[-3:], texts[-3:], remove_ids=ids[: len(ids) // 2])
    assert merged.segments == 1  # a full merge

    real_replace = os.replace

    def killed(src, dst):
        if str(dst).endswith(FILE_NAME):
            raise KeyboardInterrupt  # the process dies after the merged segment is on disk
        real_replace(src, dst)

    monkeypatch.setattr(lexical.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        merged.save(tmp_path)
    monkeypatch.setattr(lexical.os, "replace", real_replace)
    survivor = LexicalIndex.load(tmp_path)
    assert survivor is not None and survivor.fingerprint == index.fingerprint
    assert_same_search(survivor, index)
    # the orphaned merged segment is cleaned up by the next save
    assert len(list(tmp_path.glob("seg-*.npz"))) == 2 and not list(tmp_path.glob(".lexical-*"))
    merged.save(tmp_path)
    later = merged.updated(["x"], ["ett nytt stycke"])
    later.save(tmp_path)
    later.updated(["y"], ["ännu ett stycke"]).save(tmp_path)
    # files of the last two manifests stay (a reader may be loading them), older ones go
    names = {p.name for p in tmp_path.glob("seg-*.npz")}
    assert merged._segments[0].file_name in names and index._segments[0].file_name not in names


def test_manifest_naming_a_missing_segment_is_not_trusted(tmp_path, small):
    small.save(tmp_path)
    for seg in tmp_path.glob("seg-*.npz"):
        seg.unlink()
    assert LexicalIndex.load(tmp_path) is None


# ---------------------------------------------------------------- in the store
def test_store_updates_the_index_by_segments_as_documents_come_and_go(tmp_path, settings, monkeypatch):
    from ingest.pipeline import ingest_paths
    from ingest.store import Store
    from tests.ingest.test_store import DOC_A, DOC_A2, DOC_B, FakeEmbedder, write

    monkeypatch.setattr("ingest.embed.get_embedder", lambda settings: FakeEmbedder())
    folder = tmp_path / "in"
    a = write(folder, "a.txt", DOC_A)
    ingest_paths([folder], settings, progress=False)
    rebuilds = []
    real = Store.rebuild_lexical
    monkeypatch.setattr(
        Store, "rebuild_lexical", lambda self, ids=None: rebuilds.append(1) or real(self, ids)
    )
    write(folder, "b.txt", DOC_B)  # add
    ingest_paths([folder], settings, progress=False)
    a.write_text(DOC_A2, encoding="utf-8")  # replace (new content, new ids)
    ingest_paths([folder], settings, progress=False)
    write(folder, "c.txt", DOC_A + " Beslutet gäller från årsskiftet.")
    ingest_paths([folder], settings, progress=False)
    (folder / "c.txt").unlink()  # delete
    ingest_paths([folder], settings, progress=False, prune=True)
    assert rebuilds == []

    store = Store(settings)
    index = store.lexical()
    ids = store.chunk_ids()
    chunks = store.get_chunks(ids)
    rebuilt = LexicalIndex.build(ids, [chunks[i].embed_text for i in ids])
    # (in a store this small every add passes MERGE_FRACTION, so segments are merged, never re-analysed)
    assert_same_search(index, rebuilt, ["cykelväg 2026", "biblioteket lördagar", "Storgatan", "kostnadsskäl"])


def test_store_reindexes_a_document_reparsed_in_place(tmp_path, settings, monkeypatch):
    """Same file, same chunk ids, new text (a newer parser): the stamp makes the update see it."""
    from ingest.store import Store
    from tests.ingest.test_store import DOC_A, DOC_B, FakeEmbedder, write

    monkeypatch.setattr("ingest.embed.get_embedder", lambda settings: FakeEmbedder())
    from ingest.pipeline import ingest_paths

    folder = tmp_path / "in"
    write(folder, "a.txt", DOC_A)
    write(folder, "b.txt", DOC_B)
    ingest_paths([folder], settings, progress=False)
    store = Store(settings)
    store.lexical()
    old = store.lexical().stamp
    (doc_id,) = [d.id for d, *_ in store.list_documents() if d.fil == "a.txt"]
    (cid,) = [c for c in store.chunk_ids() if c.startswith(doc_id)]
    chunk = store.get_chunks([cid])[cid].model_copy(update={"text": "Omtolkad text om solceller på taket."})
    later = "9999-01-01T00:00:00"  # a write after the index's stamp
    store._rows("UPDATE chunks SET json = ? WHERE id = ?", [chunk.model_dump_json(), cid])
    store._rows("UPDATE documents SET ingested_at = ? WHERE id = ?", [later, doc_id])
    index = store.update_lexical()
    assert index.stamp == later != old
    assert [c for c, _ in index.search("solceller", 5)] == [cid]
    ids = store.chunk_ids()
    chunks = store.get_chunks(ids)
    rebuilt = LexicalIndex.build(ids, [chunks[i].embed_text for i in ids])
    assert_same_search(index, rebuilt, ["solceller taket", "cykelväg Storgatan", "biblioteket"])
