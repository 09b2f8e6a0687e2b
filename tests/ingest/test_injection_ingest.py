"""Instruction-like text is flagged at ingest on its section and chunks, and nowhere else."""

from __future__ import annotations

from ingest.pipeline import ingest_paths
from ingest.store import Store
from tests.grund.test_injection import DOC, PLANTED
from tests.ingest.test_store import write


def test_flagged_at_ingest_on_the_section_and_its_chunks(tmp_path, settings, fake_embedder):
    write(tmp_path / "in", "protokoll.txt", DOC)
    write(tmp_path / "in", "annat.txt", "Tekniska nämnden beslutar att bygga en ny cykelväg längs Storgatan.")
    assert ingest_paths([tmp_path / "in"], settings, progress=False).ok
    store = Store(settings)
    docs = {d.fil: d for d, *_ in store.list_documents()}
    planted = [s for s in store.sections_of(docs["protokoll.txt"].id) if "Ignorera" in s.text]
    assert planted and all(s.injection == PLANTED for s in planted)
    assert any(c.injection for s in planted for c in store.chunks_of_section(s.id))
    clean = store.sections_of(docs["annat.txt"].id)
    assert all(s.injection is None for s in clean)
    assert not any(c.injection for s in clean for c in store.chunks_of_section(s.id))
