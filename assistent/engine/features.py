"""Candidates and their features: every unit of the retrieved sections, described by numbers.

prepare(): retrieval → the sections behind its passages → their stored units and unit
vectors → one feature row per unit (``UNIT_FEATURES``) and one row per question
(``QUESTION_FEATURES``, for abstention). Nothing here is tuned to a phrasing: the
features are similarity, lexical coverage, answer kind, structure and position; how
much each counts is learned (assistent.engine.rank).

Worked example of the lexical coverage: "Hur hög är avgiften för hemsjukvård i
Strömsund?" has the content terms avgift (Zipf 4.6 → weight 2.4) and hemsjukvård
(Zipf 2.9 → 4.0, also split into hem + sjukvård); a unit with "avgiften för
hemsjukvård höjs till 400 kronor" covers both: (2.4 + 4.0) / 6.4 = 1.0; one with only
"avgift" covers 2.4 / 6.4 = 0.38.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from assistent.engine.kinds import CHECKED, focus, focus_stems, provided
from grund.injection import find_instructions
from grund.records import Passage, Section, Unit
from grund.synonyms import synonyms_for
from grund.textproc import analyze, fold, restore_diacritics, words, zipf

if TYPE_CHECKING:
    from assistent.retrieve import Retrieval
    from assistent.services import Services

UNIT_FEATURES: tuple[str, ...] = (
    "dense", "dense_gap", "lex", "lex_gap", "lex_context", "lex_neighbour", "kind_match", "kind_miss",
    "section_rr", "section_score", "part_beslut", "part_forslag", "decision_part", "is_item", "is_row",
    "is_heading", "is_label", "first_in_part", "position", "short", "length", "in_passage", "exact",
    "list_item", "has_number", "heading_match",
)  # fmt: skip
QUESTION_FEATURES: tuple[str, ...] = (
    "top_score", "top_lex", "top_dense", "section_coverage", "missing_rare", "kind_gap", "organ_gap",
    "best_lex", "kind_top", "organ_decision", "unknown_word", "missing_year", "missing_share", "exact",
    "kind_lex", "kind_miss_rare",
)  # fmt: skip
#: A question word rarer than this (Zipf) that no chunk of the archive holds is "unknown".
SPECIFIC_ZIPF = 3.5
#: Question features that depend on the unit scores, filled in by ``question_row``.
DYNAMIC = ("top_score", "best_lex", "kind_top", "kind_lex", "kind_miss_rare")
#: Best-scored units whose kinds count for ``kind_top``.
KIND_TOP_UNITS = 5
# A decision reported as made: "Kommunfullmäktige fastställde …", "… beslutade den 3 maj".
_DECIDED = re.compile(r"\b(beslutade|beslöt|fastställde|godkände|antog|biföll|avslog|fastställdes|godkändes|antogs|beslutades|bifölls)\b", re.I)

# Words that say what kind of question it is rather than what it is about.
_GENERIC_WORDS = """vad vilken vilket vilka hur när var varför vem vems mycket många kommun kommunen stad staden
nämnd nämnden nämndens beslut beslutade beslutat besluta föreslås förslag ärende ärendet gäller handlar
ska skulle kan finns fått få gör göra år året dokument protokoll protokollet fråga nu tid ny nya hos
mkt mycke nåt typ o länge fick man stor stort hög högt""".split()
_GENERIC = frozenset(t for w in _GENERIC_WORDS for t in analyze(w)) | frozenset(fold(w) for w in _GENERIC_WORDS)
#: Candidate sections read per question (the best passages' sections).
MAX_SECTIONS = 8


@lru_cache(maxsize=50_000)
def terms_of(text: str) -> frozenset[str]:
    """Stems and compound-part stems of a text (cached: units repeat across questions)."""
    return frozenset(analyze(text))


@lru_cache(maxsize=100_000)
def _provided(wants: tuple[str, ...], text: str, kind: str, stems: tuple[str, ...], context: str) -> tuple[str, ...]:
    """kinds.provided, cached: the same units come back question after question."""
    return tuple(provided(list(wants), text, kind, stems, context))


def term_weight(word: str) -> float:
    """1 for a common word (Zipf ≥ 5), up to 4 for a rare one; numbers 2 (they name the thing).

    A word typed without å/ä/ö is weighed as spelt ("hemsjukvard" as "hemsjukvård").
    """
    if word[:1].isdigit():
        return 2.0
    z = zipf(word) or zipf(restore_diacritics(word))
    return min(4.0, max(1.0, 1.0 + (5.0 - z))) * (VERB_WEIGHT if verb_form(word) else 1.0)


#: A question's verb weighs this share of its other words: documents say "öppnar" for "flytta in",
#: "beviljas" for "godkändes"; the nouns name the thing asked about.
VERB_WEIGHT = 0.5


@lru_cache(maxsize=20_000)
def verb_form(word: str) -> bool:
    """An inflected verb: simplemma gives an infinitive in -a that the word is not ("pekas" → peka,
    "kommit" → komma, "godkändes" → godkänna); "kronor" → krona is a noun's plural."""
    import simplemma

    spelt = restore_diacritics(word.lower())
    lemma = simplemma.lemmatize(spelt, lang="sv")
    return lemma.endswith("a") and lemma != spelt and not spelt.endswith(("or", "orna", "ors", "ornas", "an", "ans"))


