"""What both distillers share: a failed fit leaves the distiller as it was."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor


def _iris():
    X, y = load_iris(return_X_y=True)
    return DistilledClassifier, LogisticRegression(max_iter=1000), DecisionTreeClassifier, X, y


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return DistilledRegressor, LinearRegression(), DecisionTreeRegressor, X, y


@pytest.mark.parametrize("case", [_iris, _diabetes], ids=["classifier", "regressor"])
def test_a_failed_refit_leaves_the_fitted_distiller_as_it_was(case):
    # the bug: fit sets its attributes one step at a time, so a refit that failed half-way left
    # n_features_in_ of the new X beside the old student; predicting on the old width said the
    # distiller expected the new one
    Distiller, teacher, Student, X, y = case()
    teacher.fit(X, y)
    distiller = Distiller(teacher, Student(max_depth=3, random_state=0)).fit(X, y)
    before = distiller.predict(X)
    student = distiller.student_
    X_wide = np.hstack([X, X])  # the fitted teacher takes only X's width
    with pytest.raises(ValueError, match="features"):
        distiller.fit(X_wide, y)
    assert distiller.n_features_in_ == X.shape[1]
    assert distiller.student_ is student
    np.testing.assert_array_equal(distiller.predict(X), before)


@pytest.mark.parametrize("case", [_iris, _diabetes], ids=["classifier", "regressor"])
def test_a_failed_first_fit_leaves_the_distiller_unfitted(case):
    Distiller, teacher, Student, X, y = case()
    teacher.fit(X, y)
    distiller = Distiller(teacher, Student(max_depth=3))
    with pytest.raises(ValueError, match="features"):
        distiller.fit(np.hstack([X, X]), y)
    assert not hasattr(distiller, "n_features_in_")
    with pytest.raises(NotFittedError):
        distiller.predict(X)
