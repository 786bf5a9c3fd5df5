"""Grid search with and without the cache of teacher outputs.

A fitted teacher's outputs do not depend on temperature or alpha, so in a grid search over them the
in-process cache (``memory=None``) should ask the teacher once per fold and once for the refit,
where ``memory=False`` asks it once per candidate and fold.
"""

from _common import (
    TIMING_SLACK,
    Section,
    classification_data,
    clock,
    deterministic,
    figure,
    fmt_seconds,
    markdown_table,
    median,
)
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

import skdistill
from skdistill import DistilledClassifier

NAME = "grid_cache"
TITLE = "Grid search with the teacher cache"
TEMPERATURES = [1.0, 2.0, 4.0, 8.0]
ALPHAS = [0.25, 0.5, 1.0]
FOLDS = 3
N_TREES = 500
N_ROWS, N_FEATURES, N_CLASSES = 3_000, 20, 5
REPEATS, QUICK_REPEATS = 3, 1


class CountingForest(RandomForestClassifier):
    """A real random forest that counts the calls of its ``predict_proba``.

    The count lives on the class, not on the fitted object: an attribute set on the teacher would
    be part of the state the cache compares to tell a refit teacher from the same one.
    """

    calls = 0

    def predict_proba(self, X):
        type(self).calls += 1
        return super().predict_proba(X)


def _search(teacher, memory):
    distiller = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=6, random_state=0), memory=memory
    )
    grid = {"temperature": TEMPERATURES, "alpha": ALPHAS}
    return GridSearchCV(distiller, grid, cv=FOLDS, n_jobs=1)


def _one_search(teacher, X, y, memory):
    # start cold: the cache would otherwise still hold the previous repeat's teacher outputs
    skdistill.clear_cache()
    CountingForest.calls = 0
    with clock() as took:
        search = _search(teacher, memory).fit(X, y)
    return took, CountingForest.calls, search.best_params_


def run(quick=False):
    repeats = QUICK_REPEATS if quick else REPEATS
    X, y = classification_data(N_ROWS, N_FEATURES, N_CLASSES)
    n_candidates = len(TEMPERATURES) * len(ALPHAS)
    with deterministic():
        teacher = CountingForest(n_estimators=N_TREES, random_state=0).fit(X, y)
        CountingForest.calls = 0
        with clock() as one_pass:
            teacher.predict_proba(X[: N_ROWS * (FOLDS - 1) // FOLDS])
        timings = {None: [], False: []}
        calls = {None: set(), False: set()}
        best = {None: set(), False: set()}
        for repeat in range(repeats):
            settings = (None, False) if repeat % 2 == 0 else (False, None)
            for memory in settings:
                took, n_calls, best_params = _one_search(teacher, X, y, memory)
                timings[memory].append(took)
                calls[memory].add(n_calls)
                best[memory].add(tuple(sorted(best_params.items())))
    expected = {None: FOLDS + 1, False: n_candidates * FOLDS + 1}
    wall = {m: median([c.wall for c in timings[m]]) for m in timings}
    cpu = {m: median([c.cpu for c in timings[m]]) for m in timings}
    ratio_wall = median([on.wall / off.wall for on, off in zip(timings[None], timings[False])])
    ratios_cpu = [on.cpu / off.cpu for on, off in zip(timings[None], timings[False])]
    ratio_cpu = median(ratios_cpu)
    figures = [
        figure("calls_cache_on", "teacher calls, `memory=None`", [max(calls[None])], "g"),
        figure("calls_cache_off", "teacher calls, `memory=False`", [max(calls[False])], "g"),
        figure("ratio_cpu", "CPU time, cache on / off", ratios_cpu, ".3f", TIMING_SLACK),
    ]
    rows = []
    for memory, label in ((None, "`memory=None` (cache on)"), (False, "`memory=False` (off)")):
        counted = ", ".join(str(c) for c in sorted(calls[memory]))
        rows.append(
            [
                label,
                counted,
                str(expected[memory]),
                fmt_seconds(wall[memory]),
                fmt_seconds(cpu[memory]),
            ]
        )
    rows.append(
        ["ratio on / off", "", "", f"**{ratio_wall:.3f}**", f"**{ratio_cpu:.3f}**"],
    )
    table = markdown_table(
        ["setting", "teacher calls (counted)", "expected", "wall time (s)", "CPU time (s)"],
        rows,
    )
    calls_ok = all(calls[m] == {expected[m]} for m in calls)
    same_best = best[None] == best[False] and len(best[None]) == 1
    reading = (
        f"The teacher was asked exactly {expected[None]} times with the cache and "
        f"{expected[False]} times without, as expected"
        if calls_ok
        else f"The counted calls ({dict((str(m), sorted(c)) for m, c in calls.items())}) differ "
        f"from the expected {expected[None]} (cache on) and {expected[False]} (off)"
    )
    reading += (
        f"; the cache cuts the search's wall time to {100 * ratio_wall:.0f}% of the uncached one. "
        "Both settings chose the same parameters"
        if same_best
        else f"; the cache cuts the search's wall time to {100 * ratio_wall:.0f}% of the uncached "
        f"one, but the chosen parameters differ ({best})"
    )
    saved = wall[False] - wall[None]
    passes = expected[False] - expected[None]
    reading += (
        f". The {saved:.1f} s saved are about the {passes} teacher passes not made "
        f"({passes} x {one_pass.wall:.2f} s = {passes * one_pass.wall:.1f} s); the time left "
        f"with the cache is mostly the {n_candidates * FOLDS + 1} student fits and their scoring, "
        "which no cache can save"
    )
    body = f"""
`GridSearchCV` over {len(TEMPERATURES)} temperatures ({", ".join(f"{t:g}" for t in TEMPERATURES)})
x {len(ALPHAS)} alphas ({", ".join(f"{a:g}" for a in ALPHAS)}), {FOLDS} folds, `n_jobs=1`, of a
`DistilledClassifier` with a fitted {N_TREES}-tree `RandomForestClassifier` teacher and a
`DecisionTreeClassifier(max_depth=6)` student, on `make_classification` ({N_ROWS:,} rows,
{N_FEATURES} features, {N_CLASSES} classes, `random_state=0`). The teacher is a subclass of
`RandomForestClassifier` that counts the calls of `predict_proba` (a real forest, not a mock). The
cache is cleared before each search. Times are medians of {repeats} searches per setting, run
alternately (one thread); the ratio is the median of the paired ratios. One teacher pass over a
training fold takes {fmt_seconds(one_pass.wall)} s here.

**Expected: {FOLDS} folds + 1 refit = {expected[None]} teacher calls with the cache;
{n_candidates} candidates x {FOLDS} folds + 1 refit = {expected[False]} without.**

{table}

{reading}.
"""
    return Section(NAME, TITLE, body, figures)
