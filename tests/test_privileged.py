"""privileged_features: the teacher sees every column, the student only the others.

The tables here have a privileged column that carries the label almost alone (Lopez-Paz et al.'s
"clean labels as privileged information"), so a student that saw it would show it.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier, DistilledRegressor
from skdistill.inspection import distillation_report, export_rules
from skdistill.metrics import fidelity_score, teacher_divergence

N_COLUMNS, PRIVILEGED = 5, 4  # four columns for the student, the last one privileged
KEEP = [0, 1, 2, 3]


def _table(n_rows, seed=0):
    """x (4 columns), x* = <a, x> (the clean score), y = 1[x* + noise > 0]."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, N_COLUMNS - 1))
    clean = X @ np.array([1.0, -1.0, 0.5, 0.0])
    y = (clean + rng.normal(size=n_rows) > 0).astype(int)
    return np.column_stack([X, clean]), y


@pytest.fixture(scope="module")
def data():
    return _table(200)


@pytest.fixture(scope="module")
def frame(data):
    X, y = data
    return pd.DataFrame(X, columns=["a", "b", "c", "d", "lab_test"]), y


def _distiller(**params):
    params = {"privileged_features": [PRIVILEGED], **params}
    return DistilledClassifier(LogisticRegression(), LogisticRegression(), **params)


def test_teacher_sees_every_column_and_the_student_the_others(data):
    X, y = data
    distiller = _distiller().fit(X, y)
    assert distiller.teacher_.n_features_in_ == N_COLUMNS
    assert distiller.student_.n_features_in_ == N_COLUMNS - 1
    assert distiller.n_features_in_ == N_COLUMNS
    assert_array_equal(distiller.privileged_features_, [PRIVILEGED])
    assert_array_equal(distiller.student_features_, KEEP)
    # the teacher leans on the clean score; the student cannot
    assert abs(distiller.teacher_.coef_[0, PRIVILEGED]) > 1.0


def test_student_on_labels_is_the_student_fitted_on_its_columns(data):
    X, y = data
    distiller = _distiller(alpha=0.0).fit(X, y)
    by_hand = LogisticRegression().fit(X[:, KEEP], y)
    assert_allclose(distiller.student_.coef_, by_hand.coef_, rtol=1e-6)
    # with the teacher's targets it is another student
    taught = _distiller(alpha=1.0, temperature=2.0).fit(X, y)
    assert not np.allclose(taught.student_.coef_, by_hand.coef_)


def test_predicts_from_the_students_columns_or_from_every_column(data):
    X, y = data
    distiller = _distiller().fit(X, y)
    scrambled = X.copy()
    scrambled[:, PRIVILEGED] = np.random.RandomState(1).normal(size=len(X)) * 100
    expected = distiller.student_.predict(X[:, KEEP])
    assert_array_equal(distiller.predict(X[:, KEEP]), expected)
    assert_array_equal(distiller.predict(X), expected)
    # the privileged column never reaches the student
    assert_array_equal(distiller.predict(scrambled), expected)
    assert_allclose(distiller.predict_proba(X), distiller.predict_proba(X[:, KEEP]))
    assert_allclose(distiller.decision_function(X), distiller.decision_function(X[:, KEEP]))
    assert distiller.score(X, y) == distiller.score(X[:, KEEP], y)


def test_other_widths_are_refused_with_both_that_are_taken(data):
    X, y = data
    distiller = _distiller().fit(X, y)
    with pytest.raises(ValueError, match=r"X has 3 columns.*student's 4 columns.*all 5 columns"):
        distiller.predict(X[:, :3])


def test_names_with_a_dataframe(frame):
    X, y = frame
    distiller = _distiller(privileged_features=["lab_test"]).fit(X, y)
    assert list(distiller.feature_names_in_) == ["a", "b", "c", "d", "lab_test"]
    assert list(distiller.student_.feature_names_in_) == ["a", "b", "c", "d"]
    production = X.drop(columns="lab_test")
    assert_array_equal(distiller.predict(production), distiller.predict(X))
    with pytest.raises(ValueError, match=r"columns 'b', 'a', 'c', 'd'.*lab_test"):
        distiller.predict(production[["b", "a", "c", "d"]])