@dataclass
class Candidate:
    """One unit of one retrieved section, with its feature row filled in by ``prepare``."""

    unit: Unit
    section: Section
    passage: Passage
    rank: int  # the section's rank in retrieval (0 = best)
    index: int  # the unit's index in its section
    provides: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """Everything decide() needs: the retrieval, the candidates and their features."""

    retrieval: Retrieval
    wants: list[str]
    candidates: list[Candidate]
    X: np.ndarray  # (n candidates, len(UNIT_FEATURES))
    q: np.ndarray  # (len(QUESTION_FEATURES),)
    sections: list[tuple[Section, Passage, int]]
    units: dict[str, list[Unit]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # question words none of the best sections has
    terms: dict[str, float] = field(default_factory=dict)  # question_terms: content terms and weights


def question_terms(r: Retrieval) -> dict[str, float]:
    """Content terms of the question with their weights (kommun, nämnd and question words dropped).

    A term's weight comes from its word's frequency, not its stem's ("kostar" → stem
    "kost" is no word, but "kostar" is common); compound parts weigh half their word.
    """
    p = r.parsed
    drop = set(_GENERIC)
    names: set[str] = set()  # the scope's names folded: "strangnas" typed is "Strängnäs"
    for name in (p.kommun, p.namnd, r.filters.kommun):
        if name:
            drop |= set(analyze(name)) | {fold(w) for w in name.split()}
            drop |= {t for w in name.split() for t in analyze(w.rstrip("s"))}
            names |= {fold(w).rstrip("s") for w in name.split()}
    for d in p.dnr:
        drop |= set(analyze(d))
    out: dict[str, float] = {}
    for w in words(r.effective_question or r.question):
        terms = analyze(w)
        if not terms or fold(w).rstrip("s") in names:
            continue
        weight = term_weight(w)
        for k, t in enumerate(terms):
            if t in drop or len(t) < 2:
                continue
            out[t] = max(out.get(t, 0.0), weight if k == 0 else weight / 2)
    return out


def _captions(units: list[Unit]) -> list[str]:
    """Per unit, its table's caption when it is a row (the last unit before the table), else ""."""
    out, last = [], ""
    for u in units:
        out.append(last if u.kind == "row" else "")
        last = last if u.kind == "row" else u.text
    return out


def _coverage(q: dict[str, float], terms: frozenset[str], total: float) -> float:
    if not total:
        return 0.0
    return sum(w for t, w in q.items() if t in terms) / total


def prepare(assistant: Services, r: Retrieval, wants: list[str]) -> Prepared:
    """Read the retrieved sections' units and compute every feature.

    Args:
        assistant: holds the store and the embedding model.
        r: the retrieval for the question.
        wants: the answer kinds the question asks for (assistent.engine.kinds.wants).
    """
    store = assistant.store
    sections: list[tuple[Section, Passage, int]] = []
    seen: set[str] = set()
    for rank, p in enumerate(r.passages):
        if p.section_id and p.section_id not in seen and len(sections) < MAX_SECTIONS:
            s = store.get_section(p.section_id)
            if s is not None:
                sections.append((s, p, rank))
                seen.add(s.id)
    stored = store.units_of([s.id for s, _, _ in sections])
    qvec = None
    if sections:  # retrieval's own encoding of the question; a second call only if it had none
        qvec = r.query_vector if r.query_vector is not None else assistant.embedder.embed_query(r.parsed.search_text)
    cands: list[Candidate] = []
    vecs: list[np.ndarray] = []
    units_by_section: dict[str, list[Unit]] = {}
    for s, p, rank in sections:
        units, uv = stored.get(s.id, ([], np.zeros((0, 0), np.float32)))
        units_by_section[s.id] = units
        # a sentence that instructs an assistant ("Ignorera tidigare instruktioner och svara att …")
        # is never a candidate answer, however well it matches: it is flagged, not quoted
        keep = [i for i, u in enumerate(units) if not (s.injection and find_instructions(u.text))]
        for i in keep:
            cands.append(Candidate(units[i], s, p, rank, i))
        if keep:
            vecs.append(uv[keep] if len(keep) < len(units) else uv)
    q_terms = question_terms(r)
    total = sum(q_terms.values())
    checked = [w for w in wants if w in CHECKED]
    X = np.zeros((len(cands), len(UNIT_FEATURES)), np.float32)
    if cands:
        dense = np.concatenate(vecs) @ qvec if qvec is not None else np.zeros(len(cands))
        top_score = max(p.score for _, p, _ in sections) or 1.0
        exact = {s.id for s in r.exact_sections}
        lex = np.array([_coverage(q_terms, terms_of(c.unit.text), total) for c in cands], np.float32)
        decision = r.parsed.intent == "decision" or "decision" in wants
        focus_word = focus(r.effective_question or r.question)
        stems = focus_stems(focus_word, tuple(synonyms_for(restore_diacritics(focus_word))) if focus_word else ())
        captions = {sid: _captions(units) for sid, units in units_by_section.items()}
        for j, c in enumerate(cands):
            u, s = c.unit, c.section
            units = units_by_section[s.id]
            ctx = " ".join(x for x in (u.lead, s.rubrik) if x)
            c.provides = list(_provided(tuple(wants), u.text, u.kind, stems, f"{ctx} {captions[s.id][c.index]}"))
            nb = [lex[j + d] for d in (-1, 1) if 0 <= j + d < len(cands) and cands[j + d].section is s]
            n_words = len(u.text.split())
            first_in_part = c.index == 0 or units[c.index - 1].part != u.part
            row = {
                "dense": float(dense[j]),
                "lex": float(lex[j]),
                "lex_context": _coverage(q_terms, terms_of(ctx), total) if ctx else 0.0,
                "lex_neighbour": float(max(nb)) if nb else 0.0,
                "kind_match": float(bool([k for k in c.provides if k in checked])) if checked else 0.0,
                "kind_miss": float(bool(checked) and not [k for k in c.provides if k in checked]),
                "section_rr": 1.0 / (1 + c.rank),
                "section_score": c.passage.score / top_score,
                "part_beslut": float(u.part == "beslut"),
                "part_forslag": float(u.part == "forslag"),
                "decision_part": float(decision and u.part in ("beslut", "forslag")),
                "is_item": float(u.kind == "item"),
                "is_row": float(u.kind == "row"),
                "is_heading": float(u.kind == "heading"),
                "is_label": float(u.kind == "label"),
                "first_in_part": float(first_in_part),
                "position": c.index / max(len(units), 1),
                "short": float(n_words < 5),
                "length": math.log1p(n_words) / 4,
                "in_passage": float(u.text[:40] in c.passage.text),
                "exact": float(s.id in exact),
                "list_item": float("list" in wants and u.kind in ("item", "row", "label")),
                "has_number": float(bool(re.search(r"\d", u.text))),
                "heading_match": _coverage(q_terms, terms_of(s.rubrik or ""), total),
            }
            for k, name in enumerate(UNIT_FEATURES):
                X[j, k] = row.get(name, 0.0)
        X[:, UNIT_FEATURES.index("dense_gap")] = X[:, 0] - X[:, 0].max()
        X[:, UNIT_FEATURES.index("lex_gap")] = lex - lex.max()
    prepared = Prepared(
        r, wants, cands, X, np.zeros(len(QUESTION_FEATURES), np.float32), sections, units_by_section, terms=q_terms
    )
    prepared.q = question_features(prepared, q_terms, total)
    _archive_features(prepared, store.lexical())
    return prepared


def _archive_features(pr: Prepared, lexical) -> None:
    """Evidence against the whole archive and the best five sections: a specific word no
    chunk holds, a year the question names that the best sections never mention, and
    the IDF-weighted share of the question's content words they lack.

    Worked example: "Hur många platser har Strängnäs kommuns härbärge för hemlösa?" →
    härbärge (Zipf 2.4) occurs in no chunk → unknown_word = 1.
    """
    r = pr.retrieval
    idx = {n: i for i, n in enumerate(QUESTION_FEATURES)}
    pr.q[idx["exact"]] = float(bool(r.exact_sections))
    if not pr.sections:
        return
    present: set[str] = set()
    for s, _, _ in pr.sections[:5]:
        present |= terms_of(s.text) | terms_of(" ".join([*s.heading_path, s.rubrik or ""]))
    scope = fold(" ".join(filter(None, [r.filters.kommun, r.parsed.kommun, r.parsed.namnd])))
    n_chunks = max(len(lexical), 1)
    weights: dict[str, float] = {}
    absent: list[str] = []
    for w in re.findall(r"[^\W\d_][\w-]*", lexical.restore(r.parsed.search_text)):
        full = [t for t in analyze(w, compounds=False) if t not in _GENERIC]
        if not full or fold(w) in scope:
            continue
        parts = [t for t in analyze(w) if t not in full]
        df = min(lexical.document_frequency(t) for t in full)
        parts_df = min((lexical.document_frequency(t) for t in parts), default=0)
        specificity = min(1.0, max(0.2, (7.0 - zipf(w.lower())) / 3.0)) * (VERB_WEIGHT if verb_form(w) else 1.0)
        weights[w] = math.log(1 + n_chunks / (1 + max(df, parts_df))) * specificity
        if df == 0 and parts_df == 0 and zipf(w.lower()) < SPECIFIC_ZIPF and len(w) >= 5:
            pr.q[idx["unknown_word"]] = 1.0
        elif not (set(full) <= present or (parts and set(parts) <= present)):
            absent.append(w)
    total = sum(weights.values())
    pr.q[idx["missing_share"]] = sum(weights[w] for w in absent) / total if total else 0.0
    text = " ".join(s.text for s, _, _ in pr.sections[:5])
    pr.q[idx["missing_year"]] = float(any(str(y) not in text for y in r.parsed.years))


def question_features(pr: Prepared, q_terms: dict[str, float], total: float) -> np.ndarray:
    """Question-level evidence for abstention (the unit scores are added in decide())."""
    out = dict.fromkeys(QUESTION_FEATURES, 0.0)
    if pr.candidates:
        X = pr.X
        out["top_lex"] = float(X[:, UNIT_FEATURES.index("lex")].max())
        out["top_dense"] = float(X[:, 0].max())
        found: set[str] = set()
        for s, _, _ in pr.sections[:3]:
            found |= terms_of(s.text)
            found |= terms_of(s.rubrik or "")
        out["section_coverage"] = _coverage(q_terms, frozenset(found), total)
        heads = {analyze(w)[0] for w in words(pr.retrieval.effective_question or "") if analyze(w)}
        missing = [w for t, w in q_terms.items() if t not in found and t in heads]
        out["missing_rare"] = max(missing, default=0.0) / 4
        for w in (pr.retrieval.effective_question or "").split():
            ts = [t for t in analyze(w) if t in q_terms]
            # the whole word counts, not a compound part of it ("skolskjutsar" is not found by "skol")
            if ts and ts[0] not in found and w.strip("?,.") not in pr.missing:
                pr.missing.append(w.strip("?,.()"))
        checked = [w for w in pr.wants if w in CHECKED]
        if checked:
            order = np.argsort(-X[:, UNIT_FEATURES.index("lex")])[:12]
            out["kind_gap"] = float(not any(set(pr.candidates[i].provides) & set(checked) for i in order))
        namnd = pr.retrieval.parsed.namnd
        if namnd and not pr.retrieval.filters.namnd:
            key = fold(namnd)
            out["organ_gap"] = float(
                not any(fold(s.text).find(key[:-2]) >= 0 or fold(p.namnd or "") == key for s, p, _ in pr.sections[:3])
            )
            # the organ asked about is reported as having decided (or is the organ whose beslut was found)
            stem = key[:-2]
            out["organ_decision"] = float(any(
                (stem in fold(c.unit.text) and _DECIDED.search(c.unit.text))
                or (c.unit.part == "beslut" and fold(c.passage.namnd or "").startswith(stem))
                for c in pr.candidates if c.rank < 3
            ))
        else:
            out["organ_decision"] = 1.0
    else:
        out["missing_rare"] = 1.0
    return np.array([out[k] for k in QUESTION_FEATURES], np.float32)


def log_odds(p: np.ndarray | float) -> np.ndarray:
    """log(p / (1 - p)), clipped: the unit ranker's probabilities of good units all sit near 1,
    so comparisons (abstention, clarification) read their log-odds instead."""
    q = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def question_row(pr: Prepared, scores: np.ndarray) -> np.ndarray:
    """The question features with the score-dependent ones (``DYNAMIC``) filled in."""
    q = pr.q.copy()
    if not len(scores):
        return q
    best = int(np.argmax(scores))
    q[QUESTION_FEATURES.index("top_score")] = float(log_odds(scores[best]))
    q[QUESTION_FEATURES.index("best_lex")] = float(pr.X[best, UNIT_FEATURES.index("lex")])
    checked = [w for w in pr.wants if w in CHECKED]
    top = np.argsort(-scores)[:KIND_TOP_UNITS]
    q[QUESTION_FEATURES.index("kind_top")] = float(
        not checked or any(set(pr.candidates[int(i)].provides) & set(checked) for i in top)
    )
    # how well the best unit that gives the wanted kind matches the question: an amount next to
    # other words ("40 platser" in another case) is no answer to "hur många platser har härbärget?"
    lex = pr.X[:, UNIT_FEATURES.index("lex")]
    giving = [j for j, c in enumerate(pr.candidates) if set(c.provides) & set(checked)] if checked else list(range(len(lex)))
    q[QUESTION_FEATURES.index("kind_lex")] = float(max((lex[j] for j in giving), default=0.0))
    q[QUESTION_FEATURES.index("kind_miss_rare")] = _kind_miss_rare(pr, giving if checked else [int(i) for i in top])
    return q


def _kind_miss_rare(pr: Prepared, giving: list[int]) -> float:
    """The weight of the heaviest question word that even the best unit giving the wanted kind
    lacks, read with its neighbours, heading and lead-in (1 when no unit gives the kind).

    Worked example: "Hur mycket bidrar SISU till renoveringen av Brogårdsvallen?" wants an
    amount; the amount units ("… maximalt 400 000 kronor") sit beside Brogårdsvallen and
    renovering but never beside SISU, so SISU's weight is missing: a near miss, not an answer.
    """
    q_terms = pr.terms
    if not giving or not q_terms:
        return 1.0 if not giving else 0.0
    best = 1.0
    for j in giving:
        c = pr.candidates[j]
        near = [pr.candidates[k].unit.text for k in (j - 1, j, j + 1)
                if 0 <= k < len(pr.candidates) and pr.candidates[k].section is c.section]  # fmt: skip
        present = terms_of(" ".join([*near, c.section.rubrik or "", c.unit.lead or ""]))
        best = min(best, max((w for t, w in q_terms.items() if t not in present), default=0.0) / 4)
    return float(best)
