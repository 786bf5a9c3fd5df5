"""VirtualTeacher: a teacher without a model, where a teacher goes, and what it refuses."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor, VirtualTeacher, soft_targets
from skdistill._soft import temper_proba
from skdistill.metrics import fidelity_score


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


def _copying(teacher, **params):
    """predict_proba on the training rows is the soft target itself: a 1-nearest-neighbour
    regressor learns the targets row by row (alpha=1 unless given)."""
    return DistilledClassifier(
        teacher, KNeighborsRegressor(n_neighbors=1), **{"alpha": 1.0, **params}
    )


def test_its_distribution_puts_correct_proba_on_the_label(iris):
    X, y = iris
    teacher = VirtualTeacher(0.7).fit(X, y)
    proba = teacher.label_proba(y)
    expected = np.where(y[:, None] == teacher.classes_, 0.7, 0.15)
    np.testing.assert_allclose(proba, expected)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_the_student_learns_the_tempered_virtual_distribution(iris, temperature):
    X, y = iris
    model = _copying(VirtualTeacher(0.8), temperature=temperature).fit(X, y)
    virtual = np.where(y[:, None] == model.classes_, 0.8, 0.1)
    np.testing.assert_allclose(model.predict_proba(X), temper_proba(virtual, temperature))
    # alpha mixes the labels in, as with any teacher
    mixed = _copying(VirtualTeacher(0.8), alpha=0.5).fit(X, y)
    onehot = (y[:, None] == model.classes_).astype(float)
    np.testing.assert_allclose(mixed.predict_proba(X), 0.5 * virtual + 0.5 * onehot)


def test_correct_proba_one_is_training_on_the_labels(iris):
    X, y = iris
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    model = DistilledClassifier(VirtualTeacher(1.0), tree, alpha=1.0, temperature=3.0).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), tree.fit(X, y).predict_proba(X))


def test_it_sits_beside_a_real_teacher(iris):
    X, y = iris
    real = LogisticRegression(max_iter=500).fit(X, y)
    model = _copying([VirtualTeacher(0.9), real]).fit(X, y)
    virtual = np.where(y[:, None] == model.classes_, 0.9, 0.05)
    np.testing.assert_allclose(model.predict_proba(X), (virtual + real.predict_proba(X)) / 2)


@pytest.mark.parametrize(
    ("params", "fit_y", "message"),
    [
        ({"unlabeled_label": "?"}, "marked", "cannot teach rows without one.*unlabeled_label='?'"),
        ({"alpha": 1.0}, None, "cannot teach rows without one, and y is None"),
        ({"transfer": "mixup"}, "labels", "transfer='mixup'.*Set transfer=None"),
        ({"cv": 3}, "labels", "cv=3.*no fit.*Set cv=None"),
    ],
    ids=["unlabeled", "y-None", "transfer", "cv"],
)
def test_rows_without_labels_are_refused(iris, params, fit_y, message):
    X, y = iris
    if fit_y == "marked":
        fit_y = y.astype(object).copy()
        fit_y[::5] = "?"
    elif fit_y == "labels":
        fit_y = y
    student = DecisionTreeClassifier(max_depth=2)
    with pytest.raises(ValueError, match=message):
        DistilledClassifier(VirtualTeacher(), student, **params).fit(X, fit_y)


@pytest.mark.parametrize(
    ("correct_proba", "message"),
    [
        (1 / 3, r"correct_proba must be > 1 / n_classes = 0.3333 with 3 classes.*got"),
        (0.2, r"correct_proba must be > 1 / n_classes"),
        (0.0, r"'correct_proba' parameter of VirtualTeacher must be"),
        (1.5, r"'correct_proba' parameter of VirtualTeacher must be"),
        (True, "correct_proba must be a number, got the bool True"),
    ],
)
def test_correct_proba_is_checked_against_the_classes(iris, correct_proba, message):
    X, y = iris
    teacher = VirtualTeacher(correct_proba)
    with pytest.raises(ValueError, match=message):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X, y)
    assert not hasattr(teacher, "classes_")  # the user's teacher is left alone
    # two classes allow anything above a half
    VirtualTeacher(0.51).fit(X[:100], y[:100])


def test_a_fitted_virtual_teacher_refuses_labels_it_does_not_know(iris):
    X, y = iris
    teacher = VirtualTeacher(0.9).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="y contains labels the teacher does not know"):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X, y)
    with pytest.raises(ValueError, match="cannot teach the labels \\['virginica'\\]"):
        teacher.label_proba(y)


def test_a_regressor_distiller_refuses_it(iris):
    X, _ = iris
    with pytest.raises(TypeError, match="needs a regressor as teacher"):
        DistilledRegressor(VirtualTeacher(), DecisionTreeRegressor()).fit(X, X[:, 0])


def test_grid_search_and_cross_validation(iris):
    X, y = iris
    model = DistilledClassifier(
        VirtualTeacher(0.9), DecisionTreeClassifier(max_depth=3, random_state=0), alpha=1.0
    )
    search = GridSearchCV(
        model, {"teacher__correct_proba": [0.6, 0.95], "temperature": [1.0, 4.0]}, cv=3
    ).fit(X, y)
    best = search.best_estimator_
    assert best.teacher_.correct_proba == search.best_params_["teacher__correct_proba"]
    assert best.teacher_ is not best.teacher  # a clone fitted on the rows, the template unfitted
    assert not hasattr(model.teacher, "classes_")
    assert search.best_score_ > 0.9
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_what_needs_outputs_without_labels_says_why_it_cannot(iris):
    X, y = iris
    model = DistilledClassifier(VirtualTeacher(), DecisionTreeClassifier(max_depth=2)).fit(X, y)
    with pytest.raises(ValueError, match=r"has no model.*label_proba"):
        soft_targets(model.teacher_, X)
    with pytest.raises(ValueError, match=r"has no model.*label_proba"):
        fidelity_score(model, X)
