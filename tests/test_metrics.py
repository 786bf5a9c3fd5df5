"""skdistill.metrics: fidelity and divergence, checked against hand computations."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor
from skdistill.metrics import fidelity_score, neg_teacher_divergence, teacher_divergence


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def forest(wine):
    X_train, _, y_train, _ = wine
    return RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def distilled(wine, forest):
    """A depth-1 tree distilled from a forest: it disagrees with its teacher on some rows."""
    X_train, _, y_train, _ = wine
    student = DecisionTreeClassifier(max_depth=1, random_state=0)
    return DistilledClassifier(forest, student, temperature=2.0).fit(X_train, y_train)


def _kl_by_hand(p, q):
    """Row-wise sum of p log(p / q), with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(q)), 0.0)
    return terms.sum(axis=1)


def _entropy_by_hand(p):
    return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)


# ------------------------------------------------------------------------------ fidelity_score
def test_fidelity_score_is_the_agreement_rate_with_the_teacher(wine, forest, distilled):
    _, X_test, _, y_test = wine
    agreement = np.mean(distilled.predict(X_test) == forest.predict(X_test))
    assert 0.0 < agreement < 1.0  # a case where agreement is informative
    assert fidelity_score(distilled, X_test) == pytest.approx(agreement, abs=1e-12)
    # y plays no part: fidelity needs no labels
    shuffled = np.random.default_rng(0).permutation(y_test)
    assert fidelity_score(distilled, X_test, shuffled) == fidelity_score(distilled, X_test)


def test_fidelity_score_weighs_rows_with_sample_weight(wine, forest, distilled):
    _, X_test, _, _ = wine
    weight = np.random.default_rng(0).uniform(0.0, 3.0, size=len(X_test))
    agrees = distilled.predict(X_test) == forest.predict(X_test)
    assert fidelity_score(distilled, X_test, sample_weight=weight) == pytest.approx(
        np.average(agrees, weights=weight), abs=1e-12
    )


def test_fidelity_score_with_teacher_compares_a_distiller_with_that_model(wine, forest, distilled):
    X_train, X_test, y_train, _ = wine
    other = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    predicted = distilled.predict(X_test)
    with_other = np.mean(predicted == other.predict(X_test))
    assert with_other != np.mean(predicted == forest.predict(X_test))  # an informative case
    # teacher= takes the place of the distiller's own teacher_
    assert fidelity_score(distilled, X_test, teacher=other) == pytest.approx(with_other, abs=1e-12)
    assert fidelity_score(distilled, X_test, teacher=forest) == fidelity_score(distilled, X_test)


def test_fidelity_score_compares_any_fitted_pair_with_teacher(wine, forest):
    X_train, X_test, y_train, _ = wine
    other = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    expected = np.mean(other.predict(X_test) == forest.predict(X_test))
    assert fidelity_score(other, X_test, teacher=forest) == pytest.approx(expected, abs=1e-12)


def test_fidelity_score_with_several_teachers_uses_their_mean_distribution():
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=1)
    logistic = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
    distiller = DistilledClassifier(
        [logistic, forest],
        DecisionTreeClassifier(max_depth=1, random_state=0),
        teacher_weights=[1.0, 3.0],
    ).fit(X_train, y_train)

    mean_proba = 0.25 * logistic.predict_proba(X_test) + 0.75 * forest.predict_proba(X_test)
    teacher_labels = distiller.classes_[np.argmax(mean_proba, axis=1)]
    expected = np.mean(distiller.predict(X_test) == teacher_labels)
    assert fidelity_score(distiller, X_test) == pytest.approx(expected, abs=1e-12)


def test_fidelity_score_for_regression_is_r2_against_the_teacher():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    teacher = GradientBoostingRegressor(n_estimators=50, random_state=0).fit(X_train, y_train)
    distiller = DistilledRegressor(
        teacher, DecisionTreeRegressor(max_depth=3, random_state=0), alpha=1.0
    ).fit(X_train)

    teacher_pred = teacher.predict(X_test)
    student_pred = distiller.predict(X_test)
    ss_res = np.sum((teacher_pred - student_pred) ** 2)
    ss_tot = np.sum((teacher_pred - teacher_pred.mean()) ** 2)
    expected = 1.0 - ss_res / ss_tot
    assert fidelity_score(distiller, X_test) == pytest.approx(expected, rel=1e-12)
    assert fidelity_score(distiller, X_test, y_test) == fidelity_score(distiller, X_test)

    # with teacher=, any regressor is compared, also a distiller with another model than its own
    ridge = Ridge().fit(X_train, y_train)
    ss_res = np.sum((teacher_pred - ridge.predict(X_test)) ** 2)
    assert fidelity_score(ridge, X_test, teacher=teacher) == pytest.approx(
        1.0 - ss_res / ss_tot, rel=1e-12
    )
    ridge_pred = ridge.predict(X_test)
    against_ridge = 1.0 - np.sum((ridge_pred - student_pred) ** 2) / np.sum(
        (ridge_pred - ridge_pred.mean()) ** 2
    )
    assert against_ridge != pytest.approx(expected, abs=0.01)  # an informative case
    assert fidelity_score(distiller, X_test, teacher=ridge) == pytest.approx(
        against_ridge, rel=1e-12
    )


