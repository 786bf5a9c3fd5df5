"""SoftTreeClassifier: Frosst and Hinton's soft decision tree as a scikit-learn student."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skdistill import DistilledClassifier  # noqa: E402
from skdistill.metrics import fidelity_score  # noqa: E402
from skdistill.torch import SoftTreeClassifier  # noqa: E402

CHECKED = SoftTreeClassifier(depth=2, lr=0.05, batch_size=32, max_epochs=10, random_state=0)

EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatch gradient descent: a row of weight 2 is one row in one batch, its repeated "
        "copy is two rows in two batches, so the two fits take different steps"
    ),
}


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), np.array(["setosa", "versicolor", "virginica"])[y]


def _tree(**params):
    return SoftTreeClassifier(
        **{"depth": 2, "lr": 0.05, "batch_size": 32, "random_state": 0, **params}
    )


def test_it_learns_the_labels_and_exposes_its_nodes(iris):
    X, y = iris
    tree = _tree(max_epochs=30).fit(X, y)
    assert tree.score(X, y) > 0.9
    assert tree.filters_.shape == (3, 4) and tree.biases_.shape == (3,)
    assert tree.leaf_proba_.shape == (4, 3)
    np.testing.assert_allclose(tree.leaf_proba_.sum(axis=1), 1.0)
    assert tree.n_iter_ == 30 and len(tree.loss_curve_) == 30
    assert tree.loss_curve_[-1] < tree.loss_curve_[0]


def test_prediction_is_the_leaf_of_largest_path_probability(iris):
    X, y = iris
    tree = _tree(max_epochs=10).fit(X, y)
    paths = tree.path_proba(X)
    np.testing.assert_allclose(paths.sum(axis=1), 1.0, rtol=1e-6)
    # the root's filter decides the first branch: left leaves get 1 - sigmoid, right sigmoid
    root_right = 1 / (1 + np.exp(-(X @ tree.filters_[0] + tree.biases_[0])))
    np.testing.assert_allclose(paths[:, 2:].sum(axis=1), root_right, rtol=1e-5)
    leaves = tree.apply(X)
    np.testing.assert_array_equal(leaves, np.argmax(paths, axis=1))
    np.testing.assert_allclose(tree.predict_proba(X), tree.leaf_proba_[leaves])
    np.testing.assert_array_equal(
        tree.predict(X), tree.classes_[np.argmax(tree.leaf_proba_[leaves], axis=1)]
    )
    mixture = tree.set_params(inference="mixture").predict_proba(X)
    np.testing.assert_allclose(mixture, paths @ tree.leaf_proba_, rtol=1e-6)


def test_beta_sharpens_the_filters(iris):
    X, y = iris
    tree = _tree(max_epochs=5).fit(X, y)
    soft = tree.path_proba(X).max(axis=1)
    sharp = tree.set_params(beta=10.0).path_proba(X).max(axis=1)
    assert np.all(sharp >= soft - 1e-12) and sharp.mean() > soft.mean()


def test_same_random_state_same_tree_and_torch_global_rng_untouched(iris):
    X, y = iris
    rng_before = torch.random.get_rng_state()
    first = _tree(max_epochs=3).fit(X, y)
    first.predict_proba(X)
    assert torch.equal(torch.random.get_rng_state(), rng_before)
    second = _tree(max_epochs=3).fit(X, y)
    np.testing.assert_array_equal(first.filters_, second.filters_)
    other = _tree(max_epochs=3, random_state=1).fit(X, y)
    assert not np.array_equal(first.filters_, other.filters_)


def test_penalty_keeps_the_root_using_both_subtrees(iris):
    X, y = iris

    def root_share(penalty):
        tree = _tree(max_epochs=20, penalty=penalty).fit(X, y)
        return tree.path_proba(X)[:, 2:].sum(axis=1).mean()  # the right half of the leaves

    free, balanced = root_share(0.0), root_share(10.0)
    assert abs(balanced - 0.5) < 0.03
    assert abs(free - 0.5) > 2 * abs(balanced - 0.5)


def test_pickle_round_trip(iris):
    X, y = iris
    tree = _tree(max_epochs=3).fit(X, y)
    again = pickle.loads(pickle.dumps(tree))
    np.testing.assert_array_equal(again.predict_proba(X), tree.predict_proba(X))


def test_distilled_with_alpha_zero_is_the_tree_on_labels(iris):
    X, y = iris
    teacher = LogisticRegression().fit(X, y)
    distiller = DistilledClassifier(teacher, _tree(max_epochs=5), alpha=0.0).fit(X, y)
    assert distiller.student_method_ == "native"
    on_labels = _tree(max_epochs=5).fit(X, y)
    np.testing.assert_allclose(distiller.student_.filters_, on_labels.filters_, rtol=1e-5)


def test_distilled_on_teacher_targets_alone_follows_the_teacher(iris):
    X, y = iris
    teacher = LogisticRegression(C=0.01).fit(X, y)  # a teacher that is often wrong
    y_teacher = teacher.predict(X)
    assert np.mean(y_teacher != y) > 0.1
    distiller = DistilledClassifier(teacher, _tree(max_epochs=40), temperature=2.0, alpha=1.0).fit(
        X, y
    )
    assert fidelity_score(distiller, X) > 0.9
    assert fidelity_score(distiller, X) > np.mean(distiller.predict(X) == y)


def test_bad_parameters_are_named(iris):
    X, y = iris
    with pytest.raises(InvalidParameterError, match="'depth' parameter"):
        _tree(depth=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'inference' parameter"):
        _tree(inference="vote").fit(X, y)
    with pytest.raises(ValueError, match="soft_targets"):
        _tree().fit_distilled(
            X,
            np.zeros(len(X)),
            soft_targets=np.ones((3, 3)) / 3,
            teacher_logits=None,
            classes=[0, 1, 2],
            temperature=1.0,
            alpha=1.0,
        )
