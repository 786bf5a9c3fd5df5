"""distillation_report: teacher, label-trained student and distilled student side by side."""

import time

import numpy as np
from sklearn.pipeline import Pipeline

from ._common import (
    as_table,
    check_distiller,
    fidelity,
    label_twin,
    metric_name,
    score,
    teacher_predict,
)

_REPEATS = 3


def model_size(estimator):
    """``(size, unit)`` of a fitted model: leaves of trees, rules of FIGS, parameters of linear
    models and networks; ``(nan, '')`` when unknown."""
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    if hasattr(estimator, "complexity_"):  # imodels' FIGS: one rule per split
        return int(estimator.complexity_), "rules"
    if hasattr(estimator, "tree_"):
        return int(estimator.tree_.n_leaves), "leaves"
    if hasattr(estimator, "leaf_proba_"):  # skdistill.torch.SoftTreeClassifier
        return len(estimator.leaf_proba_), "leaves"
    trees = np.ravel(getattr(estimator, "estimators_", np.empty(0)))
    if len(trees) and all(hasattr(tree, "tree_") for tree in trees):
        return int(sum(tree.tree_.n_leaves for tree in trees)), "leaves"
    module = getattr(getattr(estimator, "net_", estimator), "module_", None)
    if module is not None:
        return int(sum(p.numel() for p in module.parameters())), "parameters"
    if hasattr(estimator, "term_scores_"):  # interpret's EBM: one score per bin of each term
        return int(sum(np.size(scores) for scores in estimator.term_scores_)), "parameters"
    if hasattr(estimator, "coef_"):
        return int(np.size(estimator.coef_) + np.size(getattr(estimator, "intercept_", 0))), (
            "parameters"
        )
    return float("nan"), ""


def _ms_per_1000_rows(predict, X):
    """Best of a few calls, in milliseconds per 1,000 rows (wall clock)."""
    best = np.inf
    for _ in range(_REPEATS):
        start = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - start)
    return 1000.0 * best * 1000.0 / max(len(X), 1)


def distillation_report(distiller, X_test, y_test, *, X_train=None, y_train=None):
    """Teacher, label-trained student and distilled student on held-out rows, in one table.

    For each model: accuracy (R-squared for a :class:`~skdistill.DistilledRegressor`) on
    ``(X_test, y_test)``, fidelity to the teacher on ``X_test`` (agreement of the labels, or
    R-squared against the teacher's predictions), size and prediction time.

    The distiller does not keep its training rows, so the student trained on the labels needs
    them: given ``X_train`` and ``y_train``, a copy of the distiller with ``alpha=0`` (the
    student on the labels alone, exactly the baseline), no transfer set and the fitted teacher
    is fitted on them. Pass the rows the distiller was fitted on, for a like-for-like row.
    Without them the table has the teacher and the distilled student only.

    Parameters
    ----------
    distiller : DistilledClassifier or DistilledRegressor
        A fitted distiller.
    X_test : array-like of shape (n_samples, n_features)
        Held-out rows.
    y_test : array-like of shape (n_samples,)
        Their labels (targets for regression).
    X_train : array-like of shape (n_train, n_features), default=None
        Training rows for the label-trained student.
    y_train : array-like of shape (n_train,), default=None
        Their labels.

    Returns
    -------
    report : pandas.DataFrame or dict of lists
        One row per model ('teacher', 'student on labels', 'distilled student'), with the
        columns ``model``, ``accuracy`` (``r2`` for regression), ``fidelity``, ``size``,
        ``size_unit`` ('leaves', 'rules' or 'parameters'; the teacher's when it is one
        model) and ``predict_ms_per_1000`` (best of 3 calls of ``predict`` on ``X_test``,
        wall clock, in milliseconds per 1,000 rows). A dict of these lists without pandas.

    See Also
    --------
    DistillationCurveDisplay : The same comparison across student sizes or temperatures.
    skdistill.metrics.fidelity_score : The fidelity column.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.inspection import distillation_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> distiller = DistilledClassifier(
    ...     RandomForestClassifier(n_estimators=50, random_state=0),
    ...     DecisionTreeClassifier(max_depth=3, random_state=0),
    ...     transfer="mixup", random_state=0,
    ... ).fit(X_train, y_train)
    >>> report = distillation_report(distiller, X_test, y_test, X_train=X_train, y_train=y_train)
    >>> list(report["model"])
    ['teacher', 'student on labels', 'distilled student']
    >>> list(report["size_unit"])
    ['leaves', 'leaves', 'leaves']
    """
    check_distiller(distiller, "distillation_report")
    if (X_train is None) != (y_train is None):
        raise ValueError(
            "distillation_report needs both X_train and y_train for the student on labels, or "
            f"neither; got X_train={'None' if X_train is None else 'rows'} and "
            f"y_train={'None' if y_train is None else 'labels'}."
        )
    teacher_pred = teacher_predict(distiller, X_test)
    teachers = distiller.teacher_ if isinstance(distiller.teacher_, list) else [distiller.teacher_]
    sizes = [model_size(t) for t in teachers]
    teacher_size = sizes[0] if len(sizes) == 1 else (float("nan"), "")
    models = [("teacher", lambda X: teacher_predict(distiller, X), teacher_size)]
    if X_train is not None:
        on_labels = label_twin(distiller).fit(X_train, y_train)
        models.append(("student on labels", on_labels.predict, model_size(on_labels.student_)))
    models.append(("distilled student", distiller.predict, model_size(distiller.student_)))
    metric = metric_name(distiller)
    columns = {
        key: [] for key in ("model", metric, "fidelity", "size", "size_unit", "predict_ms_per_1000")
    }
    for name, predict, (size, unit) in models:
        y_pred = predict(X_test)
        columns["model"].append(name)
        columns[metric].append(score(distiller, y_test, y_pred))
        columns["fidelity"].append(fidelity(distiller, y_pred, teacher_pred))
        columns["size"].append(size)
        columns["size_unit"].append(unit)
        columns["predict_ms_per_1000"].append(_ms_per_1000_rows(predict, X_test))
    return as_table(columns)
