"""DistilledClassifier: a student classifier trained on a teacher's softened outputs."""

from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from sklearn.base import ClassifierMixin, clone, is_regressor
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from . import _inputs, _students, _targets, _teacher
from ._base import _BaseDistiller, keep_state_on_error
from ._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _num_samples,
    available_if,
)
from ._soft import align_columns, binary_scores_to_logits, blend_with_labels
from ._verbose import logged_fit, say
from ._virtual import check_rows_taught_from_labels


def _student_can(method):
    """``available_if`` check: the distiller has ``method`` when its student can serve it."""

    def check(self):
        student = getattr(self, "student_", self.student)
        way = getattr(self, "student_method_", None)
        if way == "regression" or (way is None and is_regressor(self.student)):
            if method == "predict_proba":
                return True
            return self.regression_target == "logits"
        return hasattr(student, method)

    return check


class DistilledClassifier(ClassifierMixin, _BaseDistiller):
    """Train a student classifier on a teacher's temperature-softened outputs and the labels.

    The teacher's logits (``decision_function``) or probabilities are softened with a temperature
    ``T`` and mixed with the one-hot labels: ``target = alpha * softmax(z / T) + (1 - alpha) *
    onehot(y)``. The student learns these targets in the way it can (see ``student_method``): a
    classifier that takes ``sample_weight`` sees each row once per class, weighted by the target,
    which makes its loss the cross-entropy against the soft targets; a regressor regresses them.
    The fitted ``student_`` is an ordinary estimator that predicts the original labels on its own.

    Parameters
    ----------
    teacher : estimator, or list of estimators or of (name, estimator) pairs
        A fitted teacher is used as it is: never refit or changed, also after ``clone`` and inside
        ``GridSearchCV``, ``cross_val_score`` and ``Pipeline``. An unfitted teacher is cloned and
        fitted on the labelled training rows. It needs ``classes_`` and ``decision_function`` or
        ``predict_proba`` (a bare fitted model with these and no ``fit`` serves too). With
        several teachers the soft target is the weighted mean of their tempered distributions.
    student : estimator
        The model to train: a classifier that accepts ``sample_weight`` (trees, forests, boosting,
        logistic regression, ...), a regressor, or a model with a ``fit_distilled`` method.
        It is cloned before fitting.
    temperature : float, default=1.0
        Softening temperature T > 0. Larger T gives the teacher's small probabilities, the
        "dark knowledge", more weight.
    alpha : float, default=0.5
        Weight of the teacher's soft targets against the labels, in [0, 1]. ``alpha=0`` trains the
        student on the labels alone (exactly the baseline); ``alpha=1`` needs no labels.
    teacher_weights : array-like of shape (n_teachers,), default=None
        Weights of several teachers in the mean of their distributions; None weighs them equally.
    student_method : {'auto', 'weights', 'regression', 'hard', 'native'}, default='auto'
        How the student learns the targets. 'weights': one weighted copy of each row per class
        (classifiers with ``sample_weight``). 'regression': regress the targets (regressors).
        'hard': fit on the label the target puts first (any classifier; loses the soft
        information, and with ``alpha < 0.5`` the true label always wins on labelled rows).
        'native': the student's own ``fit_distilled`` receives the soft targets, teacher
        logits, labels, temperature and alpha (see Notes). 'auto' takes 'native', 'weights' or
        'regression', in that order, as the student allows.
    regression_target : {'proba', 'logits'}, default='proba'
        With a regressor student: regress the blended soft targets ('proba'), or the teacher's
        raw logits ('logits', Ba and Caruana's mimic learning; needs ``alpha=1`` and teachers
        with ``decision_function``; temperature plays no part).
    loss : {'kl', 'logit_mse'}, default='kl'
        The loss of a neural student (a skorch classifier, :class:`skdistill.torch.MLPStudent`
        or another student with ``fit_distilled``): 'kl' is Hinton's
        ``alpha * T**2 * KL(teacher_T || student_T) + (1 - alpha) * CE(labels)``; 'logit_mse'
        is Ba and Caruana's squared error between the student's and the teacher's logits
        (needs teachers with logits), mixed with the labels in the same way. Other students
        learn as ``student_method`` says.
    keep_mass : float, default=0.999
        With ``student_method='weights'``: per row, only the largest targets that together carry
        this share of the mass are kept (then renormalised), which bounds the number of copies
        per row when there are many classes. 1.0 keeps every non-zero target.
    unlabeled_label : int, float, str or None, default=None
        The value of ``y`` that marks an unlabeled row. Such rows get the teacher's targets only,
        which is how extra rows for the teacher to label (a transfer set) travel through a
        Pipeline with the labelled rows. None: every row is labelled. (scikit-learn's
        semi-supervised estimators use -1; it is opt-in here because -1 is a real label in
        many data sets.) A marker that does not occur in y means every row is labelled (a
        fold may have no unlabeled rows); a marker y could never hold (a str with numeric
        labels, a number with str labels, NaN or a fraction with integer labels) is an error.
    privileged_features : array-like of str or int, or of bool, default=None
        Columns that exist when the student is trained but not when it predicts (a later
        measurement, a costly test): generalized distillation [5]_. The teacher is fitted
        on, or asked with, every column; the student is fitted on the others. Column names
        (X with string column names), integer indices, or a boolean mask of one value per
        column. The fitted distiller predicts from X with the student's columns alone, as in
        production; X with every column seen in fit is accepted too and its privileged columns
        are dropped, so ``GridSearchCV``, ``cross_val_score`` and the fidelity scorers, which
        pass held-out rows of the training X, work unchanged. ``n_features_in_`` and
        ``feature_names_in_`` describe the columns seen in fit (the teacher's);
        ``student_features_`` the student's. A transfer set draws rows of every column for the
        teacher and gives the student its columns. None: the student sees every column.
    hints : list of (str, str) pairs, default=None
        FitNets hints for a neural student of a neural teacher (a ``TorchTeacher`` or a fitted
        skorch net): each ``(teacher_path, student_path)`` names a layer of the teacher's module
        and one of the student's ``module_`` (as ``named_modules()`` gives them), and the
        student's layer regresses the teacher's, through a linear map learnt during the fit
        when their widths differ (dropped afterwards). None or ``[]``: no hints.
    hint_weight : float, default=1.0
        Weight of each hint's squared error (averaged over units and rows) in the loss.
    relation_loss : {'distance', 'angle', 'both'} or None, default=None
        Park et al.'s relational loss between the two nets' embeddings of each batch: the
        pairwise distances (divided by their batch mean), the angles of all triplets of rows,
        or distance + 2 x angle, each compared with the Huber loss. Needs a neural pair, as
        ``hints``.
    relation_weight : float, default=1.0
        Weight of the relational loss.
    relation_layers : (str, str) pair or None, default=None
        The ``(teacher_path, student_path)`` whose outputs are the embeddings of
        ``relation_loss``. None: each net's penultimate layer (the input of the last layer
        with weights that its forward pass calls).
    angle_anchors : int or None, default=4
        The angle loss (``relation_loss='angle'`` or ``'both'``) of each batch takes the angles
        at this many of its rows, drawn at random without replacement (from a generator seeded
        by ``random_state``; torch's global one is left alone), against all pairs of the
        batch's rows: ``angle_anchors * N**2`` triplets instead of the ``N**3`` of a batch of
        N rows. Anchors drawn at random make the loss and its gradient unbiased estimates of
        the paper's. None: every row, Park et al.'s loss, which grows with the cube of the
        batch size. A batch of at most this many rows uses every row.
    transfer : None, str or generator, default=None
        A transfer set: synthetic rows drawn near the training rows inside ``fit`` (so, within
        cross-validation, from each fold's training rows only), labelled by the teacher and
        learnt from its targets alone, like unlabeled rows. A string ('auto', 'munge', 'mixup',
        'noise', 'boundary', 'adversarial') takes the generator of
        :mod:`skdistill.transfer` with its defaults; an object with ``fit(X)`` and
        ``sample(n_samples)`` is cloned and used. ``'auto'`` picks the generator and the
        number of rows from the student, as measured: mixup and at least 50,000 rows for a
        scikit-learn tree or forest, MUNGE and 25 rows per training row for a neural net, none
        for :class:`skdistill.tree.GuidedTreeClassifier` below two searched blocks (mixup and
        50,000 rows from ``max_depth >= 2 * search_depth``), mixup and 10 rows per row otherwise
        (``n_transfer`` is then unused); else try ``'mixup'`` first on numeric tables.
        ``'boundary'`` and ``'adversarial'`` ask the teacher where to draw
        (:class:`~skdistill.transfer.AdversarialRows`): rows across its class boundaries;
        ``'adversarial'`` then fits the student on the first half, draws the second half where
        that student disagrees with the teacher, and fits it again on all of them. A generator
        whose ``fit`` takes ``teacher=`` is given the teachers' mean distribution.
        A DataFrame's columns that are not numbers (object, string, bool, category) take values
        copied from real rows, and every column keeps its dtype; to set a generator's
        parameters, pass it, e.g. ``transfer=Mixup(categorical_features=[...])``. None: the
        student sees the training rows only. Not for texts.
    n_transfer : int or float, default=10.0
        Size of the transfer set: an int is a number of rows, a float a multiple of the rows of
        X. Unused without ``transfer``. With ``stream_transfer=True``, the rows of each epoch.
    stream_transfer : bool, default=False
        For a neural student (:class:`~skdistill.torch.MLPStudent`,
        :class:`~skdistill.torch.SoftTreeClassifier`, a skorch classifier, or a student whose
        ``fit_distilled`` takes ``transfer_stream``): draw ``n_transfer`` fresh transfer rows for
        every epoch instead of one set for the whole fit. The teacher labels them
        ``teacher_batch_size`` rows at a time as the student trains on them, and no epoch's rows
        outlive it, so memory is set by that batch, not by ``n_transfer`` times the epochs, and
        the student sees ``n_transfer`` new rows per epoch. The rows of each epoch are mixed
        with the training rows and shuffled; seeded by ``random_state`` as the transfer set is.
        A student that needs all its rows at once (a tree, a forest, boosting) cannot stream:
        that is an error, as is ``transfer=None``.
    cv : int, cross-validation generator, iterable or None, default=None
        Out-of-fold teacher outputs for the labelled rows, as in ``StackingClassifier``: each
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
        Cache of the teacher's outputs, which do not depend on temperature or alpha. None: an
        in-process cache keyed on the teacher object and a hash of X, so a grid search with
        ``n_jobs=1`` asks the teacher once per fold (entries die with the teacher and are
        ignored once it is refit, also in place: see the user guide). A path or
        ``joblib.Memory``: a disk cache that also serves ``n_jobs > 1`` (the teacher is hashed
        on each call) and also caches the fit of an unfitted teacher and the ``cv`` outputs.
        False: no cache.
    random_state : int, RandomState instance or None, default=None
        Seeds the transfer set (unless its generator has its own ``random_state``) and the
        training of a neural student: a skorch net, and a student with ``fit_distilled`` such as
        :class:`~skdistill.torch.MLPStudent` whose own ``random_state`` is None (one the student
        was given wins). torch's global generator is left untouched. Pass an int for
        reproducible fits.
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
        The fitted student. With ``student_method='weights'`` or ``'hard'`` it is an ordinary
        classifier of the original labels that needs neither skdistill nor the teacher.
    student_method_ : str
        The way the student learnt: 'weights', 'regression', 'hard' or 'native'.
    n_transfer_ : int
        Number of synthetic rows in the transfer set (0 without one); per epoch with
        ``stream_transfer=True``.
    classes_ : ndarray of shape (n_classes,)
        The class labels: the teacher's classes (their union with several teachers).
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
    DistilledRegressor : The same for regression.
    soft_targets : The soft targets a teacher gives, to look at.
    skdistill.metrics.fidelity_score : How often the student agrees with the teacher.

    Notes
    -----
    With ``student_method='weights'`` a tree's ``min_samples_leaf`` and ``min_samples_split``
    count weighted copies, not original rows; ``min_weight_fraction_leaf`` counts original rows.

    A regressor or weighted-classifier student learns the softened distribution itself, so with
    ``T > 1`` its ``predict_proba`` is softer than the teacher's. Softening keeps each row's
    order of classes but changes the weights the student is trained on, so a tree may split
    differently and its labels can change too.

    ``decision_function`` is taken as logits. That is exact for log-odds models (logistic
    regression, gradient boosting); for margin models (``SVC``, ``LinearSVC``,
    ``RidgeClassifier``) the scale is arbitrary, so ``T=1`` is not the teacher's own
    probabilities and the useful temperatures differ: tune T with a grid search. One-vs-one
    scores (``SVC(decision_function_shape='ovo')`` with more than two classes) have a column per
    pair of classes: such a teacher is asked for ``predict_proba`` when it has one, else
    refused.

    A fitted teacher trained on a DataFrame gets X with the columns it was fitted on, in the
    same order, or ``fit`` raises: LightGBM and CatBoost take columns by position and would
    silently answer for other features. A ``fit`` that raises leaves the distiller as it was.

    A skorch ``NeuralNetClassifier`` student is trained with ``loss`` through skorch's own fit
    loop (its ``get_loss`` hook), from a module that returns logits (criterion
    ``CrossEntropyLoss``, recommended) or ends in softmax (``NLLLoss``, skorch's default); a
    mismatch between the two is an error that says what to change. The fitted ``student_`` is
    an ordinary skorch net: like any skorch net it takes float32 X (the distiller casts) and
    its ``predict`` gives indices into ``classes_`` (the distiller's ``predict`` gives labels).

    Another student for ``student_method='native'`` has ``fit`` and ``predict`` and a method
    ``fit_distilled(X, y, *, soft_targets, teacher_logits, classes, temperature, alpha,
    sample_weight=None, loss='kl')`` that returns the fitted student. ``y`` holds class indices
    into ``classes`` (-1 for unlabeled and synthetic rows), ``soft_targets`` the teachers' mean
    tempered distribution and ``teacher_logits`` their logits (``log p``, with ``-inf`` at exact
    zeros, for probability-only teachers). The fitted student predicts the original labels and,
    for ``predict_proba``, has ``classes_``.

    Teacher outputs on the teacher's own training rows are overconfident; a teacher fitted on
    other rows than the student's, ``cv`` or a transfer set give more informative soft targets.

    ``hints`` and ``relation_loss`` take the teacher's activations once, with forward hooks on
    its module in eval mode and without gradients (removed afterwards; the module's mode and
    parameters are left as they were); in eval mode a row's activations do not depend on its
    batch, so each of the student's batches meets its own rows' activations. The student's
    hooks are removed when ``fit`` ends, also on error, and the extra terms enter the training
    loss only, not the held-out loss of early stopping.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.
    .. [2] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model Compression", KDD 2006.
    .. [3] J. Ba and R. Caruana, "Do Deep Nets Really Need to be Deep?", NIPS 2014.
    .. [4] H. Zhang, M. Cisse, Y. Dauphin and D. Lopez-Paz, "mixup: Beyond Empirical Risk
       Minimization", ICLR 2018.
    .. [5] D. Lopez-Paz, L. Bottou, B. Schoelkopf and V. Vapnik, "Unifying Distillation and
       Privileged Information", ICLR 2016.
    .. [6] A. Romero, N. Ballas, S. E. Kahou, A. Chassang, C. Gatta and Y. Bengio, "FitNets:
       Hints for Thin Deep Nets", ICLR 2015.
    .. [7] W. Park, D. Kim, Y. Lu and M. Cho, "Relational Knowledge Distillation", CVPR 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=100, random_state=0).fit(X_train, y_train)
    >>> distiller = DistilledClassifier(
    ...     teacher, DecisionTreeClassifier(max_depth=3, random_state=0), temperature=2.0
    ... ).fit(X_train, y_train)
    >>> distiller.student_.get_depth()
    3
    >>> round(distiller.score(X_test, y_test), 2)
    0.94
    """

    _task = "classification"
    _number_params = ("temperature", "alpha", "keep_mass", "hint_weight", "relation_weight")

    _parameter_constraints: dict = {
        "teacher": "no_validation",
        "student": [HasMethods(["fit"])],
        "temperature": [Interval(Real, 0, np.inf, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "teacher_weights": ["array-like", None],
        "student_method": [StrOptions(set(_students.STUDENT_METHODS))],
        "regression_target": [StrOptions({"proba", "logits"})],
        "loss": [StrOptions({"kl", "logit_mse"})],
        "keep_mass": [Interval(Real, 0, 1, closed="right")],
        "unlabeled_label": [Real, str, None],
        "hints": [list, tuple, None],
        "hint_weight": [Interval(Real, 0, None, closed="left")],
        "relation_loss": [StrOptions({"distance", "angle", "both"}), None],
        "relation_weight": [Interval(Real, 0, None, closed="left")],
        "relation_layers": [list, tuple, None],
        "angle_anchors": [Interval(Integral, 1, None, closed="left"), None],
        **_BaseDistiller._shared_constraints,
    }

    def __init__(
        self,
        teacher,
        student,
        *,
        temperature=1.0,
        alpha=0.5,
        teacher_weights=None,
        student_method="auto",
        regression_target="proba",
        loss="kl",
        keep_mass=0.999,
        unlabeled_label=None,
        privileged_features=None,
        hints=None,
        hint_weight=1.0,
        relation_loss=None,
        relation_weight=1.0,
        relation_layers=None,
        angle_anchors=4,
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
        self.temperature = temperature
        self.alpha = alpha
        self.teacher_weights = teacher_weights
        self.student_method = student_method
        self.regression_target = regression_target
        self.loss = loss
        self.keep_mass = keep_mass
        self.unlabeled_label = unlabeled_label
        self.privileged_features = privileged_features
        self.hints = hints
        self.hint_weight = hint_weight
        self.relation_loss = relation_loss
        self.relation_weight = relation_weight
        self.relation_layers = relation_layers
        self.angle_anchors = angle_anchors
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
        """Fit (or take) the teacher, compute soft targets and fit the student on them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or sequence of texts
            Training rows, passed as they are to the teacher and the student (a DataFrame stays
            a DataFrame). A list, 1-d array or Series of texts goes to a teacher and a student
            that are pipelines starting with a vectorizer (no ``n_features_in_`` is set then).
        y : array-like of shape (n_samples,), default=None
            Labels; rows equal to ``unlabeled_label`` are unlabeled. May be None only with
            ``alpha=1`` and fitted teachers.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the student (multiplied into the soft-target weights) and to
            an unfitted teacher's fit when it accepts them.
        **fit_params : dict
            Further fit parameters, routed to the teacher and student with metadata routing
            enabled (``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        self : DistilledClassifier
            The fitted distiller.
        """
        self._check_teachers()
        X = self._validate_X(X, reset=True)
        self._resolve_privileged(X)
        n_samples = _num_samples(X)
        y, labelled = self._check_labels(y, n_samples)
        check_rows_taught_from_labels(self, labelled)
        sample_weight = self._check_sample_weight(sample_weight, X)
        teacher_params, student_params, student_weight, by_hand = self._route_fit_params(
            sample_weight, fit_params
        )
        self.student_method_ = _students.resolve_student_method(
            self.student, self.student_method, type(self).__name__
        )
        self._check_regression_target()
        self._check_loss()
        features = self._check_features()
        self._check_stream(self.student_method_)
        if features is not None and self.stream_transfer:
            raise ValueError(
                "hints and relation_loss match the teacher's hidden layers on the student's rows, "
                "taken once before training, but stream_transfer=True draws new rows every "
                "epoch. Set stream_transfer=False (a transfer set drawn once works with them), "
                "or train on the outputs alone (hints=None, relation_loss=None)."
            )
        weights = self._teacher_weights(len(_teacher.named_teachers(self.teacher)))
        unfitted = self._unfitted_teacher_names()
        transfer_seed, student_seed = self._seeds()

        named = self._fit_teachers(X, labelled, y, sample_weight, teacher_params, by_hand)
        self.classes_ = _targets.teacher_classes(named)
        if len(self.classes_) < 2:
            raise ValueError(
                f"the teacher knows only one class, {self.classes_.tolist()}: there is nothing "
                "to distil. Pass labels of at least two classes, or a teacher that has them."
            )
        y_encoded = self._encode_labels(y, labelled)
        out_of_fold = self._out_of_fold(
            X, labelled, y, sample_weight, teacher_params, by_hand, named, unfitted
        )
        teacher_view = _targets.MeanTeacher(named, weights, self.classes_)
        transfer_set, second_stage, transfer_stream = self._transfer_rows(
            X, transfer_seed, self._stream_labeller(named, weights), student_weight, teacher_view
        )
        while True:
            outputs = self._teacher_outputs(X, transfer_set, out_of_fold, labels=y)
            X_student, y_student, weight_student = self._with_transfer(
                X, transfer_set, y_encoded, student_weight, fill=-1
            )
            if features is not None:
                features = self._teacher_features(features, named, X_student)
            self._fit_student(
                self._for_student(X_student),
                named,
                weights,
                outputs,
                y_student,
                weight_student,
                student_params,
                student_seed,
                features,
                transfer_stream,
            )
            if second_stage is None:
                break
            # student-aware rows (transfer='adversarial'): more rows where this student
            # disagrees with the teacher, then the student is fitted again on all of them
            transfer_set = self._student_rows(second_stage, transfer_set)
            second_stage = None
        return self

    # ------------------------------------------------------------------ steps of fit
    def _check_labels(self, y, n_samples):
        """Labels as a 1d array and the mask of labelled rows."""
        if y is None:
            if self.alpha < 1:
                raise ValueError(
                    f"{type(self).__name__} requires y to be passed, but the target y is None. "
                    f"Only alpha=1 (the teacher alone) needs no labels; alpha is {self.alpha}."
                )
            return np.full(n_samples, None, dtype=object), np.zeros(n_samples, dtype=bool)
        y = column_or_1d(y, warn=True)
        if len(y) != n_samples:
            raise ValueError(f"X has {n_samples} rows but y has {len(y)}; they must match.")
        labelled = np.ones(n_samples, dtype=bool)
        if self.unlabeled_label is not None:
            labelled = ~_equals(y, self.unlabeled_label)
            if labelled.all():
                _inputs.check_marker_fits(y, self.unlabeled_label)
        if labelled.any():
            if y.dtype == object and not labelled.all():
                # e.g. integer labels beside a string marker: the labels alone have one type
                y = y.copy()
                y[labelled] = _as_label_array(y[labelled])
            check_classification_targets(_as_label_array(y[labelled]))
        elif self.alpha < 1:
            raise ValueError(
                f"every row of y is unlabeled (unlabeled_label={self.unlabeled_label!r}), so "
                f"there are no labels to mix in with alpha={self.alpha}. Set alpha=1 to learn "
                "from the teacher alone, or pass labelled rows."
            )
        return y, labelled

    def _check_regression_target(self):
        if self.student_method_ != "regression" or self.regression_target != "logits":
            return
        if self.alpha != 1:
            raise ValueError(
                "regression_target='logits' regresses the teacher's logits, which labels do not "
                f"have: it needs alpha=1, got alpha={self.alpha}."
            )

    def _check_loss(self):
        if self.loss != "kl" and self.student_method_ != "native":
            raise ValueError(
                f"loss={self.loss!r} is the loss of a neural student (a skorch net, MLPStudent, "
                f"or a student with fit_distilled); {self.student!r} learns by "
                f"student_method={self.student_method_!r}. For mimic learning with a regressor "
                "student use regression_target='logits'; otherwise keep loss='kl'."
            )

    def _check_features(self):
        """The hints and relation loss to train with (a ``FeatureTargets``), or None."""
        if not self.hints and self.relation_loss is None and self.relation_layers is None:
            return None
        owner = type(self).__name__
        if self.student_method_ != "native":
            raise TypeError(
                f"hints and relation_loss need a neural student trained natively; {owner} "
                f"trains {type(self.student).__name__} by student_method="
                f"{self.student_method_!r}. Use a skorch net or skdistill.torch.MLPStudent."
            )
        _students.check_takes_features(self.student, owner)
        from .torch._features import FeatureTargets, check_pairs

        hints = check_pairs(self.hints, self.relation_loss, self.relation_layers)
        return FeatureTargets(
            hints,
            self.hint_weight,
            self.relation_loss,
            self.relation_weight,
            self.relation_layers,
            self.angle_anchors,
        )

    def _teacher_features(self, features, named, X):
        """The single neural teacher's activations at the hinted layers for the student's rows."""
        if len(named) != 1:
            raise ValueError(
                f"hints and relation_loss match one teacher's hidden layers, but {len(named)} "
                "teachers were given. Pass a single neural teacher."
            )
        say("asking the teacher for its hidden layers' activations")
        batch_size = _teacher.batch_rows(self.teacher_batch_size, _num_samples(X))
        batch_size = batch_size or _num_samples(X)
        teacher, cached = named[0][1], None
        if self.memory is not False:  # the in-process cache of the teacher's outputs

            def cached(key, call):
                return _teacher._OUTPUT_CACHE.get_or_call(teacher, X, key, call)

        return features.take_teacher(teacher, X, batch_size, cached)

    def _encode_labels(self, y, labelled):
        """Index of each label in ``classes_``; -1 for unlabeled rows."""
        encoded = np.full(len(y), -1, dtype=np.intp)
        if not labelled.any():
            return encoded
        known = np.isin(y[labelled], self.classes_)
        if not known.all():
            unknown = np.unique(y[labelled][~known])
            markers = [v for v in unknown.tolist() if _inputs.looks_like_marker(v)]
            hint = ""
            if markers and self.unlabeled_label is None:
                hint = (
                    f" If {markers[0]!r} marks unlabeled rows, say so with "
                    f"unlabeled_label={markers[0]!r}."
                )
            raise ValueError(
                f"y contains labels the teacher does not know: {unknown.tolist()[:10]}. The "
                f"teacher's classes_ are {self.classes_.tolist()[:20]}. Encode y as the teacher "
                f"was trained, or pass an unfitted teacher to fit it on these labels.{hint}"
            )
        # a single teacher's classes_ keep its output order, which need not be sorted
        order = np.argsort(self.classes_, kind="stable")
        encoded[labelled] = order[np.searchsorted(self.classes_, y[labelled], sorter=order)]
        return encoded

    def _stream_labeller(self, named, weights):
        """``label(rows)``: the soft targets and logits of the teachers on streamed rows."""

        def label(X_rows):
            outputs = self._stream_outputs(X_rows)
            return {
                "soft_targets": _targets.mean_soft_targets(
                    named, weights, outputs, self.temperature, self.classes_
                ),
                "teacher_logits": _targets.teacher_logits_for_native(
                    named, weights, outputs, self.classes_
                ),
            }

        return label

    def _fit_student(
        self,
        X,
        named,
        weights,
        outputs,
        y_encoded,
        sample_weight,
        fit_params,
        seed,
        features=None,
        transfer_stream=None,
    ):
        student = _students.seed_neural_student(clone(self.student), seed)
        way = self.student_method_
        if way == "regression" and self.regression_target == "logits":
            logits = _targets.mean_logits(named, weights, outputs, self.classes_)
            self._say_fitting_student(student, X)
            self.student_ = _students.fit_regression(student, X, logits, sample_weight, fit_params)
            return
        soft = _targets.mean_soft_targets(named, weights, outputs, self.temperature, self.classes_)
        self._say_fitting_student(student, X)
        if way == "native":
            logits = _targets.teacher_logits_for_native(named, weights, outputs, self.classes_)
            extra = {} if features is None else {"features": features}
            self.student_ = _students.fit_native(
                student,
                X,
                y_encoded,
                soft_targets=soft,
                teacher_logits=logits,
                classes=self.classes_,
                temperature=self.temperature,
                alpha=self.alpha,
                sample_weight=sample_weight,
                loss=self.loss,
                fit_params=fit_params,
                random_state=seed,
                transfer_stream=transfer_stream,
                **extra,
            )
            return
        targets = blend_with_labels(soft, y_encoded, self.alpha)
        if way == "weights":
            self.student_ = _students.fit_weighted(
                student, X, targets, self.classes_, sample_weight, self.keep_mass, fit_params
            )
        elif way == "hard":
            self.student_ = _students.fit_hard(
                student, X, targets, self.classes_, sample_weight, fit_params
            )
        else:
            self.student_ = _students.fit_regression(student, X, targets, sample_weight, fit_params)

    def _say_fitting_student(self, student, X):
        say(
            f"fitting the student {type(student).__name__} on {_num_samples(X)} rows "
            f"(student_method={self.student_method_!r})"
        )

    # ------------------------------------------------------------------ prediction
    def _check_X(self, X):
        return self._student_input(X)

    def predict(self, X):
        """Predict class labels with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify: with ``privileged_features``, the student's columns alone, or
            every column seen in fit (the privileged ones are dropped).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        X = self._check_X(X)
        if self.student_method_ == "regression":
            return self.classes_[np.argmax(self._regression_proba(X), axis=1)]
        if _students.is_skorch_net(self.student_):
            # skorch predicts indices into classes_
            indices = _students.predict_with(self.student_, "predict", X)
            return self.classes_[np.asarray(indices, dtype=np.intp)]
        return self.student_.predict(X)

    @available_if(_student_can("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the student, columns in ``classes_`` order.

        A regressor student's outputs are clipped to [0, 1] and renormalised (softmax of the
        predicted logits with ``regression_target='logits'``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify: with ``privileged_features``, the student's columns alone, or
            every column seen in fit (the privileged ones are dropped).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class for each row.
        """
        X = self._check_X(X)
        if self.student_method_ == "regression":
            return self._regression_proba(X)
        proba = np.asarray(
            _students.predict_with(self.student_, "predict_proba", X), dtype=np.float64
        )
        return align_columns(proba, self.student_.classes_, self.classes_)

    @available_if(_student_can("decision_function"))
    def decision_function(self, X):
        """Scores from the student (predicted logits with ``regression_target='logits'``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score: with ``privileged_features``, the student's columns alone, or every
            column seen in fit (the privileged ones are dropped).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One score per row for two classes (positive for ``classes_[1]``), else one per class.
        """
        X = self._check_X(X)
        if self.student_method_ == "regression":
            return np.asarray(self.student_.predict(X), dtype=np.float64)
        scores = np.asarray(self.student_.decision_function(X), dtype=np.float64)
        if len(self.student_.classes_) != len(self.classes_):
            # the rows showed the student fewer classes than the teacher knows: one column per
            # class of classes_, -inf for the unseen ones; a binary student's one score s is
            # the pair of logits [0, s]
            scores = binary_scores_to_logits(scores)
            scores = align_columns(scores, self.student_.classes_, self.classes_, fill=-np.inf)
        return scores

    def _regression_proba(self, X):
        outputs = np.asarray(self.student_.predict(X), dtype=np.float64)
        if self.regression_target == "logits":
            logits = outputs
            if logits.ndim == 1:
                logits = np.column_stack([np.zeros_like(logits), logits])
            return softmax(logits, axis=1)
        if outputs.ndim == 1:
            positive = np.clip(outputs, 0.0, 1.0)
            return np.column_stack([1.0 - positive, positive])
        proba = np.clip(outputs, 0.0, None)
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / proba.shape[1])
        return np.where(total > 0, proba / np.where(total > 0, total, 1.0), uniform)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


def _as_label_array(labels):
    """An object array of labels as the plain array their values make (ints stay ints)."""
    if labels.dtype != object:
        return labels
    return np.asarray(labels.tolist())


def _equals(y, value):
    """Element-wise ``y == value``: vectorised for numeric labels, NaN-aware, and element by
    element for object arrays (where ``==`` against a mixed array may not broadcast)."""
    if y.dtype.kind in "fc" and isinstance(value, float) and np.isnan(value):
        return np.isnan(y)
    if y.dtype.kind in "biufc" and isinstance(value, Real):
        return y == value
    if y.dtype.kind in "US" and isinstance(value, str):
        return y == value
    return np.fromiter((item == value for item in y.tolist()), dtype=bool, count=len(y))
