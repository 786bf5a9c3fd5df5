"""Trained torch models as teachers: a plain ``torch.nn.Module`` or a fitted skorch net."""

from numbers import Integral

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_array

from .._sklearn_compat import Interval

__all__ = ["TorchTeacher", "skorch_teacher_outputs"]


class TorchTeacher(ClassifierMixin, BaseEstimator):
    """A trained ``torch.nn.Module`` that outputs logits, as a fitted scikit-learn classifier.

    The adapter lets a network trained elsewhere (a plain PyTorch training loop, a checkpoint)
    be the teacher of a :class:`~skdistill.DistilledClassifier`. It is fitted by construction:
    it only asks the module, never trains it, and leaves it as it found it (same parameters,
    same device, same train/eval mode).

    Parameters
    ----------
    module : torch.nn.Module
        The trained network. It takes a float32 tensor of shape ``(n_samples, n_features)`` and
        returns logits of shape ``(n_samples, n_classes)``; for two classes it may return one
        logit per row (shape ``(n_samples,)`` or ``(n_samples, 1)``), the log-odds of
        ``classes[1]``.
    classes : array-like of shape (n_classes,)
        The label of each output column, in order: ``classes[j]`` is the class of logit ``j``.
    batch_size : int, default=1024
        Rows per forward pass; lower it when a large X does not fit in the device's memory.
    device : str or torch.device, default=None
        Where the inputs are sent. None: the device of the module's first parameter (the CPU
        when it has none). Set it when the module's inputs belong elsewhere than its first
        parameter (a module split over several devices). The module itself is never moved.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, ``np.asarray(classes)``.
    n_features_in_ : int
        The number of input features, when the module is an ``nn.Linear`` or an
        ``nn.Sequential`` whose first layer with weights is an ``nn.Linear``; absent otherwise.

    See Also
    --------
    skdistill.DistilledClassifier : Distils this teacher into a student.
    skorch_teacher_outputs : The same for a fitted skorch net, which is a teacher as it is.

    Notes
    -----
    The module is called in eval mode (dropout off, batch norm on its running statistics) under
    ``torch.no_grad()``; its previous mode is restored afterwards. X is converted to a float32
    tensor. The logits are returned as they are, so ``decision_function`` is exactly
    ``module(X)`` in float64, and ``predict_proba`` is their softmax.

    The distillers cache the teacher's outputs per X. A module trained further in place keeps
    its parameter objects, so the cache also compares their version counters and sums, and
    asks the module again once they change.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> from skdistill.torch import TorchTeacher
    >>> X, y = load_iris(return_X_y=True)
    >>> _ = torch.manual_seed(0)
    >>> from torch import nn
    >>> module = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    >>> teacher = TorchTeacher(module, classes=["setosa", "versicolor", "virginica"])
    >>> teacher.decision_function(X[:2]).shape
    (2, 3)
    >>> teacher.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    >>> teacher.n_features_in_
    4
    """

    _parameter_constraints: dict = {
        "module": [torch.nn.Module],
        "classes": ["array-like"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [None, str, torch.device],
    }

    def __init__(self, module, classes, *, batch_size=1024, device=None):
        self.module = module
        self.classes = classes
        self.batch_size = batch_size
        self.device = device

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X=None, y=None, **fit_params):
        """Refuse to train: the adapter only wraps an already trained module.

        Parameters
        ----------
        X : object
            Ignored.
        y : object
            Ignored.
        **fit_params : dict
            Ignored.

        Raises
        ------
        TypeError
            Always.
        """
        raise TypeError(
            "TorchTeacher wraps an already trained torch module and cannot train it. Train "
            "the module first (or use a skorch NeuralNetClassifier, which has fit), then pass "
            "TorchTeacher(module, classes) as a fitted teacher."
        )

    @property
    def classes_(self):
        """The class labels, one per output column."""
        return np.asarray(self.classes)

    @property
    def n_features_in_(self):
        """Input features of the module's first ``nn.Linear`` layer, when that is knowable."""
        n_features = _linear_in_features(self.module)
        if n_features is None:
            raise AttributeError(
                "n_features_in_ is only known for an nn.Linear or an nn.Sequential that starts "
                f"with one; {type(self.module).__name__} is neither."
            )
        return n_features

    def decision_function(self, X):
        """The module's logits for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric rows, converted to a float32 tensor on the module's device.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes) or (n_samples,)
            ``module(X)`` as float64: one column per class in ``classes_`` order, or one score
            per row when the module gives one logit for two classes.
        """
        self._validate_params()
        X = _numeric_float32(X, "TorchTeacher")
        self._check_n_features(X)
        classes = self.classes_
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(
                f"classes must be a 1d list of at least two labels, got {classes.tolist()!r}."
            )
        logits = self._forward(X)
        n_classes = len(classes)
        if n_classes == 2 and (logits.ndim == 1 or logits.shape[1] == 1):
            return logits.reshape(-1)
        if logits.ndim != 2 or logits.shape[1] != n_classes:
            width = logits.shape[1] if logits.ndim == 2 else logits.shape[1:]
            raise ValueError(
                f"the module returns {width} outputs per row but there are {n_classes} classes "
                f"({classes.tolist()[:10]}): the module's output width must equal len(classes) "
                "(or be 1 for two classes). Pass the classes in the order of its output columns."
            )
        return logits

    def predict_proba(self, X):
        """Class probabilities: the softmax of the module's logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns in ``classes_`` order (two for two classes).
        """
        logits = self.decision_function(X)
        if logits.ndim == 1:
            logits = np.column_stack([np.zeros_like(logits), logits])
        return softmax(logits, axis=1)

    def predict(self, X):
        """The class of the largest logit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        logits = self.decision_function(X)
        if logits.ndim == 1:
            return self.classes_[(logits > 0).astype(np.intp)]
        return self.classes_[np.argmax(logits, axis=1)]

    def _check_n_features(self, X):
        expected = _linear_in_features(self.module)
        if expected is not None and X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but the module's first layer takes {expected} "
                "features. Pass X with the columns the module was trained on."
            )

    def _forward(self, X):
        device = torch.device(self.device) if self.device is not None else None
        return module_outputs(self.module, X, self.batch_size, device)


def skorch_teacher_outputs(net, X):
    """The outputs of a fitted skorch classifier, taken as a teacher: logits where it has them.

    Parameters
    ----------
    net : skorch.NeuralNetClassifier or skorch.NeuralNetBinaryClassifier
        A fitted net. Its criterion says what its module returns: ``CrossEntropyLoss`` (and
        ``BCEWithLogitsLoss`` for a binary net) means logits, ``NLLLoss`` (skorch's default)
        means a module that ends in softmax, whose probabilities are used.
    X : array-like of shape (n_samples, n_features)
        Rows in the form the net takes; a float64 ndarray is cast to float32 first.

    Returns
    -------
    values : ndarray of shape (n_samples, n_classes) or (n_samples,)
        Logits (one per row for a binary net) or probabilities, as float64.
    kind : {'logits', 'proba'}
        Which of the two ``values`` holds.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> from skorch import NeuralNetClassifier
    >>> from skdistill.torch._teacher import skorch_teacher_outputs
    >>> X, y = load_iris(return_X_y=True)
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Linear, module__in_features=4, module__out_features=3,
    ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=2, train_split=None, verbose=0,
    ... ).fit(X.astype(np.float32), y)
    >>> values, kind = skorch_teacher_outputs(net, X[:5])
    >>> kind, values.shape, values.dtype
    ('logits', (5, 3), dtype('float64'))
    """
    criterion = getattr(net, "criterion_", None)
    if criterion is None:
        raise ValueError(
            f"{type(net).__name__} has no criterion_: it is not initialized. Fit the net "
            "before using it as a teacher."
        )
    if isinstance(X, np.ndarray) and X.dtype == np.float64:
        X = X.astype(np.float32)
    # skorch's DataLoader draws a seed from torch's global generator on every pass; asking the
    # teacher must not change the user's random stream
    with torch.random.fork_rng(devices=[]):
        return _skorch_outputs(net, criterion, X)


def _skorch_outputs(net, criterion, X):
    if isinstance(criterion, (torch.nn.CrossEntropyLoss, torch.nn.BCEWithLogitsLoss)):
        out = net.forward(X, training=False)
        if isinstance(out, tuple):  # skorch keeps every output; the first one is the prediction
            out = out[0]
        values = out.detach().to("cpu", torch.float64).numpy()
        if values.ndim == 2 and values.shape[1] == 1:  # one logit per row: a binary net
            values = values[:, 0]
        return values, "logits"
    if isinstance(criterion, torch.nn.NLLLoss):
        return np.asarray(net.predict_proba(X), dtype=np.float64), "proba"
    raise ValueError(
        f"a skorch teacher's criterion tells what its module returns; {type(criterion).__name__}"
        " is not understood. Understood: CrossEntropyLoss or BCEWithLogitsLoss (the module "
        "returns logits) and NLLLoss (the module ends in softmax). Wrap the trained module in "
        "TorchTeacher(net.module_, classes=net.classes_) if it returns logits."
    )


def module_outputs(module, X, batch_size, device=None):
    """``module(X)`` in eval mode and without gradients, batch by batch, as float64 numpy.

    The module's train/eval mode is restored afterwards, also when it raises; torch's global
    random state is not used. ``device`` (default: that of the module's first parameter) is
    where the batches of the float32 array ``X`` are sent. A tuple output gives its first item.
    """
    if device is None:
        device = _module_device(module)
    was_training = module.training
    outputs = []
    try:
        module.eval()
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                # torch wants writable memory: a read-only batch (joblib's memmaps) is copied
                rows = np.require(X[start : start + batch_size], requirements=["W"])
                batch = torch.as_tensor(rows, device=device)
                out = module(batch)
                if isinstance(out, (tuple, list)):  # (logits, extras...): the first output
                    out = out[0]
                outputs.append(out.detach().to("cpu", torch.float64).numpy())
    finally:
        module.train(was_training)
    if not outputs:
        raise ValueError("X has 0 rows; at least one row is required.")
    return np.concatenate(outputs, axis=0)


def _numeric_float32(X, owner):
    """X as a C-contiguous float32 ndarray, with a clear error for what cannot be one."""
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        return check_array(
            X, dtype=np.float32, order="C", accept_sparse=False, input_name="X", estimator=owner
        )
    except (TypeError, ValueError) as exc:
        if "could not convert" in str(exc) or "Unable to convert" in str(exc):
            raise TypeError(
                f"{owner} needs numeric X (it becomes a float32 tensor); X has values that are "
                f"not numbers ({exc}). Encode the non-numeric columns first, e.g. with "
                "sklearn.preprocessing.OneHotEncoder in a Pipeline before the teacher."
            ) from exc
        raise


def _module_device(module):
    """The device of the module's first parameter (or buffer); the CPU when it has none."""
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


def _linear_in_features(module):
    """``in_features`` of the first weighted layer when it is an ``nn.Linear``, else None.

    Only an ``nn.Linear`` and an ``nn.Sequential`` (whose order is the order of the forward pass)
    are read; a custom module registers its layers in an order that need not be that one.
    """
    if isinstance(module, torch.nn.Linear):
        return module.in_features
    if isinstance(module, torch.nn.Sequential):
        for layer in module:
            if isinstance(layer, torch.nn.Sequential):
                return _linear_in_features(layer)
            if isinstance(layer, torch.nn.Linear):
                return layer.in_features
            if any(True for _ in layer.parameters()):
                return None
            if isinstance(layer, torch.nn.Unflatten):  # Flatten is a no-op on 2d X
                return None
    return None