def test_a_mask_and_a_negative_index_name_the_same_column(data):
    X, y = data
    mask = np.arange(N_COLUMNS) == PRIVILEGED
    for privileged in (mask, [-1], np.array([PRIVILEGED])):
        distiller = _distiller(privileged_features=privileged).fit(X, y)
        assert_array_equal(distiller.privileged_features_, [PRIVILEGED])


def test_none_or_an_empty_list_privileges_nothing(data):
    X, y = data
    for privileged in (None, []):
        distiller = _distiller(privileged_features=privileged).fit(X, y)
        assert distiller.student_.n_features_in_ == N_COLUMNS
        assert len(distiller.privileged_features_) == 0


@pytest.mark.parametrize(
    "privileged, X_kind, message",
    [
        (["nope"], "frame", r"privileged_features=\['nope'\] names 'nope', which X does not"),
        ([7], "array", r"privileged_features=\[7\] holds the index 7, out of range.*5 columns"),
        ([0, 1, 2, 3, 4], "array", r"makes all 5 columns of X privileged"),
        (["lab_test"], "array", r"holds column names, but X has no string column names"),
        ([0, "a"], "frame", r"mixes or holds values of types \['int', 'str'\]"),
        ([4, -1], "array", r"lists column 4 twice \(also as -1\)"),
        ([True, False], "array", r"boolean mask of 2 values, but X has 5 columns"),
        ("lab_test", "frame", r"'privileged_features' parameter .* array-like or None"),
    ],
)
def test_bad_privileged_features_name_the_parameter_and_value(frame, privileged, X_kind, message):
    X, y = frame
    X = X if X_kind == "frame" else X.to_numpy()
    distiller = _distiller(privileged_features=privileged)
    with pytest.raises(ValueError, match=message):
        distiller.fit(X, y)


def test_texts_have_no_columns_to_privilege():
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["good film", "bad film", "good plot", "bad plot"] * 3
    y = [1, 0, 1, 0] * 3
    distiller = DistilledClassifier(
        make_pipeline(CountVectorizer(), LogisticRegression()),
        make_pipeline(CountVectorizer(), LogisticRegression()),
        privileged_features=[0],
    )
    with pytest.raises(ValueError, match=r"privileged_features=\[0\] names columns, but X is"):
        distiller.fit(texts, y)


def test_transfer_rows_have_every_column_for_the_teacher(data):
    X, y = data
    # a fitted teacher of five columns refuses narrower rows, so it is asked with full rows
    teacher = LogisticRegression().fit(X, y)
    distiller = _distiller(transfer="mixup", n_transfer=2.0, random_state=0)
    distiller.set_params(teacher=teacher).fit(X, y)
    assert distiller.n_transfer_ == 2 * len(X)
    assert distiller.student_.n_features_in_ == N_COLUMNS - 1
    assert distiller.teacher_ is teacher


def test_out_of_fold_teachers_and_sparse_input(data):
    X, y = data
    distiller = _distiller(cv=3).fit(sp.csr_matrix(X), y)
    assert distiller.student_.n_features_in_ == N_COLUMNS - 1
    assert_array_equal(distiller.predict(sp.csr_matrix(X[:, KEEP])), distiller.predict(X))


def test_grid_search_scores_the_student_on_held_out_full_rows(data):
    X, y = data
    search = GridSearchCV(_distiller(), {"temperature": [1.0, 4.0]}, cv=2).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert_array_equal(best.predict(X[:, KEEP]), search.predict(X))
    # what the search scored is the student alone
    scores = cross_val_score(_distiller(temperature=best.temperature), X, y, cv=2)
    assert_allclose(scores.mean(), search.best_score_)


def test_the_privileged_columns_can_be_tuned(data):
    X, y = data
    grid = {"privileged_features": [[PRIVILEGED], [3, PRIVILEGED]]}
    search = GridSearchCV(_distiller(), grid, cv=2).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2


