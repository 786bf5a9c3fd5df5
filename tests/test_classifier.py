"""DistilledClassifier: what users rely on, on real estimators and real data."""

import pickle

import joblib
import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, soft_targets
from skdistill._soft import blend_with_labels, expand_weighted_rows, keep_top_mass
from skdistill.metrics import fidelity_score


class CountingForest(RandomForestClassifier):
    """A real random forest that counts its fits and its predict_proba calls."""

    counts = {"fit": 0, "predict_proba": 0}

    def fit(self, X, y, sample_weight=None):
        type(self).counts["fit"] += 1
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        type(self).counts["predict_proba"] += 1
        return super().predict_proba(X)


@pytest.fixture
def counting_forest():
    X, y = load_wine(return_X_y=True)
    forest = CountingForest(n_estimators=30, random_state=0).fit(X, y)
    CountingForest.counts.update(fit=0, predict_proba=0)
    return forest, X, y


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)  # so that logistic teachers converge in milliseconds
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _state(estimator):
    """Everything about an estimator that fitting a distiller must leave alone."""
    return joblib.hash(estimator)


# ------------------------------------------------------------------------------ the teacher
def test_fitted_teacher_is_used_as_it_is_and_never_changed(counting_forest):
    forest, X, y = counting_forest
    before = _state(forest)
    distiller = DistilledClassifier(forest, DecisionTreeClassifier(max_depth=3, random_state=0))
    distiller.fit(X, y)
    assert distiller.teacher_ is forest
    assert CountingForest.counts["fit"] == 0
    assert _state(forest) == before


def test_unfitted_teacher_is_cloned_and_fitted(wine):
    X_train, _, y_train, _ = wine
    teacher = LogisticRegression(max_iter=2000)
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(random_state=0))
    distiller.fit(X_train, y_train)
    assert distiller.teacher_ is not teacher
    assert not hasattr(teacher, "coef_")
    assert distiller.teacher_.coef_.shape == (3, X_train.shape[1])


def test_clone_keeps_a_fitted_teacher_and_clones_an_unfitted_one(counting_forest):
    forest, _X, _y = counting_forest
    cloned = clone(DistilledClassifier(forest, DecisionTreeClassifier()))
    assert cloned.teacher is forest
    unfitted = LogisticRegression()
    cloned = clone(DistilledClassifier(unfitted, DecisionTreeClassifier()))
    assert cloned.teacher is not unfitted
    pairs = clone(DistilledClassifier([("a", forest), ("b", unfitted)], DecisionTreeClassifier()))
    assert pairs.teacher[0][1] is forest and pairs.teacher[1][1] is not unfitted


def test_grid_search_never_refits_the_teacher_and_asks_it_once_per_fold(counting_forest):
    forest, X, y = counting_forest
    distiller = DistilledClassifier(forest, DecisionTreeClassifier(random_state=0))
    grid = {"temperature": [1.0, 2.0, 4.0], "alpha": [0.5, 1.0], "student__max_depth": [2, 4]}
    search = GridSearchCV(distiller, grid, cv=3).fit(X, y)
    assert CountingForest.counts["fit"] == 0
    # 3 folds + the refit on all rows; without the cache it would be 12 * 3 + 1
    assert CountingForest.counts["predict_proba"] == 3 + 1
    assert search.best_estimator_.teacher_ is forest
    assert search.best_params_["student__max_depth"] in (2, 4)


def test_without_the_cache_the_teacher_is_asked_every_fit(counting_forest):
    forest, X, y = counting_forest
    distiller = DistilledClassifier(forest, DecisionTreeClassifier(random_state=0), memory=False)
    GridSearchCV(distiller, {"temperature": [1.0, 2.0]}, cv=3).fit(X, y)
    assert CountingForest.counts["predict_proba"] == 2 * 3 + 1


