"""What the inspection tools share: the teacher's predictions and the label-trained twin."""

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score, r2_score

from ..metrics._fidelity import _student_and_teachers, _teacher_labels


def check_distiller(distiller, owner):
    """The fitted distiller, or a clear error."""
    if not hasattr(distiller, "teacher_") or not hasattr(distiller, "student_"):
        raise TypeError(
            f"{owner} needs a fitted DistilledClassifier or DistilledRegressor, got "
            f"{type(distiller).__name__}. Fit the distiller first."
        )
    return distiller


def teacher_predict(distiller, X):
    """The teachers' prediction (their weighted mean's, with several), as fidelity sees it."""
    _, named, weights, X_teacher = _student_and_teachers(distiller, X, None)
    task = "classification" if is_classifier(distiller) else "regression"
    return _teacher_labels(named, weights, X_teacher, task)


def score(distiller, y_true, y_pred):
    """Accuracy for a classifier, R-squared for a regressor."""
    if is_classifier(distiller):
        return float(accuracy_score(y_true, y_pred))
    return float(r2_score(y_true, y_pred))


def metric_name(distiller):
    return "accuracy" if is_classifier(distiller) else "r2"


def label_twin(distiller):
    """An unfitted copy that trains the same student on the labels alone: ``alpha=0``, no
    transfer set, no out-of-fold outputs, and the fitted teacher kept (never refit)."""
    params = {"alpha": 0.0, "transfer": None, "cv": None}
    if hasattr(distiller, "teacher_"):
        params["teacher"] = distiller.teacher_
    return clone(distiller).set_params(**params)


def as_table(columns):
    """A pandas DataFrame when pandas is installed, else the dict of lists itself."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in the test extra
        return columns
    return pd.DataFrame(columns)


def fidelity(distiller, y_pred, teacher_pred):
    """Agreement with the teacher's labels, or R-squared against its predictions."""
    if is_classifier(distiller):
        return float(np.mean(np.asarray(y_pred) == np.asarray(teacher_pred)))
    return float(r2_score(teacher_pred, y_pred))
