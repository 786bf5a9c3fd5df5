"""Training a skorch net on a teacher's targets, through skorch's own fit loop.

The teacher's targets travel in ``y``: one float32 row per sample holding the label index (-1 when
unlabeled), the teacher's soft targets (or logits) and the sample weight. During the fit, the
net's ``get_loss`` hook unpacks them and applies the distillation loss; its train/valid split and
scoring callbacks see the plain labels. Afterwards the hooks are removed, so the fitted net is an
ordinary skorch net that pickles and predicts without skdistill.
"""

import contextlib
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from skorch.dataset import Dataset
from skorch.utils import to_tensor

from ._losses import hinton_loss, logit_matching_loss

LOSSES = ("kl", "logit_mse")


def check_numeric_X(X, owner="the neural student"):
    """X as the net takes it: numeric, float64 cast to float32 (torch layers are float32)."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        bad = [col for col, dtype in X.dtypes.items() if not _numeric_dtype(dtype)]
        if bad:
            raise TypeError(
                f"{owner} needs numeric X, but the columns {bad[:10]} are not numeric. Encode "
                "them first, e.g. with a OneHotEncoder in a ColumnTransformer before the "
                "distiller."
            )
        X = X.to_numpy()
    if sp.issparse(X):
        return X.astype(np.float32) if X.dtype == np.float64 else X
    X = np.asarray(X)
    if not _numeric_dtype(X.dtype):
        raise TypeError(
            f"{owner} needs numeric X, got an array of dtype {X.dtype}. Encode the "
            "non-numeric columns first, e.g. with a OneHotEncoder in a Pipeline."
        )
    if X.dtype.kind in "fb" and X.dtype != np.float32:
        X = X.astype(np.float32)
    return X


def _numeric_dtype(dtype):
    return getattr(dtype, "kind", "O") in "biuf"


def criterion_kind(net):
    """'logits' (CrossEntropyLoss), 'proba' (NLLLoss, module ends in softmax) or 'binary'."""
    criterion = net.criterion_ if hasattr(net, "criterion_") else net.criterion
    criterion_type = criterion if isinstance(criterion, type) else type(criterion)
    if issubclass(criterion_type, torch.nn.CrossEntropyLoss):
        return "logits"
    if issubclass(criterion_type, torch.nn.NLLLoss):
        return "proba"
    if issubclass(criterion_type, torch.nn.BCEWithLogitsLoss):
        return "binary"
    raise ValueError(
        f"cannot distil into a skorch net with criterion {criterion_type.__name__}: skdistill "
        "understands torch.nn.CrossEntropyLoss (the module returns logits; best for "
        "distillation) and torch.nn.NLLLoss (skorch's default: the module ends in softmax). "
        "Set criterion=torch.nn.CrossEntropyLoss and return logits from the module."
    )


def student_logits(y_pred, kind, n_classes, training):
    """The student's logits from its module's output, checked against its criterion."""
    if isinstance(y_pred, (tuple, list)):
        y_pred = y_pred[0]
    if kind == "binary":
        if y_pred.ndim == 2 and y_pred.shape[1] == 1:
            y_pred = y_pred[:, 0]
        if y_pred.ndim != 1 or n_classes != 2:
            raise ValueError(
                f"a NeuralNetBinaryClassifier student needs two classes and one output per "
                f"row; got {n_classes} classes and outputs of shape {tuple(y_pred.shape)}."
            )
        return torch.stack([torch.zeros_like(y_pred), y_pred], dim=1)
    if y_pred.ndim != 2 or y_pred.shape[1] != n_classes:
        raise ValueError(
            f"the student's module returns outputs of shape {tuple(y_pred.shape)}, but there "
            f"are {n_classes} classes: its last layer must have {n_classes} outputs, one per "
            "class (set its output size, e.g. module__n_classes, to the number of classes)."
        )
    if training:
        _check_output_kind(y_pred.detach(), kind)
    if kind == "proba":
        eps = torch.finfo(y_pred.dtype).eps
        return torch.log(y_pred + eps)  # as skorch's NLLLoss path; log-probabilities are logits
    return y_pred


def _check_output_kind(y_pred, kind):
    sums = y_pred.sum(dim=1)
    is_proba = bool(
        (y_pred >= 0).all() and (y_pred <= 1).all() and torch.allclose(sums, torch.ones_like(sums))
    )
    if kind == "proba" and not is_proba:
        raise ValueError(
            "the student's criterion is NLLLoss (skorch's default), which expects a module that "
            "ends in softmax, but its outputs are not probabilities (row sums from "
            f"{float(sums.min()):.3g} to {float(sums.max()):.3g}). Either end the module in "
            "softmax, or better, keep it returning logits and set "
            "criterion=torch.nn.CrossEntropyLoss."
        )
    if kind == "logits" and is_proba and y_pred.shape[1] > 1:
        raise ValueError(
            "the student's criterion is CrossEntropyLoss, which expects logits, but its module's "
            "outputs are probabilities (every row sums to 1): softmax would be applied twice. "
            "Remove the final softmax from the module, or set criterion=torch.nn.NLLLoss."
        )


class SliceLoader:
    """A skorch iterator that slices each batch out of the whole arrays at once.

    torch's ``DataLoader`` takes a batch from skorch's ``Dataset`` one row at a time and collates
    the rows; for the small dense arrays of a tabular student that costs as much as the training
    step (``docs/benchmarks.md``). This loader indexes the arrays with the batch's row numbers
    instead. Shuffling draws a permutation from torch's global generator, as ``DataLoader`` does,
    so seeded fits stay reproducible. Any other dataset (a user's own, or arrays skorch cannot
    slice) goes through ``DataLoader`` unchanged.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.kwargs = kwargs
        self._arrays = _sliceable(dataset)

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        if self._arrays is None:
            loader = torch.utils.data.DataLoader(
                self.dataset, batch_size=self.batch_size, shuffle=self.shuffle, **self.kwargs
            )
            yield from loader
            return
        X, y, rows = self._arrays
        n = len(rows)
        order = rows[torch.randperm(n)] if self.shuffle else rows
        for start in range(0, n, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield X[batch], y[batch]


class StreamLoader:
    """The training batches of one epoch: the real rows, shuffled, mixed with fresh transfer rows
    that a :class:`skdistill._stream.TransferStream` draws and the teacher labels chunk by chunk.

    Each chunk is pooled with the share of the real rows that keeps their proportion even over
    the epoch, shuffled, and cut into batches; rows left over are carried into the next pool.
    A chunk is dropped once its batches are handed out, so memory follows the chunk, never the
    epoch. The real rows are shuffled with torch's generator, as :class:`SliceLoader` does;
    the stream's rows come from the transfer generator's own seeded stream.
    """

    def __init__(self, dataset, batch_size, stream, pack):
        arrays = _sliceable(dataset)
        if arrays is None:
            raise TypeError(
                "stream_transfer=True needs the net's training rows as plain arrays in skorch's "
                f"own Dataset, got {type(dataset).__name__}. Leave the net's dataset parameter "
                "at its default, or use stream_transfer=False."
            )
        self.X, self.y, self.rows = arrays
        self.batch_size = batch_size
        self.stream = stream
        self.pack = pack

    def __len__(self):
        return -(-(len(self.rows) + self.stream.n_rows) // self.batch_size)

    def _chunks(self):
        for X_rows, targets in self.stream.chunks():
            X_rows = check_numeric_X(X_rows, "the neural student (a streamed transfer row)")
            if sp.issparse(X_rows):
                X_rows = X_rows.toarray()
            X_rows = np.ascontiguousarray(X_rows, dtype=self.X.numpy().dtype)
            packed = np.ascontiguousarray(self.pack(targets, len(X_rows)), dtype=np.float32)
            yield torch.from_numpy(X_rows), torch.from_numpy(packed).to(self.y.dtype)

    def __iter__(self):
        n_real, n_new, size = len(self.rows), self.stream.n_rows, self.batch_size
        order = self.rows[torch.randperm(n_real)]
        taken = drawn = 0
        rest_X, rest_y = self.X[:0], self.y[:0]
        for X_new, y_new in self._chunks():
            drawn += len(X_new)
            upto = n_real if drawn >= n_new else n_real * drawn // n_new
            real, taken = order[taken:upto], upto
            X_pool = torch.cat([rest_X, self.X[real], X_new])
            y_pool = torch.cat([rest_y, self.y[real], y_new])
            mix = torch.randperm(len(X_pool))
            X_pool, y_pool = X_pool[mix], y_pool[mix]
            n_full = len(X_pool) // size * size
            for start in range(0, n_full, size):
                yield X_pool[start : start + size], y_pool[start : start + size]
            rest_X, rest_y = X_pool[n_full:], y_pool[n_full:]
        if len(rest_X):
            yield rest_X, rest_y


@contextlib.contextmanager
def _streaming(net, stream, pack):
    """Train ``net`` on the batches of a :class:`StreamLoader` for the fit; validation batches
    (skorch's train/valid split) come from the real rows as before."""
    if stream is None:
        yield
        return

    def get_iterator(dataset, training=False):
        if not training:
            return type(net).get_iterator(net, dataset, training=False)
        batch_size = net.get_params_for("iterator_train").get("batch_size", net.batch_size)
        if batch_size == -1:
            batch_size = len(dataset) + stream.n_rows
        return StreamLoader(dataset, batch_size, stream, pack)

    net.get_iterator = get_iterator
    try:
        yield
    finally:
        del net.get_iterator


def _sliceable(dataset):
    """``(X, y, rows)`` as tensors when ``dataset`` is skorch's Dataset (or a Subset of one)
    holding plain arrays; None otherwise."""
    rows = None
    if isinstance(dataset, torch.utils.data.Subset):
        rows = np.asarray(dataset.indices)
        dataset = dataset.dataset
    if type(dataset) is not Dataset or not isinstance(dataset.X, np.ndarray):
        return None
    if not isinstance(dataset.y, np.ndarray) or len(dataset.y) != len(dataset.X):
        return None
    if rows is None:
        rows = np.arange(len(dataset.X))
    # torch wants writable memory; a read-only X (a memmap from joblib's workers) is copied
    return (
        torch.from_numpy(np.require(dataset.X, requirements=["C", "W"])),
        torch.from_numpy(np.require(dataset.y, requirements=["C", "W"])),
        torch.from_numpy(rows.astype(np.int64)),
    )


def pack_targets(y, soft_targets, teacher_logits, sample_weight, loss, alpha, features=None):
    """One float32 row per sample: label index, teacher columns, the teacher's hidden-layer
    activations (hints, relations), weight."""
    n = len(y)
    columns = [np.asarray(y, dtype=np.float32)[:, None]]
    if alpha > 0:
        teacher = teacher_logits if loss == "logit_mse" else soft_targets
        if loss == "logit_mse" and not np.all(np.isfinite(teacher)):
            raise ValueError(
                "loss='logit_mse' regresses the teacher's logits, but they hold -inf: a "
                "probability-only teacher's exact zeros have no logits. Use loss='kl', or a "
                "teacher with decision_function (or a neural teacher)."
            )
        columns.append(np.asarray(teacher, dtype=np.float32))
    if features is not None:
        columns.append(features.columns)
    weight = np.ones(n, np.float32) if sample_weight is None else sample_weight
    columns.append(np.asarray(weight, dtype=np.float32)[:, None])
    return np.hstack(columns)


def _split_labels(y, soft_targets):
    """Labels for a stratified train/valid split: unlabeled rows take the teacher's class."""
    labels = np.asarray(y).copy()
    unlabeled = labels < 0
    if unlabeled.any() and soft_targets is not None:
        labels[unlabeled] = np.argmax(soft_targets[unlabeled], axis=1)
    return labels


def int_seed(random_state):
    """An int seed for ``train_net`` from a ``random_state`` parameter, or None (torch's global
    state)."""
    if random_state is None:
        return None
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def predict_quietly(net, method, X):
    """``net.<method>(X)`` without drawing from torch's global generator (skorch's data loader
    takes a seed from it on every pass), so predicting leaves a user's random stream alone."""
    with _seeded(0):
        return getattr(net, method)(X)


@contextlib.contextmanager
def _seeded(random_state):
    if random_state is None:
        yield
        return
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(random_state))
        yield


def train_net(
    net,
    X,
    y,
    *,
    classes,
    soft_targets=None,
    teacher_logits=None,
    temperature=1.0,
    alpha=0.0,
    sample_weight=None,
    loss="kl",
    random_state=None,
    output_loss=None,
    features=None,
    transfer_stream=None,
):
    """Train the skorch classifier ``net`` (a fresh clone) on the teacher's targets and labels.

    The loss is :func:`hinton_loss` (``loss='kl'``) or :func:`logit_matching_loss`
    (``'logit_mse'``) on the student's logits: the module's outputs with CrossEntropyLoss, their
    log with NLLLoss. ``net`` is trained in place and returned; afterwards ``net.classes_`` is
    ``classes`` and nothing of skdistill is left on it.

    ``output_loss(y_pred, batch_loss, training)``, when given, turns the module's raw output into
    the loss, for modules whose output is more than one set of logits (a soft decision tree's
    leaves). ``batch_loss(logits, weight=None)`` is the distillation loss of ``logits`` against
    the batch's targets: ``logits`` has ``repeat`` rows per row of the batch, consecutive, and
    ``weight`` (one per logits row) multiplies the rows' sample weights in the mean.

    ``features`` (a ``_features.FeatureTargets`` holding the teacher's activations for every row
    of X) adds FitNets hints and relational losses on the student's hidden layers while
    training; the hooks and regressors they need are gone when this returns, also on error.

    ``transfer_stream``, a :class:`skdistill._stream.TransferStream`, adds fresh transfer rows
    to every epoch, drawn and labelled chunk by chunk as the net trains (``stream_transfer=True``
    on the distillers).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")
    X = check_numeric_X(X)
    y = np.asarray(y, dtype=np.int64)
    n_classes = len(classes)
    if alpha > 0 and soft_targets is None:
        raise ValueError("alpha > 0 needs the teacher's soft_targets.")
    if features is not None and sp.issparse(X):
        raise TypeError(
            "hints and relation losses need dense X for the neural student; call X.toarray()."
        )
    packed = pack_targets(y, soft_targets, teacher_logits, sample_weight, loss, alpha, features)
    labels = _split_labels(y, soft_targets)
    n_teacher = n_classes if alpha > 0 else 0

    def pack_stream(targets, n_rows):
        weight = None
        if sample_weight is not None:
            weight = np.full(n_rows, transfer_stream.weight or 1.0)
        return pack_targets(
            np.full(n_rows, -1),
            targets["soft_targets"],
            targets["teacher_logits"],
            weight,
            loss,
            alpha,
        )

    with _seeded(random_state):
        net.initialize()
        kind = criterion_kind(net)
        unchecked = [True]  # the module's outputs are checked against its criterion once

        def get_loss(y_pred, y_true, X=None, training=False):
            if output_loss is None:
                logits = student_logits(y_pred, kind, n_classes, training and unchecked[0])
                unchecked[0] = unchecked[0] and not training
                value = batch_loss(logits, y_true)
            else:
                value = output_loss(
                    y_pred, lambda logits, weight=None: batch_loss(logits, y_true, weight), training
                )
            if student_features is not None and training:
                # the validation loss (early stopping) stays the output loss alone
                y_true = to_tensor(y_true, device=value.device)
                weight = y_true[:, -1] if sample_weight is not None else None
                value = value + student_features.loss(y_true[:, 1 + n_teacher : -1], weight)
            return value

        def batch_loss(logits, y_true, extra_weight=None):
            y_true = to_tensor(y_true, device=logits.device)
            repeat = len(logits) // len(y_true)
            if repeat > 1:
                y_true = y_true.repeat_interleave(repeat, dim=0)
            y_batch = y_true[:, 0].long()
            weight = y_true[:, -1] if sample_weight is not None else None
            if extra_weight is not None:
                weight = extra_weight if weight is None else weight * extra_weight
            teacher = y_true[:, 1 : 1 + n_teacher] if alpha > 0 else None
            if loss == "logit_mse":
                return logit_matching_loss(
                    logits, teacher, y_batch, alpha=alpha, sample_weight=weight
                )
            return hinton_loss(
                logits,
                teacher,
                y_batch,
                temperature=temperature,
                alpha=alpha,
                sample_weight=weight,
            )

        student_features = None
        with (
            _hooks(net, get_loss, labels, n_teacher),
            _streaming(net, transfer_stream, pack_stream),
        ):
            if features is not None:
                from ._features import StudentFeatures

                student_features = StudentFeatures(net, features, X, random_state)
            try:
                net.partial_fit(X, packed)
            finally:
                if student_features is not None:
                    student_features.remove()
    if kind != "binary":
        net.classes_inferred_ = np.asarray(classes)
    return net


@contextlib.contextmanager
def _hooks(net, get_loss, labels, n_teacher):
    """Install the loss and the label views for the fit; leave an ordinary net afterwards."""
    original_split = net.train_split
    extractors = [
        (callback, callback.target_extractor)
        for _, callback in getattr(net, "callbacks_", [])
        if hasattr(callback, "target_extractor")
    ]

    def label_of(y_packed):
        y_packed = y_packed.detach().cpu().numpy() if torch.is_tensor(y_packed) else y_packed
        y_packed = np.asarray(y_packed)
        if y_packed.ndim != 2:
            return y_packed
        label = y_packed[:, 0].astype(np.int64)
        if n_teacher:  # unlabeled rows are scored against the teacher's class
            teacher = y_packed[:, 1 : 1 + n_teacher]
            label = np.where(label < 0, np.argmax(teacher, axis=1), label)
        return label

    def split(dataset, y=None, groups=None, **kwargs):
        return original_split(dataset, labels, groups, **kwargs)

    net.get_loss = get_loss
    if original_split is not None:
        net.train_split = split
    for callback, _ in extractors:
        callback.target_extractor = label_of
    try:
        yield
    finally:
        del net.get_loss
        net.train_split = original_split
        for callback, extractor in extractors:
            callback.target_extractor = extractor


def train_regressor_net(net, X, target, *, random_state=None, transfer_stream=None, **fit_params):
    """Train the skorch regressor ``net`` on the blended targets with its own criterion (MSE).

    X and the targets are cast to float32, and a vector target becomes one column, as torch's
    layers and losses expect. ``transfer_stream`` adds fresh transfer rows, labelled with the
    teacher's predictions, to every epoch.
    """
    X = check_numeric_X(X)
    target = _target_columns(target)

    def pack_stream(targets, n_rows):
        return _target_columns(targets["target"])

    with _seeded(random_state), _streaming(net, transfer_stream, pack_stream):
        return net.fit(X, target, **fit_params)


def _target_columns(target):
    target = np.asarray(target, dtype=np.float32)
    return target[:, None] if target.ndim == 1 else target