def test_disk_cache_serves_parallel_grid_search(counting_forest, tmp_path):
    forest, X, y = counting_forest
    memory = joblib.Memory(tmp_path, verbose=0)
    distiller = DistilledClassifier(forest, DecisionTreeClassifier(random_state=0), memory=memory)
    grid = {"temperature": [1.0, 2.0, 3.0]}
    cached = GridSearchCV(distiller, grid, cv=3, n_jobs=2).fit(X, y)
    plain = GridSearchCV(distiller.set_params(memory=False), grid, cv=3).fit(X, y)
    np.testing.assert_allclose(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    # one entry per distinct X (3 folds + all rows), whatever the number of candidates
    entries = [p for p in tmp_path.rglob("output.pkl")]
    assert len(entries) == 4


def test_refitting_the_teacher_in_place_invalidates_the_cache(wine):
    X_train, X_test, y_train, _ = wine
    teacher = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    first = soft_targets(teacher, X_test)
    teacher.fit(X_train[:60], y_train[:60])  # in place: the same object, a new fit
    np.testing.assert_allclose(
        soft_targets(teacher, X_test), softmax(teacher.decision_function(X_test), axis=1)
    )
    assert not np.allclose(first, soft_targets(teacher, X_test))


def test_unfitted_teacher_is_refit_in_each_fold():
    X, y = load_iris(return_X_y=True)
    CountingForest.counts.update(fit=0, predict_proba=0)
    distiller = DistilledClassifier(
        CountingForest(n_estimators=5, random_state=0), DecisionTreeClassifier(random_state=0)
    )
    scores = cross_val_score(distiller, X, y, cv=3)
    assert CountingForest.counts["fit"] == 3
    assert scores.mean() > 0.85


def test_frozen_teacher(counting_forest):
    forest, X, y = counting_forest
    distiller = DistilledClassifier(FrozenEstimator(forest), DecisionTreeClassifier(max_depth=3))
    cross_val_score(distiller, X, y, cv=3)
    assert CountingForest.counts["fit"] == 0
    np.testing.assert_array_equal(distiller.fit(X, y).classes_, forest.classes_)


def test_set_params_refuses_to_change_a_fitted_teacher(counting_forest):
    forest, _, _ = counting_forest
    distiller = DistilledClassifier(forest, DecisionTreeClassifier())
    with pytest.raises(ValueError, match=r"teacher__n_estimators.*fitted teacher"):
        distiller.set_params(teacher__n_estimators=5)
    assert forest.n_estimators == 30
    unfitted = DistilledClassifier(LogisticRegression(), DecisionTreeClassifier())
    assert unfitted.set_params(teacher__C=0.1).teacher.C == 0.1


# ------------------------------------------------------------------------------ soft targets
def test_soft_targets_keep_a_forests_zeros_at_every_temperature():
    X, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    proba = forest.predict_proba(X)
    assert (proba == 0).any()
    for temperature in (1.0, 4.0, 20.0):
        targets = soft_targets(forest, X, temperature=temperature)
        np.testing.assert_array_equal(targets == 0, proba == 0)
        np.testing.assert_allclose(targets.sum(axis=1), 1.0)
    np.testing.assert_allclose(soft_targets(forest, X, temperature=1.0), proba)


def test_soft_targets_use_logits_and_a_binary_score_becomes_two_columns():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    targets = soft_targets(teacher, X, temperature=3.0)
    expected_positive = 1.0 / (1.0 + np.exp(-teacher.decision_function(X) / 3.0))
    np.testing.assert_allclose(targets[:, 1], expected_positive)
    np.testing.assert_allclose(soft_targets(teacher, X), teacher.predict_proba(X), atol=1e-12)


def test_teacher_columns_are_matched_by_class_value_not_position():
    X, y = load_iris(return_X_y=True)
    wide = LogisticRegression(max_iter=1000).fit(X, y)  # knows 0, 1, 2
    narrow = LogisticRegression(max_iter=1000).fit(X[y > 0], y[y > 0])  # knows 1, 2
    distiller = DistilledClassifier(
        [wide, narrow], DecisionTreeClassifier(random_state=0), alpha=1.0, keep_mass=1.0
    ).fit(X, y)
    np.testing.assert_array_equal(distiller.classes_, [0, 1, 2])
    # the narrow teacher's first column (class 1) must land in column 1, not column 0
    expected = (
        soft_targets(wide, X) + np.column_stack([np.zeros(len(X)), soft_targets(narrow, X)])
    ) / 2
    leaf_means = _leaf_means(distiller.student_, X, expected)
    np.testing.assert_allclose(distiller.predict_proba(X), leaf_means, atol=1e-12)


def _leaf_means(tree, X, targets):
    """Per-leaf mean of ``targets``: what a tree that learnt soft targets must predict."""
    leaves = tree.apply(X)
    means = np.zeros_like(targets)
    for leaf in np.unique(leaves):
        means[leaves == leaf] = targets[leaves == leaf].mean(axis=0)
    return means


def test_predict_proba_has_a_column_per_class_when_the_rows_show_fewer():
    # the teacher knows 0, 1, 2; the rows show 1 and 2 only, so the student learns two classes
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    rows = y > 0
    distiller = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2, random_state=0), alpha=0.0
    ).fit(X[rows], y[rows])
    assert distiller.student_.classes_.tolist() == [1, 2]
    np.testing.assert_array_equal(distiller.classes_, [0, 1, 2])
    proba = distiller.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_array_equal(proba[:, 0], 0.0)  # the class the student never saw
    np.testing.assert_array_equal(proba[:, 1:], distiller.student_.predict_proba(X))
    np.testing.assert_array_equal(distiller.classes_[proba.argmax(axis=1)], distiller.predict(X))


