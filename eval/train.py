"""`python -m eval train` and `python -m eval cv`: learn the answer engine's weights from gold files.

train: every question of the gold files is retrieved and its candidate units labelled
(a unit is positive when it holds an accepted form of a required fact and lies in a gold
source file); the unit ranker, the answerability model, its threshold and the
composition parameters are fitted, and ``assistent/engine/weights.json`` is written
(or ``--out``). A municipality retrains on its own gold file with the same command.

cv: the same fit, cross-validated BY DOCUMENT: questions are grouped by the documents
their sources lie in (questions sharing a document share a group; unanswerable
questions are spread over the folds), each group is scored with weights fitted on the
other groups only, and the report gives facts, abstention and false abstention, per
kind, beside two references on the same retrieval: the first passage alone and the top
three passages (their text as "answer").
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from assistent.engine.features import Prepared
from eval.gold import GoldQuestion, load_gold
from eval.metrics import facts_present, score_question

ROOT = Path(__file__).resolve().parent.parent
#: Every bundled gold file (all are dev sets now: each blind one was scored once, then used).
DEFAULT_GOLDS = [
    ROOT / "eval" / f
    for f in ("dev_questions.jsonl", "heldout_questions.jsonl", "heldout2_questions.jsonl", "blind3_questions.jsonl",
              "blind4_questions.jsonl", "blind5_questions.jsonl")
]
#: Composition parameters tried (share, max_units, window, passage_window, passages), and clarify_share.
GRID = [(s, m, w, pw, n) for s in (0.25, 0.5) for m in (4, 8) for w in (1, 2) for pw in (-1, 3, 99) for n in (1, 2)
        if n == 1 or pw >= 0]
CLARIFY = (0.6, 0.7, 0.8, 0.9, 1.01)
#: Cost of one answer word against one more question with all facts (keeps answers short).
WORD_COST = 0.0002


@dataclass
class Item:
    gold: GoldQuestion
    prepared: Prepared
    labels: np.ndarray
    group: int


def label_units(q: GoldQuestion, pr) -> np.ndarray:
    """1 for each candidate unit holding a required fact in a gold source file."""
    files = {s.file for s in q.sources}
    y = np.zeros(len(pr.candidates), np.float32)
    for j, c in enumerate(pr.candidates):
        if c.passage.fil in files and q.facts and any(facts_present(c.unit.text, q.facts)):
            y[j] = 1.0
    return y


def groups_by_document(questions: Sequence[GoldQuestion], n_unanswerable_folds: int = 5) -> list[int]:
    """A group id per question: connected components of questions sharing a source file."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for q in questions:
        files = [s.file for s in q.sources]
        for f in files[1:]:
            parent[find(f)] = find(files[0])
    roots: dict[str, int] = {}
    out = []
    for i, q in enumerate(questions):
        if q.sources:
            out.append(roots.setdefault(find(q.sources[0].file), len(roots)))
        else:
            out.append(-1 - (i % n_unanswerable_folds))
    return out


def collect(assistant, questions: Sequence[GoldQuestion]) -> list[Item]:
    from assistent.engine.core import search

    groups = groups_by_document(questions)
    items = []
    for q, g in zip(questions, groups, strict=True):
        pr = search(assistant, q.question)
        items.append(Item(q, pr, label_units(q, pr), g))
    return items


