"""`assistent ingest`: while embedding, the bar advances with each batch the model runs and shows chunks/s."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from assistent.cli import main
from grund.settings import EmbeddingSettings, Settings
from ingest.embed import get_embedder
from ingest.encoder_onnx import ONNX_BATCH

#: A protokoll of 20 §§: 20 chunks, so the onnx model runs three batches (8 + 8 + 4).
PROTOKOLL = "Protokoll\nSocialnämnden\nSammanträdesdatum 2024-03-12\nTestby kommun\n\n" + "\n\n".join(
    f"§ {n} Ärende nummer {n}\nDnr SN.2024.{n}\nSocialnämnden beslutar att godkänna redovisning nummer {n} "
    f"om verksamheten i område {n}, med {n * 3} åtgärder och en budget på {n * 1000} kronor."
    for n in range(1, 21)
)


@pytest.mark.slow
def test_embedding_bar_advances_per_batch_with_chunks_per_second(tmp_path, settings):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "protokoll.txt").write_text(PROTOKOLL, encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    chunks = int(re.search(r"Delar inbäddade: (\d+)", result.stdout).group(1))
    assert chunks > ONNX_BATCH * 2
    frames = result.stderr.replace("\r", "\n")
    counts = [int(n) for n in re.findall(r"Inbäddning: (\d+) delar \[[\d:]+, +[\d.?]+ delar/s\]", frames)]
    # one step per batch of the model, up to every chunk; a rate in chunks per second beside it
    assert sorted(set(counts)) == sorted({0, *range(ONNX_BATCH, chunks, ONNX_BATCH), chunks})
    assert re.search(r"Inbäddning: \d+ delar \[[\d:]+, +\d+\.\d\d delar/s\]", frames)
    assert re.search(r"Svarsenheter: \d+ enheter \[[\d:]+, +\d+\.\d\d enheter/s\]", frames)
    assert "s/ delar" not in frames  # never seconds per chunk, even when slower than one a second


@pytest.mark.slow
def test_torch_reports_each_batch_and_gives_the_same_vectors(models_dir, tmp_path):
    s = Settings(data_dir=tmp_path, model_cache=models_dir, embedding=EmbeddingSettings(backend="torch"))
    embedder = get_embedder(s)
    texts = [f"Socialnämnden beslutar om avgift {n} " * (n + 1) for n in range(5)]
    sizes: list[int] = []
    batched = embedder.embed_passages(texts, batch_size=2, on_batch=sizes.append)
    assert sizes == [2, 2, 1]
    np.testing.assert_allclose(batched, embedder.embed_passages(texts, batch_size=2), atol=1e-5)
