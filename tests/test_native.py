"""The 'native' seam: a student with ``fit_distilled`` receives the raw pieces of distillation.

The student here is a real (small) learner: multinomial logistic regression fitted with L-BFGS on
Hinton's loss, alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, y). It is what
the neural students of skdistill.torch do with skorch, without torch.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledClassifier, soft_targets


class HintonSoftmaxRegression(ClassifierMixin, BaseEstimator):
    def __init__(self, l2=1e-3):
        self.l2 = l2

    def fit(self, X, y):
        classes, encoded = np.unique(y, return_inverse=True)
        targets = np.eye(len(classes))[encoded]
        return self.fit_distilled(
            X,
            encoded,
            soft_targets=targets,
            teacher_logits=None,
            classes=classes,
            temperature=1.0,
            alpha=1.0,
        )

    def fit_distilled(
        self,
        X,
        y,
        *,
        soft_targets,
        teacher_logits,
        classes,
        temperature,
        alpha,
        sample_weight=None,
        loss="kl",
    ):
        if loss != "kl":
            raise ValueError(f"this student knows only loss='kl', got {loss!r}")
        self.received_ = dict(
            X=X,
            y=y,
            soft_targets=soft_targets,
            teacher_logits=teacher_logits,
            temperature=temperature,
            alpha=alpha,
        )
        n_features, n_classes = X.shape[1], len(classes)
        labelled = y >= 0

        def loss(w):
            W = w.reshape(n_features + 1, n_classes)
            z = X @ W[:-1] + W[-1]
            log_q_T = log_softmax(z / temperature, axis=1)
            kl = soft_targets * (np.log(np.where(soft_targets > 0, soft_targets, 1)) - log_q_T)
            value = alpha * temperature**2 * kl.sum(axis=1).mean()
            if labelled.any() and alpha < 1:
                ce = -log_softmax(z[labelled], axis=1)[np.arange(labelled.sum()), y[labelled]]
                value += (1 - alpha) * ce.mean()
            return value + self.l2 * (W[:-1] ** 2).sum()

        result = minimize(loss, np.zeros((n_features + 1) * n_classes), method="L-BFGS-B")
        self.coef_ = result.x.reshape(n_features + 1, n_classes)
        self.classes_ = np.asarray(classes)
        return self

    def predict_proba(self, X):
        return softmax(X @ self.coef_[:-1] + self.coef_[-1], axis=1)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def test_native_student_receives_the_pieces_and_learns_the_teacher():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    teacher = LogisticRegression(max_iter=2000, C=0.05).fit(X, y)
    labels = np.array(["a", "b", "c"])[y]
    distiller = DistilledClassifier(
        teacher.fit(X, labels), HintonSoftmaxRegression(), temperature=3.0, alpha=0.9
    )
    distiller.fit(X, labels)
    assert distiller.student_method_ == "native"
    received = distiller.student_.received_
    np.testing.assert_array_equal(received["y"], y)  # class indices into classes_
    np.testing.assert_allclose(received["soft_targets"], soft_targets(teacher, X, temperature=3.0))
    np.testing.assert_allclose(received["teacher_logits"], teacher.decision_function(X))
    assert (received["temperature"], received["alpha"]) == (3.0, 0.9)
    # the student matches the teacher on almost every row and predicts the original labels
    assert np.mean(distiller.predict(X) == teacher.predict(X)) > 0.95
    assert set(distiller.predict(X)) <= {"a", "b", "c"}


def test_native_student_sees_unlabeled_rows_as_minus_one():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    teacher = LogisticRegression(max_iter=2000).fit(X, y)
    y_partial = y.copy()
    y_partial[::3] = 99
    distiller = DistilledClassifier(
        teacher, HintonSoftmaxRegression(), alpha=0.5, unlabeled_label=99
    ).fit(X, y_partial)
    received = distiller.student_.received_["y"]
    np.testing.assert_array_equal(received[::3], -1)
    np.testing.assert_array_equal(np.delete(received, np.s_[::3]), np.delete(y, np.s_[::3]))


def test_a_zero_weight_teacher_is_neither_asked_nor_averaged_in():
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    linear = LogisticRegression(max_iter=2000).fit(X, y)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert (forest.predict_proba(X) == 0).any()  # log p = -inf there; 0 * -inf would be NaN
    distiller = DistilledClassifier(
        [linear, forest], HintonSoftmaxRegression(), teacher_weights=[1.0, 0.0]
    ).fit(X, y)
    received = distiller.student_.received_
    np.testing.assert_allclose(received["teacher_logits"], linear.decision_function(X))
    np.testing.assert_allclose(received["soft_targets"], soft_targets(linear, X))