def test_fidelity_score_as_grid_search_scoring_scores_each_fold_by_hand(wine, forest):
    X_train, _, y_train, _ = wine
    distiller = DistilledClassifier(forest, DecisionTreeClassifier(max_depth=1, random_state=0))
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    grid = {"temperature": [1.0, 5.0], "alpha": [0.0, 1.0]}
    search = GridSearchCV(distiller, grid, scoring=fidelity_score, cv=cv).fit(X_train, y_train)

    for i, params in enumerate(search.cv_results_["params"]):
        for k, (train, test) in enumerate(cv.split(X_train)):
            fold = DistilledClassifier(
                forest, DecisionTreeClassifier(max_depth=1, random_state=0), **params
            ).fit(X_train[train], y_train[train])
            expected = np.mean(fold.predict(X_train[test]) == forest.predict(X_train[test]))
            assert search.cv_results_[f"split{k}_test_score"][i] == pytest.approx(expected)
    assert search.best_estimator_.teacher_ is forest


def test_fidelity_and_divergence_in_cross_validate_with_a_dict_of_scorers(wine, forest):
    X_train, _, y_train, _ = wine
    distiller = DistilledClassifier(
        forest, DecisionTreeClassifier(max_depth=1, random_state=0), temperature=3.0
    )
    scoring = {
        "fidelity": fidelity_score,
        "neg_kl": neg_teacher_divergence,
        "accuracy": "accuracy",
    }
    result = cross_validate(
        distiller,
        X_train,
        y_train,
        cv=3,
        scoring=scoring,
        return_estimator=True,
        return_indices=True,
    )
    assert np.isfinite(result["test_neg_kl"]).all()
    for k, (fitted, test) in enumerate(zip(result["estimator"], result["indices"]["test"])):
        X_test = X_train[test]
        assert fitted.teacher_ is forest
        agreement = np.mean(fitted.predict(X_test) == forest.predict(X_test))
        kl = _kl_by_hand(forest.predict_proba(X_test), fitted.predict_proba(X_test)).mean()
        assert result["test_fidelity"][k] == pytest.approx(agreement, abs=1e-12)
        assert result["test_neg_kl"][k] == pytest.approx(-kl, rel=1e-9)
        assert result["test_accuracy"][k] == pytest.approx(fitted.score(X_test, y_train[test]))


def test_fidelity_score_on_a_pipeline_gives_the_teacher_the_transformed_X(wine):
    X_train, X_test, y_train, _ = wine
    pipe = make_pipeline(
        StandardScaler(),
        DistilledClassifier(
            LogisticRegression(max_iter=1000), DecisionTreeClassifier(max_depth=1, random_state=0)
        ),
    ).fit(X_train, y_train)
    teacher = pipe[-1].teacher_
    X_seen = pipe[0].transform(X_test)
    # on raw X the teacher would answer differently, so the test tells the two apart
    assert (teacher.predict(X_seen) != teacher.predict(X_test)).any()

    expected = np.mean(pipe.predict(X_test) == teacher.predict(X_seen))
    assert 0.0 < expected < 1.0
    assert fidelity_score(pipe, X_test) == pytest.approx(expected, abs=1e-12)

    kl = _kl_by_hand(teacher.predict_proba(X_seen), pipe.predict_proba(X_test)).mean()
    assert teacher_divergence(pipe, X_test) == pytest.approx(kl, rel=1e-9)


