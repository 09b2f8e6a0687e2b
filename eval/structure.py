"""Score document structure (§ sections, diarienummer, pages, metadata) against a structure gold set.

Gold format (one JSON object per document, written by hand from the documents; see
eval/structure/*.jsonl): ``file``, ``kommun``, ``organ``, ``datum``, ``dokumenttyp``,
``utdrag``, ``diarienummer``, ``sections`` (``paragraf``, ``diarienummer``, ``rubrik``,
``sida``), ``headings`` (``rubrik``, ``sida``) and ``notes``.

A gold section with a § is matched by its number; one without (a tjänsteskrivelse, an
agenda item with its own dnr) by its diarienummer's lookup key. The measures:

- ``paragraf_recall`` / ``paragraf_precision``: gold §§ found / found §§ that are in the gold
  (a § found in a document whose gold has none is a false one);
- ``item_recall``: gold sections without § found by their dnr;
- ``dnr``: matched sections that carry a dnr in the gold and got the same one (by lookup key);
- ``page``: matched sections whose first page is the gold's;
- ``kommun``, ``organ``, ``datum``, ``dokumenttyp``: documents with the right value; a value
  left empty counts as ``empty`` (flagged, not wrong) and is reported separately;
- ``heading_recall``: gold headings of plans/riktlinjer found as a section heading (informational).

The old segmenter is scored in the same run by parsing in a subprocess with another source
tree first on ``PYTHONPATH`` (``--baseline-src``, e.g. a ``git worktree`` of an older commit).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import click

from grund.dnr import normalize_dnr

#: Fields of the parse dump: the same in every version of the code that has ``parse_file``.
_DUMP = r"""
import json, sys
from pathlib import Path
from grund.settings import get_settings
from ingest.pipeline import parse_file
settings = get_settings()
for name in sys.argv[1:]:
    try:
        parsed = parse_file(Path(name), settings)[1]
    except Exception as exc:
        print(json.dumps({"path": name, "error": str(exc)}), flush=True)
        continue
    d = parsed.document
    flagged = [e.field for e in getattr(d, "evidence", []) if getattr(e, "flagged", False)]
    print(json.dumps({
        "path": name, "kommun": d.kommun, "organ": d.namnd,
        "datum": d.datum.isoformat() if d.datum else None, "dokumenttyp": d.dokumenttyp,
        "utdrag": getattr(d, "utdrag", None), "flagged": flagged,
        "sections": [
            {"paragraf": s.paragraf_nr, "diarienummer": s.diarienummer, "rubrik": s.rubrik,
             "heading_path": s.heading_path, "sida": s.page_start, "kind": s.kind}
            for s in parsed.sections
        ],
    }, ensure_ascii=False), flush=True)
"""

META_FIELDS = ("kommun", "organ", "datum", "dokumenttyp")


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The gold documents of one file.

    Args:
        path: a structure gold JSONL file.
    """
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def find_files(gold: list[dict[str, Any]], roots: list[Path]) -> dict[str, Path]:
    """Gold file name → path under the given files/folders."""
    wanted = {g["file"] for g in gold}
    out: dict[str, Path] = {}
    for root in roots:
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        for p in candidates:
            if p.name in wanted and p.name not in out:
                out[p.name] = p
    return out


def parse_dump(paths: list[Path], src: Path | None = None) -> dict[str, dict[str, Any]]:
    """Parse the files with the code in ``src`` (default: this checkout) in a subprocess.

    Args:
        paths: files to parse.
        src: a source tree to put first on PYTHONPATH (an older commit's worktree).
    """
    env = dict(os.environ)
    root = src or Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", _DUMP, *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(root),
        check=False,
    )
    out: dict[str, dict[str, Any]] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            out[Path(rec["path"]).name] = rec
    if not out and proc.returncode:
        raise click.ClickException(f"Tolkningen misslyckades ({src or 'denna kod'}): {proc.stderr[-800:]}")
    return out


