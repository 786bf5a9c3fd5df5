"""Properties of the distillers over many settings at once, drawn by hypothesis.

Every call either fits and then predicts labels from the label set (``predict_proba`` rows are
distributions with one column per class of ``classes_``, in that order), or raises a ValueError or
TypeError whose message names the parameter at fault. A setting with only valid values must fit.

Profiles live in ``tests/conftest.py``: ``fast`` (derandomized, 100 examples a test) runs in
``make test``; ``make test-slow`` runs these tests again with ``--hypothesis-profile=long``.
"""

import re

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, note  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    # tiny, sometimes inseparable data: the logistic models may stop early, which is not at issue
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

# the words a message may use to name what is wrong: the distillers' parameters and fit's arguments
PARAMETERS = (
    "teacher",
    "student",
    "temperature",
    "alpha",
    "teacher_weights",
    "student_method",
    "regression_target",
    "loss",
    "keep_mass",
    "unlabeled_label",
    "transfer",
    "n_transfer",
    "stream_transfer",
    "cv",
    "teacher_batch_size",
    "n_jobs",
    "memory",
    "random_state",
    "sample_weight",
    "X",
    "y",
)

LABELS = {
    "int": np.array([0, 1, 2, 3]),
    "negative": np.array([-1, -7, 3, 12]),
    "string": np.array(["b", "a", "c c", "é"]),
    "float": np.array([1.0, -3.0, 0.0, 12.0]),  # integral: scikit-learn calls 0.5 continuous
    "bool": np.array([False, True]),
}

# values each parameter refuses, with the parameter the message must name
INVALID = {
    "temperature": [0.0, -1.0, np.inf, np.nan, "2", True],
    "alpha": [-0.5, 1.5, np.nan, True],
    "keep_mass": [0.0, 1.5],
    "n_transfer": [-1, -0.5],
    "student_method": ["bogus"],
    "teacher_batch_size": [0, "big"],
    "teacher": [None, "rf"],
    "sample_weight": ["negative"],
}


def _names_a_parameter(message, expected=None):
    names = [expected] if expected else PARAMETERS
    return any(re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", message) for name in names)


def _teacher(kind, X, y):
    """A teacher of the given kind: fitted on (X, y) unless its name says unfitted."""
    forest = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)
    logistic = LogisticRegression(max_iter=300)
    if kind == "forest":  # probabilities only, full of exact zeros
        return forest.fit(X, y)
    if kind == "logistic":  # logits
        return logistic.fit(X, y)
    if kind == "naive_bayes":  # probabilities only, often saturated at 0 and 1
        return GaussianNB().fit(X, y)
    if kind == "neighbors":  # probabilities only, a few values
        return KNeighborsClassifier(n_neighbors=3).fit(X, y)
    if kind == "ridge":  # decision_function only (one column for two classes)
        return RidgeClassifier().fit(X, y)
    if kind == "unfitted":
        return DecisionTreeClassifier(max_depth=3, random_state=0)
    if kind == "two":
        return [logistic.fit(X, y), ("forest", forest.fit(X, y))]
    raise AssertionError(kind)


def _student(kind):
    return {
        "tree": lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
        "logistic": lambda: LogisticRegression(max_iter=300),
        "regressor": lambda: DecisionTreeRegressor(max_depth=3, random_state=0),
        "linear_regressor": LinearRegression,
        "hard": lambda: KNeighborsClassifier(n_neighbors=1),  # no sample_weight: 'hard' only
    }[kind]()


@st.composite
def classification_cases(draw):
    label_kind = draw(st.sampled_from(sorted(LABELS)))
    n_classes = 2 if label_kind == "bool" else draw(st.integers(2, 4))
    n_samples = draw(st.integers(2 * n_classes, 40))
    case = {
        "label_kind": label_kind,
        "n_classes": n_classes,
        "n_samples": n_samples,
        "n_features": draw(st.integers(1, 4)),
        "separation": draw(st.sampled_from([0.0, 1.0, 4.0])),
        "ties": draw(st.booleans()),  # integer-valued X: repeated rows and values
        "seed": draw(st.integers(0, 2**16)),
        "teacher": draw(
            st.sampled_from(["forest", "logistic", "naive_bayes", "neighbors", "ridge", "unfitted"])
            | st.just("two")
        ),
        "student": draw(st.sampled_from(["tree", "logistic", "regressor", "linear_regressor"]))
        if draw(st.integers(0, 4))
        else "hard",
        "temperature": draw(st.floats(0.05, 50.0) | st.sampled_from([1e-3, 1e3])),
        "alpha": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
        "keep_mass": draw(st.sampled_from([1.0, 0.999, 0.5, 1e-9])),
        "teacher_weights": draw(st.sampled_from([None, None, [1.0, 3.0], [0.0, 1.0]])),
        "cv": draw(st.sampled_from([None, None, 2])),  # out-of-fold outputs (unfitted teacher)
        "frame": draw(st.booleans()),  # X as a DataFrame with named columns
        "transfer": draw(st.sampled_from([None, None, "mixup", "noise", "munge"])),
        "n_transfer": draw(st.sampled_from([5, 1.5])),
        "n_unlabeled": draw(st.integers(0, max(0, n_samples - 2 * n_classes))),
        "weights": draw(st.sampled_from([None, "positive", "with_zeros"])),
        # a fitted teacher that knows a class the rows do not show
        "hide_a_class": n_classes > 2 and draw(st.booleans()),
        "invalid": draw(st.none() | st.sampled_from(sorted(INVALID))),
    }
    if label_kind == "bool":
        case["n_unlabeled"] = 0  # a bool y has no room for a marker
    if case["invalid"]:
        case["invalid_value"] = draw(st.sampled_from(INVALID[case["invalid"]]))
    return case


