"""XGBoost, LightGBM and CatBoost as teachers: refits, column order and grid searches, for real.

Each library is skipped when it is not installed (they are in the ``tests`` extra). The models are
small (a few trees) so that the file runs in seconds.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier, soft_targets
from skdistill.metrics import fidelity_score


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1, n_jobs=1)


def _xgboost():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=15, max_depth=3, n_jobs=1)


def _catboost():
    catboost = pytest.importorskip("catboost")
    return catboost.CatBoostClassifier(
        iterations=15, depth=3, verbose=0, thread_count=1, allow_writing_files=False
    )


TEACHERS = [
    pytest.param(_lightgbm, id="lightgbm"),
    pytest.param(_xgboost, id="xgboost"),
    pytest.param(_catboost, id="catboost"),
]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    # other labels for the refit: the refit teacher disagrees with the first on most rows
    y_other = np.roll(y, 11)
    return X, y, y_other


def _copying_distiller(teacher, memory=None):
    """A distiller whose predict_proba on its training rows is the teacher's own outputs: a
    1-nearest-neighbour regressor learns the soft targets (alpha=1, T=1) row by row."""
    return DistilledClassifier(
        teacher, KNeighborsRegressor(n_neighbors=1), alpha=1.0, memory=memory
    )


@pytest.mark.parametrize("make_teacher", TEACHERS)
@pytest.mark.parametrize("memory", [None, "disk"], ids=["in-process", "disk"])
def test_a_teacher_refit_in_place_is_asked_again(make_teacher, memory, data, tmp_path):
    # the bug: the cache looked at public attributes ending in "_", which a LightGBM or
    # XGBoost refit leaves alone (the model lives in a private booster): the student learnt
    # from the first fit's outputs
    X, y, y_other = data
    memory = str(tmp_path) if memory == "disk" else None
    teacher = make_teacher().fit(X, y)
    first = _copying_distiller(teacher, memory).fit(X, y)
    np.testing.assert_allclose(first.predict_proba(X), teacher.predict_proba(X), atol=1e-6)

    teacher.fit(X, y_other)  # in place: the same object, a new model
    refit = _copying_distiller(teacher, memory).fit(X, y_other)
    np.testing.assert_allclose(refit.predict_proba(X), teacher.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(soft_targets(teacher, X), teacher.predict_proba(X), atol=1e-6)
    assert not np.allclose(refit.predict_proba(X), first.predict_proba(X))


@pytest.mark.parametrize("make_teacher", TEACHERS)
def test_an_unchanged_teacher_is_asked_once_per_distinct_X(make_teacher, data):
    X, y, _ = data
    calls = []
    teacher = make_teacher().fit(X, y)
    methods = [m for m in ("decision_function", "predict_proba") if hasattr(teacher, m)]

    def counting(original):
        def method(X_asked, *args, **kwargs):
            calls.append(len(X_asked))
            return original(X_asked, *args, **kwargs)

        return method

    # instance attributes stand in for the methods, so the class and the model stay real
    for name in methods:
        setattr(teacher, name, counting(getattr(teacher, name)))
    try:
        first = _copying_distiller(teacher).fit(X, y).predict_proba(X)
        second = _copying_distiller(teacher).fit(X, y).predict_proba(X)
    finally:
        for name in methods:
            delattr(teacher, name)
    assert calls == [len(X)]  # the second fit was served from the cache
    np.testing.assert_array_equal(first, second)


class CountingCatBoost(pytest.importorskip("catboost").CatBoostClassifier):
    """A real CatBoost classifier that counts the calls of predict_proba."""

    calls = 0

    def predict_proba(self, X, *args, **kwargs):
        type(self).calls += 1
        return super().predict_proba(X, *args, **kwargs)


def test_grid_search_asks_an_unhashable_catboost_teacher_once_per_fold(data):
    # CatBoost models cannot be hashed; they were never cached, and a grid search asked them
    # once per candidate and fold (3 * 3 + 1 = 10 calls)
    X, y, _ = data
    teacher = CountingCatBoost(
        iterations=15, depth=3, verbose=0, thread_count=1, allow_writing_files=False
    ).fit(X, y)
    with pytest.raises(TypeError):
        hash(teacher)
    CountingCatBoost.calls = 0
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3, random_state=0))
    search = GridSearchCV(distiller, {"temperature": [1.0, 2.0, 4.0]}, cv=3).fit(X, y)
    assert CountingCatBoost.calls == 3 + 1  # 3 folds and the refit on all rows
    assert search.best_estimator_.teacher_ is teacher


@pytest.mark.parametrize("make_teacher", TEACHERS)
def test_columns_in_another_order_are_refused(make_teacher, data):
    # the bug: a LightGBM (or CatBoost) teacher fitted on a DataFrame takes the columns by
    # position, so the same columns in another order silently gave other soft targets
    X, y, _ = data
    # with whitespace in the names, which LightGBM keeps as "_"
    columns = [f"x {i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    teacher = make_teacher().fit(frame, y)
    reordered = frame[columns[::-1]]
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(random_state=0))
    with pytest.raises(ValueError, match=r"another order: X has \['x 5', 'x 4'"):
        distiller.fit(reordered, y)
    with pytest.raises(ValueError, match="another order"):
        soft_targets(teacher, reordered)
    student = DecisionTreeClassifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="another order"):
        fidelity_score(student, reordered, teacher=teacher)
    renamed = frame.rename(columns={"x 2": "z"})
    with pytest.raises(ValueError, match=r"missing from X: \['x.2'\].*not known.*\['z'\]"):
        distiller.fit(renamed, y)
    # the columns the teacher was fitted on, in its order, distil as usual
    assert distiller.fit(frame, y).score(frame, y) > 0.5