def test_decision_function_has_a_column_per_class_when_a_binary_student_sees_fewer():
    # found by tests/test_properties.py: a binary student's one score came back as it was,
    # shape (n,), beside three classes_
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    rows = y > 0
    distiller = DistilledClassifier(teacher, LogisticRegression(max_iter=1000), alpha=0.0).fit(
        X[rows], y[rows]
    )
    assert distiller.student_.classes_.tolist() == [1, 2]
    scores = distiller.decision_function(X)
    assert scores.shape == (len(X), 3)
    np.testing.assert_array_equal(scores[:, 0], -np.inf)
    np.testing.assert_array_equal(scores[:, 1], 0.0)
    np.testing.assert_allclose(scores[:, 2], distiller.student_.decision_function(X))
    np.testing.assert_array_equal(distiller.classes_[scores.argmax(axis=1)], distiller.predict(X))
    np.testing.assert_allclose(softmax(scores, axis=1), distiller.predict_proba(X), atol=1e-12)


def test_keep_mass_decides_the_copies_the_student_sees():
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X[:, :2], y)  # unsure: mass on every class
    X = X[:, :2]
    targets = blend_with_labels(soft_targets(teacher, X, temperature=2.0), y, 0.5)

    def fit(keep_mass):
        return DistilledClassifier(
            teacher,
            DecisionTreeClassifier(max_depth=3, random_state=0),
            temperature=2.0,
            alpha=0.5,
            keep_mass=keep_mass,
        ).fit(X, y)

    # the root of the fitted tree holds the mean of the targets it was given, small ones dropped
    # (a Gini tree is grown on the target vectors, so it counts rows, not copies)
    for keep_mass in [1.0, 0.9, 0.6]:
        root = fit(keep_mass).student_.tree_.value[0, 0]
        np.testing.assert_allclose(root, keep_top_mass(targets, keep_mass).mean(axis=0))
    assert not np.allclose(fit(0.6).student_.tree_.value[0, 0], fit(1.0).student_.tree_.value[0, 0])
    # a tiny keep_mass keeps only the top class of each row: the plain fit on those labels
    top_only = fit(1e-9)
    assert top_only.student_.tree_.n_node_samples[0] == len(X)
    hard = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, targets.argmax(axis=1))
    np.testing.assert_array_equal(top_only.predict_proba(X), hard.predict_proba(X))


