"""Deep mutual learning: neural students that teach each other while they train."""

import contextlib
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from skorch.dataset import Dataset
from skorch.utils import to_tensor

from .._sklearn_compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from .._students import is_skorch_net, predict_with
from ._losses import hinton_loss
from ._mlp import MLPStudent, _can_stratify
from ._skorch import (
    SliceLoader,
    _hooks,
    _seeded,
    criterion_kind,
    int_seed,
    pack_targets,
    student_logits,
)

__all__ = ["MutualLearningClassifier"]


class MutualLearningClassifier(ClassifierMixin, BaseEstimator):
    """Two or more neural students that learn from the labels and from each other at once.

    Deep mutual learning trains a cohort of networks side by side, with no pretrained teacher.
    On every mini-batch each student in turn takes one optimizer step on
    ``(1 - alpha) * CE(z, y) + alpha * T**2 * mean_j KL(p_j,T || q_T)``: the cross-entropy with
    the labels plus the KL divergence to each other student's current, detached distribution on
    the same batch (at temperature T), averaged over the others. A student that has stepped is
    asked again by the next, as in the paper's algorithm. Each student is its own skorch net,
    trained by its own ``train_step``, optimizer and callbacks.

    Parameters
    ----------
    students : list of estimators
        At least two unfitted neural students: :class:`MLPStudent` instances or skorch
        ``NeuralNetClassifier`` nets (of any module and architecture). They are cloned, never
        changed.
    temperature : float, default=1.0
        Temperature T of the distributions compared by the KL term (the paper uses 1).
    alpha : float, default=0.5
        Weight of the peers' term against the labels' cross-entropy, in [0, 1). The default
        weighs them equally, the paper's loss ``CE + KL`` halved; 0 trains each student alone
        (on the same batches, a fair baseline).
    max_epochs : int, default=20
        Passes over the training rows; replaces the students' own ``max_epochs``.
    batch_size : int, default=128
        Rows per mini-batch, the same batches for every student; replaces their own.
    predict_with : {'mean', 'best'}, default='mean'
        ``'mean'`` averages the students' probabilities; ``'best'`` predicts with the student of
        the highest accuracy on the held-out rows (needs ``validation_fraction``).
    peer_outputs : {'eval', 'train', 'simultaneous'}, default='eval'
        Where a peer's distribution comes from. ``'eval'``: a forward pass of its own, in eval
        mode and without gradient, for every peer and step. ``'train'``: a peer that has not
        stepped on the batch yet gives the output of its own training forward pass (train
        mode: dropout active, batch norm on the batch's statistics), which it then reuses for
        its step, so a cohort of two runs three forward passes per batch instead of four. For
        nets whose output does not depend on the mode (no dropout, no batch norm) the two give
        the same training; a peer that has stepped on the batch is asked again either way
        (the paper's Algorithm 1), once for all the peers after it. ``'simultaneous'``: every
        peer learns from the others' training forward passes on the batch *before* any of them
        steps, so each net runs one forward pass per batch, as when trained alone; this is not
        the paper's Algorithm 1 (a peer no longer sees the steps taken before its own on the
        batch) but the variant that updates the cohort at once.
    validation_fraction : float or None, default=None
        Share of the rows held out (stratified when the classes allow it) on which every
        student is scored after each epoch (``valid_loss`` on the labels and, for skorch's
        default callbacks, ``valid_acc`` in its history) and at the end. None trains on every
        row. A student's own ``train_split`` and ``validation_fraction`` are not used: all
        students see the same held-out rows; an ``MLPStudent`` with ``early_stopping=True``
        stops on them.
    random_state : int, RandomState instance or None, default=None
        Seeds the students' weights, the batch order, dropout and the held-out split, without
        touching torch's global random state. An int ``random_state`` set on an
        ``MLPStudent`` seeds that student's weights instead.

    Attributes
    ----------
    students_ : list of estimators
        The fitted students, in the order given: fitted ``MLPStudent`` instances and ordinary
        skorch nets (``net.classes_`` holds the labels; skorch's ``predict`` returns their
        indices). Each predicts, pickles and is cloned on its own.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    validation_scores_ : ndarray of shape (n_students,)
        Each student's accuracy on the held-out rows; only with ``validation_fraction``.
    best_index_ : int
        Index of the student with the highest ``validation_scores_`` (the first of ties); only
        with ``validation_fraction``.
    n_iter_ : int
        Epochs run (fewer than ``max_epochs`` when every student stopped early).

    See Also
    --------
    skdistill.DistilledClassifier : Distils a trained teacher into a student.
    MLPStudent : A ready neural student.

    Notes
    -----
    The peers' distributions are computed in eval mode (no dropout, batch norm on its running
    statistics) under ``torch.no_grad()``, which also keeps the extra forward passes from
    changing batch norm statistics (with ``peer_outputs='train'`` a peer's distribution is its
    own training forward pass instead). The validation loss is the labels' cross-entropy alone:
    the peers move, so their term would not compare across epochs. A student stopped by its
    early stopping keeps teaching the others with its kept weights. Each batch costs one
    forward and backward pass per student plus, for K students, up to K - 1 forward passes of
    the peers that have stepped (each asked once for all the peers after it) and, with
    ``peer_outputs='eval'``, up to K - 1 of the peers that have not; with
    ``peer_outputs='simultaneous'``, none.
    ``sample_weight`` weighs each row in both terms. X is cast to float32; NaN, infinite and
    sparse X are refused.

    References
    ----------
    .. [1] Y. Zhang, T. Xiang, T. M. Hospedales and H. Lu, "Deep Mutual Learning", CVPR 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdistill.torch import MLPStudent, MutualLearningClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> cohort = MutualLearningClassifier(
    ...     [MLPStudent((16,), lr=0.01), MLPStudent((8, 8), lr=0.01)],
    ...     max_epochs=20, batch_size=32, random_state=0,
    ... ).fit(X, y)
    >>> [type(s).__name__ for s in cohort.students_]
    ['MLPStudent', 'MLPStudent']
    >>> bool(cohort.score(X, y) > 0.9), bool(cohort.students_[1].score(X, y) > 0.9)
    (True, True)
    """

    _parameter_constraints: dict = {
        "students": [list, tuple],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "predict_with": [StrOptions({"mean", "best"})],
        "peer_outputs": [StrOptions({"eval", "train", "simultaneous"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        students,
        *,
        temperature=1.0,
        alpha=0.5,
        max_epochs=20,
        batch_size=128,
        predict_with="mean",
        peer_outputs="eval",
        validation_fraction=None,
        random_state=None,
    ):
        self.students = students
        self.temperature = temperature
        self.alpha = alpha
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.predict_with = predict_with
        self.peer_outputs = peer_outputs
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train the students together on the labels and on each other's outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows, cast to float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of every student's loss.

        Returns
        -------
        self : MutualLearningClassifier
            The fitted cohort.
        """
        self._check_students()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        packed = pack_targets(y_encoded, None, None, sample_weight, "kl", alpha=0.0)
        seed = int_seed(self.random_state)
        train, valid = self._split(y_encoded, seed)
        students = [clone(student) for student in self.students]
        with _seeded(seed):
            nets = [_net_of(s, X.shape[1], classes, y_encoded, seed) for s in students]
            for net, student in zip(nets, students):
                with _seeded(_own_seed(student)):
                    net.initialize()
            self.n_iter_ = _train_together(
                nets,
                (X[train], packed[train]),
                None if valid is None else (X[valid], packed[valid]),
                n_classes=len(classes),
                temperature=self.temperature,
                alpha=self.alpha,
                weighted=sample_weight is not None,
                reuse=self.peer_outputs in ("train", "simultaneous"),
                after_step=self.peer_outputs != "simultaneous",
                max_epochs=self.max_epochs,
                batch_size=min(self.batch_size, len(train)),
            )
        self.classes_ = classes
        self.students_ = [_finish(s, net, classes, self) for s, net in zip(students, nets)]
        if valid is not None:
            self.validation_scores_ = np.array(
                [np.mean(self._predict_of(s, X[valid]) == y[valid]) for s in self.students_]
            )
            self.best_index_ = int(np.argmax(self.validation_scores_))
        return self

    def _check_students(self):
        students = list(self.students)
        if len(students) < 2:
            raise ValueError(
                f"students must hold at least 2 neural students that learn from each other, "
                f"got {len(students)}. Pass e.g. [MLPStudent(), MLPStudent((50, 50))]; to "
                "train one student from a trained teacher use DistilledClassifier."
            )
        for i, student in enumerate(students):
            if not (
                isinstance(student, MLPStudent)
                or (is_skorch_net(student) and is_classifier(student))
            ):
                raise TypeError(
                    f"students[{i}] is {student!r}, which mutual learning cannot train: every "
                    "student must be a neural classifier trained by mini-batches, an "
                    "MLPStudent or a skorch NeuralNetClassifier. Put preprocessing (e.g. a "
                    "StandardScaler) before the cohort in a Pipeline; to distil into another "
                    "kind of model, fit the cohort and pass it as the teacher of "
                    "DistilledClassifier."
                )
        if self.predict_with == "best" and self.validation_fraction is None:
            raise ValueError(
                "predict_with='best' picks the student with the best score on held-out rows, "
                "but validation_fraction is None. Set validation_fraction (e.g. 0.1), or use "
                "predict_with='mean'."
            )
        if self.validation_fraction is None:
            for i, student in enumerate(students):
                if getattr(student, "early_stopping", False):
                    raise ValueError(
                        f"students[{i}] has early_stopping=True, which stops on held-out rows, "
                        "but validation_fraction is None. Set validation_fraction (e.g. 0.1), "
                        "or early_stopping=False."
                    )

    def _split(self, y_encoded, seed):
        """Row indices of the training rows and of the held-out rows (None without them)."""
        rows = np.arange(len(y_encoded))
        if self.validation_fraction is None:
            return rows, None
        if len(rows) < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} holds out rows, but X has "
                f"{len(rows)} sample; at least 2 are needed. Set validation_fraction=None."
            )
        stratify = y_encoded if _can_stratify(y_encoded, self.validation_fraction) else None
        return train_test_split(
            rows, test_size=self.validation_fraction, stratify=stratify, random_state=seed
        )

    # ------------------------------------------------------------------ prediction
    def _predict_of(self, student, X):
        if isinstance(student, MLPStudent):
            return student.predict(X)
        return self.classes_[predict_with(student, "predict", X)]

    def predict_proba(self, X):
        """Class probabilities: the students' mean, or the best student's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns in ``classes_`` order.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        students = self.students_
        if self.predict_with == "best":
            students = [students[self.best_index_]]
        probas = [predict_with(student, "predict_proba", X) for student in students]
        return np.mean(probas, axis=0)

    def predict(self, X):
        """The class of the highest probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _own_seed(student):
    """A student's own int seed (an MLPStudent's random_state), or None: the cohort's stream."""
    return int_seed(student.random_state) if isinstance(student, MLPStudent) else None


def _net_of(student, n_features, classes, y_encoded, seed):
    """The skorch net that ``student`` trains: an MLPStudent's net, or the skorch net itself."""
    if isinstance(student, MLPStudent):
        student._validate_params()
        if student.device == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                "an MLPStudent has device='cuda', but torch sees no CUDA device. Use "
                "device='cpu', or install a CUDA build of torch on a machine with a GPU."
            )
        return student._make_net(n_features, len(classes), y_encoded, {}, seed)
    return student


def _finish(student, net, classes, cohort):
    """A fitted student as the user would have it after its own fit."""
    net.classes_inferred_ = np.asarray(classes)
    if not isinstance(student, MLPStudent):
        return net
    student.classes_ = classes
    student.n_features_in_ = cohort.n_features_in_
    if hasattr(cohort, "feature_names_in_"):
        student.feature_names_in_ = cohort.feature_names_in_
    student.net_ = net
    student.n_iter_ = len(net.history)
    student.loss_curve_ = [float(v) for v in net.history[:, "train_loss"]]
    return student


def _peer_distribution(net, kind, X, n_classes, temperature, device):
    """A peer's current tempered distribution on the batch X: eval mode, no gradient."""
    module = net.module_
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            out = net.infer(X)
    finally:
        module.train(was_training)
    logits = student_logits(out, kind, n_classes, training=False).to(device)
    return torch.softmax(logits / temperature, dim=1)


class _Peers:
    """The peers' distributions on the current batch, each asked once: before a peer's step
    (shared by the peers before it) and after (shared by the peers after it)."""

    def __init__(self, nets, kinds, *, n_classes, temperature, reuse, after_step=True):
        self.nets, self.kinds = nets, kinds
        self.n_classes, self.temperature, self.reuse = n_classes, temperature, reuse
        # False: a peer that has stepped still gives its distribution from before its step
        self.after_step = after_step
        self.new_batch([])

    def new_batch(self, active):
        self.active = {id(net) for net in active}
        self.stepped = set()
        self.before, self.after, self.kept = {}, {}, {}

    def distribution(self, j, X, device):
        net = self.nets[j]
        if j in self.stepped and (self.after_step or j not in self.before):
            if j not in self.after:
                self.after[j] = self._asked(j, X, device)
            return self.after[j]
        if j not in self.before:
            if self.reuse and id(net) in self.active:
                # the peer's own training forward pass, kept (graph and all) for its step
                net.module_.train()
                y_pred = net.infer(X)
                self.kept[j] = y_pred
                logits = student_logits(y_pred, self.kinds[j], self.n_classes, training=False)
                probs = torch.softmax(logits.detach().to(device) / self.temperature, dim=1)
                self.before[j] = probs
            else:
                self.before[j] = self._asked(j, X, device)
        return self.before[j]

    def own(self, k, logits):
        """Net ``k``'s training outputs on the batch, as the others see them before it steps
        (kept only when the peers learn from each other's outputs before any step)."""
        if not self.after_step and k not in self.before:
            self.before[k] = torch.softmax(logits.detach() / self.temperature, dim=1)

    def _asked(self, j, X, device):
        kind = self.kinds[j]
        return _peer_distribution(self.nets[j], kind, X, self.n_classes, self.temperature, device)

    def infer_of(self, j):
        """Net ``j``'s ``infer``: the kept training forward pass of this batch, if any."""
        net = self.nets[j]

        def infer(x, **fit_params):
            kept = self.kept.pop(j, None)
            if kept is not None:
                return kept
            return type(net).infer(net, x, **fit_params)

        return infer


def _mutual_loss(peers, k, *, n_classes, temperature, alpha, weighted):
    """Net ``k``'s ``get_loss``: labels plus the mean KL to the other nets' current outputs."""
    unchecked = [True]  # the module's outputs are checked against its criterion once
    kinds = peers.kinds

    def get_loss(y_pred, y_true, X=None, training=False):
        logits = student_logits(y_pred, kinds[k], n_classes, training and unchecked[0])
        unchecked[0] = unchecked[0] and not training
        y_true = to_tensor(y_true, device=logits.device)
        labels, weight = y_true[:, 0].long(), (y_true[:, -1] if weighted else None)
        if not training or alpha == 0:  # held-out loss: the labels' alone, comparable by epoch
            return hinton_loss(
                logits, None, labels, temperature=temperature, alpha=0.0, sample_weight=weight
            )
        peers.own(k, logits)
        losses = [
            hinton_loss(
                logits,
                peers.distribution(j, X, logits.device),
                labels,
                temperature=temperature,
                alpha=alpha,
                sample_weight=weight,
            )
            for j in range(len(peers.nets))
            if j != k
        ]
        # the label term is the same in each, so the mean is CE plus the mean of the KL terms
        return torch.stack(losses).mean()

    return get_loss


def _train_together(
    nets, train, valid, *, max_epochs, batch_size, reuse=False, after_step=True, **loss_settings
):
    """skorch's fit loop (``NeuralNet.fit_loop``) for several nets in lockstep.

    Each epoch, every batch goes to each active net's own ``train_step`` in turn, with the
    notifications and history records ``run_single_epoch`` makes; the held-out rows go through
    each net's ``run_single_epoch`` with its ``validation_step``. A net whose callback stops the
    training (``EarlyStopping`` raises ``KeyboardInterrupt``, as skorch's ``partial_fit``
    expects) leaves the loop and stays a peer. Returns the number of epochs run.
    """
    kinds = [criterion_kind(net) for net in nets]
    dataset_train = Dataset(*train)
    dataset_valid = None if valid is None else Dataset(*valid)
    epoch_kwargs = {"dataset_train": dataset_train, "dataset_valid": dataset_valid}
    labels = train[1][:, 0].astype(np.int64)
    for net in nets:
        # skorch's own fit infers this from y; its scoring callbacks ask for it while training
        net.classes_inferred_ = np.arange(loss_settings["n_classes"])
    peers = _Peers(
        nets,
        kinds,
        n_classes=loss_settings["n_classes"],
        temperature=loss_settings["temperature"],
        reuse=reuse,
        after_step=after_step,
    )
    with contextlib.ExitStack() as hooks:
        for k, net in enumerate(nets):
            # the packed targets carry labels and weights only: no teacher columns (n_teacher=0)
            loss = _mutual_loss(peers, k, **loss_settings)
            hooks.enter_context(_hooks(net, loss, labels, 0))
            if reuse:
                hooks.enter_context(_infer_hook(net, peers.infer_of(k)))
        for net in nets:
            net.check_training_readiness()
            net.notify("on_train_begin", X=train[0], y=train[1])
        active, epochs = list(nets), 0
        while active and epochs < max_epochs:
            epochs += 1
            for net in active:
                net.notify("on_epoch_begin", **epoch_kwargs)
            n_batches = 0
            for batch in SliceLoader(dataset_train, batch_size=batch_size, shuffle=True):
                n_batches += 1
                peers.new_batch(active)
                for net in active:
                    net.notify("on_batch_begin", batch=batch, training=True)
                    step = net.train_step(batch)
                    peers.stepped.add(nets.index(net))
                    net.history.record_batch("train_loss", step["loss"].item())
                    net.history.record_batch("train_batch_size", len(batch[0]))
                    net.notify("on_batch_end", batch=batch, training=True, **step)
            for net in list(active):
                net.history.record("train_batch_count", n_batches)
                if dataset_valid is not None:
                    loader = SliceLoader(dataset_valid, batch_size=batch_size)
                    net.run_single_epoch(loader, False, "valid", net.validation_step)
                try:
                    net.notify("on_epoch_end", **epoch_kwargs)
                except KeyboardInterrupt:  # skorch's way to stop: EarlyStopping raises it
                    active.remove(net)
        for net in nets:
            net.notify("on_train_end", X=train[0], y=train[1])
    return epochs


@contextlib.contextmanager
def _infer_hook(net, infer):
    """``net.infer`` replaced by ``infer`` for the fit; the class's own afterwards."""
    net.infer = infer
    try:
        yield
    finally:
        del net.infer
