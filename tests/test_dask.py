"""Labelling and grid searches on a real dask cluster: two worker processes, one thread each.

The teacher writes the process id of each call to a file, so calls are counted across processes.
"""

import os

import numpy as np
import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from joblib import parallel_config  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from skdistill import DistilledClassifier, clear_cache  # noqa: E402

# starting two worker processes takes seconds; `make test-slow` runs these
pytestmark = pytest.mark.slow

GRID = {"temperature": [1.0, 4.0], "alpha": [0.5, 1.0]}
FOLDS = 3
N_WORKERS = 2


class LoggingForest(RandomForestClassifier):
    """A real forest that appends ``<what> <pid>`` to ``log_path`` at each fit and each call.

    Workers unpickle it by importing this module, which they find on the path they inherit.
    """

    def __init__(self, log_path=None, n_estimators=100, random_state=None):
        super().__init__(n_estimators=n_estimators, random_state=random_state)
        self.log_path = log_path

    def _log(self, what):
        with open(self.log_path, "a") as file:
            file.write(f"{what} {os.getpid()}\n")

    def fit(self, X, y, sample_weight=None):
        self._log("fit")
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        self._log("predict_proba")
        return super().predict_proba(X)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=N_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )


@pytest.fixture
def teacher(data, tmp_path):
    X, y = data
    teacher = LoggingForest(tmp_path / "calls.log", n_estimators=20, random_state=0).fit(X, y)
    _calls(teacher)  # forget the fit
    return teacher


def _calls(teacher):
    """The (what, pid) lines logged since the last look, then empties the log."""
    with open(teacher.log_path) as file:
        lines = [tuple(line.split()) for line in file]
    open(teacher.log_path, "w").close()
    return [(what, int(pid)) for what, pid in lines]


def _student():
    return DecisionTreeClassifier(max_depth=4, random_state=0)


def test_the_teacher_labels_its_batches_on_the_workers(client, data, teacher):
    X, y = data
    distiller = DistilledClassifier(
        teacher,
        _student(),
        transfer="mixup",
        n_transfer=900,
        teacher_batch_size=200,
        n_jobs=N_WORKERS,
        memory=False,
        random_state=0,
    )
    on_one_core = distiller.set_params(n_jobs=1).fit(X, y)
    expected = on_one_core.student_.predict_proba(X)
    _calls(teacher)
    with parallel_config(backend="dask"):
        on_cluster = distiller.set_params(n_jobs=N_WORKERS).fit(X, y)
    calls = _calls(teacher)
    workers = set(client.run(os.getpid).values())
    # the training rows and the transfer set are asked apart: 300 and 900 rows by 200
    assert len(calls) == 2 + 5
    assert {what for what, _ in calls} == {"predict_proba"}  # no refit
    assert {pid for _, pid in calls} <= workers and os.getpid() not in workers
    np.testing.assert_array_equal(on_cluster.student_.predict_proba(X), expected)
    assert on_cluster.teacher_ is teacher


def _search(teacher, memory, n_jobs):
    distiller = DistilledClassifier(teacher, _student(), memory=memory)
    return GridSearchCV(distiller, GRID, cv=FOLDS, n_jobs=n_jobs)


def _same_search(a, b, X):
    assert a.best_params_ == b.best_params_
    np.testing.assert_array_equal(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(
        a.best_estimator_.student_.predict_proba(X), b.best_estimator_.student_.predict_proba(X)
    )


def test_a_grid_search_on_the_cluster_with_the_in_process_cache(client, data, teacher):
    X, y = data
    clear_cache()
    reference = _search(teacher, None, n_jobs=1).fit(X, y)
    assert len(_calls(teacher)) == FOLDS + 1  # one process: once per fold, once for the refit
    clear_cache()
    with parallel_config(backend="dask"):
        search = _search(teacher, None, n_jobs=N_WORKERS).fit(X, y)
    calls = _calls(teacher)
    # each batch of tasks joblib sends unpickles its own copy of the teacher, which an in-process
    # cache cannot know: up to once per candidate and fold on the workers (fewer when joblib
    # batches tasks), once for the refit here; always more than once per fold
    n_candidates = len(GRID["temperature"]) * len(GRID["alpha"])
    on_workers = sum(pid != os.getpid() for _, pid in calls)
    assert FOLDS < on_workers <= n_candidates * FOLDS
    assert len(calls) == on_workers + 1
    assert {what for what, _ in calls} == {"predict_proba"}  # no refit
    assert search.best_estimator_.teacher_ is teacher
    _same_search(search, reference, X)


def test_a_memory_directory_asks_the_teacher_once_per_fold_across_the_cluster(
    client, data, teacher, tmp_path
):
    X, y = data
    reference = _search(teacher, False, n_jobs=1).fit(X, y)
    _calls(teacher)
    cache = tmp_path / "cache"
    with parallel_config(backend="dask"):
        search = _search(teacher, str(cache), n_jobs=N_WORKERS).fit(X, y)
    calls = _calls(teacher)
    entries = list(cache.glob("**/_call_teacher/*/output.pkl"))
    assert len(entries) == FOLDS + 1  # the outputs of each training fold and of the refit
    # a worker that asks for a fold another worker is still computing computes it too: at most
    # once per fold and worker
    assert FOLDS + 1 <= len(calls) <= FOLDS * N_WORKERS + 1
    assert {what for what, _ in calls} == {"predict_proba"}
    _same_search(search, reference, X)
