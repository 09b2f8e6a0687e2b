"""The report of an eval run (eval/run.py): its records (``EvalRun``, one ``SystemReport`` per
system) and how they are written: Markdown with the overall and per-kind tables, JSON, and
two plots (scores per question kind, latency).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from eval.metrics import LOWER_BETTER, METRICS, QuestionResult

#: Metrics shown in the report's tables and plots, in this order.
TABLE_METRICS = [
    "hit@1", "hit@5", "mrr@10", "top_dnr", "top_paragraf", "facts", "fact_recall",
    "cit_precision", "cit_dnr", "cit_paragraf", "abstention", "false_abstention", "ambiguity", "pass",
]  # fmt: skip
PLOT_METRICS = ["hit@5", "mrr@10", "facts", "pass"]


class SystemReport(BaseModel):
    name: str
    overall: dict[str, float | None]
    by_kind: dict[str, dict[str, float | None]]
    search_ms: dict[str, float | None]
    ask_ms: dict[str, float | None]
    build_seconds: float = Field(description="ingest (assistant) or chunk + embed + index (baselines)")
    generation: dict[str, float] | None = Field(None, description="assistant-llm: outcome counts, rejection rate")


class EvalRun(BaseModel):
    """Everything one run measured; written as the JSON report."""

    gold: str
    date: str
    machine: str
    command: str
    documents: list[str]
    n_questions: int
    kinds: dict[str, int]
    ingest: dict = Field(default_factory=dict)
    systems: list[SystemReport] = Field(default_factory=list)
    results: list[QuestionResult] = Field(default_factory=list)


def fmt(v: float | None, digits: int = 2) -> str:
    """A score for a table: two decimals (or ``digits``), "–" when missing."""
    return "–" if v is None else f"{v:.{digits}f}"


def render_markdown(run: EvalRun, plots: dict[str, str]) -> str:
    """The Markdown report: overall table, per-kind tables, speed, failed questions, plots.

    Args:
        run: the measurements.
        plots: plot role ("kinds", "latency") → file name beside the report.
    """
    names = [s.name for s in run.systems]
    lines = [
        f"# Utvärdering på {Path(run.gold).name}",
        "",
        f"- Datum: {run.date}",
        f"- Maskin: {run.machine}",
        f"- Kommando: `{run.command}`" if run.command else "",
        f"- Dokument ({len(run.documents)}): {', '.join(run.documents)}",
        f"- Frågor: {run.n_questions} ({', '.join(f'{k} {n}' for k, n in run.kinds.items())})",
        "",
        "## Totalt",
        "",
        "| mått | " + " | ".join(names) + " | vad det mäter |",
        "|---|" + "---:|" * len(names) + "---|",
    ]
    for m in TABLE_METRICS:
        desc = METRICS.get(m) or LOWER_BETTER[m] + " (lägre är bättre)"
        lines.append(f"| {m} | " + " | ".join(fmt(s.overall.get(m)) for s in run.systems) + f" | {desc} |")
    lines += ["", "## Per frågetyp", ""]
    kind_metrics = [
        "hit@1",
        "hit@5",
        "mrr@10",
        "facts",
        "cit_precision",
        "cit_paragraf",
        "abstention",
        "ambiguity",
        "pass",
    ]
    for s in run.systems:
        lines += [
            f"### {s.name}",
            "",
            "| typ | n | " + " | ".join(kind_metrics) + " |",
            "|---|---:|" + "---:|" * len(kind_metrics),
        ]
        for kind, scores in s.by_kind.items():
            lines.append(
                f"| {kind} | {run.kinds.get(kind, '')} | "
                + " | ".join(fmt(scores.get(m)) for m in kind_metrics)
                + " |"
            )
        lines.append("")
    lines += [
        "## Hastighet",
        "",
        "| system | sök p50 ms | sök p95 ms | svar p50 ms | svar p95 ms | bygga/läsa in s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in run.systems:
        lines.append(
            f"| {s.name} | {fmt(s.search_ms['p50'], 0)} | {fmt(s.search_ms['p95'], 0)} | "
            f"{fmt(s.ask_ms['p50'], 0)} | {fmt(s.ask_ms['p95'], 0)} | {s.build_seconds:.1f} |"
        )
    for s in run.systems:
        if s.generation:
            g = s.generation
            lines += [
                "",
                f"{s.name}: {g['generated']:.0f} svar visade som genererade, {g['repaired']:.0f} lagade, "
                f"{g['rejected']:.0f} underkända av verifieringen (andel {g['rejection_rate']:.2f} av de bedömda), "
                f"{g['no_answer']:.0f} där modellen inte fann svar, {g['unavailable']:.0f} där modellen inte svarade, "
                f"{g['no_room']:.0f} utan plats för källor, {g['extractive']:.0f} där modellen inte tillfrågades "
                "(svarsmotorn avstod eller frågade tillbaka).",
            ]
    if run.ingest:
        ing = run.ingest
        if "total_seconds" in ing:
            lines += [
                "",
                f"Inläsning i ett tomt arkiv: {ing['total_seconds']:.1f} s totalt (tolkning {ing['parse_seconds']:.1f} s, "
                f"inbäddning {ing['embed_seconds']:.1f} s), {ing['pages']} sidor ({ing['pages_ocr']} med OCR), "
                f"{ing['sections']} avsnitt, {ing['chunks_embedded']} delar.",
            ]
            if ing.get("failures"):
                lines.append("Filer som inte kunde läsas in: " + "; ".join(ing["failures"]))
        else:
            lines += ["", f"Befintligt arkiv: {ing.get('store')}"]
    for role, title in (("kinds", "Mått per frågetyp"), ("latency", "Svarstider")):
        if role in plots:
            lines += ["", f"![{title}]({plots[role]})"]
    failed = [r for r in run.results if r.system == names[0] and not r.passed]
    if failed:
        lines += ["", f"## Frågor som {names[0]} inte klarade ({len(failed)})", ""]
        lines += [f"- **{r.id}** ({r.kind}) {r.question} — {'; '.join(r.reasons)}" for r in failed]
    lines += ["", "Måtten förklaras i eval/README.md; varje frågas resultat finns i JSON-filen bredvid.", ""]
    return "\n".join(line for line in lines if line is not None)


def plot_kinds(run: EvalRun, path: Path) -> None:
    """Grouped bars: one panel per metric, question kinds on x, one bar per system.

    Args:
        run: the measurements.
        path: PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    kinds = list(run.kinds)
    fig, axes = plt.subplots(len(PLOT_METRICS), 1, figsize=(10, 2.6 * len(PLOT_METRICS)), sharex=True)
    width = 0.8 / max(len(run.systems), 1)
    x = np.arange(len(kinds))
    for ax, metric in zip(axes, PLOT_METRICS, strict=True):
        for i, s in enumerate(run.systems):
            vals = [s.by_kind.get(k, {}).get(metric) for k in kinds]
            ax.bar(x + i * width, [np.nan if v is None else v for v in vals], width, label=s.name)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(metric)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(loc="upper right", ncol=len(run.systems), fontsize=8)
    axes[-1].set_xticks(x + width * (len(run.systems) - 1) / 2, kinds)
    fig.suptitle(f"Mått per frågetyp ({Path(run.gold).name})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_latency(run: EvalRun, path: Path) -> None:
    """Box plots of search and answer latency per system (log scale).

    Args:
        run: the measurements.
        path: PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [s.name for s in run.systems]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, field, title in ((axes[0], "search_ms", "Sökning"), (axes[1], "ask_ms", "Svar")):
        data = [[max(getattr(r, field), 0.1) for r in run.results if r.system == n] for n in names]
        ax.boxplot(data, tick_labels=names)
        ax.set_yscale("log")
        ax.set_ylabel("ms")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(run: EvalRun, out_dir: Path, name: str = "latest") -> list[Path]:
    """Write <name>.md, <name>.json, <name>-kinds.png and <name>-latency.png; return their paths.

    Args:
        run: the measurements.
        out_dir: the folder (created if missing).
        name: file name stem.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = {"kinds": f"{name}-kinds.png", "latency": f"{name}-latency.png"}
    plot_kinds(run, out_dir / plots["kinds"])
    plot_latency(run, out_dir / plots["latency"])
    md = out_dir / f"{name}.md"
    md.write_text(render_markdown(run, plots), encoding="utf-8")
    js = out_dir / f"{name}.json"
    js.write_text(run.model_dump_json(indent=1), encoding="utf-8")
    return [md, js, out_dir / plots["kinds"], out_dir / plots["latency"]]