def fit(assistant, items: Sequence[Item], inner: bool = True):
    """Weights from labelled items: ranker, answerability, threshold, composition."""
    from assistent.engine.features import QUESTION_FEATURES, UNIT_FEATURES
    from assistent.engine.rank import Compose, Model, choose_threshold, fit_answerable, fit_units

    ucoef, ubias = fit_units([it.prepared.X for it in items], [it.labels for it in items])
    model = Model(list(UNIT_FEATURES), ucoef, ubias, list(QUESTION_FEATURES), [0.0] * len(QUESTION_FEATURES), 0.0)
    usable = [it for it in items if it.prepared.candidates and not it.prepared.retrieval.unknown_scope]
    Q = np.array([_qrow(model, it) for it in usable])
    y = np.array([float(it.gold.answerable) for it in usable])
    model.question_coef, model.question_bias = fit_answerable(Q, y)
    if inner and len({it.group for it in usable}) > 3:
        # the threshold is chosen on out-of-fold probabilities, never on the ones it was fitted to
        p = np.zeros(len(usable))
        groups = np.array([it.group for it in usable])
        folds = _folds(sorted(set(groups.tolist())), 5)
        for fold in folds:
            test = np.isin(groups, fold)
            if test.all() or len(set(y[~test])) < 2:
                continue
            inner_model = fit(assistant, [it for it, t in zip(usable, test, strict=True) if not t], inner=False)
            p[test] = [inner_model.answerable(_qrow(inner_model, it)) for it, t in zip(usable, test, strict=True) if t]
        model.threshold = choose_threshold(p, y)
    else:
        model.threshold = choose_threshold(np.array([model.answerable(_qrow(model, it)) for it in usable]), y)
    if inner:
        best = None
        answerable = [(it, model.unit_scores(it.prepared.X)) for it in items if it.gold.answerable]
        for share, max_units, window, passage_window, passages in GRID:
            model.compose = Compose(share, max_units, 1.01, window, passage_window, passages)
            res = [_score(assistant, model, it, sc) for it, sc in answerable]
            value = sum(r[0] for r in res) / len(res) - WORD_COST * statistics.mean(r[1] for r in res)
            if best is None or value > best[0] + 1e-9:
                best = (value, model.compose)
        assert best is not None
        model.compose = best[1]
        model.compose.clarify_share = _choose_clarify(assistant, model, answerable)
    return model


def _choose_clarify(assistant, model, answerable) -> float:
    """The clarify_share that serves the answerable questions best (facts, and ambiguity where asked)."""
    from assistent.engine.compose import Compose as _C
    from assistent.engine.converse import clarification
    from assistent.engine.core import decide

    affected = [(it, sc) for it, sc in answerable if clarification(it.prepared, sc, _C(clarify_share=min(CLARIFY)))]
    best = None
    for c in CLARIFY:
        model.compose.clarify_share = c
        value = 0.0
        for it, _ in affected:
            r = score_question(it.gold, "engine", it.prepared.retrieval.passages, decide(assistant, it.prepared, model))
            value += (r.scores.get("facts") or 0.0) + (r.scores.get("ambiguity") or 0.0)
        if best is None or value > best[0] + 1e-9:
            best = (value, c)
    return best[1] if best else 1.01


def _top(model, it: Item) -> float:
    s = model.unit_scores(it.prepared.X)
    return float(s.max()) if len(s) else 0.0


def _qrow(model, it: Item) -> np.ndarray:
    from assistent.engine.features import question_row

    return question_row(it.prepared, model.unit_scores(it.prepared.X))


def _folds(groups: list[int], k: int) -> list[list[int]]:
    return [groups[i::k] for i in range(k)]


def _score(assistant, model, it: Item, scores: np.ndarray | None = None) -> tuple[float, int]:
    """(all facts in the chosen units, their words) for one answerable question (no rendering: fast)."""
    from assistent.engine.compose import choose

    pr = it.prepared
    if not pr.candidates:
        return 0.0, 0
    chosen = choose(pr, model.unit_scores(pr.X) if scores is None else scores, model.compose)
    text = " ".join(pr.candidates[i].unit.text for i in chosen)
    found = facts_present(text, it.gold.facts)
    return (float(all(found)) if found else 1.0), len(text.split())


def _assistant(data_dir: Path | None):
    from assistent.api import Assistant
    from grund.settings import get_settings

    base = get_settings()
    settings = base.model_copy(update={"data_dir": Path(data_dir)}) if data_dir else base
    a = Assistant(settings)
    a.warm_up()
    return a


def _questions(golds: Sequence[Path]) -> list[GoldQuestion]:
    out: list[GoldQuestion] = []
    for g in golds:
        out += load_gold(g)
    return out