def test_tree_leaves_hold_the_mean_blended_target(wine):
    X_train, _, y_train, _ = wine
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    distiller = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=3, random_state=0),
        temperature=2.0,
        alpha=0.7,
        keep_mass=1.0,
    ).fit(X_train, y_train)
    y_encoded = np.searchsorted(distiller.classes_, y_train)
    blended = blend_with_labels(soft_targets(teacher, X_train, temperature=2.0), y_encoded, 0.7)
    np.testing.assert_allclose(
        distiller.predict_proba(X_train), _leaf_means(distiller.student_, X_train, blended)
    )


def test_the_student_alone_predicts_the_original_labels(wine):
    X_train, X_test, y_train, _ = wine
    labels = np.array(["barolo", "grignolino", "barbera"])[y_train]
    distiller = DistilledClassifier(
        RandomForestClassifier(n_estimators=20, random_state=0),
        DecisionTreeClassifier(max_depth=4, random_state=0),
    ).fit(X_train, labels)
    student = pickle.loads(pickle.dumps(distiller.student_))
    np.testing.assert_array_equal(student.predict(X_test), distiller.predict(X_test))
    assert set(student.predict(X_test)) <= {"barolo", "grignolino", "barbera"}
    np.testing.assert_array_equal(distiller.classes_, ["barbera", "barolo", "grignolino"])


@pytest.mark.parametrize(
    "student",
    [
        DecisionTreeClassifier(max_depth=4, random_state=0),
        LogisticRegression(max_iter=2000),
        SGDClassifier(loss="log_loss", random_state=0),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ],
)
def test_alpha_zero_is_exactly_the_student_trained_on_labels(wine, student):
    X_train, X_test, y_train, _ = wine
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    distilled = DistilledClassifier(teacher, student, alpha=0.0, temperature=5.0)
    distilled.fit(X_train, y_train)
    baseline = clone(student).fit(X_train, y_train)
    np.testing.assert_array_equal(distilled.predict(X_test), baseline.predict(X_test))
    np.testing.assert_array_equal(distilled.predict_proba(X_test), baseline.predict_proba(X_test))


def test_keep_mass_bounds_the_copies_per_row():
    X, y = make_classification(
        n_samples=300, n_classes=8, n_informative=8, n_features=10, random_state=0
    )
    teacher = LogisticRegression(max_iter=2000).fit(X, y)
    targets = soft_targets(teacher, X, temperature=2.0)
    all_rows, _, _ = expand_weighted_rows(keep_top_mass(targets, 1.0))
    kept_rows, _, weights = expand_weighted_rows(keep_top_mass(targets, 0.9))
    assert len(kept_rows) < len(all_rows)
    np.testing.assert_allclose(np.bincount(kept_rows, weights=weights), 1.0)


# ------------------------------------------------------------------------------ labels and rows
def test_unlabeled_rows_learn_the_teacher_only(wine):
    X_train, X_test, y_train, _ = wine
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    y_partial = y_train.copy()
    y_partial[::3] = -1
    distiller = DistilledClassifier(
        teacher, LogisticRegression(max_iter=5000), alpha=0.3, unlabeled_label=-1, keep_mass=1.0
    ).fit(X_train, y_partial)
    assert distiller.classes_.tolist() == [0, 1, 2]
    # the same fit by hand: labelled rows blend, unlabeled rows keep the teacher's target
    encoded = np.where(y_partial == -1, -1, y_partial)
    targets = blend_with_labels(soft_targets(teacher, X_train), encoded, 0.3)
    rows, cols, weights = expand_weighted_rows(targets)
    by_hand = LogisticRegression(max_iter=5000).fit(X_train[rows], cols, sample_weight=weights)
    np.testing.assert_allclose(
        distiller.predict_proba(X_test), by_hand.predict_proba(X_test), rtol=1e-6
    )


