"""How teachers are asked and cached: one-vs-one scores, column names, refits of any teacher."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_iris, load_wine
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier, soft_targets
from skdistill._cache import fitted_state


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


# ------------------------------------------------------------------ one-vs-one scores
@pytest.mark.parametrize(
    "wrap",
    [
        lambda svc: svc,
        lambda svc: make_pipeline(StandardScaler(), svc),
        lambda svc: GridSearchCV(svc, {"C": [1.0, 10.0]}, cv=3),
    ],
    ids=["SVC", "Pipeline", "GridSearchCV"],
)
def test_one_vs_one_scores_are_refused_with_what_to_do(iris, wrap):
    # the bug: 3 classes give 3 pairwise columns, which passed the width check and were read as
    # logits; the soft targets' argmax agreed with the teacher's predict on a third of the rows
    X, y = iris
    teacher = wrap(SVC(decision_function_shape="ovo")).fit(X, y)
    assert teacher.decision_function(X).shape == (len(X), 3)
    message = "one-vs-one.*decision_function_shape='ovr'.*CalibratedClassifierCV"
    with pytest.raises(ValueError, match=message):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X, y)
    with pytest.raises(ValueError, match=message):
        soft_targets(teacher, X)


@pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")
def test_one_vs_one_teacher_with_probabilities_is_asked_for_them(iris):
    X, y = iris
    teacher = SVC(decision_function_shape="ovo", probability=True, random_state=0).fit(X, y)
    np.testing.assert_allclose(soft_targets(teacher, X), teacher.predict_proba(X))
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(random_state=0), alpha=1.0)
    agreement = np.mean(distiller.fit(X, y).predict(X) == teacher.predict(X))
    assert agreement > 0.95


def test_one_vs_rest_and_binary_scores_stay_logits(iris):
    X, y = iris
    ovr = SVC().fit(X, y)  # decision_function_shape='ovr' by default
    np.testing.assert_array_equal(
        soft_targets(ovr, X).argmax(axis=1), ovr.decision_function(X).argmax(axis=1)
    )
    binary = SVC(decision_function_shape="ovo").fit(X[y < 2], y[y < 2])  # one pair: one column
    assert soft_targets(binary, X[:5]).shape == (5, 2)
    # a calibrated SVC is the advice of the refusal; it serves probabilities
    calibrated = CalibratedClassifierCV(SVC(decision_function_shape="ovo"), ensemble=False)
    calibrated.fit(X, y)
    np.testing.assert_allclose(soft_targets(calibrated, X), calibrated.predict_proba(X))


# ------------------------------------------------------------------ column names
def test_a_scikit_learn_teacher_refuses_reordered_columns_by_name(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    teacher = LogisticRegression(max_iter=1000).fit(frame, y)
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(random_state=0))
    with pytest.raises(ValueError, match=r"another order: X has \['pw', 'pl', 'sw', 'sl'\]"):
        distiller.fit(frame[["pw", "pl", "sw", "sl"]], y)
    # a plain array is left to the teacher, as scikit-learn leaves it (with a warning)
    with pytest.warns(UserWarning, match="feature names"):
        distiller.fit(X, y)


# ------------------------------------------------------------------ the cache and refits
def test_partial_fit_of_a_teacher_is_noticed(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    teacher = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    teacher.partial_fit(X, y, classes=np.unique(y))
    before = soft_targets(teacher, X)
    for _ in range(20):
        teacher.partial_fit(X, y)  # trains the same weight arrays in place
    after = soft_targets(teacher, X)
    np.testing.assert_allclose(after, teacher.predict_proba(X))
    assert not np.allclose(before, after)


def test_a_wrapped_teacher_refit_in_place_is_noticed(iris):
    X, y = iris
    inner = LogisticRegression(max_iter=1000).fit(X, y)
    teacher = CalibratedClassifierCV(FrozenEstimator(inner)).fit(X, y)
    before = soft_targets(teacher, X)
    inner.fit(X, np.roll(y, 7))  # the user's own model, inside the fitted wrapper
    np.testing.assert_allclose(soft_targets(teacher, X), teacher.predict_proba(X))
    assert not np.allclose(before, soft_targets(teacher, X))


class _Opaque:
    """A model part of a kind the cache does not know, trained in place."""

    def __init__(self):
        self.weights = np.zeros((4, 3))


class OpaqueTeacher(ClassifierMixin, BaseEstimator):
    """A duck-typed teacher whose fitted state lives inside an object of an unknown kind."""

    def fit(self, X, y):
        if not hasattr(self, "model_"):  # trained in place: the attributes stay the same objects
            self.classes_ = np.unique(y)
            self.model_ = _Opaque()
        self.model_.weights[...] = np.linalg.lstsq(X, np.eye(3)[y], rcond=None)[0]
        return self

    def predict_proba(self, X):
        scores = np.exp(X @ self.model_.weights)
        return scores / scores.sum(axis=1, keepdims=True)


def test_a_teacher_whose_refit_cannot_be_told_is_asked_again(iris):
    X, y = iris
    teacher = OpaqueTeacher().fit(X, y)
    assert fitted_state(teacher) is None  # an unknown object: not cached, never stale
    before = soft_targets(teacher, X)
    teacher.fit(X, np.roll(y, 7))
    np.testing.assert_allclose(soft_targets(teacher, X), teacher.predict_proba(X))
    assert not np.allclose(before, soft_targets(teacher, X))


def test_a_teachers_fingerprint_is_unchanged_by_asking_it():
    X, y = load_wine(return_X_y=True)
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    first = fitted_state(teacher)
    teacher.predict_proba(X)
    teacher.decision_function(X)
    from skdistill._cache import same_state

    assert same_state(first, fitted_state(teacher))
    teacher.fit(X[:100], y[:100])
    assert not same_state(first, fitted_state(teacher))


# ------------------------------------------------------------------ the fingerprint of X
class RowCountingLogistic(LogisticRegression):
    """A real logistic regression that counts the rows it is asked about."""

    asked = []

    def decision_function(self, X):
        type(self).asked.append(len(X))
        return super().decision_function(X)


def test_the_cache_serves_only_rows_equal_in_every_value(iris):
    from skdistill._teacher import clear_cache, teacher_outputs

    X, y = iris
    teacher = RowCountingLogistic(max_iter=1000).fit(X, y)
    RowCountingLogistic.asked = []
    clear_cache()
    first = teacher_outputs(teacher, X, "decision_function", None)
    np.testing.assert_array_equal(
        teacher_outputs(teacher, X.copy(), "decision_function", None), first
    )
    assert len(RowCountingLogistic.asked) == 1  # an equal copy is served from the cache
    nudged = X.copy()
    nudged[-1, -1] = np.nextafter(nudged[-1, -1], np.inf)  # one value, by its last bit
    others = [
        nudged,
        X.astype(np.float32),  # the same numbers in another dtype
        np.asfortranarray(X),  # the same rows in another memory order
        X[:, ::-1][:, ::-1],  # a strided view of the same rows
        X.reshape(-1, 2).reshape(X.shape[0], -1)[:-1],  # fewer rows
    ]
    for rows in others:
        np.testing.assert_array_equal(
            teacher_outputs(teacher, rows, "decision_function", None),
            LogisticRegression.decision_function(teacher, rows),  # uncounted
        )
    # every one was asked anew, but the strided view of X's very values, served from the cache
    assert RowCountingLogistic.asked == [150, 150, 150, 150, 149]
    clear_cache()


def test_auto_batches_are_a_tenth_of_the_rows_within_bounds():
    from skdistill._teacher import batch_rows

    assert batch_rows("auto", 5_000) == 10_000  # small sets: one call
    assert batch_rows("auto", 250_000) == 25_000
    assert batch_rows("auto", 1_000_000) == 100_000
    assert batch_rows("auto", 50_000_000) == 100_000  # memory stays bounded by the batch
    assert batch_rows(128, 1_000_000) == 128 and batch_rows(None, 10) is None
