"""The teacher-assistant chain: a fitted distiller as the teacher of the next one.

``DistilledClassifier(DistilledClassifier(teacher, assistant).fit(X, y), student)``: no link's
teacher is refit, and under GridSearchCV each is asked once per fold, not once per candidate.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier


class CountingLogisticRegression(LogisticRegression):
    """A real logistic regression that counts its fits and the questions it is asked."""

    counts = {"fit": 0, "asked": 0}

    def fit(self, X, y, sample_weight=None):
        type(self).counts["fit"] += 1
        return super().fit(X, y, sample_weight=sample_weight)

    def decision_function(self, X):
        type(self).counts["asked"] += 1
        return super().decision_function(X)


class CountingDistiller(DistilledClassifier):
    """A real distiller that counts its fits and the questions it is asked as a teacher."""

    counts = {"fit": 0, "asked": 0}

    def fit(self, X, y=None, sample_weight=None, **fit_params):
        type(self).counts["fit"] += 1
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)

    def predict_proba(self, X):
        type(self).counts["asked"] += 1
        return super().predict_proba(X)


@pytest.fixture
def data():
    X, y = load_iris(return_X_y=True)
    for cls in (CountingLogisticRegression, CountingDistiller):
        cls.counts.update(fit=0, asked=0)
    return X, y


def _assistant():
    # a tree assistant: the distiller has predict_proba and no decision_function
    return DecisionTreeClassifier(max_depth=3, random_state=0)


def test_a_fitted_chain_refits_no_link_and_asks_each_once_per_fold(data):
    X, y = data
    teacher = CountingLogisticRegression(max_iter=500).fit(X, y)
    assistant = CountingDistiller(teacher, _assistant(), temperature=2.0).fit(X, y)
    assistant_student = assistant.student_
    assert CountingLogisticRegression.counts == {"fit": 1, "asked": 1}
    assert CountingDistiller.counts == {"fit": 1, "asked": 0}

    student = DistilledClassifier(assistant, DecisionTreeClassifier(max_depth=2, random_state=0))
    search = GridSearchCV(student, {"temperature": [1.0, 2.0, 4.0], "alpha": [0.5, 1.0]}, cv=3)
    search.fit(X, y)
    # the assistant is used as it is: never refit, asked once per fold and once for the refit
    assert CountingDistiller.counts == {"fit": 1, "asked": 3 + 1}
    assert assistant.student_ is assistant_student
    assert search.best_estimator_.teacher_ is assistant
    # the teacher behind it is not asked again: its outputs were the assistant's to learn
    assert CountingLogisticRegression.counts == {"fit": 1, "asked": 1}


def test_an_unfitted_assistant_link_fits_the_assistant_but_never_the_teacher(data):
    X, y = data
    teacher = CountingLogisticRegression(max_iter=500).fit(X, y)
    chain = DistilledClassifier(
        DistilledClassifier(teacher, _assistant()),  # fitted on each training set
        DecisionTreeClassifier(max_depth=2, random_state=0),
    )
    search = GridSearchCV(chain, {"temperature": [1.0, 2.0, 4.0]}, cv=3).fit(X, y)
    # the teacher: never refit, asked once per fold and once for the refit (its outputs cached
    # across the candidates)
    assert CountingLogisticRegression.counts == {"fit": 1, "asked": 3 + 1}
    fitted_assistant = search.best_estimator_.teacher_
    assert fitted_assistant.teacher_ is teacher
    assert fitted_assistant is not chain.teacher  # a fitted clone; the template stays unfitted
    assert not hasattr(chain.teacher, "student_")


def test_the_chain_passes_the_teachers_knowledge_through(data):
    # the student of the chain learns from the assistant's outputs: with alpha=1 and a copying
    # student it reproduces them, not the labels'
    X, y = data
    teacher = LogisticRegression(C=0.05, max_iter=500).fit(X, y)
    assistant = DistilledClassifier(teacher, LogisticRegression(C=0.05, max_iter=500), alpha=1.0)
    assistant.fit(X, y)
    chain = DistilledClassifier(assistant, KNeighborsRegressor(n_neighbors=1), alpha=1.0)
    chain.fit(X, y)
    np.testing.assert_allclose(chain.predict_proba(X), assistant.predict_proba(X), atol=1e-9)
    assert chain.predict_proba(X).max() < 0.99  # soft, as the teacher's outputs are
