"""DistilledRegressor: the student learns alpha * teacher + (1 - alpha) * y, checked by hand.

A LinearRegression student makes the target observable: its coefficients are a deterministic
function of the target it was fitted on, so fitting one by hand on the expected target must give
the same coefficients.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted

from skdistill import DistilledRegressor


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def tree_teacher(diabetes):
    """A non-linear teacher: a linear student cannot reproduce it, so blending shows."""
    X, y = diabetes
    return DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)


class CountingRidge(Ridge):
    """A Ridge that counts every call to fit, on any instance or clone."""

    fit_calls = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fit_calls += 1
        return super().fit(X, y, sample_weight=sample_weight)


# ------------------------------------------------------------------------ the blended target
@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.8])
def test_student_learns_the_blend_of_teacher_and_targets(diabetes, tree_teacher, alpha):
    X, y = diabetes
    distiller = DistilledRegressor(tree_teacher, LinearRegression(), alpha=alpha).fit(X, y)
    target = alpha * tree_teacher.predict(X) + (1 - alpha) * y
    by_hand = LinearRegression().fit(X, target)
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)
    assert_allclose(distiller.student_.intercept_, by_hand.intercept_, rtol=1e-10)
    assert_allclose(distiller.predict(X), by_hand.predict(X), rtol=1e-10)


def test_linear_student_of_a_linear_teacher_interpolates_the_coefficients(diabetes):
    # least squares is linear in the target: LinearRegression on alpha * ridge(X) + (1 - alpha) * y
    # has the coefficients alpha * ridge.coef_ + (1 - alpha) * ols.coef_
    X, y = diabetes
    ridge = Ridge(alpha=1.0).fit(X, y)
    ols = LinearRegression().fit(X, y)
    assert not np.allclose(ridge.coef_, ols.coef_, rtol=0.1)
    distiller = DistilledRegressor(ridge, LinearRegression(), alpha=0.3).fit(X, y)
    assert_allclose(distiller.student_.coef_, 0.3 * ridge.coef_ + 0.7 * ols.coef_, rtol=1e-8)


def test_alpha_zero_is_exactly_the_student_fitted_on_y(diabetes, tree_teacher):
    X, y = diabetes
    distiller = DistilledRegressor(tree_teacher, LinearRegression(), alpha=0.0).fit(X, y)
    baseline = LinearRegression().fit(X, y)
    assert_array_equal(distiller.student_.coef_, baseline.coef_)
    assert distiller.student_.intercept_ == baseline.intercept_
    assert_array_equal(distiller.predict(X), baseline.predict(X))


def test_sample_weight_reaches_the_student(diabetes, tree_teacher):
    X, y = diabetes
    weight = np.random.default_rng(0).uniform(0.1, 5.0, size=len(y))
    distiller = DistilledRegressor(tree_teacher, LinearRegression(), alpha=0.5)
    distiller.fit(X, y, sample_weight=weight)
    target = 0.5 * tree_teacher.predict(X) + 0.5 * y
    by_hand = LinearRegression().fit(X, target, sample_weight=weight)
    unweighted = LinearRegression().fit(X, target)
    assert not np.allclose(by_hand.coef_, unweighted.coef_)
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)


# --------------------------------------------------------------------------- unlabeled rows
def test_nan_targets_mark_unlabeled_rows_that_learn_the_teacher(diabetes, tree_teacher):
    X, y = diabetes
    y_partial = y.copy()
    unlabeled = np.random.default_rng(1).random(len(y)) < 0.4
    y_partial[unlabeled] = np.nan
    distiller = DistilledRegressor(tree_teacher, LinearRegression(), alpha=0.25).fit(X, y_partial)

    teacher_pred = tree_teacher.predict(X)
    target = np.where(unlabeled, teacher_pred, 0.25 * teacher_pred + 0.75 * y)
    by_hand = LinearRegression().fit(X, target)
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)


def test_alpha_one_without_targets_learns_the_teacher_alone(diabetes):
    X, y = diabetes
    ridge = Ridge(alpha=0.5).fit(X, y)
    distiller = DistilledRegressor(ridge, LinearRegression(), alpha=1.0).fit(X)
    assert_allclose(distiller.student_.coef_, ridge.coef_, rtol=1e-8)
    assert_allclose(distiller.predict(X), ridge.predict(X), rtol=1e-8)
    # with alpha=1, targets passed anyway change nothing
    with_y = DistilledRegressor(ridge, LinearRegression(), alpha=1.0).fit(X, y)
    assert_allclose(with_y.student_.coef_, distiller.student_.coef_, rtol=1e-12)


def test_targets_can_be_left_out_only_with_alpha_one(diabetes, tree_teacher):
    X, _ = diabetes
    with pytest.raises(ValueError, match=r"requires y to be passed.*alpha is 0.5"):
        DistilledRegressor(tree_teacher, LinearRegression(), alpha=0.5).fit(X)


def test_alpha_one_without_targets_needs_a_fitted_teacher(diabetes):
    X, _ = diabetes
    with pytest.raises(ValueError, match=r"teacher Ridge\(\) is not fitted, and y has no labelled"):
        DistilledRegressor(Ridge(), LinearRegression(), alpha=1.0).fit(X)


# ----------------------------------------------------------------------------- multi-output
@pytest.fixture(scope="module")
def two_outputs():
    X, Y = make_regression(
        n_samples=200, n_features=6, n_informative=4, n_targets=2, noise=20.0, random_state=0
    )
    Y[:, 1] = Y[:, 1] ** 2 / 100.0  # one non-linear output, so a forest and a line differ
    return X, Y


def test_multi_output_targets_blend_column_by_column(two_outputs):
    X, Y = two_outputs
    forest = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, Y)
    distiller = DistilledRegressor(forest, LinearRegression(), alpha=0.6).fit(X, Y)
    assert distiller.predict(X).shape == Y.shape

    by_hand = LinearRegression().fit(X, 0.6 * forest.predict(X) + 0.4 * Y)
    assert distiller.student_.coef_.shape == (2, X.shape[1])
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)


def test_multi_output_row_with_any_nan_learns_the_teacher_in_every_output(two_outputs):
    X, Y = two_outputs
    ridge = Ridge(alpha=1.0).fit(X, Y)
    Y_partial = Y.copy()
    Y_partial[:30, 0] = np.nan  # the first output unknown, the second known
    distiller = DistilledRegressor(ridge, LinearRegression(), alpha=0.5).fit(X, Y_partial)

    teacher_pred = ridge.predict(X)
    target = 0.5 * teacher_pred + 0.5 * Y
    target[:30] = teacher_pred[:30]
    by_hand = LinearRegression().fit(X, target)
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)


# ------------------------------------------------------------------------- several teachers
def test_several_teachers_are_averaged_with_teacher_weights(diabetes, tree_teacher):
    X, y = diabetes
    ridge = Ridge(alpha=10.0).fit(X, y)
    distiller = DistilledRegressor(
        [ridge, tree_teacher], LinearRegression(), alpha=0.5, teacher_weights=[1.0, 3.0]
    ).fit(X, y)
    assert distiller.teacher_[0] is ridge
    assert distiller.teacher_[1] is tree_teacher

    mean_pred = 0.25 * ridge.predict(X) + 0.75 * tree_teacher.predict(X)
    by_hand = LinearRegression().fit(X, 0.5 * mean_pred + 0.5 * y)
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)

    # without weights the teachers count equally
    equal = DistilledRegressor([ridge, tree_teacher], LinearRegression(), alpha=1.0).fit(X)
    by_hand = LinearRegression().fit(X, (ridge.predict(X) + tree_teacher.predict(X)) / 2)
    assert_allclose(equal.student_.coef_, by_hand.coef_, rtol=1e-10)


def test_teacher_weights_must_match_the_teachers(diabetes, tree_teacher):
    X, y = diabetes
    ridge = Ridge().fit(X, y)
    distiller = DistilledRegressor([ridge, tree_teacher], LinearRegression(), teacher_weights=[1])
    with pytest.raises(ValueError, match=r"one finite weight per teacher \(2\), got \[1\]"):
        distiller.fit(X, y)


# ------------------------------------------------------------------ fitting and not refitting
def test_unfitted_teacher_is_cloned_and_fitted_on_the_labelled_rows(diabetes):
    X, y = diabetes
    y_partial = y.copy()
    y_partial[::3] = np.nan
    weight = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    teacher = Ridge(alpha=0.1)
    distiller = DistilledRegressor(teacher, LinearRegression(), alpha=0.5)
    distiller.fit(X, y_partial, sample_weight=weight)

    with pytest.raises(NotFittedError):
        check_is_fitted(teacher)  # the object passed in stays as it was
    assert distiller.teacher_ is not teacher
    labelled = ~np.isnan(y_partial)
    by_hand = Ridge(alpha=0.1).fit(X[labelled], y[labelled], sample_weight=weight[labelled])
    assert_allclose(distiller.teacher_.coef_, by_hand.coef_, rtol=1e-10)


def test_fitted_teacher_is_used_as_it_is(diabetes):
    X, y = diabetes
    teacher = CountingRidge(alpha=0.5).fit(X, y)
    coef = teacher.coef_
    coef_values = coef.copy()
    CountingRidge.fit_calls = 0

    distiller = DistilledRegressor(teacher, LinearRegression(), alpha=0.5).fit(X, y)
    assert distiller.teacher_ is teacher
    assert clone(distiller).teacher is teacher
    assert CountingRidge.fit_calls == 0
    assert teacher.coef_ is coef
    assert_array_equal(teacher.coef_, coef_values)


def test_fitted_teacher_is_never_refit_in_grid_search_or_cross_validation(diabetes):
    X, y = diabetes
    teacher = CountingRidge(alpha=0.5).fit(X, y)
    coef = teacher.coef_
    coef_values = coef.copy()
    CountingRidge.fit_calls = 0
    distiller = DistilledRegressor(teacher, LinearRegression())
    cv = KFold(n_splits=3, shuffle=True, random_state=0)

    search = GridSearchCV(distiller, {"alpha": [0.0, 0.5, 1.0]}, cv=cv).fit(X, y)
    scores = cross_val_score(distiller, X, y, cv=cv)

    assert CountingRidge.fit_calls == 0
    assert search.best_estimator_.teacher_ is teacher
    assert teacher.coef_ is coef
    assert_array_equal(teacher.coef_, coef_values)
    # the scores are those of distillers built by hand from the same teacher
    for k, (train, test) in enumerate(cv.split(X)):
        fold = DistilledRegressor(teacher, LinearRegression()).fit(X[train], y[train])
        assert scores[k] == pytest.approx(fold.score(X[test], y[test]), rel=1e-12)


def test_unfitted_counting_teacher_is_fitted_once_per_fit(diabetes):
    # the counter itself works: an unfitted teacher is fitted on each training set
    X, y = diabetes
    CountingRidge.fit_calls = 0
    cross_val_score(DistilledRegressor(CountingRidge(), LinearRegression()), X, y, cv=3)
    assert CountingRidge.fit_calls == 3


# ----------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_alpha_outside_the_unit_interval_is_rejected(diabetes, tree_teacher, alpha):
    X, y = diabetes
    with pytest.raises(ValueError, match=rf"'alpha' parameter.*\[0.0, 1.0\].*Got {alpha}"):
        DistilledRegressor(tree_teacher, LinearRegression(), alpha=alpha).fit(X, y)


def test_infinite_targets_are_rejected(diabetes, tree_teacher):
    X, y = diabetes
    y_inf = y.copy()
    y_inf[5] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        DistilledRegressor(tree_teacher, LinearRegression()).fit(X, y_inf)


def test_infinite_targets_error_names_y_and_the_nan_convention(diabetes, tree_teacher):
    X, y = diabetes
    y_inf = y.copy()
    y_inf[5] = -np.inf
    with pytest.raises(ValueError, match="Input y contains infinity; only NaN may mark"):
        DistilledRegressor(tree_teacher, LinearRegression()).fit(X, y_inf)


def test_all_nan_targets_need_alpha_one(diabetes, tree_teacher):
    X, y = diabetes
    y_nan = np.full_like(y, np.nan)
    with pytest.raises(ValueError, match=r"NaN in every row.*alpha=0.5.*Set alpha=1"):
        DistilledRegressor(tree_teacher, LinearRegression(), alpha=0.5).fit(X, y_nan)
    # with alpha=1 the same rows learn the teacher
    distiller = DistilledRegressor(tree_teacher, LinearRegression(), alpha=1.0).fit(X, y_nan)
    by_hand = LinearRegression().fit(X, tree_teacher.predict(X))
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-10)


def test_classifier_teacher_is_rejected_with_a_pointer_to_distilled_classifier(diabetes):
    X, y = diabetes
    with pytest.raises(TypeError, match=r"needs a regressor as teacher.*Use DistilledClassifier"):
        DistilledRegressor(LogisticRegression(), LinearRegression()).fit(X, y)


def test_x_with_other_features_than_the_fitted_teacher_is_rejected(diabetes, tree_teacher):
    X, y = diabetes
    with pytest.raises(ValueError, match="X has 6 features, but the teacher was fitted on 10"):
        DistilledRegressor(tree_teacher, LinearRegression()).fit(X[:, :6], y)


def test_teacher_outputs_must_match_the_shape_of_y(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, np.sqrt(y)])
    two_output_teacher = Ridge().fit(X, Y)
    with pytest.raises(ValueError, match=r"teacher predicts shape \(442, 2\) but y has shape"):
        DistilledRegressor(two_output_teacher, LinearRegression()).fit(X, y)
    one_output_teacher = Ridge().fit(X, y)
    with pytest.raises(ValueError, match=r"teacher predicts shape \(442,\) but y has shape"):
        DistilledRegressor(one_output_teacher, LinearRegression()).fit(X, Y)