def _data(case):
    rng = np.random.default_rng(case["seed"])
    labels = LABELS[case["label_kind"]][: case["n_classes"]]
    n, k = case["n_samples"], case["n_classes"]
    # every class twice, then random classes; the rows made unlabeled come from the random part
    index = np.concatenate([np.repeat(np.arange(k), 2), rng.integers(0, k, size=n - 2 * k)])
    centers = rng.normal(size=(k, case["n_features"])) * case["separation"]
    X = centers[index] + rng.normal(size=(n, case["n_features"]))
    if case["ties"]:
        X = np.round(X)
    y = labels[index]
    labelled = np.ones(n, dtype=bool)
    labelled[2 * k : 2 * k + case["n_unlabeled"]] = False
    order = rng.permutation(n)
    X = X[order]
    if case["frame"]:
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    return X, y[order], labelled[order], rng


def _marker(labels):
    """A value of y's own type that no label takes."""
    if labels.dtype.kind in "iu":
        return int(labels.min()) - 1
    if labels.dtype.kind == "f":
        return np.nan
    return "unlabeled"


def _check_fitted_classifier(distiller, X, label_set):
    assert set(distiller.classes_.tolist()) == set(label_set.tolist())
    predicted = distiller.predict(X)
    assert predicted.shape == (len(X),)
    assert np.isin(predicted, label_set).all(), predicted
    if hasattr(distiller, "predict_proba"):
        proba = distiller.predict_proba(X)
        assert proba.shape == (len(X), len(distiller.classes_))
        assert np.isfinite(proba).all() and (proba >= 0).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
        # columns in classes_ order: the most probable class is the one predicted
        np.testing.assert_array_equal(distiller.classes_[proba.argmax(axis=1)], predicted)
    if hasattr(distiller, "decision_function"):
        scores = distiller.decision_function(X)
        expected = (len(X),) if len(distiller.classes_) == 2 else (len(X), len(distiller.classes_))
        assert scores.shape == expected


@given(case=classification_cases())
def test_distilled_classifier_fits_and_predicts_the_labels_or_names_the_parameter(case):
    note(case)
    X, y, labelled, rng = _data(case)
    labels = LABELS[case["label_kind"]][: case["n_classes"]]
    teacher = _teacher(case["teacher"], X[labelled], y[labelled])
    rows = np.ones(len(y), dtype=bool)
    fitted_teacher = case["teacher"] != "unfitted"
    if case["hide_a_class"] and fitted_teacher:
        rows = y != labels[-1]  # the teacher knows labels[-1]; the student's rows never show it
    X, y, labelled = X[rows], y[rows], labelled[rows]
    label_set = labels if fitted_teacher else np.unique(y[labelled])
    params = {}
    if case["teacher"] == "two" and case["teacher_weights"] is not None:
        params["teacher_weights"] = case["teacher_weights"]
    if case["cv"] is not None and not fitted_teacher:
        params["cv"] = case["cv"]

    params |= {
        "temperature": case["temperature"],
        "alpha": case["alpha"],
        "keep_mass": case["keep_mass"],
        "transfer": case["transfer"],
        "n_transfer": case["n_transfer"],
        "random_state": 0,
    }
    if case["student"] == "hard":
        params["student_method"] = "hard"
    if not labelled.all():
        marker = _marker(labels)
        y = y.astype(object)
        y[~labelled] = marker
        y = np.asarray(y.tolist())  # the array a user would build: str, int or float
        params["unlabeled_label"] = marker
    sample_weight = None
    if case["weights"] is not None:
        sample_weight = rng.uniform(0.1, 3.0, size=len(y))
        if case["weights"] == "with_zeros":
            sample_weight[rng.random(len(y)) < 0.3] = 0.0
    if case["invalid"] == "teacher":
        teacher = case["invalid_value"]
    elif case["invalid"] == "sample_weight":
        sample_weight = rng.uniform(-1.0, 1.0, size=len(y))
    elif case["invalid"]:
        params[case["invalid"]] = case["invalid_value"]
    distiller = DistilledClassifier(teacher, _student(case["student"]), **params)
    note(distiller)

    # the one valid setting refused: a 'hard' student that takes no sample_weight, given one
    refused = "sample_weight" if case["student"] == "hard" and case["weights"] else None
    refused = case["invalid"] or refused
    passed = [X, y, sample_weight, distiller.student]
    if case["teacher"] != "neighbors":  # a fitted KDTree counts its own queries
        passed.append(teacher)
    before = joblib.hash(passed)
    try:
        distiller.fit(X, y, sample_weight=sample_weight)
    except (ValueError, TypeError) as error:
        assert joblib.hash(passed) == before  # nothing the user passed is changed
        message = str(error)
        if refused is None and "cannot learn a single class" in message:
            # valid, but the targets left a logistic student one class: say which settings help
            assert _names_a_parameter(message, "alpha"), message
            return
        if refused is None:
            raise AssertionError(f"a valid setting was refused: {message}") from error
        assert _names_a_parameter(message, refused), message
        return
    assert refused is None, f"{refused} was accepted: {case}"
    assert joblib.hash(passed) == before  # nothing the user passed is changed
    _check_fitted_classifier(distiller, X, label_set)
    X_new = rng.normal(size=(7, X.shape[1])) * 3
    if case["frame"]:
        X_new = pd.DataFrame(X_new, columns=X.columns)
    _check_fitted_classifier(distiller, X_new, label_set)


