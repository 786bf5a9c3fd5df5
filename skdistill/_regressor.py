"""DistilledRegressor: a student regressor trained on a mix of a teacher's predictions and y."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, clone
from sklearn.utils.validation import check_array

from . import _students, _targets, _teacher
from ._base import _BaseDistiller, keep_state_on_error
from ._sklearn_compat import (
    HasMethods,
    Interval,
    _fit_context,
    _num_samples,
)
from ._verbose import logged_fit, say


class DistilledRegressor(RegressorMixin, _BaseDistiller):
    """Train a student regressor on a teacher's predictions mixed with the targets.

    The student learns ``alpha * teacher.predict(X) + (1 - alpha) * y``. Rows whose ``y`` is NaN
    are unlabeled and learn the teacher's prediction alone, so the teacher can label extra rows
    (a transfer set) that travel through a Pipeline with the labelled ones. Single- and
    multi-output targets are supported.

    Parameters
    ----------
    teacher : estimator, or list of estimators or of (name, estimator) pairs
        A fitted teacher is used as it is: never refit or changed, also after ``clone`` and inside
        ``GridSearchCV``, ``cross_val_score`` and ``Pipeline``. An unfitted teacher is cloned and
        fitted on the labelled rows. A bare fitted model with ``predict`` (no ``fit``) also
        serves. With several teachers their predictions are averaged.
    student : regressor
        The model to train; it is cloned before fitting. Multi-output targets need a student that
        supports them (or ``sklearn.multioutput.MultiOutputRegressor``).
    alpha : float, default=0.5
        Weight of the teacher's prediction against ``y``, in [0, 1]. ``alpha=0`` is the student
        trained on ``y`` alone; ``alpha=1`` needs no targets.
    teacher_weights : array-like of shape (n_teachers,), default=None
        Weights of several teachers in the mean of their predictions; None weighs them equally.
    privileged_features : array-like of str or int, or of bool, default=None
        Columns that exist when the student is trained but not when it predicts (a later
        measurement, a costly test): generalized distillation [3]_. The teacher is fitted
        on, or asked with, every column; the student is fitted on the others. Column names
        (X with string column names), integer indices, or a boolean mask of one value per
        column. The fitted distiller predicts from X with the student's columns alone, as in
        production; X with every column seen in fit is accepted too and its privileged columns
        are dropped, so ``GridSearchCV``, ``cross_val_score`` and the fidelity scorers, which
        pass held-out rows of the training X, work unchanged. ``n_features_in_`` and
        ``feature_names_in_`` describe the columns seen in fit (the teacher's);
        ``student_features_`` the student's. A transfer set draws rows of every column for the
        teacher and gives the student its columns. None: the student sees every column.
    transfer : None, {'auto', 'munge', 'mixup', 'noise'} or generator, default=None
        A transfer set: synthetic rows drawn near the training rows inside ``fit`` (so, within
        cross-validation, from each fold's training rows only), labelled by the teacher and
        learnt from its predictions alone, like unlabeled rows. A string takes the generator of
        :mod:`skdistill.transfer` with its defaults; an object with ``fit(X)`` and
        ``sample(n_samples)`` is cloned and used. ``'auto'`` picks the generator and the
        number of rows from the student, as measured: mixup and at least 50,000 rows for a
        scikit-learn tree or forest, MUNGE and 25 rows per training row for a neural net, none
        for :class:`skdistill.tree.GuidedTreeClassifier` below two searched blocks (mixup and
        50,000 rows from ``max_depth >= 2 * search_depth``), mixup and 10 rows per row otherwise
        (``n_transfer`` is then unused); else try ``'mixup'`` first on numeric tables.
        A DataFrame's columns that are not numbers (object, string, bool, category) take values
        copied from real rows, and every column keeps its dtype; to set a generator's
        parameters, pass it, e.g. ``transfer=Mixup(categorical_features=[...])``. None: the
        student sees the training rows only. Not for texts. ``'boundary'`` and
        ``'adversarial'`` seek a classifier teacher's class boundaries and are refused here.
    n_transfer : int or float, default=10.0
        Size of the transfer set: an int is a number of rows, a float a multiple of the rows of
        X. Unused without ``transfer``. With ``stream_transfer=True``, the rows of each epoch.
    stream_transfer : bool, default=False
        For a skorch ``NeuralNetRegressor`` student: draw ``n_transfer`` fresh transfer rows for
        every epoch instead of one set for the whole fit. The teacher labels them
        ``teacher_batch_size`` rows at a time as the student trains on them, and no epoch's rows
        outlive it, so memory is set by that batch, not by ``n_transfer`` times the epochs, and
        the student sees ``n_transfer`` new rows per epoch. The rows of each epoch are mixed
        with the training rows and shuffled; seeded by ``random_state`` as the transfer set is.
        A student that needs all its rows at once (a tree, a forest, boosting) cannot stream:
        that is an error, as is ``transfer=None``.
    cv : int, cross-validation generator, iterable or None, default=None
        Out-of-fold teacher outputs for the labelled rows, as in ``StackingRegressor``: each
        row is answered by a clone of the teacher fitted on the other folds, as the teacher's
        outputs on its own training rows are overconfident. Needs an unfitted teacher (only
        teachers fitted here get out-of-fold outputs); costs ``cv`` extra fits. None: the
        teacher answers for every row.
    teacher_batch_size : int, 'auto' or None, default='auto'
        The teacher is asked for this many rows at a time, so peak memory grows with the batch,
        not with the transfer set. 'auto': a tenth of the rows, at least 10,000 and at most
        100,000 a call, which keeps the teacher's fixed cost per call (a pass over each of its
        trees, its input checks) out of sight; see the benchmark "Labelling a 1M-row transfer
        set". None: one call for all rows.
    n_jobs : int or None, default=None
        Number of joblib jobs over the teacher's batches and the ``cv`` fits. None means 1
        unless in a ``joblib.parallel_config`` context; a dask or ray backend spreads the
        labelling over a cluster.
    memory : None, False, str or object with the joblib.Memory interface, default=None
        Cache of the teacher's predictions, which do not depend on alpha. None: an in-process
        cache keyed on the teacher object and a hash of X (a grid search with ``n_jobs=1`` asks
        the teacher once per fold). A path or ``joblib.Memory``: a disk cache that also serves
        ``n_jobs > 1`` and caches the fit of an unfitted teacher and the ``cv`` outputs. False:
        no cache.
    random_state : int, RandomState instance or None, default=None
        Seeds the transfer set (unless its generator has its own ``random_state``) and the
        training of a skorch student. Pass an int for reproducible fits.
    verbose : int, default=0
        Print what ``fit`` does, one line per step with the time elapsed, prefixed by the
        distiller's name: fitting or taking the teacher, drawing the transfer set, labelling each
        batch of rows, fitting the student. 0 prints nothing. The teacher's and the student's own
        output is left to their own ``verbose`` parameters.

    Attributes
    ----------
    teacher_ : estimator or list of estimators
        The fitted teacher(s): the very object passed when it was fitted, else a fitted clone.
    student_ : estimator
        The fitted student, an ordinary regressor that needs neither skdistill nor the teacher.
        A skorch ``NeuralNetRegressor`` student learns the blended targets with its own
        criterion (mean squared error); X and the targets are cast to float32 for it.
    n_transfer_ : int
        Number of synthetic rows in the transfer set (0 without one); per epoch with
        ``stream_transfer=True``.
    privileged_features_ : ndarray of int
        Indices (into the columns seen in fit) of the privileged columns; empty without
        ``privileged_features``.
    student_features_ : ndarray of int
        Indices of the columns the student is fitted on and predicts from, in their order in X.
    n_features_in_ : int
        Number of features seen during fit (privileged ones included).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    DistilledClassifier : The same for classification, with temperature-softened targets.
    skdistill.metrics.fidelity_score : R-squared of the student against the teacher.

    References
    ----------
    .. [1] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model Compression", KDD 2006.
    .. [2] J. Ba and R. Caruana, "Do Deep Nets Really Need to be Deep?", NIPS 2014.
    .. [3] D. Lopez-Paz, L. Bottou, B. Schoelkopf and V. Vapnik, "Unifying Distillation and
       Privileged Information", ICLR 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill import DistilledRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> teacher = GradientBoostingRegressor(random_state=0).fit(X, y)
    >>> distiller = DistilledRegressor(
    ...     teacher, DecisionTreeRegressor(max_depth=4, random_state=0), alpha=1.0
    ... ).fit(X)
    >>> distiller.student_.get_depth()
    4
    """

    _task = "regression"

    _parameter_constraints: dict = {
        "teacher": "no_validation",
        "student": [HasMethods(["fit", "predict"])],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "teacher_weights": ["array-like", None],
        **_BaseDistiller._shared_constraints,
    }

    def __init__(
        self,
        teacher,
        student,
        *,
        alpha=0.5,
        teacher_weights=None,
        privileged_features=None,
        transfer=None,
        n_transfer=10.0,
        stream_transfer=False,
        cv=None,
        teacher_batch_size="auto",
        n_jobs=None,
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.teacher = teacher
        self.student = student
        self.alpha = alpha
        self.teacher_weights = teacher_weights
        self.privileged_features = privileged_features
        self.transfer = transfer
        self.n_transfer = n_transfer
        self.stream_transfer = stream_transfer
        self.cv = cv
        self.teacher_batch_size = teacher_batch_size
        self.n_jobs = n_jobs
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    @logged_fit
    @keep_state_on_error
    def fit(self, X, y=None, sample_weight=None, **fit_params):
        """Fit (or take) the teacher and fit the student on the blended targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or sequence of texts
            Training rows, passed as they are to the teacher and the student. A list, 1-d array
            or Series of texts goes to pipelines that start with a vectorizer.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets; NaN marks an unlabeled row (a row with any NaN output is unlabeled). May be
            None only with ``alpha=1`` and fitted teachers.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights for the student, and for an unfitted teacher's fit when it takes them.
        **fit_params : dict
            Further fit parameters, routed to the teacher and student with metadata routing
            enabled.

        Returns
        -------
        self : DistilledRegressor
            The fitted distiller.
        """
        self._check_teachers()
        X = self._validate_X(X, reset=True)
        self._resolve_privileged(X)
        n_samples = _num_samples(X)
        y, labelled = self._check_targets(y, n_samples)
        sample_weight = self._check_sample_weight(sample_weight, X)
        teacher_params, student_params, student_weight, by_hand = self._route_fit_params(
            sample_weight, fit_params
        )
        weights = self._teacher_weights(len(_teacher.named_teachers(self.teacher)))
        self._check_stream()
        unfitted = self._unfitted_teacher_names()
        transfer_seed, student_seed = self._seeds()

        named = self._fit_teachers(X, labelled, y, sample_weight, teacher_params, by_hand)
        out_of_fold = self._out_of_fold(
            X, labelled, y, sample_weight, teacher_params, by_hand, named, unfitted
        )
        transfer_set, _, transfer_stream = self._transfer_rows(
            X, transfer_seed, self._stream_labeller(named, weights), student_weight
        )
        outputs = self._teacher_outputs(X, transfer_set, out_of_fold)
        X_student, y_student, student_weight = self._with_transfer(
            X, transfer_set, y, student_weight, fill=np.nan
        )
        labelled = ~np.isnan(y_student) if y_student.ndim == 1 else ~np.isnan(y_student).any(1)
        teacher_pred = _targets.mean_predictions(named, weights, outputs)
        target = self._blend(teacher_pred, y_student, labelled)
        say(f"fitting the student {type(self.student).__name__} on {_num_samples(X_student)} rows")
        self.student_ = _students.fit_regressor(
            clone(self.student),
            self._for_student(X_student),
            target,
            student_weight,
            student_params,
            student_seed,
            transfer_stream,
        )
        return self

    def _stream_labeller(self, named, weights):
        """``label(rows)``: the teachers' mean prediction on streamed rows."""

        def label(X_rows):
            outputs = self._stream_outputs(X_rows)
            return {"target": _targets.mean_predictions(named, weights, outputs)}

        return label

    def _check_targets(self, y, n_samples):
        if y is None:
            if self.alpha < 1:
                raise ValueError(
                    f"{type(self).__name__} requires y to be passed, but the target y is None. "
                    f"Only alpha=1 (the teacher alone) needs no targets; alpha is {self.alpha}."
                )
            return np.full(n_samples, np.nan), np.zeros(n_samples, dtype=bool)
        # NaN marks unlabeled rows and inf gets its own message below, so neither is rejected here
        y = check_array(y, ensure_2d=False, ensure_all_finite=False, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if len(y) != n_samples:
            raise ValueError(f"X has {n_samples} rows but y has {len(y)}; they must match.")
        if np.isinf(y).any():
            raise ValueError(
                "Input y contains infinity; only NaN may mark an unlabeled row. Remove or fix "
                "the infinite targets."
            )
        labelled = ~np.isnan(y) if y.ndim == 1 else ~np.isnan(y).any(axis=1)
        if not labelled.any() and self.alpha < 1:
            raise ValueError(
                "Input y contains NaN in every row: every row is unlabeled, so there are no "
                f"targets to mix in with alpha={self.alpha}. Set alpha=1 to learn from the "
                "teacher alone, or pass targets."
            )
        return y, labelled

    def _blend(self, teacher_pred, y, labelled):
        if not labelled.any():
            return np.array(teacher_pred, dtype=np.float64, copy=True)
        if teacher_pred.shape != y.shape:
            if teacher_pred.ndim == 2 and teacher_pred.shape[1] == 1 and y.ndim == 1:
                teacher_pred = teacher_pred[:, 0]
            else:
                raise ValueError(
                    f"the teacher predicts shape {teacher_pred.shape} but y has shape {y.shape};"
                    " the teacher must predict the same outputs as y."
                )
        target = np.array(teacher_pred, dtype=np.float64, copy=True)
        if self.alpha < 1:
            target[labelled] = self.alpha * teacher_pred[labelled] + (1 - self.alpha) * y[labelled]
        return target

    def predict(self, X):
        """Predict with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict: with ``privileged_features``, the student's columns alone, or
            every column seen in fit (the privileged ones are dropped).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The student's predictions.
        """
        X = self._student_input(X)
        y_pred = _students.predict_with(self.student_, "predict", X)
        if _students.is_skorch_net(self.student_) and y_pred.ndim == 2 and y_pred.shape[1] == 1:
            y_pred = y_pred[:, 0]  # a one-output net predicts a column; y was a vector
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