def test_pipelines_around_and_inside(frame):
    X, y = frame
    # around: steps before the distiller see every column, as in fit
    outer = make_pipeline(
        StandardScaler().set_output(transform="pandas"),
        _distiller(privileged_features=["lab_test"]),
    )
    assert cross_val_score(outer, X, y, cv=2).min() > 0.5
    # inside: the teacher and the student scale their own columns, so the fitted model takes
    # the production table alone
    inner = DistilledClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()),
        make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=3, random_state=0)),
        privileged_features=["lab_test"],
    ).fit(X, y)
    assert inner.student_[0].n_features_in_ == N_COLUMNS - 1
    assert_array_equal(inner.predict(X.drop(columns="lab_test")), inner.predict(X))


def test_clone_and_pickle_keep_the_split(frame):
    X, y = frame
    distiller = _distiller(privileged_features=["lab_test"])
    assert clone(distiller).get_params()["privileged_features"] == ["lab_test"]
    fitted = distiller.fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    production = X.drop(columns="lab_test")
    assert_array_equal(restored.predict(production), fitted.predict(production))
    assert_array_equal(restored.student_features_, KEEP)


def test_fidelity_and_inspection_ask_the_teacher_with_every_column(frame):
    X, y = frame
    distiller = DistilledClassifier(
        RandomForestClassifier(n_estimators=10, random_state=0),
        DecisionTreeClassifier(max_depth=2, random_state=0),
        privileged_features=["lab_test"],
    ).fit(X, y)
    agreement = fidelity_score(distiller, X)
    assert agreement == np.mean(distiller.predict(X) == distiller.teacher_.predict(X))
    assert teacher_divergence(distiller, X) >= 0
    with pytest.raises(ValueError, match=r"needs every column.*'lab_test'.*X has 4"):
        fidelity_score(distiller, X.drop(columns="lab_test"))
    rules = export_rules(distiller, X)
    assert "lab_test" not in rules
    assert any(f"|--- {name} <=" in rules for name in "abcd")
    report = distillation_report(distiller, X, y, X_train=X, y_train=y)
    # the student on labels is the same student on the same columns
    production = X.drop(columns="lab_test")
    on_labels = DecisionTreeClassifier(max_depth=2, random_state=0).fit(production, y)
    row = list(report["model"]).index("student on labels")
    assert report["accuracy"][row] == on_labels.score(production, y)


def test_regressor(data):
    X, _ = data
    y = X[:, PRIVILEGED] + 0.1 * X[:, 0] ** 2
    distiller = DistilledRegressor(
        Ridge(), LinearRegression(), privileged_features=[PRIVILEGED], alpha=0.0
    ).fit(X, y)
    assert_allclose(distiller.student_.coef_, LinearRegression().fit(X[:, KEEP], y).coef_)
    assert_allclose(distiller.predict(X), distiller.predict(X[:, KEEP]))
    assert distiller.score(X, y) == distiller.score(X[:, KEEP], y)
    taught = clone(distiller).set_params(alpha=1.0, transfer="noise", random_state=0).fit(X, y)
    assert taught.teacher_.n_features_in_ == N_COLUMNS
    assert taught.student_.n_features_in_ == N_COLUMNS - 1
    assert cross_val_score(taught, X, y, cv=3).shape == (3,)


def test_a_teacher_with_the_relevant_columns_teaches_a_better_student():
    # Lopez-Paz et al.'s "relevant features": y depends on 3 of 20 columns, which the teacher
    # alone is told; 100 training rows are few for the student to find them from labels
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1100, 20))
    y = (X[:, :3] @ rng.normal(size=3) > 0).astype(int)
    X_full = np.hstack([X, X[:, :3]])
    privileged = [20, 21, 22]
    teacher = make_pipeline(
        ColumnTransformer([("x*", "passthrough", privileged)]), LogisticRegression()
    )
    distilled = DistilledClassifier(
        teacher, LogisticRegression(), privileged_features=privileged, temperature=5.0, alpha=1.0
    ).fit(X_full[:100], y[:100])
    on_labels = LogisticRegression().fit(X[:100], y[:100])
    assert distilled.score(X[100:], y[100:]) > on_labels.score(X[100:], y[100:]) + 0.02