def test_fidelity_score_of_a_model_without_teacher_says_what_to_pass(wine):
    X_train, X_test, y_train, _ = wine
    plain = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X_train, y_train)
    message = r"DecisionTreeClassifier has no fitted teacher_.*or the teacher as teacher="
    with pytest.raises(ValueError, match=message):
        fidelity_score(plain, X_test)
    with pytest.raises(ValueError, match="no fitted teacher_"):
        teacher_divergence(plain, X_test)
    pipe = Pipeline([("scale", StandardScaler()), ("tree", plain)]).fit(X_train, y_train)
    with pytest.raises(ValueError, match="DecisionTreeClassifier has no fitted teacher_"):
        fidelity_score(pipe, X_test)
    unfitted = DistilledClassifier(LogisticRegression(), DecisionTreeClassifier())
    with pytest.raises(ValueError, match="DistilledClassifier has no fitted teacher_"):
        fidelity_score(unfitted, X_test)


# -------------------------------------------------------------------------- teacher_divergence
def test_teacher_divergence_of_the_teacher_itself_is_zero(wine, forest):
    X_train, X_test, y_train, _ = wine
    logistic = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    assert teacher_divergence(logistic, X_test, teacher=logistic) == pytest.approx(0.0, abs=1e-12)
    assert teacher_divergence(forest, X_test, teacher=forest) == pytest.approx(0.0, abs=1e-12)


def test_teacher_divergence_of_a_different_model_is_positive(wine, forest, distilled):
    _, X_test, _, _ = wine
    assert teacher_divergence(distilled, X_test) > 0.01


def test_teacher_divergence_equals_kl_by_hand(wine, forest):
    X_train, X_test, y_train, _ = wine
    X_small = X_test[:12]
    # a forest teacher (probabilities with exact zeros) and a student with full support
    student = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(X_train, y_train)
    p = forest.predict_proba(X_small)
    q = student.predict_proba(X_small)
    assert (p == 0).any()
    kl_rows = _kl_by_hand(p, q)

    assert teacher_divergence(student, X_small, teacher=forest) == pytest.approx(
        kl_rows.mean(), rel=1e-12
    )
    weight = np.arange(1.0, 13.0)
    assert teacher_divergence(
        student, X_small, teacher=forest, sample_weight=weight
    ) == pytest.approx(np.average(kl_rows, weights=weight), rel=1e-12)

    # at T=2 the teacher's distribution is p ** (1/2) renormalised; zeros stay zeros
    p_soft = np.sqrt(p) / np.sqrt(p).sum(axis=1, keepdims=True)
    assert teacher_divergence(student, X_small, teacher=forest, temperature=2.0) == pytest.approx(
        _kl_by_hand(p_soft, q).mean(), rel=1e-12
    )


def test_cross_entropy_is_kl_plus_the_teachers_entropy(wine, forest, distilled):
    _, X_test, _, _ = wine
    kl = teacher_divergence(distilled, X_test)
    cross_entropy = teacher_divergence(distilled, X_test, kind="cross_entropy")
    entropy = _entropy_by_hand(forest.predict_proba(X_test)).mean()
    assert entropy > 0.05  # the forest is not certain everywhere: the two kinds differ
    assert cross_entropy == pytest.approx(kl + entropy, rel=1e-12)


def test_neg_teacher_divergence_is_the_negated_divergence(wine, forest, distilled):
    _, X_test, _, _ = wine
    for kind in ("kl", "cross_entropy"):
        for temperature in (1.0, 3.0):
            value = teacher_divergence(distilled, X_test, kind=kind, temperature=temperature)
            assert value > 0
            assert neg_teacher_divergence(
                distilled, X_test, kind=kind, temperature=temperature
            ) == pytest.approx(-value, rel=1e-15)


def test_teacher_divergence_is_inf_where_the_student_excludes_a_teacher_class():
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    p = teacher.predict_proba(X)
    q = stump.predict_proba(X)
    # the stump's pure setosa leaf gives exact zeros where the logistic teacher has mass
    assert ((q == 0) & (p > 0)).any()
    assert teacher_divergence(stump, X, teacher=teacher) == np.inf
    assert teacher_divergence(stump, X, teacher=teacher, kind="cross_entropy") == np.inf
    assert neg_teacher_divergence(stump, X, teacher=teacher) == -np.inf
    # the other way round the logistic model has full support: finite
    assert np.isfinite(teacher_divergence(teacher, X, teacher=stump))


def test_teacher_divergence_rejects_an_unknown_kind(wine, distilled):
    _, X_test, _, _ = wine
    with pytest.raises(ValueError, match="kind must be 'kl' or 'cross_entropy', got 'js'"):
        teacher_divergence(distilled, X_test, kind="js")
