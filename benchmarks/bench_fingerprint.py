"""What the teacher cache pays to tell a refit teacher from the same one.

Every ask through the in-process cache takes a fingerprint of the teacher: the identity of every
attribute of the teacher and of the estimators inside it, plus the content of what is trained in
place (a CatBoost model is serialised and hashed). This compares its cost with one teacher call,
for 500-tree models of scikit-learn, LightGBM, XGBoost and CatBoost.
"""

import importlib.util

from _common import (
    Section,
    classification_data,
    clock,
    markdown_table,
    median,
    single_threaded,
)
from sklearn.ensemble import RandomForestClassifier

from skdistill._cache import fitted_state
from skdistill._teacher import output_method

NAME = "fingerprint"
TITLE = "The cost of telling a refit teacher"
N_TREES = 500
N_ROWS, N_FEATURES, N_CLASSES = 2_000, 20, 3
ROWS_ASKED = 1_000
REPEATS, QUICK_REPEATS = 15, 3


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


def _median_seconds(fn, repeats):
    fn()  # warm
    timings = []
    for _ in range(repeats):
        with clock() as took:
            fn()
        timings.append(took.cpu)
    return median(timings)


def run(quick=False):
    repeats = QUICK_REPEATS if quick else REPEATS
    X, y = classification_data(N_ROWS, N_FEATURES, N_CLASSES)
    rows, costs = [], {}
    with single_threaded():
        for name, teacher in _teachers().items():
            teacher.fit(X, y)
            ask = getattr(teacher, output_method(teacher))
            fingerprint = _median_seconds(lambda t=teacher: fitted_state(t), repeats)
            call = _median_seconds(lambda a=ask: a(X[:ROWS_ASKED]), repeats)
            costs[name] = fingerprint / call
            rows.append(
                [
                    f"`{name}`",
                    f"{1000 * fingerprint:.2f}",
                    f"{1000 * call:.1f}",
                    f"{fingerprint / call:.3f}",
                    f"{round(ROWS_ASKED * fingerprint / call):,}",
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
    cheap = [name for name, ratio in costs.items() if ratio < 0.05]
    dear = {name: ratio for name, ratio in costs.items() if ratio >= 0.05}
    reading = (
        f"For {', '.join(f'`{n}`' for n in cheap)} the fingerprint costs less than 5% of one "
        f"call on {ROWS_ASKED:,} rows."
    )
    for name, ratio in dear.items():
        reading += (
            f" `{name}` answers fast and its fingerprint serialises the whole model: it costs as "
            f"much as asking the teacher {round(ROWS_ASKED * ratio):,} rows, so the cache saves "
            "time once the rows asked (a grid search's fold) are more than that, and every "
            "candidate after the first is then served without a call."
        )
    body = f"""
Median CPU time of one fingerprint of a fitted teacher (`skdistill._cache.fitted_state`, taken on
every ask through the in-process cache) against one call of the teacher's `decision_function` or
`predict_proba` on {ROWS_ASKED:,} rows; {N_TREES}-tree models fitted on `make_classification`
({N_ROWS:,} rows, {N_FEATURES} features, {N_CLASSES} classes, `random_state=0`), one thread,
{repeats} repeats. The last column is the number of rows whose teacher call costs as much as the
fingerprint. A forest's fingerprint walks its trees' attributes; LightGBM's and XGBoost's
compare their booster by identity and number of rounds; CatBoost's model is trained in place, so it
is serialised and hashed.

{table}

{reading}
"""
    return Section(NAME, TITLE, body)
