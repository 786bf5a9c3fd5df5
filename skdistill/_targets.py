"""From fitted teachers to soft targets (classification) and teacher predictions (regression)."""

import numbers

import numpy as np

from . import _teacher
from ._soft import (
    align_columns,
    binary_scores_to_logits,
    proba_to_logits,
    temper_logits,
    temper_proba,
)


def teacher_classes(named_teachers):
    """The sorted union of the teachers' ``classes_``."""
    all_classes = []
    for name, teacher in named_teachers:
        classes = getattr(teacher, "classes_", None)
        if classes is None:
            raise TypeError(
                f"teacher {name!r} ({teacher!r}) has no classes_ attribute, so its output columns "
                "cannot be matched to the labels. Give it a classes_ attribute (the label of each "
                "output column, in order)."
            )
        all_classes.append(np.asarray(classes))
    if len(all_classes) == 1:
        return all_classes[0]
    return np.unique(np.concatenate(all_classes))


def raw_outputs(name, teacher, X, memory, batch_size=None, n_jobs=None):
    """The teacher's outputs as ``(values, kind)``: kind 'logits' or 'proba', columns in
    ``teacher.classes_`` order, binary scores turned into two columns."""
    if _teacher.teaches_from_labels(teacher):
        _refuse_without_labels(name, teacher)
    method = _teacher.output_method(teacher)
    values = _teacher.teacher_outputs(teacher, X, method, memory, batch_size, n_jobs)
    return checked_outputs(name, teacher, values, method)


def _refuse_without_labels(name, teacher):
    raise ValueError(
        f"{_teacher.teacher_label(name, the=True)} {type(teacher).__name__} has no model: its "
        "outputs are made from each row's label, which X alone does not give. Use "
        "teacher.label_proba(y) for its distribution, and accuracy (the labels) rather than "
        "fidelity to judge a student taught by it."
    )


def checked_outputs(name, teacher, values, method):
    """``(values, kind)`` from what ``teacher.<method>`` returned, shape and values checked."""
    values = np.asarray(values, dtype=np.float64)
    n_classes = len(teacher.classes_)
    is_logits = method in ("decision_function", "skorch_logits")
    if is_logits and n_classes == 2:
        values = binary_scores_to_logits(values)
    if values.ndim != 2 or values.shape[1] != n_classes:
        raise ValueError(
            f"teacher {name!r} {method} returned shape {values.shape}, expected "
            f"({len(values)}, {n_classes}): one column per class in teacher.classes_."
        )
    _teacher.check_finite_outputs(values, name, method if is_logits else "predict_proba")
    return values, ("logits" if is_logits else "proba")


class TeacherOutputs:
    """Each teacher's raw outputs on the student's rows: X, then the transfer set, if any.

    Asked once per teacher and fit, in batches of ``batch_size`` rows spread over ``n_jobs``,
    through the cache ``memory`` selects. ``replaced`` maps a teacher's name to ``(rows, values)``:
    outputs that stand in for its own on those rows of X (out-of-fold outputs). ``labels`` are
    the labels of the rows of X, for a teacher that teaches from them (``VirtualTeacher``).
    """

    def __init__(
        self,
        X,
        memory=None,
        *,
        batch_size=None,
        n_jobs=None,
        X_transfer=None,
        replaced=None,
        labels=None,
    ):
        self.X = X
        self.memory = memory
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.X_transfer = X_transfer
        self.replaced = replaced or {}
        self.labels = labels
        self._asked = {}

    def _ask(self, teacher, X, method):
        return _teacher.teacher_outputs(
            teacher, X, method, self.memory, self.batch_size, self.n_jobs
        )

    def classification(self, name, teacher):
        """``(values, kind)`` of a classifier teacher."""
        if name not in self._asked and _teacher.teaches_from_labels(teacher):
            if self.labels is None:
                _refuse_without_labels(name, teacher)
            # the distiller refused unlabeled rows and transfer sets for such a teacher
            values = teacher.label_proba(self.labels)
            self._asked[name] = checked_outputs(name, teacher, values, "predict_proba")
        if name not in self._asked:
            method = _teacher.output_method(teacher)
            values = self._rows(name, teacher, method)
            self._asked[name] = checked_outputs(name, teacher, values, method)
        return self._asked[name]

    def regression(self, name, teacher):
        """Predictions of a regressor teacher, as float64."""
        if name not in self._asked:
            values = np.asarray(self._rows(name, teacher, "predict"), dtype=np.float64)
            _teacher.check_finite_outputs(values, name, "predict")
            self._asked[name] = values
        return self._asked[name]

    def _rows(self, name, teacher, method):
        values = np.asarray(self._ask(teacher, self.X, method))
        if name in self.replaced:
            rows, stand_in = self.replaced[name]
            values = np.array(values, dtype=np.float64, copy=True)
            values[rows] = stand_in
        if self.X_transfer is not None:
            values = np.concatenate(
                [values, np.asarray(self._ask(teacher, self.X_transfer, method))]
            )
        return values