def test_alpha_one_needs_no_labels(wine):
    X_train, X_test, y_train, _ = wine
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(random_state=0), alpha=1.0)
    distiller.fit(X_train)
    assert fidelity_score(distiller, X_test) > 0.8


def test_sample_weight_zero_equals_dropping_the_rows(wine):
    X_train, X_test, y_train, _ = wine
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    weight = np.ones(len(y_train))
    weight[:20] = 0.0
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    weighted = DistilledClassifier(teacher, student, alpha=0.5).fit(
        X_train, y_train, sample_weight=weight
    )
    dropped = DistilledClassifier(teacher, student, alpha=0.5).fit(X_train[20:], y_train[20:])
    np.testing.assert_allclose(weighted.predict_proba(X_test), dropped.predict_proba(X_test))


# ------------------------------------------------------------------------------ students
def test_regressor_student_on_teacher_logits_reproduces_a_linear_teacher(wine):
    X_train, _X_test, y_train, _ = wine
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    distiller = DistilledClassifier(
        teacher, LinearRegression(), alpha=1.0, regression_target="logits"
    ).fit(X_train, y_train)
    # the logits of a linear teacher are linear in X: least squares recovers them exactly
    np.testing.assert_allclose(
        distiller.predict_proba(X_train), teacher.predict_proba(X_train), atol=1e-6
    )
    assert fidelity_score(distiller, X_train) == 1.0
    assert distiller.decision_function(X_train).shape == (len(X_train), 3)


def test_regressor_student_on_soft_targets(wine):
    X_train, X_test, y_train, y_test = wine
    teacher = RandomForestClassifier(n_estimators=50, random_state=0).fit(X_train, y_train)
    distiller = DistilledClassifier(
        teacher, DecisionTreeRegressor(max_depth=4, random_state=0), temperature=2.0
    ).fit(X_train, y_train)
    proba = distiller.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(distiller.predict(X_test), distiller.classes_[proba.argmax(1)])
    assert distiller.score(X_test, y_test) > 0.8
    assert not hasattr(distiller, "decision_function")


def test_binary_regressor_student_regresses_one_column():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    distiller = DistilledClassifier(teacher, DecisionTreeRegressor(max_depth=3)).fit(X, y)
    assert distiller.student_.n_outputs_ == 1
    proba = distiller.predict_proba(X)
    assert proba.shape == (len(X), 2)
    # the one column regressed is the second class's probability, in classes_ order
    positive = np.clip(distiller.student_.predict(X), 0.0, 1.0)
    np.testing.assert_allclose(proba, np.column_stack([1.0 - positive, positive]))
    np.testing.assert_array_equal(distiller.predict(X), distiller.classes_[proba.argmax(axis=1)])
    assert np.mean(distiller.predict(X) == teacher.predict(X)) > 0.9
    assert np.corrcoef(proba[:, 1], teacher.predict_proba(X)[:, 1])[0, 1] > 0.9


def test_hard_student_learns_the_teacher_labels():
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    distiller = DistilledClassifier(
        teacher, KNeighborsClassifier(n_neighbors=1), student_method="hard", alpha=1.0
    ).fit(X, y)
    np.testing.assert_array_equal(distiller.predict(X), teacher.predict(X))


def test_optional_methods_follow_the_student(wine):
    X_train, _, y_train, _ = wine
    tree = DistilledClassifier(LogisticRegression(max_iter=5000), DecisionTreeClassifier())
    assert hasattr(tree, "predict_proba") and not hasattr(tree, "decision_function")
    linear = DistilledClassifier(LogisticRegression(max_iter=5000), LogisticRegression())
    assert hasattr(linear, "decision_function")
    assert linear.fit(X_train, y_train).decision_function(X_train).shape == (len(X_train), 3)
    hinge = DistilledClassifier(
        LogisticRegression(max_iter=5000), SGDClassifier(random_state=0), alpha=1.0
    )
    assert not hasattr(hinge, "predict_proba")


