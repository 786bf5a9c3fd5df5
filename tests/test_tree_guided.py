"""GuidedTreeClassifier: a small tree searched on threshold guesses, alone and as a student."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.metrics import fidelity_score

pytest.importorskip("pystreed")
from skdistill.tree import GuidedTreeClassifier


def _xor(n_rows=400, seed=0):
    """Two crossing thresholds a greedy tree cannot see one level ahead, and a noise feature
    that a greedy root split prefers."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 1, size=(n_rows, 3))
    y = ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(int)
    flip = rng.uniform(size=n_rows) < 0.05
    return X, np.where(flip, 1 - y, y)


def test_search_finds_what_greedy_misses():
    X, y = _xor()
    X_test, y_test = _xor(seed=1)
    guided = GuidedTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    cart = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    assert guided.search_ == "optimal" and guided.search_optimal_
    assert guided.score(X_test, y_test) > 0.9
    assert guided.score(X_test, y_test) > cart.score(X_test, y_test) + 0.1


def test_plain_object_on_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    tree = GuidedTreeClassifier(max_depth=3, n_thresholds=12, random_state=0).fit(X, names[y])
    assert tree.get_depth() <= 3 and tree.get_n_leaves() <= 8
    assert set(tree.predict(X)) <= set(names)
    proba = tree.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(tree.classes_[proba.argmax(axis=1)], tree.predict(X))
    # never worse on its training objective than CART of the same depth
    cart = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, names[y])
    assert tree.score(X, names[y]) >= cart.score(X, names[y])
    restored = pickle.loads(pickle.dumps(tree))
    np.testing.assert_array_equal(restored.predict(X), tree.predict(X))
    text = tree.export_text(feature_names=["sl", "sw", "pl", "pw"])
    assert text.count("class: ") == tree.get_n_leaves()
    assert "<=" in text and any(name in text for name in names)


def _nested(n_rows=1200, seed=0):
    """An XOR of features 0 and 1 at the top; in its cell where both are high, a second XOR
    of features 2 and 3 (class 2 against 0), which a greedy split under the top cannot see."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 1, size=(n_rows, 5))
    high = X > 0.5
    y = np.where(high[:, 0] & high[:, 1], 2 * (high[:, 2] ^ high[:, 3]), high[:, 0] ^ high[:, 1])
    flip = rng.uniform(size=n_rows) < 0.05
    return X, np.where(flip, rng.randint(3, size=n_rows), y)


def test_deeper_trees_are_searched_block_by_block():
    X, y = _nested()
    X_test, y_test = _nested(seed=1)
    tree = GuidedTreeClassifier(max_depth=4, search_depth=2, n_thresholds=10, random_state=0)
    tree.fit(X, y)
    cart = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    # the top block finds the first XOR, the block under its high-high leaf the second
    assert tree.search_ == "optimal" and tree.get_depth() == 4
    assert tree.score(X_test, y_test) > 0.9
    assert tree.score(X_test, y_test) > cart.score(X_test, y_test) + 0.05


def test_each_search_sees_a_subset_and_the_leaves_all_rows():
    X, y = _nested()
    tree = GuidedTreeClassifier(
        max_depth=4, search_depth=2, n_thresholds=10, search_rows=300, random_state=0
    ).fit(X, y)
    X_test, y_test = _nested(seed=1)
    assert tree.score(X_test, y_test) > 0.9
    # a leaf's class shares are those of all the training rows that reach it
    leaves = tree.nodes_.apply(X)
    for leaf in np.unique(leaves):
        counts = np.bincount(y[leaves == leaf], minlength=3)
        np.testing.assert_allclose(tree.nodes_.value[leaf], counts / counts.sum())


def test_as_a_student_it_learns_the_teacher():
    X, y = _xor(600)
    teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    student = GuidedTreeClassifier(max_depth=2, random_state=0)
    distiller = DistilledClassifier(teacher, student, alpha=1.0).fit(X, y)
    assert distiller.student_method_ == "native"
    assert isinstance(distiller.student_, GuidedTreeClassifier)
    assert not hasattr(student, "nodes_")  # the user's student is not fitted
    X_test, _ = _xor(seed=2)
    assert fidelity_score(distiller, X_test) > 0.9
    # the student alone predicts labels, as the distiller does
    np.testing.assert_array_equal(distiller.student_.predict(X_test), distiller.predict(X_test))


def test_unlabeled_rows_learn_from_the_teacher_alone():
    X, y = _xor(300)
    teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    y_partly = np.where(np.arange(len(y)) % 3 == 0, y, -1)
    distiller = DistilledClassifier(
        teacher, GuidedTreeClassifier(max_depth=2, random_state=0), unlabeled_label=-1
    ).fit(X, y_partly)
    assert set(distiller.predict(X)) <= {0, 1}


def test_a_search_out_of_time_still_leaves_a_tree():
    X, y = load_iris(return_X_y=True)
    tree = GuidedTreeClassifier(max_depth=3, time_limit=1e-6, random_state=0).fit(X, y)
    assert tree.search_ in ("optimal", "greedy")
    assert tree.score(X, y) >= DecisionTreeClassifier(max_depth=3).fit(X, y).score(X, y)


@pytest.mark.parametrize(
    "params, word",
    [
        ({"max_depth": 0}, "max_depth"),
        ({"time_limit": -1}, "time_limit"),
        ({"search_rows": 1}, "search_rows"),
    ],
)
def test_bad_parameters_are_named(params, word):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=word):
        GuidedTreeClassifier(**params).fit(X, y)