@click.command("train")
@click.option("--gold", "golds", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Guldfiler (standard: alla medföljande).")  # fmt: skip
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), help="Arkivet att träna mot.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Viktfil (standard: assistent/engine/weights.json).")
def train_command(golds: tuple[Path, ...], data_dir: Path | None, out: Path | None) -> None:
    """Träna svarsmotorns vikter (rankning, avstående, sammanställning) på guldfrågor."""
    from assistent.engine.rank import WEIGHTS

    questions = _questions(golds or DEFAULT_GOLDS)
    assistant = _assistant(data_dir)
    t = time.perf_counter()
    items = collect(assistant, questions)
    model = fit(assistant, items)
    model.trained_on = [Path(g).name for g in (golds or DEFAULT_GOLDS)]
    path = out or WEIGHTS
    path.write_text(model.to_json() + "\n", encoding="utf-8")
    click.echo(f"{len(items)} frågor, {sum(len(it.labels) for it in items)} enheter, "
               f"{time.perf_counter() - t:.0f} s; tröskel {model.threshold:.3f}; {model.compose}; skrev {path}")  # fmt: skip


def document_folds(items: Sequence[Item], k: int) -> list[set[int]]:
    """k folds of whole document groups, balanced by question count (largest groups first);
    the unanswerable questions' groups are dealt round the folds."""
    sizes: dict[int, int] = {}
    for it in items:
        sizes[it.group] = sizes.get(it.group, 0) + 1
    folds: list[set[int]] = [set() for _ in range(k)]
    load = [0] * k
    for g in sorted((g for g in sizes if g >= 0), key=lambda g: -sizes[g]):
        i = load.index(min(load))
        folds[i].add(g)
        load[i] += sizes[g]
    for n, g in enumerate(sorted(g for g in sizes if g < 0)):
        folds[n % k].add(g)
    return [f for f in folds if f]


def cross_validate(assistant, items: list[Item], compare_old: bool = False, folds: int = 6) -> dict:
    """Facts/abstention per question with weights fitted on the other documents' questions."""
    from assistent.engine.core import decide

    rows: dict[str, dict] = {}
    for fold in document_folds(items, folds):
        test = [it for it in items if it.group in fold]
        train = [it for it in items if it.group not in fold]
        model = fit(assistant, train)
        for it in test:
            a = decide(assistant, it.prepared, model)
            rows[it.gold.id] = _row(it, a, assistant, compare_old)
    return rows


def _row(it: Item, a, assistant, compare_old: bool) -> dict:
    from grund.records import Answer

    q, passages = it.gold, it.prepared.retrieval.passages
    new = score_question(q, "engine", passages, a)
    first = " ".join(p.text for p in passages[:1])
    top3 = " ".join(p.text for p in passages[:3])
    ref = {name: (float(all(f)) if (f := facts_present(text, q.facts)) else None) for name, text in
           (("first_passage", first), ("top3_passages", top3))}  # fmt: skip
    row = {"id": q.id, "kind": q.kind, "engine": new.scores, "words": len(a.answer.split("\n\nKällor:")[0].split()),
           **ref, "answer": a.answer}  # fmt: skip
    if compare_old:
        old: Answer = assistant.ask(q.question)
        row["old"] = score_question(q, "old", passages, old).scores
        row["old_words"] = len(old.answer.split("\n\nKällor:")[0].split())
    return row


def summarise(rows: dict[str, dict]) -> dict:
    def mean(vals):
        vals = [v for v in vals if v is not None]
        return round(sum(vals) / len(vals), 3) if vals else None

    out: dict = {}
    kinds = ["all", *sorted({r["kind"] for r in rows.values()})]
    sets = sorted({r["set"] for r in rows.values() if r.get("set")})
    for kind in [*kinds, *(f"fil:{s}" for s in sets)]:
        rs = [r for r in rows.values() if kind == "all" or r["kind"] == kind or kind == f"fil:{r.get('set')}"]
        d: dict[str, float | int | None] = {"n": len(rs)}
        for sysname in ("engine", "old"):
            if all(sysname in r for r in rs):
                for m in ("facts", "fact_recall", "abstention", "false_abstention", "ambiguity", "cit_paragraf"):
                    d[f"{sysname}:{m}"] = mean(r[sysname].get(m) for r in rs)
        d["first_passage:facts"] = mean(r["first_passage"] for r in rs)
        d["top3_passages:facts"] = mean(r["top3_passages"] for r in rs)
        d["engine:median_words"] = statistics.median([r["words"] for r in rs]) if rs else None
        out[kind] = d
    return out