# ------------------------------------------------------------------------------ integration
def test_pipeline_pandas_feature_names_and_string_labels():
    X, y = load_wine(return_X_y=True, as_frame=True)
    X["region"] = np.where(X["alcohol"] > 13, "north", "south")
    y = y.map({0: "barolo", 1: "grignolino", 2: "barbera"})
    numeric = [c for c in X.columns if c != "region"]
    # a teacher that needs the DataFrame: it selects columns by name
    teacher = make_pipeline(
        ColumnTransformer(
            [("num", StandardScaler(), numeric), ("cat", OneHotEncoder(), ["region"])]
        ),
        LogisticRegression(max_iter=5000),
    ).fit(X, y)
    student = make_pipeline(
        ColumnTransformer([("num", "passthrough", numeric)]),
        DecisionTreeClassifier(max_depth=3, random_state=0),
    )
    distiller = DistilledClassifier(teacher, student, student_method="hard", alpha=1.0)
    distiller.fit(X, y)
    assert list(distiller.feature_names_in_) == list(X.columns)
    assert distiller.n_features_in_ == X.shape[1]
    assert set(distiller.predict(X)) <= {"barolo", "grignolino", "barbera"}
    with pytest.raises(ValueError, match="feature names"):
        distiller.predict(X[X.columns[::-1]])


def test_in_a_pipeline_with_a_fitted_teacher_inside_grid_search(wine):
    X_train, X_test, y_train, y_test = wine
    scaler = StandardScaler().fit(X_train)
    teacher = LogisticRegression(max_iter=5000).fit(scaler.transform(X_train), y_train)
    pipeline = make_pipeline(
        StandardScaler(), DistilledClassifier(teacher, DecisionTreeClassifier(random_state=0))
    )
    grid = {
        "distilledclassifier__temperature": [1.0, 3.0],
        "distilledclassifier__alpha": [0.0, 0.5, 1.0],
        "distilledclassifier__student__max_depth": [2, 3],
    }
    search = GridSearchCV(pipeline, grid, cv=3).fit(X_train, y_train)
    assert search.best_estimator_[-1].teacher_ is teacher
    assert search.score(X_test, y_test) > 0.8


def test_pickle_round_trip(wine):
    X_train, X_test, y_train, _ = wine
    distiller = DistilledClassifier(
        RandomForestClassifier(n_estimators=10, random_state=0),
        LogisticRegression(max_iter=5000),
        temperature=2.0,
    ).fit(X_train, y_train)
    restored = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_array_equal(restored.predict_proba(X_test), distiller.predict_proba(X_test))
    np.testing.assert_array_equal(
        restored.teacher_.predict_proba(X_test), distiller.teacher_.predict_proba(X_test)
    )


def test_nothing_the_user_passed_is_changed(wine):
    X_train, _, y_train, _ = wine
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    weight = np.linspace(0.5, 1.5, len(y_train))
    copies = [_state(obj) for obj in (X_train, y_train, teacher, student, weight)]
    DistilledClassifier(teacher, student, temperature=3.0).fit(
        X_train, y_train, sample_weight=weight
    )
    assert [_state(obj) for obj in (X_train, y_train, teacher, student, weight)] == copies
    assert not hasattr(student, "tree_")


