"""ONNX exports of the converted bundled e5 model (ingest/e5convert.py): fp32 for passages,
int8 (dynamic quantisation, per channel) for questions, each made once per models directory
and written atomically so an interrupted export never leaves half a model behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ingest.e5convert import ensure_converted

#: Folder inside the converted model holding the ONNX exports (sentence-transformers' layout).
ONNX_DIR = "onnx"
#: fp32 export: the same vectors as the torch model (cosine 1 − 1e-7); used for passages.
ONNX_FP32 = "model.onnx"
#: int8 weights per output channel, uint8 activations quantised per call (onnxruntime's
#: dynamic quantisation); used for questions. Per-tensor int8 moved vectors to cosine
#: ~0.985 of fp32 on the dev questions, per-channel to 0.994–0.999 (mean 0.997).
ONNX_INT8 = "model_qint8_pc.onnx"
#: opset 17 has LayerNormalization, which onnxruntime runs as one fused kernel.
ONNX_OPSET = 17


def _atomic_file(dest: Path, write) -> Path:
    """Call ``write(tmp_path)`` for a temporary file beside ``dest``, then rename it to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}-", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def export_onnx(folder: Path, dest: Path) -> Path:
    """Export the converted model in ``folder`` to ONNX at ``dest``: token ids and mask in,
    mean-pooled L2-normalised sentence vectors out (the sentence-transformers modules in one graph).

    Args:
        folder: the converted sentence-transformers folder (``ensure_converted``).
        dest: the .onnx file to write (atomically).
    """
    import warnings

    import torch
    from transformers import BertModel

    # eager attention: traced with a padded row, so the mask is a real input of the graph;
    # the SDPA path may drop an all-ones mask while tracing and ignore padding afterwards
    bert = BertModel.from_pretrained(str(folder), add_pooling_layer=False, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    ids = torch.full((2, 16), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    axes = {"batch": 0, "tokens": 1}

    def write(tmp: Path) -> None:
        with warnings.catch_warnings(), torch.no_grad():
            # the tracer's notes on constant-folded shape checks and the legacy exporter
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled(bert), (ids, mask), str(tmp),
                input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {v: k for k, v in axes.items()},
                    "attention_mask": {v: k for k, v in axes.items()},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=ONNX_OPSET, dynamo=False,
            )  # fmt: skip

    return _atomic_file(dest, write)


def quantize_onnx(src: Path, dest: Path) -> Path:
    """Write an int8 copy of the fp32 export ``src`` to ``dest`` (dynamic quantisation, per channel).

    Args:
        src: the fp32 .onnx file.
        dest: the int8 .onnx file to write (atomically).
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    def write(tmp: Path) -> None:
        # quantize_dynamic logs a hint about shape-inference preprocessing on every call
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)

    return _atomic_file(dest, write)


def ensure_onnx(models_dir: Path, quantized: bool) -> Path:
    """The cached ONNX export of the bundled model (fp32 or int8), made on first use.

    Export takes ~8 s and quantisation ~15 s on 2 cores, once per models directory.

    Args:
        models_dir: the settings' models directory (``settings.models_dir``).
        quantized: the int8 model rather than the fp32 one.
    """
    folder = ensure_converted(models_dir)
    dest = folder / ONNX_DIR / (ONNX_INT8 if quantized else ONNX_FP32)
    if dest.is_file():
        return dest
    if quantized:
        return quantize_onnx(ensure_onnx(models_dir, quantized=False), dest)
    return export_onnx(folder, dest)
