"""What the teacher cache pays to tell a refit teacher from the same one.

Every ask through the in-process cache takes a fingerprint of the teacher: the identity of every
attribute of the teacher and of the estimators inside it, plus the content of what is trained in
place (a CatBoost model is serialised and hashed). This compares its cost with one teacher call,
for 500-tree models of scikit-learn, LightGBM, XGBoost and CatBoost.
"""

import importlib.util

from _common import (
    TIMING_SLACK,
    Section,
    classification_data,
    clock,
    deterministic,
    figure,
    markdown_table,
    spread,
)
from sklearn.ensemble import RandomForestClassifier

from skdistill._cache import fitted_state
from skdistill._teacher import output_method

NAME = "fingerprint"
TITLE = "The cost of telling a refit teacher"
N_TREES = 500
N_ROWS, N_FEATURES, N_CLASSES = 2_000, 20, 3
ROWS_ASKED = 1_000
REPEATS, QUICK_REPEATS = 31, 3  # paired ratios; the range of 15 missed a re-run (load)


def _teachers():
    teachers = {"RandomForestClassifier": RandomForestClassifier(N_TREES, random_state=0)}
    if importlib.util.find_spec("lightgbm"):
        import lightgbm

        teachers["LGBMClassifier"] = lightgbm.LGBMClassifier(
            n_estimators=N_TREES, verbose=-1, n_jobs=1, random_state=0
        )
    if importlib.util.find_spec("xgboost"):
        import xgboost

        teachers["XGBClassifier"] = xgboost.XGBClassifier(
            n_estimators=N_TREES, n_jobs=1, random_state=0
        )
    if importlib.util.find_spec("catboost"):
        import catboost

        teachers["CatBoostClassifier"] = catboost.CatBoostClassifier(
            iterations=N_TREES, verbose=0, thread_count=1, random_seed=0, allow_writing_files=False
        )
    return teachers


def _paired_seconds(fingerprint, call, repeats):
    """CPU seconds of ``repeats`` fingerprints and calls, taken alternately (which goes first
    alternates too), so that a change in the machine's load favours neither side."""
    fingerprint(), call()  # warm
    times = {"fingerprint": [], "call": []}
    for repeat in range(repeats):
        order = [("fingerprint", fingerprint), ("call", call)]
        for side, fn in order if repeat % 2 == 0 else order[::-1]:
            with clock() as took:
                fn()
            times[side].append(took.cpu)
    return times["fingerprint"], times["call"]


def _key(name):
    return name.removesuffix("Classifier").lower()


def run(quick=False):
    repeats = QUICK_REPEATS if quick else REPEATS
    X, y = classification_data(N_ROWS, N_FEATURES, N_CLASSES)
    rows, costs, figures = [], {}, []
    with deterministic():
        for name, teacher in _teachers().items():
            teacher.fit(X, y)
            ask = getattr(teacher, output_method(teacher))
            prints, calls = _paired_seconds(
                lambda t=teacher: fitted_state(t), lambda a=ask: a(X[:ROWS_ASKED]), repeats
            )
            ratios = [p / c for p, c in zip(prints, calls)]
            costs[name] = spread(ratios)
            figures.append(
                figure(
                    f"{_key(name)}_ratio",
                    f"`{name}`: fingerprint / teacher call on {ROWS_ASKED:,} rows, CPU time",
                    ratios,
                    ".3g",
                    TIMING_SLACK,
                )
            )
            rows.append(
                [
                    f"`{name}`",
                    f"{spread([1000 * p for p in prints]):.2f}",
                    f"{spread([1000 * c for c in calls]):.1f}",
                    f"{costs[name]:.3f}",
                    costs[name].fmt(lambda r: f"{round(ROWS_ASKED * r):,}"),
                ]
            )
    table = markdown_table(
        [
            "teacher (500 trees)",
            "fingerprint (ms)",
            f"teacher call on {ROWS_ASKED:,} rows (ms)",
            "ratio",
            "rows the fingerprint costs",
        ],
        rows,
    )
    # by the largest paired ratio, so that no repeat contradicts the sentence
    cheap = {name: ratio for name, ratio in costs.items() if ratio.high < 0.05}
    dear = {name: ratio for name, ratio in costs.items() if ratio.high >= 0.05}
    reading = ""
    if cheap:
        reading = (
            f"For {', '.join(f'`{n}` ({r.pct(1)})' for n, r in cheap.items())} the fingerprint "
            f"costs less than 5% of one call on {ROWS_ASKED:,} rows in every repeat."
        )
    for name, ratio in dear.items():
        rows_cost = ratio.fmt(lambda r: f"{round(ROWS_ASKED * r):,}")
        reading += (
            f" `{name}` answers fast and its fingerprint serialises the whole model: it costs as "
            f"much as asking the teacher {rows_cost} rows, so the cache saves "
            "time once the rows asked (a grid search's fold) are more than that, and every "
            "candidate after the first is then served without a call."
        )
    body = f"""
CPU time of one fingerprint of a fitted teacher (`skdistill._cache.fitted_state`, taken on
every ask through the in-process cache) against one call of the teacher's `decision_function` or
`predict_proba` on {ROWS_ASKED:,} rows; {N_TREES}-tree models fitted on `make_classification`
({N_ROWS:,} rows, {N_FEATURES} features, {N_CLASSES} classes, `random_state=0`), one thread,
{repeats} repeats taken alternately (which side goes first alternates too), after one warm-up
each. Times are medians [min, max] over the repeats; the ratio is the median [min, max] of the
{repeats} paired ratios, so a change in the machine's load moves both sides of a pair. The last
column is the number of rows whose teacher call costs as much as the fingerprint. A forest's
fingerprint walks its trees' attributes; LightGBM's and XGBoost's compare their booster by
identity and number of rounds; CatBoost's model is trained in place, so it is serialised and
hashed.

{table}

{reading}
"""
    return Section(NAME, TITLE, body, figures)
