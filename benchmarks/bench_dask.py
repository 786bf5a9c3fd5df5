"""The grid search of ``grid_cache`` on one process, on two loky processes and on a dask cluster.

What a cluster gets from the teacher cache: the in-process cache (``memory=None``) lives in one
process, and every task sent to a worker unpickles its own copy of the teacher, so it cannot
serve another task; a ``memory=`` directory that the workers share serves them all.
"""

import os
import tempfile
from pathlib import Path

from _common import (
    Section,
    classification_data,
    clock,
    deterministic,
    figure,
    fmt_seconds,
    markdown_table,
    median,
)
from joblib import Parallel, delayed, parallel_config
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

import skdistill
from skdistill import DistilledClassifier

NAME = "dask"
TITLE = "Grid search on a dask cluster"
TEMPERATURES = [1.0, 2.0, 4.0, 8.0]
ALPHAS = [0.25, 0.5, 1.0]
FOLDS = 3
N_TREES, QUICK_TREES = 500, 50
N_ROWS, N_FEATURES, N_CLASSES = 3_000, 20, 5
REPEATS, QUICK_REPEATS = 3, 1
N_WORKERS = 2
# (label, joblib backend, n_jobs, shared memory directory)
SETTINGS = [
    ("`n_jobs=1`", None, 1, False),
    ("`n_jobs=2`, loky", "loky", 2, False),
    ("`n_jobs=2`, loky, `memory=` directory", "loky", 2, True),
    ("dask, 2 workers", "dask", 2, False),
    ("dask, 2 workers, `memory=` directory", "dask", 2, True),
]


class LoggingForest(RandomForestClassifier):
    """A real random forest that appends a line to ``log_path`` at each ``predict_proba``.

    A file counts the calls made in any process (the workers import this module to unpickle it).
    """

    def __init__(self, log_path=None, n_estimators=100, random_state=None):
        super().__init__(n_estimators=n_estimators, random_state=random_state)
        self.log_path = log_path

    def predict_proba(self, X):
        with open(self.log_path, "a") as file:
            file.write(f"{os.getpid()}\n")
        return super().predict_proba(X)


def _count(log_path):
    n = len(Path(log_path).read_text().split())
    Path(log_path).write_text("")
    return n


def _one_search(teacher, X, y, backend, n_jobs, memory):
    skdistill.clear_cache()
    distiller = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=6, random_state=0), memory=memory
    )
    grid = {"temperature": TEMPERATURES, "alpha": ALPHAS}
    search = GridSearchCV(distiller, grid, cv=FOLDS, n_jobs=n_jobs)
    with parallel_config(backend=backend) if backend else _nothing(), clock() as took:
        search.fit(X, y)
    return took.wall, _count(teacher.log_path), tuple(sorted(search.best_params_.items()))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _warm_up(backend):
    # start the pool's processes before timing: a user's first search pays it once
    with parallel_config(backend=backend):
        Parallel(n_jobs=N_WORKERS)(delayed(os.getpid)() for _ in range(4))


