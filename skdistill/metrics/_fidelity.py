"""Fidelity of a student to its teacher: agreement, R-squared and divergence."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import Pipeline

from .. import _privileged, _targets, _teacher
from .._soft import align_columns


def _check_scorer_call(estimator, name):
    """Raise when a scorer of this module is called as a metric, ``name(y_true, y_pred)``, as
    ``make_scorer(name)`` does."""
    if not hasattr(estimator, "predict"):
        raise TypeError(
            f"{name} is already a scorer, called as {name}(estimator, X): its first argument "
            f"must be a fitted estimator, got {type(estimator).__name__}. Pass "
            f"scoring={name} itself, not make_scorer({name})."
        )


def _student_and_teachers(estimator, X, teacher):
    """The fitted student, the teachers with their weights, and X as the teachers see it."""
    if teacher is not None:
        _teacher.check_feature_names(teacher, X)
        return estimator, [("teacher", teacher)], np.ones(1), X
    distiller = estimator
    if isinstance(estimator, Pipeline):
        # the teacher sits inside the last step and sees the pipeline's transformed X
        distiller = estimator[-1]
        X_teacher = estimator[:-1].transform(X) if len(estimator) > 1 else X
    else:
        X_teacher = X
    if not hasattr(distiller, "teacher_"):
        raise ValueError(
            f"{type(distiller).__name__} has no fitted teacher_: pass a fitted DistilledClassifier "
            "or DistilledRegressor (or a Pipeline ending in one), or the teacher as teacher=."
        )
    _privileged.check_teacher_input(distiller, X_teacher, "Comparing the student with its teacher")
    named = distiller._fitted_teacher_pairs()
    weights = distiller._teacher_weights(len(named))
    for name, fitted in named:
        _teacher.check_feature_names(fitted, X_teacher, name)
    return estimator, named, weights, X_teacher


def _teacher_labels(named, weights, X, task):
    if task == "regression":
        return _targets.mean_predictions(named, weights, _targets.TeacherOutputs(X))
    if len(named) == 1 and hasattr(named[0][1], "predict") and not _teacher._is_skorch(named[0][1]):
        # a skorch net predicts indices, not labels; it is read through its outputs below
        return np.asarray(named[0][1].predict(X))
    classes = _targets.teacher_classes(named)
    proba = _targets.mean_soft_targets(named, weights, _targets.TeacherOutputs(X), 1.0, classes)
    return classes[np.argmax(proba, axis=1)]


def fidelity_score(estimator, X, y=None, *, teacher=None, sample_weight=None):
    """How faithfully a student reproduces its teacher on X.

    For classification, the share of rows on which the student predicts the teacher's label; for
    regression, the R-squared of the student's predictions against the teacher's. ``y`` is not
    used: fidelity needs no labels, so it can be measured on unlabeled rows.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted DistilledClassifier or DistilledRegressor (or a Pipeline ending in one), whose
        ``teacher_`` is the reference; or any fitted student, with ``teacher`` given.
    X : array-like of shape (n_samples, n_features)
        Rows to compare on, best held out from training.
    y : None
        Ignored; present so the function is a scikit-learn scorer.
    teacher : fitted estimator, default=None
        The reference model; None reads ``estimator.teacher_``.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float
        Agreement in [0, 1] (classification) or R-squared, at most 1 (regression).

    See Also
    --------
    teacher_divergence : How far the student's probabilities are from the teacher's.

    References
    ----------
    .. [1] M. Craven and J. Shavlik, "Extracting Tree-Structured Representations of Trained
       Networks", NIPS 1995 (fidelity of an extracted model to its network).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.metrics import fidelity_score
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> student = DecisionTreeClassifier(max_depth=3, random_state=0)
    >>> distiller = DistilledClassifier(teacher, student)
    >>> search = GridSearchCV(distiller, {"temperature": [1.0, 4.0]}, scoring=fidelity_score)
    >>> bool(0.9 < search.fit(X, y).best_score_ <= 1.0)
    True
    """
    _check_scorer_call(estimator, "fidelity_score")
    student, named, weights, X_teacher = _student_and_teachers(estimator, X, teacher)
    regression = any(
        _teacher.tags_of(est).estimator_type == "regressor" for est in [student, named[0][1]]
    )
    task = "regression" if regression else "classification"
    reference = _teacher_labels(named, weights, X_teacher, task)
    predicted = student.predict(X)
    if task == "regression":
        return float(r2_score(reference, predicted, sample_weight=sample_weight))
    return float(accuracy_score(reference, predicted, sample_weight=sample_weight))


def teacher_divergence(
    estimator, X, y=None, *, teacher=None, kind="kl", temperature=1.0, sample_weight=None
):
    """How far the student's class probabilities are from the teacher's, on X.

    ``kind='kl'`` gives the mean Kullback-Leibler divergence KL(teacher || student);
    ``kind='cross_entropy'`` the mean cross-entropy of the student against the teacher's
    distribution (KL plus the teacher's entropy). Lower is better; 0 is a perfect copy (for KL).

    Parameters
    ----------
    estimator : fitted classifier
        A fitted DistilledClassifier (or a Pipeline ending in one), or any fitted classifier with
        ``predict_proba`` when ``teacher`` is given.
    X : array-like of shape (n_samples, n_features)
        Rows to compare on.
    y : None
        Ignored; present so the function has a scorer's signature.
    teacher : fitted classifier, default=None
        The reference model; None reads ``estimator.teacher_``.
    kind : {'kl', 'cross_entropy'}, default='kl'
        Which divergence to return.
    temperature : float, default=1.0
        Temperature at which the teacher's distribution is taken (the student's is used as is).
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    divergence : float
        Mean divergence in nats; ``inf`` when the student gives zero probability to a class the
        teacher gives mass to.

    See Also
    --------
    neg_teacher_divergence : The negated divergence, a scorer where greater is better.
    fidelity_score : Agreement of the predicted labels.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill.metrics import teacher_divergence
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> teacher_divergence(model, X, teacher=model)
    0.0
    """
    if kind not in ("kl", "cross_entropy"):
        raise ValueError(f"kind must be 'kl' or 'cross_entropy', got {kind!r}.")
    student, named, weights, X_teacher = _student_and_teachers(estimator, X, teacher)
    if not is_classifier(student) or not hasattr(student, "predict_proba"):
        raise TypeError(
            f"teacher_divergence compares class probabilities; {student!r} has no predict_proba."
        )
    classes = _targets.teacher_classes(named)
    reference = _targets.mean_soft_targets(
        named, weights, _targets.TeacherOutputs(X_teacher), temperature, classes
    )
    student_classes = getattr(student, "classes_", classes)
    proba = align_columns(np.asarray(student.predict_proba(X), float), student_classes, classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(proba)
        cross = -np.where(reference > 0, reference * log_q, 0.0).sum(axis=1)
        if kind == "kl":
            log_p = np.log(np.where(reference > 0, reference, 1.0))
            cross = cross + (reference * log_p).sum(axis=1)
    value = float(np.average(cross, weights=sample_weight))
    return max(value, 0.0) if kind == "kl" else value


def neg_teacher_divergence(
    estimator, X, y=None, *, teacher=None, kind="kl", temperature=1.0, sample_weight=None
):
    """The negated :func:`teacher_divergence`: a scorer where greater is better.

    Parameters
    ----------
    estimator : fitted classifier
        As in :func:`teacher_divergence`.
    X : array-like of shape (n_samples, n_features)
        Rows to compare on.
    y : None
        Ignored.
    teacher : fitted classifier, default=None
        The reference model; None reads ``estimator.teacher_``.
    kind : {'kl', 'cross_entropy'}, default='kl'
        Which divergence to negate.
    temperature : float, default=1.0
        Temperature of the teacher's distribution.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float
        Minus the mean divergence.

    See Also
    --------
    teacher_divergence : The divergence itself.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.metrics import neg_teacher_divergence
    >>> X, y = load_iris(return_X_y=True)
    >>> distiller = DistilledClassifier(
    ...     RandomForestClassifier(n_estimators=10, random_state=0),
    ...     DecisionTreeClassifier(min_weight_fraction_leaf=0.05, random_state=0), alpha=1.0)
    >>> scores = cross_val_score(distiller, X, y, cv=3, scoring=neg_teacher_divergence)
    >>> bool((scores <= 0).all())
    True
    """
    _check_scorer_call(estimator, "neg_teacher_divergence")
    return -teacher_divergence(
        estimator,
        X,
        y,
        teacher=teacher,
        kind=kind,
        temperature=temperature,
        sample_weight=sample_weight,
    )
