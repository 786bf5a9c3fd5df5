"""Transfer sets and out-of-fold targets inside DistilledClassifier and DistilledRegressor."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_friedman1, make_moons
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_predict, cross_val_score
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError
from test_native import HintonSoftmaxRegression

from skdistill import DistilledClassifier, DistilledRegressor
from skdistill.metrics import fidelity_score
from skdistill.transfer import GaussianNoise, Mixup, Munge


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=400, noise=0.25, random_state=0)
    X_test, y_test = make_moons(n_samples=2000, noise=0.25, random_state=1)
    teacher = SVC(gamma=2.0, C=3.0, random_state=0).fit(X, y)
    return X, y, X_test, y_test, teacher


@pytest.mark.parametrize("transfer", ["munge", "mixup", "noise"])
def test_a_transfer_set_makes_a_tree_more_faithful(moons, transfer):
    X, y, X_test, _, teacher = moons
    tree = DecisionTreeClassifier(min_samples_leaf=3, random_state=0)
    plain = DistilledClassifier(teacher, tree, alpha=1.0).fit(X, y)
    taught = DistilledClassifier(
        teacher, tree, alpha=1.0, transfer=transfer, n_transfer=20.0, random_state=0
    ).fit(X, y)
    assert taught.n_transfer_ == 8000
    assert fidelity_score(taught, X_test) > fidelity_score(plain, X_test) + 0.02


def test_n_transfer_counts_rows_or_multiplies_them(moons):
    X, y, _, _, teacher = moons
    for n_transfer, expected in [(150, 150), (2.5, 1000), (0, 0)]:
        distiller = DistilledClassifier(
            teacher,
            DecisionTreeClassifier(random_state=0),
            transfer="mixup",
            n_transfer=n_transfer,
            random_state=0,
        ).fit(X, y)
        assert distiller.n_transfer_ == expected
        # the student saw every real and synthetic row, with weights summing to one per row
        root_weight = distiller.student_.tree_.weighted_n_node_samples[0]
        np.testing.assert_allclose(root_weight, len(X) + expected)


def test_synthetic_rows_carry_the_teachers_targets_only(moons):
    X, y, _, _, teacher = moons
    distiller = DistilledClassifier(
        teacher,
        HintonSoftmaxRegression(),
        temperature=2.0,
        transfer=Mixup(),
        n_transfer=100,
        random_state=0,
    ).fit(X, y)
    received = distiller.student_.received_
    np.testing.assert_array_equal(received["y"][: len(X)], y)
    np.testing.assert_array_equal(received["y"][len(X) :], -1)
    assert received["soft_targets"].shape == (len(X) + 100, 2)


def test_seeded_transfer_sets_are_reproducible(moons):
    X, y, X_test, _, teacher = moons

    def fit(seed, transfer="munge"):
        return DistilledClassifier(
            teacher,
            DecisionTreeClassifier(random_state=0),
            transfer=transfer,
            n_transfer=500,
            random_state=seed,
        ).fit(X, y)

    np.testing.assert_array_equal(fit(3).predict_proba(X_test), fit(3).predict_proba(X_test))
    assert not np.array_equal(fit(3).predict_proba(X_test), fit(4).predict_proba(X_test))
    # a generator's own random_state wins over the distiller's
    own = Munge(random_state=11)
    np.testing.assert_array_equal(
        fit(1, own).predict_proba(X_test), fit(2, own).predict_proba(X_test)
    )


@pytest.mark.parametrize("Generator", [Munge, Mixup, GaussianNoise])
def test_the_generator_passed_is_left_as_it_was(moons, Generator):
    X, y, X_test, _, teacher = moons
    generator = Generator()  # random_state=None: the distiller's seed drives a clone of it

    def fit(seed):
        return DistilledClassifier(
            teacher,
            DecisionTreeClassifier(random_state=0),
            transfer=generator,
            n_transfer=200,
            random_state=seed,
        ).fit(X, y)

    first = fit(0)
    assert generator.get_params() == Generator().get_params()
    assert vars(generator) == vars(Generator())  # not fitted, no random state drawn
    # so the next distiller's seed is used, not a seed left behind by the first fit
    assert not np.array_equal(fit(1).predict_proba(X_test), first.predict_proba(X_test))
    np.testing.assert_array_equal(fit(0).predict_proba(X_test), first.predict_proba(X_test))


@pytest.mark.parametrize("transfer", ["mixup", "noise"])
def test_scaling_every_weight_leaves_a_transfer_fit_alone(moons, transfer):
    # synthetic rows weigh the mean weight of the real rows, so only relative weights matter
    X, y, X_test, _, teacher = moons
    weight = np.random.default_rng(0).uniform(0.2, 3.0, size=len(X))

    def fit(sample_weight):
        return DistilledClassifier(
            teacher,
            DecisionTreeClassifier(max_depth=4, random_state=0),
            temperature=2.0,
            transfer=transfer,
            n_transfer=300,
            random_state=0,
        ).fit(X, y, sample_weight=sample_weight)

    once, tenfold = fit(weight), fit(10.0 * weight)
    np.testing.assert_allclose(tenfold.predict_proba(X_test), once.predict_proba(X_test))
    root_weight = once.student_.tree_.weighted_n_node_samples[0]
    np.testing.assert_allclose(root_weight, weight.sum() + 300 * weight.mean())


class _RowCountingLogisticRegression(LogisticRegression):
    """A real logistic regression that remembers how many rows each call got."""

    calls = []

    def decision_function(self, X):
        type(self).calls.append(len(X))
        return super().decision_function(X)


def test_the_teacher_labels_in_batches_with_the_same_result(moons):
    X, y, X_test, _, _ = moons
    teacher = _RowCountingLogisticRegression().fit(X, y)

    def fit(batch_size, n_jobs=None):
        _RowCountingLogisticRegression.calls = []
        distiller = DistilledClassifier(
            teacher,
            DecisionTreeClassifier(random_state=0),
            transfer="noise",
            n_transfer=1000,
            teacher_batch_size=batch_size,
            n_jobs=n_jobs,
            memory=False,
            random_state=0,
        ).fit(X, y)
        return distiller.predict_proba(X_test), list(_RowCountingLogisticRegression.calls)

    whole, calls = fit(None)
    assert calls == [400, 1000]
    batched, calls = fit(128)
    assert max(calls) == 128 and sum(calls) == 1400
    np.testing.assert_array_equal(batched, whole)
    parallel, _ = fit(128, n_jobs=2)
    np.testing.assert_array_equal(parallel, whole)


class _RecordingMixup(Mixup):
    """Mixup that records the rows it is fitted on (in a class list: clones keep no state)."""

    fitted_on = []

    def fit(self, X, y=None):
        type(self).fitted_on.append(np.asarray(X).copy())
        return super().fit(X, y)


def test_the_generator_sees_only_each_folds_training_rows(moons):
    X, y, _, _, teacher = moons
    _RecordingMixup.fitted_on = []
    distiller = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=4, random_state=0),
        transfer=_RecordingMixup(),
        n_transfer=200,
        random_state=0,
    )
    scores = cross_val_score(distiller, X, y, cv=4)
    assert len(scores) == 4 and np.all(scores > 0.7)
    assert len(_RecordingMixup.fitted_on) == 4
    all_rows = {tuple(row) for row in X}
    held_out = set()
    for seen in _RecordingMixup.fitted_on:
        assert len(seen) == len(X) * 3 // 4  # the fold's training rows, not the whole data
        held_out |= all_rows - {tuple(row) for row in seen}
    assert held_out == all_rows  # every row was scored by a fold whose generator never saw it


def test_grid_search_over_transfer_settings(moons):
    X, y, _, _, teacher = moons
    search = GridSearchCV(
        DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=5), random_state=0),
        {"transfer": [None, "mixup", Munge(p=0.3)], "n_transfer": [200]},
        cv=3,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3


# ------------------------------------------------------------------ out-of-fold targets
def test_out_of_fold_targets_are_cross_val_predict_and_less_confident():
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, random_state=0)
    forest = RandomForestClassifier(n_estimators=50, random_state=0)

    def received(cv):
        distiller = DistilledClassifier(
            forest, HintonSoftmaxRegression(), temperature=1.0, cv=cv
        ).fit(X, y)
        return distiller.student_.received_["soft_targets"]

    in_sample, out_of_fold = received(None), received(5)
    expected = cross_val_predict(clone(forest), X, y, cv=5, method="predict_proba")
    np.testing.assert_allclose(out_of_fold, expected)
    assert in_sample.max(axis=1).mean() > out_of_fold.max(axis=1).mean() + 0.05


def test_out_of_fold_rows_and_the_transfer_set_together():
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    distiller = DistilledClassifier(
        teacher,
        HintonSoftmaxRegression(),
        cv=3,
        transfer="mixup",
        n_transfer=50,
        random_state=0,
    ).fit(X, y)
    soft = distiller.student_.received_["soft_targets"]
    # the synthetic rows are labelled by the teacher fitted on every labelled row
    tail = distiller.teacher_.predict_proba(distiller.student_.received_["X"][len(X) :])
    np.testing.assert_allclose(soft[len(X) :], tail, rtol=1e-6, atol=1e-9)


def test_out_of_fold_needs_a_teacher_to_fit(moons):
    X, y, _, _, teacher = moons
    with pytest.raises(ValueError, match="cv=5 asks for out-of-fold teacher outputs"):
        DistilledClassifier(teacher, DecisionTreeClassifier(), cv=5).fit(X, y)


def test_regressor_with_a_transfer_set_and_out_of_fold_targets():
    X, y = make_friedman1(n_samples=300, random_state=0)
    X_test, _ = make_friedman1(n_samples=1000, random_state=1)
    teacher = RandomForestRegressor(n_estimators=50, random_state=0)
    fitted = clone(teacher).fit(X, y)
    tree = DecisionTreeRegressor(min_samples_leaf=3, random_state=0)
    plain = DistilledRegressor(fitted, tree, alpha=1.0).fit(X, y)
    taught = DistilledRegressor(
        fitted, tree, alpha=1.0, transfer="mixup", n_transfer=10.0, random_state=0
    ).fit(X, y)
    assert taught.n_transfer_ == 3000
    assert fidelity_score(taught, X_test) > fidelity_score(plain, X_test)
    full_tree = DecisionTreeRegressor(random_state=0)
    oof = DistilledRegressor(teacher, full_tree, alpha=1.0, cv=3).fit(X, y)
    expected = cross_val_predict(clone(teacher), X, y, cv=3)
    np.testing.assert_allclose(oof.student_.predict(X), expected)  # a full tree fits its targets


def test_dataframe_with_a_categorical_column_keeps_it_categorical():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "colour": pd.Categorical(rng.choice(["red", "blue", "green"], 300)),
        }
    )
    y = ((X["x"] > 0) ^ (X["colour"] == "red")).astype(int).to_numpy()
    encode = make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough")
    teacher = make_pipeline(encode, HistGradientBoostingClassifier(max_iter=30)).fit(X, y)
    student = make_pipeline(clone(encode), DecisionTreeClassifier(max_depth=4))
    distiller = DistilledClassifier(
        teacher, student, transfer="mixup", n_transfer=500, random_state=0
    ).fit(X, y)
    assert distiller.score(X, y) > 0.9


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_transfer": -1}, "n_transfer"),
        ({"n_transfer": 0.0}, "n_transfer"),
        ({"transfer": "smote"}, "transfer"),
        ({"transfer": LogisticRegression()}, "transfer"),
        ({"teacher_batch_size": 0}, "teacher_batch_size"),
    ],
)
def test_bad_transfer_parameters(moons, params, match):
    X, y, _, _, teacher = moons
    with pytest.raises(InvalidParameterError, match=match):
        DistilledClassifier(teacher, DecisionTreeClassifier(), **params).fit(X, y)


def test_n_transfer_is_not_a_bool(moons):
    X, y, _, _, teacher = moons
    with pytest.raises(ValueError, match=r"n_transfer must be a number of rows.*got the bool True"):
        DistilledClassifier(
            teacher, DecisionTreeClassifier(), transfer="mixup", n_transfer=True
        ).fit(X, y)


class _ShortGenerator(GaussianNoise):
    def sample(self, n_samples):
        return super().sample(n_samples)[:-1]


def test_a_generator_must_return_the_rows_asked_for(moons):
    X, y, _, _, teacher = moons
    with pytest.raises(ValueError, match=r"returned 9 rows from sample\(10\)"):
        DistilledClassifier(
            teacher, DecisionTreeClassifier(), transfer=_ShortGenerator(), n_transfer=10
        ).fit(X, y)


def test_nan_rows_with_munge_say_how_to_fix():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    X[3, 1] = np.nan
    teacher = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
    with pytest.raises(ValueError, match="impute"):
        DistilledClassifier(
            teacher, HistGradientBoostingClassifier(max_iter=5), transfer="munge"
        ).fit(X, y)


@pytest.mark.parametrize(
    "transfer, takes_nan", [(None, True), ("noise", True), ("mixup", False), ("munge", False)]
)
def test_the_nan_tag_follows_the_generator(transfer, takes_nan):
    # teacher and student take NaN; the distiller claims it only when its generator does too,
    # and then fits on it
    from sklearn.utils import get_tags

    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    X[::9, 1] = np.nan
    teacher = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    distiller = DistilledClassifier(
        teacher,
        HistGradientBoostingClassifier(max_iter=5),
        transfer=transfer,
        n_transfer=50,
        random_state=0,
    )
    assert get_tags(distiller).input_tags.allow_nan is takes_nan
    if takes_nan:
        assert distiller.fit(X, y).predict(X).shape == (120,)
    else:
        with pytest.raises(ValueError, match="impute"):
            distiller.fit(X, y)


def test_auto_transfer_follows_the_student(moons):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdistill.transfer._auto import auto_transfer

    X, y, X_test, _, teacher = moons
    tree = DecisionTreeClassifier(min_samples_leaf=3, random_state=0)
    auto = DistilledClassifier(teacher, tree, alpha=1.0, transfer="auto", random_state=0)
    auto.fit(X, y)
    assert auto.n_transfer_ == 50_000  # a greedy tree: mixup, at least 50,000 rows
    assert auto.student_.tree_.weighted_n_node_samples[0] == pytest.approx(len(X) + 50_000)
    plain = DistilledClassifier(teacher, tree, alpha=1.0).fit(X, y)
    assert fidelity_score(auto, X_test) > fidelity_score(plain, X_test)
    generator, n_rows, kind = auto_transfer(make_pipeline(StandardScaler(), MLPClassifier()), 400)
    assert (type(generator), n_rows, kind) == (Munge, 25_000, "neural net")
    generator, n_rows, kind = auto_transfer(LogisticRegression(), 400)
    assert (type(generator), n_rows, kind) == (Mixup, 4_000, "other")


def test_auto_transfer_adds_rows_only_below_the_searched_block(moons):
    pytest.importorskip("pystreed")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdistill.transfer._auto import auto_transfer
    from skdistill.tree import GuidedTreeClassifier

    X, y, _, _, teacher = moons
    student = GuidedTreeClassifier(max_depth=2, n_thresholds=10, random_state=0)
    distiller = DistilledClassifier(teacher, student, transfer="auto").fit(X[:100], y[:100])
    assert distiller.n_transfer_ == 0
    # a tree searched in several blocks learns its lower blocks from teacher-labelled rows
    deep = GuidedTreeClassifier(max_depth=8, search_depth=4)
    assert auto_transfer(GuidedTreeClassifier(max_depth=7), 400)[1] == 0
    generator, n_rows, kind = auto_transfer(make_pipeline(StandardScaler(), deep), 400)
    assert (type(generator), n_rows, kind) == (Mixup, 50_000, "searched tree")