def run(quick=False):
    from distributed import Client, LocalCluster

    repeats = QUICK_REPEATS if quick else REPEATS
    n_trees = QUICK_TREES if quick else N_TREES
    X, y = classification_data(N_ROWS, N_FEATURES, N_CLASSES)
    with tempfile.TemporaryDirectory() as folder, deterministic():
        log_path = os.path.join(folder, "calls.log")
        teacher = LoggingForest(log_path, n_estimators=n_trees, random_state=0).fit(X, y)
        with clock() as one_pass:
            teacher.predict_proba(X[: N_ROWS * (FOLDS - 1) // FOLDS])
        _count(log_path)
        with clock() as started:
            cluster = LocalCluster(
                n_workers=N_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        try:
            _warm_up("loky")
            _warm_up("dask")
            walls = {label: [] for label, *_ in SETTINGS}
            calls = {label: [] for label, *_ in SETTINGS}
            best = set()
            for repeat in range(repeats):
                # rotate the order, so that a change of the machine's load favours no setting
                order = SETTINGS[repeat % len(SETTINGS) :] + SETTINGS[: repeat % len(SETTINGS)]
                for label, backend, n_jobs, shared in order:
                    memory = os.path.join(folder, f"cache{repeat}-{label}") if shared else None
                    wall, n_calls, best_params = _one_search(teacher, X, y, backend, n_jobs, memory)
                    walls[label].append(wall)
                    calls[label].append(n_calls)
                    best.add(best_params)
        finally:
            client.close()
            cluster.close()
    n_candidates = len(TEMPERATURES) * len(ALPHAS)
    wall = {label: median(walls[label]) for label in walls}
    base = SETTINGS[0][0]
    rows = [
        [
            label,
            ", ".join(str(c) for c in sorted(set(calls[label]))),
            fmt_seconds(wall[label]),
            f"{min(walls[label]):.1f}-{max(walls[label]):.1f}",
            f"{wall[base] / wall[label]:.2f}",
        ]
        for label, *_ in SETTINGS
    ]
    table = markdown_table(
        ["setting", "teacher calls", "wall time (s)", "range (s)", "speed-up vs `n_jobs=1`"], rows
    )
    figures = [
        figure("calls_one_process", "teacher calls, `n_jobs=1`", calls[SETTINGS[0][0]], "g"),
        figure(
            "calls_dask_in_process",
            "teacher calls, dask, `memory=None`",
            calls[SETTINGS[3][0]],
            "g",
        ),
        figure(
            "calls_dask_shared", "teacher calls, dask, shared `memory=`", calls[SETTINGS[4][0]], "g"
        ),
    ]
    same = len(best) == 1
    body = f"""
The search of "Grid search with the teacher cache": `GridSearchCV` over {len(TEMPERATURES)}
temperatures x {len(ALPHAS)} alphas, {FOLDS} folds, of a `DistilledClassifier` with a fitted
{n_trees}-tree `RandomForestClassifier` teacher and a `DecisionTreeClassifier(max_depth=6)`
student, on `make_classification` ({N_ROWS:,} rows, {N_FEATURES} features, {N_CLASSES} classes).
It runs with `n_jobs=1`; with `n_jobs=2` on joblib's default loky backend; and under
`joblib.parallel_config(backend="dask")` on a `dask.distributed.LocalCluster` of {N_WORKERS}
worker processes with one thread each, on this same machine. Each setting runs with the default
in-process cache (`memory=None`) and with a fresh `memory=` directory that all processes share.
The teacher, a subclass of the forest, appends a line to a file at each `predict_proba`, which
counts the calls of every process. Times are medians of {repeats} searches per setting, in a
rotating order; the pools were started before timing (the cluster took
{fmt_seconds(started.wall)} s to start). One teacher pass over a training fold takes
{fmt_seconds(one_pass.wall)} s on one thread.

{table}

With the in-process cache, one process asks the teacher {FOLDS} + 1 times (once per fold, once for
the refit). Sent to other processes, every batch of tasks unpickles its own copy of the teacher,
which the cache cannot know, so the teacher is asked up to once per candidate and fold
({n_candidates} x {FOLDS} = {n_candidates * FOLDS}, fewer when joblib batches several tasks
together) plus the refit. A `memory=` directory on a filesystem the workers share brings it back
to once per fold across the cluster, except that a worker asking for a fold another worker is
still computing computes it too (at most once per fold and worker: {FOLDS * N_WORKERS} + 1). The
joblib cache hashes the teacher and X at each call, which is the price of that sharing.
{"All settings chose the same parameters." if same else f"The chosen parameters differ: {best}."}
This machine has 2 cores shared with other jobs, so the speed-ups measure little beyond the
overhead of each backend; on a cluster each worker has its own cores.
"""
    return Section(NAME, TITLE, body, figures)
