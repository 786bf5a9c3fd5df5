"""Bad input gets a clear error naming the parameter and the value seen; nothing passed changes."""

import joblib
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, soft_targets


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    return X, y, teacher


def _fit_and_check_untouched(distiller, X, y, match, error=ValueError):
    """Fit must raise ``error`` matching ``match`` and leave X, y and the teacher as they were."""
    before = [joblib.hash(obj) for obj in (X, y, distiller.teacher, distiller.student)]
    with pytest.raises(error, match=match):
        distiller.fit(X, y)
    after = [joblib.hash(obj) for obj in (X, y, distiller.teacher, distiller.student)]
    assert after == before


@pytest.mark.parametrize(
    "temperature, shown",
    [(0.0, "0.0"), (-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf")],
)
def test_temperature_must_be_finite_and_positive(iris, temperature, shown):
    X, y, teacher = iris
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(), temperature=temperature)
    _fit_and_check_untouched(distiller, X, y, rf"'temperature' parameter.*Got {shown}")


@pytest.mark.parametrize("alpha, shown", [(-0.1, "-0.1"), (1.5, "1.5"), (np.nan, "nan")])
def test_alpha_must_be_in_the_unit_interval(iris, alpha, shown):
    X, y, teacher = iris
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(), alpha=alpha)
    _fit_and_check_untouched(
        distiller, X, y, rf"'alpha' parameter.*range \[0.0, 1.0\]. Got {shown}"
    )


def test_teacher_without_scores(iris):
    X, y, _ = iris
    clusters = KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)
    distiller = DistilledClassifier(clusters, DecisionTreeClassifier())
    _fit_and_check_untouched(
        distiller, X, y, r"decision_function or predict_proba.*KMeans.*neither", TypeError
    )


def test_regressor_as_teacher_of_the_classifier(iris):
    X, y, _ = iris
    distiller = DistilledClassifier(LinearRegression().fit(X, y), DecisionTreeClassifier())
    _fit_and_check_untouched(
        distiller, X, y, r"classifier as teacher.*LinearRegression.*DistilledRegressor", TypeError
    )


def test_label_the_teacher_does_not_know(iris):
    X, y, teacher = iris
    y_new = y.copy()
    y_new[:5] = 7
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier())
    _fit_and_check_untouched(
        distiller, X, y_new, r"labels the teacher does not know: \[7\].*\[0, 1, 2\]"
    )


def test_nan_or_inf_in_the_teacher_outputs(iris):
    X, y, _ = iris
    # a real model whose weights have diverged
    diverged = LogisticRegression(max_iter=1000).fit(X, y)
    diverged.coef_[0, 0] = np.inf
    distiller = DistilledClassifier(diverged, DecisionTreeClassifier())
    _fit_and_check_untouched(
        distiller, X, y, r"decision_function returned NaN or inf for \d+ of 150 rows"
    )


def test_every_row_unlabeled_needs_alpha_one(iris):
    X, _, teacher = iris
    y_none = np.full(len(X), -1)
    distiller = DistilledClassifier(
        teacher, DecisionTreeClassifier(), alpha=0.5, unlabeled_label=-1
    )
    _fit_and_check_untouched(distiller, X, y_none, r"every row of y is unlabeled.*alpha=0.5")
    with pytest.raises(ValueError, match=r"requires y to be passed.*alpha is 0.5"):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X)
    # with alpha=1 the same rows are fine
    fitted = DistilledClassifier(
        teacher, DecisionTreeClassifier(random_state=0), alpha=1.0, unlabeled_label=-1
    ).fit(X, y_none)
    assert fitted.classes_.tolist() == [0, 1, 2]


def test_student_that_cannot_learn_soft_targets(iris):
    X, y, teacher = iris
    distiller = DistilledClassifier(teacher, KNeighborsClassifier())
    _fit_and_check_untouched(
        distiller, X, y, r"KNeighborsClassifier.*sample_weight.*student_method='hard'", TypeError
    )


