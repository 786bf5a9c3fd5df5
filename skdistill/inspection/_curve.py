"""DistillationCurveDisplay: accuracy and fidelity across student sizes or temperatures."""

from numbers import Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv

from .._sklearn_compat import _safe_indexing
from ._common import fidelity, label_twin, metric_name, score, teacher_predict

# parameters the label-trained student does not depend on: fitted once per fold
_DISTILLATION_ONLY = {"temperature", "alpha", "transfer", "n_transfer", "keep_mass", "loss"}


def _fold_results(distiller, X, y, train, test, param_name, param_range):
    """Scores of the distilled and label-trained students for each value, on one fold."""
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    # out-of-fold outputs (cv) need the unfitted teacher, so it is then refit for each value
    share_teacher = not param_name.startswith("teacher") and distiller.cv is None
    rows, on_labels, teacher_pred, teacher_score = [], None, None, None
    for value in param_range:
        model = clone(distiller).set_params(**{param_name: value}).fit(X_train, y_train)
        if teacher_pred is None:
            teacher_pred = teacher_predict(model, X_test)
            teacher_score = score(model, y_test, teacher_pred)
            if share_teacher:  # the fold's teacher, fitted once, serves every other value
                distiller = clone(distiller).set_params(teacher=model.teacher_)
        if on_labels is None or param_name not in _DISTILLATION_ONLY:
            on_labels = label_twin(model).fit(X_train, y_train).predict(X_test)
        distilled = model.predict(X_test)
        rows.append(
            [
                score(model, y_test, distilled),
                fidelity(model, distilled, teacher_pred),
                score(model, y_test, on_labels),
                fidelity(model, on_labels, teacher_pred),
            ]
        )
    return np.asarray(rows), teacher_score