def _no_poorer(rows: dict[str, dict]) -> tuple[int, int]:
    """(questions where the answer has all facts, where the first passage has them), answerable with facts."""
    rs = [r for r in rows.values() if r["first_passage"] is not None]
    return sum(bool(r["engine"].get("facts")) for r in rs), sum(bool(r["first_passage"]) for r in rs)


@click.command("cv")
@click.option("--gold", "golds", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Guldfiler (standard: alla medföljande).")  # fmt: skip
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), help="Arkivet att mäta mot.")
@click.option("--compare-old", is_flag=True, help="Kör även den svarare som Assistant.ask använder, i samma körning.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=ROOT / "eval" / "reports" / "cv.json",
              show_default=True, help="JSON-rapport (en .md skrivs bredvid).")  # fmt: skip
def cv_command(golds: tuple[Path, ...], data_dir: Path | None, compare_old: bool, out: Path) -> None:
    """Korsvalidera svarsmotorn per dokument på guldfrågorna och skriv rapporten."""
    questions = _questions(golds or DEFAULT_GOLDS)
    assistant = _assistant(data_dir)
    t = time.perf_counter()
    items = collect(assistant, questions)
    rows = cross_validate(assistant, items, compare_old)
    for g in golds or DEFAULT_GOLDS:
        for q in load_gold(g):
            if q.id in rows:
                rows[q.id]["set"] = Path(g).name  # per-file rows in the report: dev and held-out apart
    summary = summarise(rows)
    answer_ok, first_ok = _no_poorer(rows)
    report = {"golds": [str(g) for g in (golds or DEFAULT_GOLDS)], "n_groups": len({it.group for it in items}),
              "summary": summary, "answer_all_facts": answer_ok, "first_passage_all_facts": first_ok,
              "seconds": round(time.perf_counter() - t, 1), "rows": rows}  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    out.with_suffix(".md").write_text(render_cv(report), encoding="utf-8")
    s = summary["all"]
    click.echo(f"facts {s.get('engine:facts')}  abstention {s.get('engine:abstention')}  "
               f"false_abstention {s.get('engine:false_abstention')}  first passage {s['first_passage:facts']}  "
               f"top-3 {s['top3_passages:facts']}  (answer {answer_ok} vs first passage {first_ok} questions); "
               f"old facts {s.get('old:facts')}; {out}")  # fmt: skip


def render_cv(report: dict) -> str:
    cols = ["n", "engine:facts", "old:facts", "first_passage:facts", "top3_passages:facts", "engine:fact_recall",
            "engine:abstention", "old:abstention", "engine:false_abstention", "old:false_abstention",
            "engine:ambiguity", "engine:median_words"]  # fmt: skip
    lines = [
        "# Korsvalidering per dokument av svarsmotorn",
        "",
        f"Guldfiler: {', '.join(Path(g).name for g in report['golds'])}; {report['n_groups']} grupper "
        "(frågor vars källor delar dokument hör till samma grupp; varje grupp poängsätts med vikter tränade på de andra).",
        "",
        f"Svaret har alla fakta på {report['answer_all_facts']} frågor; första passagen ensam på "
        f"{report['first_passage_all_facts']}.",
        "",
        "| typ | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for kind, d in report["summary"].items():
        lines.append(f"| {kind} | " + " | ".join("–" if d.get(c) is None else str(d.get(c)) for c in cols) + " |")
    misses = [r for r in report["rows"].values() if r["engine"].get("facts") == 0.0 or r["engine"].get("abstention") == 0.0]
    if misses:
        lines += ["", f"## Missar ({len(misses)})", ""]
        lines += [f"- {r['id']} ({r['kind']})" for r in misses]
    return "\n".join(lines) + "\n"