class MeanTeacher:
    """Classifier teachers seen as one, for a generator that asks a teacher (AdversarialRows).

    ``predict_proba`` is the weighted mean of their own distributions (T=1) in ``classes``
    order, asked without the cache: the generator's candidate rows are asked once each.
    """

    def __init__(self, named_teachers, weights, classes):
        self.named_teachers = named_teachers
        self.weights = weights
        self.classes_ = classes

    def predict_proba(self, X):
        def distribution(name, teacher):
            values, kind = raw_outputs(name, teacher, X, memory=False)
            return align_columns(tempered(values, kind, 1.0), teacher.classes_, self.classes_)

        return _weighted_sum(self.weights, self.named_teachers, distribution)


def tempered(values, kind, temperature):
    """The teacher's distribution at ``temperature``."""
    if kind == "logits":
        return temper_logits(values, temperature)
    return temper_proba(values, temperature)


def _weighted_sum(weights, named_teachers, per_teacher):
    """``sum(weight * per_teacher(name, teacher))`` over the teachers.

    Teachers of weight zero are skipped, neither asked nor added: ``0 * -inf`` (the log of a
    probability-only teacher's exact zeros) would be NaN.
    """
    return sum(
        weight * per_teacher(name, teacher)
        for (name, teacher), weight in zip(named_teachers, weights)
        if weight > 0
    )


def mean_soft_targets(named_teachers, weights, outputs, temperature, classes):
    """Weighted mean of the teachers' tempered distributions, in ``classes`` order."""

    def distribution(name, teacher):
        values, kind = outputs.classification(name, teacher)
        return align_columns(tempered(values, kind, temperature), teacher.classes_, classes)

    return _weighted_sum(weights, named_teachers, distribution)


def mean_logits(named_teachers, weights, outputs, classes):
    """Weighted mean of the teachers' logits, for mimic learning (L2 on logits)."""

    def logits(name, teacher):
        values, kind = outputs.classification(name, teacher)
        if kind != "logits":
            raise ValueError(
                f"regression_target='logits' needs teachers with decision_function; teacher "
                f"{name!r} ({teacher!r}) only has predict_proba, whose log has -inf at exact "
                "zeros. Use regression_target='proba'."
            )
        if not np.array_equal(np.asarray(teacher.classes_), classes):
            raise ValueError(
                "regression_target='logits' with several teachers needs the same classes_ in "
                f"every teacher; teacher {name!r} has {teacher.classes_}, the union is {classes}."
            )
        return values

    return _weighted_sum(weights, named_teachers, logits)


def teacher_logits_for_native(named_teachers, weights, outputs, classes):
    """Logits for a native student: real logits when every teacher has them, else ``log p``."""

    def logits(name, teacher):
        values, kind = outputs.classification(name, teacher)
        if kind == "proba":
            values = proba_to_logits(values / values.sum(axis=1, keepdims=True))
        return align_columns(values, teacher.classes_, classes, fill=-np.inf)

    return _weighted_sum(weights, named_teachers, logits)


def mean_predictions(named_teachers, weights, outputs):
    """Weighted mean of regression teachers' predictions."""
    shapes = set()

    def predictions(name, teacher):
        values = outputs.regression(name, teacher)
        shapes.add(values.shape)
        if len(shapes) > 1:
            raise ValueError(
                f"teacher {name!r} predicts shape {values.shape}, another teacher "
                f"{sorted(shapes - {values.shape})[0]}; every teacher must predict the same "
                "outputs."
            )
        return values

    return _weighted_sum(weights, named_teachers, predictions)


def soft_targets(teacher, X, *, temperature=1.0):
    """The temperature-softened targets a fitted teacher gives the student.

    Logits come from ``decision_function`` when the teacher has one (a binary one-column score
    ``s`` becomes the two logits ``[0, s]``) and are softened as ``softmax(z / T)``. Teachers with
    ``predict_proba`` only are softened as ``p ** (1 / T)`` renormalised, which equals
    ``softmax(log(p) / T)`` and keeps exact zeros at zero.

    Parameters
    ----------
    teacher : fitted classifier
        Any fitted classifier with ``classes_`` and ``decision_function`` or ``predict_proba``.
    X : array-like of shape (n_samples, n_features)
        Rows to label, in the form the teacher takes (a DataFrame for a column-based pipeline).
    temperature : float, default=1.0
        Softening temperature T > 0. T=1 gives the teacher's own distribution; larger T gives
        the smaller classes more mass.

    Returns
    -------
    soft_targets : ndarray of shape (n_samples, n_classes)
        One probability distribution per row, columns in ``teacher.classes_`` order.

    See Also
    --------
    DistilledClassifier : Trains a student on these targets mixed with the labels.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import soft_targets
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> targets = soft_targets(forest, X[:2], temperature=2.0)
    >>> targets.shape
    (2, 3)
    >>> targets.sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """
    if not (isinstance(temperature, numbers.Real) and 0 < temperature < np.inf):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}.")
    _teacher.check_teacher_kind("teacher", teacher, "classification", "soft_targets")
    _teacher.check_feature_names(teacher, X)
    values, kind = raw_outputs("teacher", teacher, X, memory=None)
    return tempered(values, kind, float(temperature))
