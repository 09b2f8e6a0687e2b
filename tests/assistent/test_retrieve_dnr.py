"""A dnr names several sections on a real archive (Alingsås): the decision comes first."""

from __future__ import annotations

from pathlib import Path

from assistent.api import Assistant
from assistent.retrieve import retrieve
from ingest.pipeline import ingest_paths

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"

PROTOKOLL = """Kommunstyrelsen
Protokoll
2026-06-15

§ 116  2026.021 KS
Ramar 2027-2029 för Alingsås kommun
Ärendebeskrivning
Styrmodellen för Alingsås kommun antogs av kommunfullmäktige den 6 november 2024. Ramberedningen
hölls den 13 maj 2026 och bestod av kommunstyrelsens arbetsutskott samt gruppledarna.
Beslut
Kommunstyrelsen föreslår kommunfullmäktige att fastställa ramarna för 2027-2029.

§ 117  2026.269 KS
Investeringsbidrag för renovering - Holmalund City FF
Ärendebeskrivning
Föreningen har ansökt om investeringsbidrag för renovering av klubbstugan vid Holmalund.
Beslut
Kommunstyrelsen beviljar ett investeringsbidrag om 250 000 kronor.
"""


def test_dnr_lookup_puts_the_deciding_paragraf_before_the_tjansteskrivelse(settings, tmp_path):
    prot = tmp_path / "ks_protokoll.txt"
    prot.write_text(PROTOKOLL, encoding="utf-8")
    summary = ingest_paths([prot, LAYOUTS / "alingsas_tjansteskrivelse.pdf"], settings, progress=False)
    assert summary.ok, summary.render()
    passages = retrieve(Assistant(settings), "2026.021 KS").passages
    assert (passages[0].paragraf, passages[0].diarienummer) == ("§ 116", "2026.021 KS")
    assert any(p.fil == "alingsas_tjansteskrivelse.pdf" and p.diarienummer == "2026.021 KS" for p in passages[1:3])
