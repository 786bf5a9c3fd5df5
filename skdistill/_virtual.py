"""VirtualTeacher: a teacher without a model, its outputs made from the labels (teacher-free KD)."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._sklearn_compat import Interval, _fit_context, _num_samples, check_is_fitted


class VirtualTeacher(BaseEstimator):
    """A teacher without a model: ``correct_proba`` on each row's label, the rest spread evenly.

    Passed where a teacher goes, ``DistilledClassifier(VirtualTeacher(0.9), student)``, it
    gives each labelled row the distribution ``correct_proba`` on its label and
    ``(1 - correct_proba) / (n_classes - 1)`` on every other class, softened by the distiller's
    temperature and mixed with the labels by its ``alpha``: label smoothing, seen as
    distillation from a perfect teacher (Yuan et al.'s teacher-free KD). It needs the label
    of every row it teaches, so the distiller refuses it with unlabeled rows
    (``unlabeled_label``), a transfer set (``transfer``) and ``y=None``; ``cv`` does not
    apply to it (it has no fit whose outputs could be overconfident).

    Parameters
    ----------
    correct_proba : float, default=0.9
        Probability on the row's own label, in (1 / n_classes, 1]. 1 gives the one-hot labels.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``: the columns of the distribution.

    See Also
    --------
    DistilledClassifier : Takes this teacher like any other.

    Notes
    -----
    It has no ``predict_proba``: without a label there is nothing to answer. The distiller
    asks it through :meth:`label_proba` with the labels of the rows.

    References
    ----------
    .. [1] L. Yuan, F. E. H. Tay, G. Li, T. Wang and J. Feng, "Revisiting Knowledge
       Distillation via Label Smoothing Regularization", CVPR 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier, VirtualTeacher
    >>> X, y = load_iris(return_X_y=True)
    >>> model = DistilledClassifier(
    ...     VirtualTeacher(0.9), DecisionTreeClassifier(max_depth=3, random_state=0),
    ...     temperature=2.0, alpha=0.5,
    ... ).fit(X, y)
    >>> model.teacher_.label_proba([0, 2]).round(3).tolist()
    [[0.9, 0.05, 0.05], [0.05, 0.05, 0.9]]
    >>> float(model.score(X, y)) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "correct_proba": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, correct_proba=0.9):
        self.correct_proba = correct_proba

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Take the classes from the labels; there is no model to fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows: only their number is looked at.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        self : VirtualTeacher
            The teacher, with ``classes_``.
        """
        if isinstance(self.correct_proba, (bool, np.bool_)):
            raise ValueError(
                f"correct_proba must be a number, got the bool {self.correct_proba!r}. Pass a "
                "float in (1 / n_classes, 1], e.g. correct_proba=0.9."
            )
        y = column_or_1d(y, warn=True)
        if _num_samples(X) != len(y):
            raise ValueError(f"X has {_num_samples(X)} rows but y has {len(y)}; they must match.")
        check_classification_targets(y)
        classes = np.unique(y)
        self._check_correct_proba(len(classes))
        self.classes_ = classes
        return self

    def _check_correct_proba(self, n_classes):
        if n_classes >= 2 and not self.correct_proba > 1.0 / n_classes:
            raise ValueError(
                f"correct_proba must be > 1 / n_classes = {1.0 / n_classes:.4g} with "
                f"{n_classes} classes, so that the label stays the most likely class; got "
                f"correct_proba={self.correct_proba!r}. Pass a value in ({1.0 / n_classes:.4g}, "
                "1], e.g. 0.9."
            )

    def label_proba(self, y):
        """The teacher's distribution for rows of labels ``y``, columns in ``classes_`` order.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            The labels of the rows to teach, each one of ``classes_``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            ``correct_proba`` on each row's label, the rest evenly on the other classes.
        """
        check_is_fitted(self)
        y = np.asarray(y)
        n_classes = len(self.classes_)
        self._check_correct_proba(n_classes)
        known = np.isin(y, self.classes_)
        if not known.all():
            raise ValueError(
                f"VirtualTeacher was fitted on the classes {self.classes_.tolist()[:20]} and "
                f"cannot teach the labels {np.unique(y[~known]).tolist()[:10]}. Pass an unfitted "
                "VirtualTeacher, which the distiller fits on the labels of its own rows."
            )
        rest = (1.0 - self.correct_proba) / max(n_classes - 1, 1)
        proba = np.full((len(y), n_classes), rest)
        proba[np.arange(len(y)), np.searchsorted(self.classes_, y)] = self.correct_proba
        return proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_label=False)
        # it never looks at X: it restricts nothing the student accepts
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


def check_rows_taught_from_labels(distiller, labelled):
    """Refuse what a teacher without a model cannot teach: rows without a label (unlabeled rows,
    ``y=None``, a transfer set), and ``cv`` when no other teacher is fitted by the distiller."""
    from ._teacher import is_fitted, named_teachers, teaches_from_labels

    named = named_teachers(distiller.teacher)
    virtual = [name for name, teacher in named if teaches_from_labels(teacher)]
    if not virtual:
        return
    owner, which = type(distiller).__name__, _which(virtual, named)
    if not labelled.all():
        n_unlabeled = int((~labelled).sum())
        seen = (
            "y is None"
            if distiller.unlabeled_label is None
            else f"{n_unlabeled} of {len(labelled)} rows have y == "
            f"unlabeled_label={distiller.unlabeled_label!r}"
        )
        raise ValueError(
            f"{which} gives each row a distribution around its own label, so it cannot teach "
            f"rows without one, and {seen}. Drop the unlabeled rows (or set unlabeled_label="
            f"None if that value is a real label), or use a teacher with a model."
        )
    if distiller.transfer is not None:
        raise ValueError(
            f"{which} gives each row a distribution around its own label, so it cannot teach "
            f"the synthetic rows of transfer={distiller.transfer!r}, which have none. Set "
            f"transfer=None, or use a teacher with a model to label a transfer set."
        )
    if distiller.cv is not None:
        others = [t for name, t in named if name not in virtual and not is_fitted(t)]
        if not others:
            raise ValueError(
                f"cv={distiller.cv!r} asks for out-of-fold teacher outputs, but {which} has no "
                f"fit whose outputs could be overconfident, and {owner} fits no other teacher. "
                "Set cv=None."
            )


def _which(virtual, named):
    if len(named) == 1:
        return "VirtualTeacher"
    return f"the VirtualTeacher {virtual[0]!r}"
