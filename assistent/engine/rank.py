"""The learned parts: a unit ranker and an answerability model, with weights as data.

Both are logistic regressions over the general features of assistent.engine.features:
- the unit ranker scores P(unit holds a required fact | features), per unit and
  independently of the others, so units from different sections compare fairly;
- the answerability model scores P(the documents answer the question | question
  features + the best unit's score); below ``threshold`` the engine abstains. "No
  answer" is a scored outcome with a threshold, not a rule.

The weights live in ``weights.json`` beside this file (feature names, coefficients,
threshold, composition parameters) and are written by ``python -m eval train``
(eval/train.py) from gold files; a municipality retrains on its own gold file with
the same command. ``fit`` standardises features, fits, and folds the scaling back into
the coefficients, so scoring is one dot product per unit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistent.engine.features import QUESTION_FEATURES, UNIT_FEATURES

WEIGHTS = Path(__file__).with_name("weights.json")


@dataclass
class Compose:
    """Composition parameters (chosen by cross-validation in eval/train.py)."""

    #: a unit joins the answer when its score is at least this share of the best unit's
    share: float = 0.5
    #: most units in an answer (neighbours and list items of the best unit come on top)
    max_units: int = 4
    #: a second kommun whose best unit scores this share of the best makes the question ambiguous
    clarify_share: float = 0.85
    #: units on each side of the best unit, in its section, that come along (its context)
    window: int = 1
    #: units on each side of the best unit of the first passage (retrieval's best chunk) that
    #: come along: the answer is then never poorer than that part of its first passage
    passage_window: int = 2
    #: how many of retrieval's best passages (by rank) bring their own best unit and its
    #: ``passage_window`` neighbours: 2 covers the question whose answer spans two sections
    passages: int = 1


@dataclass
class Model:
    """Weights of the unit ranker and of the answerability model."""

    unit_features: list[str]
    unit_coef: list[float]
    unit_bias: float
    question_features: list[str]
    question_coef: list[float]
    question_bias: float
    threshold: float = 0.5
    compose: Compose = field(default_factory=Compose)
    trained_on: list[str] = field(default_factory=list)

    def unit_scores(self, X: np.ndarray) -> np.ndarray:
        """P(fact) per row of a unit feature matrix (columns in UNIT_FEATURES order)."""
        if not len(X):
            return np.zeros(0, np.float32)
        z = X[:, self._unit_index()] @ np.asarray(self.unit_coef, np.float32) + self.unit_bias
        return 1.0 / (1.0 + np.exp(-z))

    def answerable(self, q: np.ndarray) -> float:
        """P(answerable) from a full question feature row (features.question_row, QUESTION_FEATURES order)."""
        row = dict(zip(QUESTION_FEATURES, q.tolist(), strict=True))
        z = sum(c * row.get(n, 0.0) for n, c in zip(self.question_features, self.question_coef, strict=True))
        return float(1.0 / (1.0 + np.exp(-(z + self.question_bias))))

    def _unit_index(self) -> list[int]:
        return [UNIT_FEATURES.index(n) for n in self.unit_features]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


def untrained() -> Model:
    """The baseline before any training: dense similarity plus lexical coverage, equal weights."""
    coef = [1.0 if n in ("dense", "lex") else 0.0 for n in UNIT_FEATURES]
    qcoef = [4.0 if n == "top_lex" else 0.0 for n in QUESTION_FEATURES]
    return Model(list(UNIT_FEATURES), coef, -1.0, list(QUESTION_FEATURES), qcoef, -1.0, threshold=0.3)


def load_model(path: Path | None = None) -> Model:
    """The shipped (or given) weights; the untrained baseline when there is no file."""
    return _load(str(path or WEIGHTS))


@lru_cache(maxsize=4)
def _load(path: str) -> Model:
    p = Path(path)
    if not p.is_file():
        return untrained()
    raw = json.loads(p.read_text(encoding="utf-8"))
    raw["compose"] = Compose(**raw.get("compose", {}))
    model = Model(**raw)
    # features added after the file was written count 0; features since removed are dropped
    keep = [(n, c) for n, c in zip(model.unit_features, model.unit_coef, strict=True) if n in UNIT_FEATURES]
    model.unit_features, model.unit_coef = [n for n, _ in keep], [c for _, c in keep]
    return model


def _logistic(X: np.ndarray, y: np.ndarray, c: float, balanced: bool) -> tuple[np.ndarray, float]:
    """Fit on standardised columns; return coefficients and bias on the original scale."""
    from sklearn.linear_model import LogisticRegression

    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std < 1e-6] = 1.0
    clf = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=2000)
    clf.fit((X - mean) / std, y)
    coef = clf.coef_[0] / std
    bias = float(clf.intercept_[0] - (coef * mean).sum())
    return coef, bias


def fit_units(Xs: list[np.ndarray], ys: list[np.ndarray], c: float = 0.5) -> tuple[list[float], float]:
    """Fit the unit ranker on the candidates of many questions.

    Each question's candidates are weighted to sum to one, so a question with 400
    units does not outweigh one with 40.

    Args:
        Xs: per question, its unit feature matrix.
        ys: per question, 1 for each unit holding a required fact, else 0.
        c: inverse regularisation strength.
    """
    rows = [(X, y) for X, y in zip(Xs, ys, strict=True) if len(X) and y.any()]
    X = np.concatenate([x for x, _ in rows])
    y = np.concatenate([t for _, t in rows])
    coef, bias = _logistic(X, y, c, balanced=True)
    return coef.tolist(), bias


#: Inverse regularisation of the answerability model. With 49 unanswerable questions among 284 the
#: correlated lexical features (top_lex, best_lex, kind_lex, section_coverage) took large weights of
#: opposite sign at 0.3; at 0.05, cross-validated by document, abstention rose 15 -> 19/49 with false
#: abstention 10-11/235 and facts 0.83 either way (0.02: 20/49 but 13 false; 1.0: 11/49).
ANSWERABLE_C = 0.05


def fit_answerable(Q: np.ndarray, answerable: np.ndarray, c: float = ANSWERABLE_C) -> tuple[list[float], float]:
    """Fit the answerability model on one row per question (QUESTION_FEATURES order).

    Args:
        Q: question features, with top_score filled in from the unit ranker.
        answerable: 1 for questions the documents answer.
        c: inverse regularisation strength (few unanswerable questions: keep it small).
    """
    coef, bias = _logistic(Q, answerable, c, balanced=True)
    return coef.tolist(), bias


#: The false-abstention rate the threshold may cost (issue #10's target). The threshold is the
#: one that abstains on the most unanswerable questions while at most this share of the answerable
#: ones are abstained on, out of fold: a quantile of the answerable questions' probabilities,
#: which moves far less between fits than the arg-max of a gain that the overlap makes nearly flat.
MAX_FALSE_ABSTENTION = 0.05


def choose_threshold(p: np.ndarray, answerable: np.ndarray, max_false: float = MAX_FALSE_ABSTENTION) -> float:
    """The abstention threshold: abstain on as many unanswerable questions as possible while
    at most ``max_false`` of the answerable ones are abstained on (the fewest false abstentions
    among equals). Thresholds lie midway between observed probabilities.

    Args:
        p: P(answerable) per question, out of fold.
        answerable: 1 for answerable questions.
        max_false: the largest share of answerable questions that may be abstained on.
    """
    neg, pos = p[answerable == 0], p[answerable == 1]
    if not len(neg) or not len(pos):
        return 0.0
    candidates = np.unique(np.concatenate([p, [0.0, 1.0]]))
    best, best_t = (-1.0, 0.0), 0.0
    for lo, hi in zip(candidates, candidates[1:], strict=False):
        t = (lo + hi) / 2
        false = float((pos < t).mean())
        if false > max_false + 1e-12:
            continue
        key = (float((neg < t).mean()), -false)
        if key > best:
            best, best_t = key, t
    return float(best_t)