def _fold(s: str | None) -> str:
    s = unicodedata.normalize("NFKD", (s or "").lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def _kommun_key(s: str | None) -> str:
    s = _fold(s)
    s = re.sub(r"\b(kommun|stad|kaupunki|kommuns|stads)\b", "", s).strip()
    return s[:-1] if s.endswith("s") and len(s) > 4 else s


def _dnr_key(s: str | None) -> str | None:
    return normalize_dnr(s.replace("\u2013", "-").replace("\u2014", "-")) if s else None


def _same_meta(field: str, gold: Any, got: Any) -> bool:
    if field == "kommun":
        return _kommun_key(gold) == _kommun_key(got)
    if field == "organ":
        return _fold(gold) == _fold(got)
    return gold == got


def _title_match(gold: str, titles: list[str]) -> bool:
    g = _fold(re.sub(r"^\s*\d+(?:\.\d+)*\.?\s*", "", gold))
    return bool(g) and any(g == t or (len(g) > 12 and (g in t or t in g) and len(t) > 6) for t in titles)


def score_document(gold: dict[str, Any], got: dict[str, Any] | None) -> dict[str, Any]:
    """Counts and differences for one document."""
    c: dict[str, Any] = defaultdict(int)
    diffs: list[str] = []
    if got is None or "error" in got:
        diffs.append(f"kunde inte tolkas: {got.get('error') if got else 'filen saknas'}")
        got = {"sections": [], "flagged": []}
    sections = got["sections"]
    by_nr: dict[int, dict] = {}
    for s in sections:
        if s["paragraf"] is not None and s["kind"] == "paragraf":
            by_nr.setdefault(s["paragraf"], s)
    by_dnr: dict[str, dict] = {}
    for s in sections:
        key = _dnr_key(s["diarienummer"])
        if key and key not in by_dnr:
            by_dnr[key] = s
    gold_nrs = {g["paragraf"] for g in gold["sections"] if g["paragraf"] is not None}
    c["paragraf_gold"] += len(gold_nrs)
    c["paragraf_found"] += len(by_nr)
    c["paragraf_right"] += len(gold_nrs & set(by_nr))
    for nr in sorted(gold_nrs - set(by_nr)):
        diffs.append(f"§ {nr} saknas")
    for nr in sorted(set(by_nr) - gold_nrs):
        diffs.append(f"§ {nr} finns inte i guldet")
    for g in gold["sections"]:
        if g["paragraf"] is not None:
            match = by_nr.get(g["paragraf"])
            label = f"§ {g['paragraf']}"
        else:
            c["item_gold"] += 1
            match = by_dnr.get(_dnr_key(g["diarienummer"]) or "")
            if match is None and not g["diarienummer"]:  # an item without dnr: by its title
                match = next((s for s in sections if s["rubrik"] and _title_match(g["rubrik"], [_fold(s["rubrik"])])), None)
            label = g["diarienummer"] or g["rubrik"]
            if match:
                c["item_right"] += 1
            else:
                diffs.append(f"avsnitt {label} ({g['rubrik'][:50]}) saknas")
        if match is None:
            continue
        if g["diarienummer"]:
            c["dnr_gold"] += 1
            if _dnr_key(match["diarienummer"]) == _dnr_key(g["diarienummer"]):
                c["dnr_right"] += 1
            else:
                diffs.append(f"{label}: dnr {match['diarienummer'] or '-'}, guldet {g['diarienummer']}")
        if g["sida"] is not None:
            c["page_gold"] += 1
            if match["sida"] == g["sida"]:
                c["page_right"] += 1
            else:
                diffs.append(f"{label}: sida {match['sida']}, guldet {g['sida']}")
    titles = [_fold(s["rubrik"]) for s in sections if s["rubrik"]]
    titles += [_fold(h) for s in sections for h in s.get("heading_path") or []]
    for h in gold.get("headings") or []:
        c["heading_gold"] += 1
        if _title_match(h["rubrik"], titles):
            c["heading_right"] += 1
    for field in META_FIELDS:
        g, v = gold.get(field), got.get(field)
        if g is None and field == "dokumenttyp":
            continue
        c[f"{field}_gold"] += 1
        if g is None:  # the document has none: leaving it empty is right, a value is wrong
            if v is None:
                c[f"{field}_right"] += 1
            else:
                diffs.append(f"{field}: {v}, guldet inget")
        elif v is None:
            c[f"{field}_empty"] += 1
            flagged = {"namnd": "organ"}
            flag = " (flaggat)" if field in {flagged.get(f, f) for f in got.get("flagged", [])} else ""
            diffs.append(f"{field}: tomt{flag}, guldet {g}")
        elif _same_meta(field, g, v):
            c[f"{field}_right"] += 1
        else:
            diffs.append(f"{field}: {v}, guldet {g}")
    return {"counts": dict(c), "diffs": diffs}


def _ratio(c: dict[str, int], right: str, total: str) -> float | None:
    return c.get(right, 0) / c[total] if c.get(total) else None


def summarise(counts: dict[str, int]) -> dict[str, float | None]:
    """The measures of the module docstring from summed counts."""
    out = {
        "paragraf_recall": _ratio(counts, "paragraf_right", "paragraf_gold"),
        "paragraf_precision": _ratio(counts, "paragraf_right", "paragraf_found"),
        "item_recall": _ratio(counts, "item_right", "item_gold"),
        "dnr": _ratio(counts, "dnr_right", "dnr_gold"),
        "page": _ratio(counts, "page_right", "page_gold"),
        "heading_recall": _ratio(counts, "heading_right", "heading_gold"),
    }
    for field in META_FIELDS:
        out[field] = _ratio(counts, f"{field}_right", f"{field}_gold")
        out[f"{field}_empty"] = _ratio(counts, f"{field}_empty", f"{field}_gold")
    return out


def score_set(gold: list[dict[str, Any]], dump: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per-document results and the summed measures of one gold set."""
    total: dict[str, int] = defaultdict(int)
    docs = {}
    for g in gold:
        res = score_document(g, dump.get(g["file"]))
        docs[g["file"]] = res
        for k, v in res["counts"].items():
            total[k] += v
    return {"summary": summarise(total), "counts": dict(total), "documents": docs}


_SHOWN = [
    ("paragraf_recall", "§ recall"),
    ("paragraf_precision", "§ precision"),
    ("item_recall", "avsnitt utan § (dnr) hittade"),
    ("dnr", "rätt diarienummer"),
    ("page", "rätt första sida"),
    ("kommun", "kommun rätt"),
    ("organ", "organ rätt"),
    ("datum", "datum rätt"),
    ("dokumenttyp", "dokumenttyp rätt"),
    ("kommun_empty", "kommun tomt (flaggat)"),
    ("organ_empty", "organ tomt (flaggat)"),
    ("datum_empty", "datum tomt (flaggat)"),
    ("heading_recall", "rubriker hittade (information)"),
]


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def report_markdown(results: dict[str, dict[str, dict[str, Any]]], systems: list[str]) -> str:
    """A Markdown report: one table per gold set with a column per system, then the differences."""
    out = ["# Struktur: §, diarienummer, sidor och metadata mot strukturguldet", ""]
    out.append("Återskapas med `assistent eval structure` (se eval/README.md). Värden är andelar; –: ej tillämpligt.")
    out.append("")
    for set_name, by_system in results.items():
        out.append(f"## {set_name}")
        out.append("")
        out.append("| mått | " + " | ".join(systems) + " |")
        out.append("|---|" + "---:|" * len(systems))
        for key, label in _SHOWN:
            out.append(f"| {label} | " + " | ".join(_fmt(by_system[s]["summary"][key]) for s in systems) + " |")
        c = by_system[systems[-1]]["counts"]
        out.append("")
        out.append(
            f"{c.get('paragraf_gold', 0)} § i guldet, {c.get('item_gold', 0)} avsnitt utan §, "
            f"{c.get('dnr_gold', 0)} med diarienummer, {c.get('heading_gold', 0)} rubriker."
        )
        out.append("")
        docs = [f for f, r in by_system[systems[-1]]["documents"].items() if r["counts"].get("paragraf_gold")]
        if docs:
            out.append("Per dokument med § (" + " → ".join(systems) + "):")
            out.append("")
            out.append("| dokument | § recall | § precision | diarienummer | första sida |")
            out.append("|---|---:|---:|---:|---:|")
            for f in docs:
                cells = []
                for key in ("paragraf_recall", "paragraf_precision", "dnr", "page"):
                    vals = [summarise(by_system[sy]["documents"][f]["counts"])[key] for sy in systems]
                    cells.append(" → ".join(_fmt(v) for v in vals))
                out.append(f"| `{f}` | " + " | ".join(cells) + " |")
            out.append("")
        last = systems[-1]
        diffs = [(f, d) for f, r in by_system[last]["documents"].items() for d in r["diffs"]]
        if diffs:
            out.append(f"Skillnader ({last}):")
            out.append("")
            for f, d in diffs:
                out.append(f"- `{f}`: {d}")
            out.append("")
    return "\n".join(out)


@click.command("structure")
@click.option("--gold", "golds", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="strukturguld (JSONL); kan upprepas (standard: eval/structure/*.jsonl)")
@click.option("--docs", "docs", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="filer/mappar där guldets filer letas upp (standard: corpus/, ../shared/realdocs, ../shared/realdocs2)")
@click.option("--baseline-src", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="källträd med äldre kod att jämföra med i samma körning (t.ex. en git worktree)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="skriv rapporten hit (.md och .json)")
def structure_command(golds: tuple[Path, ...], docs: tuple[Path, ...], baseline_src: Path | None, out: Path | None) -> None:
    """Mät § , diarienummer, sidor och metadata mot ett strukturguld."""
    here = Path(__file__).resolve().parent
    gold_files = list(golds) or sorted((here / "structure").glob("*.jsonl"))
    roots = list(docs) or [p for p in (here.parent / "corpus", here.parent.parent / "shared" / "realdocs",
                                       here.parent.parent / "shared" / "realdocs2") if p.exists()]
    systems = (["före (" + baseline_src.name + ")"] if baseline_src else []) + ["nu"]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for gf in gold_files:
        gold = load_gold(gf)
        files = find_files(gold, roots)
        missing = [g["file"] for g in gold if g["file"] not in files]
        if missing:
            click.echo(f"{gf.name}: {len(missing)} filer hittades inte: {', '.join(missing[:5])}", err=True)
        gold = [g for g in gold if g["file"] in files]
        if not gold:
            continue
        paths = [files[g["file"]] for g in gold]
        by_system = {}
        if baseline_src:
            by_system[systems[0]] = score_set(gold, parse_dump(paths, baseline_src))
        by_system["nu"] = score_set(gold, parse_dump(paths))
        results[gf.stem] = by_system
    text = report_markdown(results, systems)
    click.echo(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