def test_several_teachers_with_weights(wine):
    X_train, _, y_train, _ = wine
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    linear = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    distiller = DistilledClassifier(
        [("forest", forest), ("linear", linear)],
        DecisionTreeClassifier(max_depth=2, random_state=0),
        teacher_weights=[3, 1],
        temperature=2.0,
        alpha=1.0,
        keep_mass=1.0,
    ).fit(X_train, y_train)
    assert distiller.teacher_ == [forest, linear]
    expected = 0.75 * soft_targets(forest, X_train, temperature=2.0) + 0.25 * soft_targets(
        linear, X_train, temperature=2.0
    )
    np.testing.assert_allclose(
        distiller.predict_proba(X_train), _leaf_means(distiller.student_, X_train, expected)
    )


def test_metadata_routing_sends_sample_weight_where_requested(wine):
    import sklearn

    X_train, X_test, y_train, _ = wine
    weight = np.ones(len(y_train))
    weight[:30] = 0.0
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    with sklearn.config_context(enable_metadata_routing=True):
        routed_student = DecisionTreeClassifier(max_depth=3, random_state=0).set_fit_request(
            sample_weight=True
        )
        routed = DistilledClassifier(teacher, routed_student).fit(
            X_train, y_train, sample_weight=weight
        )
    dropped = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3, random_state=0))
    dropped.fit(X_train[30:], y_train[30:])
    np.testing.assert_allclose(routed.predict_proba(X_test), dropped.predict_proba(X_test))


def test_in_process_cache_is_bounded_in_bytes(wine, monkeypatch):
    from skdistill import _teacher

    X_train, _, y_train, _ = wine
    teacher = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    one_entry = len(X_train) * 3 * 8
    monkeypatch.setattr(_teacher._OUTPUT_CACHE, "max_bytes", 2 * one_entry)
    for shift in range(4):  # four different X: only the last two fit in the budget
        soft_targets(teacher, X_train + shift)
    entries = _teacher._OUTPUT_CACHE.entries(teacher)
    assert len(entries) == 2
    assert sum(values.nbytes for values in entries.values()) <= 2 * one_entry


def test_disk_cache_also_caches_the_fit_of_an_unfitted_teacher(tmp_path):
    X, y = load_iris(return_X_y=True)
    CountingForest.counts.update(fit=0, predict_proba=0)
    distiller = DistilledClassifier(
        CountingForest(n_estimators=5, random_state=0),
        DecisionTreeClassifier(random_state=0),
        memory=str(tmp_path),
    )
    grid = {"temperature": [1.0, 2.0], "alpha": [0.5, 1.0]}
    GridSearchCV(distiller, grid, cv=3).fit(X, y)
    # one fit per fold and one for the refit, instead of one per candidate and fold (4 * 3 + 1)
    assert CountingForest.counts["fit"] == 3 + 1


def test_grid_search_with_threads_shares_the_cache(counting_forest):
    forest, X, y = counting_forest
    distiller = DistilledClassifier(forest, DecisionTreeClassifier(random_state=0))
    grid = {"temperature": [1.0, 2.0, 4.0], "alpha": [0.5, 1.0]}
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threaded = GridSearchCV(distiller, grid, cv=3).fit(X, y)
    # each of the 4 distinct X (3 folds + all rows) is asked at most once per thread, never once
    # per candidate (6 * 3 + 1 = 19)
    assert 4 <= CountingForest.counts["predict_proba"] <= 2 * 4
    CountingForest.counts["predict_proba"] = 0
    serial = GridSearchCV(distiller, grid, cv=3, n_jobs=1).fit(X, y)
    assert CountingForest.counts["predict_proba"] == 0  # every fold is already in the cache
    np.testing.assert_allclose(
        threaded.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_integer_labels_in_an_object_array_beside_a_string_marker():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    marked = y.astype(object)
    marked[::3] = "?"
    for cv in [None, 3]:
        distiller = DistilledClassifier(
            LogisticRegression(max_iter=500),
            DecisionTreeClassifier(max_depth=3, random_state=0),
            unlabeled_label="?",
            cv=cv,
        ).fit(X, marked)
        np.testing.assert_array_equal(distiller.classes_, [0, 1, 2])
        assert distiller.score(X, y) > 0.9