def test_targets_that_leave_the_student_one_class_say_which_parameters_help(iris):
    # found by tests/test_properties.py: the teacher is sure of one class on every row, so with
    # alpha=1 and keep_mass < 1 (or 'hard') a logistic student saw a single class and failed
    # with its own message, which named nothing the user had set
    X, y, teacher = iris
    setosa = y == 0
    X, y = X[setosa], y[setosa]
    weights = DistilledClassifier(teacher, LogisticRegression(), alpha=1.0, keep_mass=0.5)
    _fit_and_check_untouched(
        weights, X, y, r"LogisticRegression.*single class.*on 0 in every row.*alpha < 1.*keep_mass"
    )
    hard = DistilledClassifier(teacher, LogisticRegression(), alpha=1.0, student_method="hard")
    _fit_and_check_untouched(
        hard, X, y, r"single class.*alpha < 1 so that the labels count, pass rows"
    )
    # a student that accepts one class learns it, and still answers for every class
    tree = DistilledClassifier(teacher, DecisionTreeClassifier(), alpha=1.0, keep_mass=0.5)
    np.testing.assert_array_equal(tree.fit(X, y).predict_proba(X[:2]), [[1, 0, 0], [1, 0, 0]])


def test_explicit_student_method_that_does_not_fit_the_student(iris):
    X, y, teacher = iris
    with pytest.raises(TypeError, match=r"'regression' needs a regressor.*DecisionTreeClassifier"):
        DistilledClassifier(teacher, DecisionTreeClassifier(), student_method="regression").fit(
            X, y
        )
    with pytest.raises(TypeError, match=r"'native' needs a student with a fit_distilled"):
        DistilledClassifier(teacher, DecisionTreeClassifier(), student_method="native").fit(X, y)


def test_x_with_other_features_than_the_teacher(iris):
    X, y, teacher = iris
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier())
    _fit_and_check_untouched(
        distiller, X[:, :3], y, r"X has 3 features, but the teacher was fitted on 4 features"
    )


def test_logits_need_alpha_one_and_a_teacher_with_logits(iris):
    X, y, teacher = iris
    with pytest.raises(ValueError, match=r"regression_target='logits'.*alpha=1, got alpha=0.5"):
        DistilledClassifier(teacher, DecisionTreeRegressor(), regression_target="logits").fit(X, y)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"only has predict_proba.*regression_target='proba'"):
        DistilledClassifier(
            forest, DecisionTreeRegressor(), regression_target="logits", alpha=1.0
        ).fit(X, y)


def test_teacher_weights_must_match_the_teachers(iris):
    X, y, teacher = iris
    for weights, match in [([1.0], "one finite weight per teacher \\(2\\)"), ([1, -1], ">= 0")]:
        distiller = DistilledClassifier(
            [teacher, teacher], DecisionTreeClassifier(), teacher_weights=weights
        )
        with pytest.raises(ValueError, match=match):
            distiller.fit(X, y)


def test_unfitted_teacher_without_labels(iris):
    X, _, _ = iris
    distiller = DistilledClassifier(
        LogisticRegression(), DecisionTreeClassifier(), alpha=1.0, unlabeled_label=-1
    )
    with pytest.raises(ValueError, match="is not fitted, and y has no labelled rows"):
        distiller.fit(X, np.full(len(X), -1))


def test_rows_of_x_and_y_must_match(iris):
    X, y, teacher = iris
    with pytest.raises(ValueError, match="X has 150 rows but y has 149"):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X, y[:-1])


def test_soft_targets_validates_its_temperature(iris):
    X, _, teacher = iris
    for bad in (0, -2.0, np.inf, "4"):
        with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
            soft_targets(teacher, X, temperature=bad)


def test_predict_before_fit(iris):
    X, _, teacher = iris
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DistilledClassifier(teacher, DecisionTreeClassifier()).predict(X)


def test_teacher_weights_are_checked_before_any_teacher_is_fitted(iris):
    X, y, _ = iris

    class CountingLogistic(LogisticRegression):
        fits = 0

        def fit(self, X, y, sample_weight=None):
            type(self).fits += 1
            return super().fit(X, y, sample_weight=sample_weight)

    distiller = DistilledClassifier(
        [CountingLogistic(max_iter=1000), CountingLogistic(max_iter=1000)],
        DecisionTreeClassifier(),
        teacher_weights=[1.0, 2.0, 3.0],
    )
    with pytest.raises(ValueError, match="one finite weight per teacher"):
        distiller.fit(X, y)
    assert CountingLogistic.fits == 0
