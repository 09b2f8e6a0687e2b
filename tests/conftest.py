"""Shared fixtures.

Every test gets its own data directory (no test touches ./data). The embedding
model is converted and loaded once per session: the converted model lives in a
session-wide temporary models dir that each test's settings point at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grund.settings import Settings, get_settings, offline_env

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

offline_env()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def settings(tmp_path, models_dir, monkeypatch) -> Settings:
    """Settings with a fresh data dir; the converted model is shared by the session."""
    monkeypatch.setenv("ASSISTENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTENT_MODEL_CACHE", str(models_dir))
    for var in ("CHROMA_HOST", "ASSISTENT_LLM_BASE_URL", "ASSISTENT_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    s = get_settings()
    yield s
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder(models_dir):
    """The real bundled e5 model, loaded once per test session."""
    from ingest.embed import get_embedder

    s = Settings(data_dir=models_dir.parent / "embedder-data", model_cache=models_dir)
    return get_embedder(s)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, models_dir) -> Settings:
    """Settings of a store holding the bundled example corpus, ingested once per session."""
    from ingest.pipeline import ingest_paths

    s = Settings(data_dir=tmp_path_factory.mktemp("corpus-data"), model_cache=models_dir)
    summary = ingest_paths([CORPUS], s, progress=False)
    assert summary.ok, summary.render()
    return s


@pytest.fixture(scope="session")
def assistant(corpus_settings):
    """An Assistant over the ingested example corpus (model loaded once)."""
    from assistent.api import Assistant

    return Assistant(corpus_settings)


@pytest.fixture
def clarifying(monkeypatch):
    """The shipped weights with a lower bar for asking which kommun is meant (as the engine's own
    clarification test does): the engine's real clarification, whatever the tuned bar of the day."""
    from assistent.engine import core
    from assistent.engine.rank import Compose, Model, load_model

    model = load_model()
    eager = Model(**{**model.__dict__, "threshold": 0.0, "compose": Compose(**{**model.compose.__dict__, "clarify_share": 0.3})})
    monkeypatch.setattr(core, "load_model", lambda: eager)