@st.composite
def regression_cases(draw):
    n_samples = draw(st.integers(3, 40))
    case = {
        "n_samples": n_samples,
        "n_features": draw(st.integers(1, 4)),
        "ties": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
        "teacher": draw(st.sampled_from(["forest", "ridge", "neighbors", "unfitted", "two"])),
        "student": draw(st.sampled_from(["tree", "linear"])),
        "alpha": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
        "transfer": draw(st.sampled_from([None, "mixup", "noise", "munge"])),
        "n_unlabeled": draw(st.integers(0, n_samples - 2)),
        "weights": draw(st.sampled_from([None, "positive"])),
        "invalid": draw(st.none() | st.sampled_from(["alpha", "n_transfer", "teacher_batch_size"])),
    }
    if case["invalid"]:
        case["invalid_value"] = draw(st.sampled_from(INVALID[case["invalid"]]))
    return case


def _regression_teacher(kind, X, y):
    if kind == "forest":
        return RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, y)
    if kind == "ridge":
        return Ridge().fit(X, y)
    if kind == "neighbors":
        return KNeighborsRegressor(n_neighbors=2).fit(X, y)
    if kind == "unfitted":
        return DecisionTreeRegressor(max_depth=3, random_state=0)
    return [Ridge().fit(X, y), ("tree", DecisionTreeRegressor(max_depth=3).fit(X, y))]


@given(case=regression_cases())
def test_distilled_regressor_fits_and_predicts_finite_values_or_names_the_parameter(case):
    note(case)
    rng = np.random.default_rng(case["seed"])
    X = rng.normal(size=(case["n_samples"], case["n_features"]))
    if case["ties"]:
        X = np.round(X)
    y = X @ rng.normal(size=case["n_features"]) + rng.normal(size=len(X))
    labelled = np.ones(len(y), dtype=bool)
    labelled[: case["n_unlabeled"]] = False
    teacher = _regression_teacher(case["teacher"], X[labelled], y[labelled])
    student = (
        DecisionTreeRegressor(max_depth=3, random_state=0)
        if case["student"] == "tree"
        else LinearRegression()
    )
    params = {"alpha": case["alpha"], "transfer": case["transfer"], "n_transfer": 5}
    params["random_state"] = 0
    if not labelled.all():
        y = y.copy()
        y[~labelled] = np.nan  # NaN marks an unlabeled row of a regression target
    if case["invalid"]:
        params[case["invalid"]] = case["invalid_value"]
    sample_weight = rng.uniform(0.1, 3.0, size=len(y)) if case["weights"] else None
    distiller = DistilledRegressor(teacher, student, **params)
    note(distiller)
    try:
        distiller.fit(X, y, sample_weight=sample_weight)
    except (ValueError, TypeError) as error:
        message = str(error)
        if case["invalid"] is None:
            raise AssertionError(f"a valid setting was refused: {message}") from error
        assert _names_a_parameter(message, case["invalid"]), message
        return
    assert case["invalid"] is None, f"{case['invalid']}={case['invalid_value']!r} was accepted"
    for rows in (X, rng.normal(size=(5, X.shape[1])) * 3):
        predicted = distiller.predict(rows)
        assert predicted.shape == (len(rows),)
        assert np.isfinite(predicted).all()
