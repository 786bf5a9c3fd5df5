"""Interpretable learners users already pick, as students: imodels' FIGS, interpret's EBM."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledClassifier
from skdistill.inspection import distillation_report
from skdistill.metrics import fidelity_score


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[::3, :8], y[::3]  # 190 rows, 8 features: small and quick
    # an underfitting teacher, which disagrees with the labels on many rows
    teacher = make_pipeline(StandardScaler(), LogisticRegression(C=0.002)).fit(X, y)
    assert np.mean(teacher.predict(X) != y) > 0.05
    return X, y, teacher


def _figs():
    imodels = pytest.importorskip("imodels")
    return imodels.FIGSClassifier(max_rules=5, random_state=0)


def _ebm():
    glassbox = pytest.importorskip("interpret.glassbox")
    return glassbox.ExplainableBoostingClassifier(
        interactions=0, outer_bags=1, max_rounds=200, n_jobs=1, random_state=0
    )


@pytest.mark.parametrize("make", [_figs, _ebm], ids=["FIGS", "EBM"])
def test_learns_the_teacher_through_weighted_rows(make, data):
    X, y, teacher = data
    student = make()
    distiller = DistilledClassifier(teacher, student, alpha=1.0).fit(X, y)
    assert distiller.student_method_ == "weights"
    assert type(distiller.student_) is type(student) and distiller.student_ is not student
    on_labels = make().fit(X, y)
    assert fidelity_score(distiller, X) > fidelity_score(on_labels, X, teacher=teacher)
    proba = distiller.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(distiller.classes_, [0, 1])


@pytest.mark.parametrize("make", [_figs, _ebm], ids=["FIGS", "EBM"])
def test_alpha_zero_is_the_learner_on_the_labels(make, data):
    X, y, teacher = data
    distiller = DistilledClassifier(teacher, make(), alpha=0.0).fit(X, y)
    np.testing.assert_array_equal(distiller.predict_proba(X), make().fit(X, y).predict_proba(X))


def test_figs_with_a_transfer_set_and_in_the_report(data):
    X, y, teacher = data
    distiller = DistilledClassifier(
        teacher, _figs(), transfer="mixup", n_transfer=1.0, random_state=0
    ).fit(X, y)
    assert distiller.n_transfer_ == len(X)
    report = distillation_report(distiller, X, y, X_train=X, y_train=y)
    assert list(report["size_unit"])[1:] == ["rules", "rules"]
    assert report["size"].iloc[2] == distiller.student_.complexity_ <= 5


def _rules(figs):
    """(feature, threshold) of every split of a fitted FIGS, tree by tree, depth first."""
    found = []

    def walk(node):
        if node is not None and node.left is not None:
            found.append((int(node.feature), float(node.threshold)))
            walk(node.left)
            walk(node.right)

    for root in figs.trees_:
        walk(root)
    return found


def test_binary_figs_learns_the_teacher_probability_by_regression(data):
    # what the benchmark (docs/benchmarks.md, "Interpretable students") relies on: for two
    # classes, FIGS on the per-class weighted copies ranks splits, and predicts, as FIGS
    # regressing on the teacher's probability of the positive class
    imodels = pytest.importorskip("imodels")
    X, y, teacher = data
    np.random.seed(0)  # noqa: NPY002 (FIGS draws its stumps' feature order from it)
    distiller = DistilledClassifier(teacher, _figs(), alpha=1.0, keep_mass=1.0).fit(X, y)
    np.random.seed(0)  # noqa: NPY002
    regression = imodels.FIGSRegressor(max_rules=5, random_state=0)
    regression.fit(X, teacher.predict_proba(X)[:, 1])
    assert len(_rules(distiller.student_)) == 5
    assert _rules(distiller.student_) == _rules(regression)
    np.testing.assert_array_equal(distiller.predict(X), regression.predict(X) > 0.5)
