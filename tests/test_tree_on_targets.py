"""A Gini tree student grown on the soft-target vectors: the tree of the weighted copies, without
the copies."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill._soft import expand_weighted_rows
from skdistill._students import fit_weighted
from skdistill._tree_on_targets import grows_without_copies


def _problem(n_classes, n_rows=300):
    X, y = make_classification(
        n_samples=n_rows,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    # continuous soft targets, so that no two splits tie (a forest's probabilities, multiples of
    # 1/n_estimators, make exact ties in small nodes, which either fit may break its own way)
    targets = 0.5 * np.random.RandomState(1).dirichlet(np.ones(n_classes), size=len(y))
    targets[np.arange(len(y)), y] += 0.5
    return X, y, targets


def _with_copies(student, X, targets, classes, sample_weight=None):
    rows, cols, weights = expand_weighted_rows(targets)
    if sample_weight is not None:
        weights = weights * sample_weight[rows]
    return student.fit(X[rows], classes[cols], sample_weight=weights)


@pytest.mark.parametrize("n_classes", [2, 6])
@pytest.mark.parametrize(
    "params", [{"max_depth": 3}, {"max_leaf_nodes": 8}, {"max_depth": 3, "ccp_alpha": 0.01}]
)
def test_same_splits_as_the_weighted_copies(n_classes, params):
    X, _, targets = _problem(n_classes)
    classes = np.arange(n_classes)
    weight = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    tree = DecisionTreeClassifier(random_state=0, **params)
    ours = fit_weighted(tree, X, targets, classes, weight, 1.0, {})
    copied = DecisionTreeClassifier(random_state=0, **params)
    theirs = _with_copies(copied, X, targets, classes, weight)
    assert isinstance(ours, DecisionTreeClassifier)
    assert ours.tree_.node_count == theirs.tree_.node_count
    np.testing.assert_array_equal(ours.tree_.feature, theirs.tree_.feature)
    np.testing.assert_allclose(ours.tree_.threshold, theirs.tree_.threshold)
    np.testing.assert_allclose(ours.tree_.value, theirs.tree_.value, atol=1e-12)
    np.testing.assert_allclose(ours.tree_.impurity, theirs.tree_.impurity, atol=1e-12)
    np.testing.assert_allclose(
        ours.tree_.weighted_n_node_samples, theirs.tree_.weighted_n_node_samples
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)


def test_deep_trees_split_the_rows_alike():
    # grown to one row a leaf: a node of two rows can be cut on any feature where they differ,
    # which may send either row left, so the check is that each row's leaf holds the same rows
    X, _, targets = _problem(3)
    classes = np.arange(3)
    ours = fit_weighted(DecisionTreeClassifier(random_state=0), X, targets, classes, None, 1.0, {})
    theirs = _with_copies(DecisionTreeClassifier(random_state=0), X, targets, classes)
    assert ours.tree_.node_count == theirs.tree_.node_count
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), targets, atol=1e-12)


def test_distilled_tree_counts_rows_not_copies_and_stays_a_plain_tree():
    X, y, _ = _problem(3)
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    distiller = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=4, random_state=0), temperature=2.0
    ).fit(X, y)
    student = distiller.student_
    assert type(student) is DecisionTreeClassifier
    # one node sample per row: the rows were not copied once per class
    assert student.tree_.n_node_samples[0] == len(X)
    assert student.n_classes_ == 3 and student.n_outputs_ == 1
    np.testing.assert_array_equal(student.classes_, [0, 1, 2])
    assert set(np.unique(student.predict(X))) <= {0, 1, 2}
    restored = pickle.loads(pickle.dumps(student))
    np.testing.assert_array_equal(restored.predict_proba(X), student.predict_proba(X))
    np.testing.assert_allclose(student.predict_proba(X).sum(axis=1), 1.0)


def test_string_labels_and_a_pipeline_ending_in_a_tree():
    X, y, _ = _problem(3)
    labels = np.array(["ant", "bee", "cat"])[y]
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, labels)
    student = make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=3, random_state=0))
    distiller = DistilledClassifier(teacher, student, temperature=2.0).fit(X, labels)
    tree = distiller.student_[-1]
    assert tree.tree_.n_node_samples[0] == len(X)
    assert set(distiller.predict(X)) <= {"ant", "bee", "cat"}
    assert student[-1].__dict__.get("tree_") is None  # the user's pipeline is untouched


def test_trees_that_keep_the_copies():
    assert grows_without_copies(DecisionTreeClassifier())
    assert not grows_without_copies(DecisionTreeClassifier(criterion="entropy"))
    assert not grows_without_copies(DecisionTreeClassifier(class_weight="balanced"))
    # these count copies on the copies, rows on the target vectors
    assert not grows_without_copies(DecisionTreeClassifier(min_samples_leaf=3))
    assert not grows_without_copies(DecisionTreeClassifier(min_samples_split=0.1))
    X, _, targets = _problem(3)
    weighted = DecisionTreeClassifier(max_depth=3, class_weight="balanced", random_state=0)
    fitted = fit_weighted(weighted, X, targets, np.arange(3), None, 1.0, {})
    assert fitted.tree_.n_node_samples[0] > len(X)  # the copies


def test_a_class_no_row_of_a_leaf_has_gets_exactly_zero():
    # a forest's probabilities are full of exact zeros; the copies tree has no copy of such a
    # class in the leaf, so its probability there is 0, not a rounding error around it
    X, y, _ = _problem(5)
    targets = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y).predict_proba(X)
    classes = np.arange(5)
    tree = DecisionTreeClassifier(max_depth=6, random_state=0)
    ours = fit_weighted(tree, X, targets, classes, None, 1.0, {})
    leaves = ours.apply(X)
    mass = np.array([targets[leaves == leaf].sum(axis=0) for leaf in leaves])
    proba = ours.predict_proba(X)
    assert (mass == 0).any()
    np.testing.assert_array_equal(proba == 0, mass == 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