class DistillationCurveDisplay:
    """Accuracy and fidelity of a distilled and a label-trained student across one parameter.

    For each value of a parameter of the distiller (a student size such as
    ``'student__max_depth'``, or ``'temperature'``), the test-fold accuracy (R-squared for
    regression) and fidelity to the teacher of the distilled student and of the same student
    trained on the labels, averaged over cross-validation folds, with the teacher's accuracy as
    a horizontal line. The smallest student that is faithful enough can be read off one
    picture. Build it with :meth:`from_estimator`, or from scores computed elsewhere with the
    constructor or :meth:`from_results`.

    Parameters
    ----------
    param_name : str
        Name of the parameter on the x axis.
    param_range : array-like of shape (n_values,)
        Its values.
    distilled_score, distilled_fidelity : ndarray of shape (n_values, n_folds)
        Accuracy (or R-squared) and fidelity of the distilled student per value and fold.
    label_score, label_fidelity : ndarray of shape (n_values, n_folds)
        The same for the student trained on the labels.
    teacher_score : ndarray of shape (n_folds,)
        The teacher's accuracy (or R-squared) per fold.
    score_name : str, default='accuracy'
        What the scores are, for the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure holding them.
    lines_ : dict of matplotlib Line2D
        The curves, by label ('distilled accuracy', 'distilled fidelity', 'labels accuracy',
        'labels fidelity', 'teacher accuracy').

    See Also
    --------
    distillation_report : The same comparison for one fitted distiller, as a table.
    sklearn.model_selection.ValidationCurveDisplay : The display this one is modelled on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.inspection import DistillationCurveDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> distiller = DistilledClassifier(
    ...     RandomForestClassifier(n_estimators=30, random_state=0),
    ...     DecisionTreeClassifier(random_state=0),
    ... )
    >>> display = DistillationCurveDisplay.from_estimator(
    ...     distiller, X, y, param_name="student__max_depth", param_range=[1, 2, 4], cv=3
    ... )
    >>> display.distilled_score.shape
    (3, 3)
    >>> sorted(display.lines_)  # doctest: +NORMALIZE_WHITESPACE
    ['distilled accuracy', 'distilled fidelity', 'labels accuracy', 'labels fidelity',
     'teacher accuracy']
    """

    def __init__(
        self,
        *,
        param_name,
        param_range,
        distilled_score,
        distilled_fidelity,
        label_score,
        label_fidelity,
        teacher_score,
        score_name="accuracy",
    ):
        self.param_name = param_name
        self.param_range = param_range
        self.distilled_score = distilled_score
        self.distilled_fidelity = distilled_fidelity
        self.label_score = label_score
        self.label_fidelity = label_fidelity
        self.teacher_score = teacher_score
        self.score_name = score_name

    @classmethod
    def from_estimator(cls, distiller, X, y, *, param_name, param_range, cv=5, ax=None, plot=True):
        """Fit the distiller and its label-trained twin for each value on each fold, and plot.

        Each fold fits one distiller per value (the teacher once per fold, unless
        ``param_name`` is a teacher parameter or the distiller has ``cv``) and the same
        student on the labels alone (``alpha=0``, no transfer set; once per fold when
        ``param_name`` only concerns the distillation, such as ``'temperature'``).

        Parameters
        ----------
        distiller : DistilledClassifier or DistilledRegressor
            An unfitted (or fitted: it is cloned) distiller.
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,)
            Labels (targets for regression).
        param_name : str
            A parameter of the distiller, e.g. ``'student__max_depth'`` or ``'temperature'``.
        param_range : array-like of shape (n_values,)
            Its values.
        cv : int, cross-validation generator or iterable, default=5
            As in :func:`sklearn.model_selection.cross_validate` (stratified for classifiers).
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.
        plot : bool, default=True
            Whether to plot; False only computes (no matplotlib needed).

        Returns
        -------
        display : DistillationCurveDisplay
        """
        cv = check_cv(cv, y, classifier=is_classifier(distiller))
        if not list(param_range):
            raise ValueError("param_range is empty; pass at least one value of the parameter.")
        folds = [
            _fold_results(distiller, X, y, train, test, param_name, list(param_range))
            for train, test in cv.split(X, y)
        ]
        scores = np.stack([rows for rows, _ in folds], axis=2)  # (n_values, 4, n_folds)
        display = cls(
            param_name=param_name,
            param_range=list(param_range),
            distilled_score=scores[:, 0],
            distilled_fidelity=scores[:, 1],
            label_score=scores[:, 2],
            label_fidelity=scores[:, 3],
            teacher_score=np.array([teacher for _, teacher in folds]),
            score_name=metric_name(distiller),
        )
        return display.plot(ax=ax) if plot else display

    @classmethod
    def from_results(cls, results, *, param_name, ax=None):
        """Plot scores computed elsewhere, given as a mapping (a dict, or a DataFrame's columns).

        Parameters
        ----------
        results : mapping
            With the keys ``param_range``, ``distilled_score``, ``distilled_fidelity``,
            ``label_score``, ``label_fidelity`` and ``teacher_score`` (see the class
            parameters; one-dimensional scores are taken as a single fold), and optionally
            ``score_name``.
        param_name : str
            Name of the parameter on the x axis.
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : DistillationCurveDisplay
        """
        keys = ("distilled_score", "distilled_fidelity", "label_score", "label_fidelity")
        missing = [k for k in ("param_range", "teacher_score", *keys) if k not in results]
        if missing:
            raise ValueError(f"results lacks the keys {missing}; see the docstring for them.")
        columns = {}
        for key in keys:
            values = np.asarray(results[key], dtype=float)
            columns[key] = values[:, None] if values.ndim == 1 else values
        display = cls(
            param_name=param_name,
            param_range=list(results["param_range"]),
            teacher_score=np.atleast_1d(np.asarray(results["teacher_score"], dtype=float)),
            score_name=results.get("score_name", "accuracy"),
            **columns,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None):
        """Plot the mean over folds of each curve, and the teacher's line.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : DistillationCurveDisplay
            This display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        numeric = all(isinstance(v, Real) and not isinstance(v, bool) for v in self.param_range)
        x = np.asarray(self.param_range, float) if numeric else np.arange(len(self.param_range))
        name = self.score_name
        curves = {
            f"distilled {name}": (self.distilled_score, "C0", "-"),
            "distilled fidelity": (self.distilled_fidelity, "C0", ":"),
            f"labels {name}": (self.label_score, "C1", "-"),
            "labels fidelity": (self.label_fidelity, "C1", ":"),
        }
        self.lines_ = {}
        for label, (values, color, style) in curves.items():
            mean = np.asarray(values, dtype=float).mean(axis=1)
            (self.lines_[label],) = ax.plot(x, mean, style, color=color, marker="o", label=label)
        self.lines_[f"teacher {name}"] = ax.axhline(
            float(np.mean(self.teacher_score)), color="k", linestyle="--", label=f"teacher {name}"
        )
        if not numeric:
            ax.set_xticks(x, [str(v) for v in self.param_range])
        ax.set_xlabel(self.param_name)
        ax.set_ylabel(f"{name} / fidelity (mean over folds)")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self
