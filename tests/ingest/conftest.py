"""Fixtures shared by the ingest tests: the plumbing-only FakeEmbedder lives in test_store.py."""

from tests.ingest.test_store import fake_embedder  # noqa: F401  (re-exported fixture)
