"""MLPStudent: a ready neural student on skorch, for users who write no torch module."""

import copy
import json
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from .._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from ._native import NativeTorchClassifier
from ._skorch import SliceLoader, _split_labels, int_seed, train_net
from ._teacher import module_outputs

__all__ = ["MLPStudent"]

# rows per forward pass at prediction; an MLP's activations for this many rows are small
_PREDICT_BATCH_SIZE = 4096
_ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "logistic": torch.nn.Sigmoid}


class _MLP(torch.nn.Module):
    """Fully connected layers, each followed by the activation and dropout; returns logits."""

    def __init__(self, n_features, n_classes, hidden_layer_sizes, activation="relu", dropout=0.0):
        super().__init__()
        layers = []
        width = n_features
        for size in hidden_layer_sizes:
            layers += [torch.nn.Linear(width, size), _ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(torch.nn.Dropout(dropout))
            width = size
        layers.append(torch.nn.Linear(width, n_classes))
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, X):
        return self.layers(X)


class _LogitsAndProba(torch.nn.Module):
    """What an exported MLPStudent computes: its logits and their softmax."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, X):
        logits = self.module(X)
        return logits, torch.softmax(logits, dim=1)


class MLPStudent(NativeTorchClassifier):
    """A multi-layer perceptron student, trained with skorch on labels or a teacher's targets.

    On its own, ``fit`` trains it on the labels with cross-entropy, like scikit-learn's
    ``MLPClassifier``. As the student of :class:`~skdistill.DistilledClassifier` it is trained
    through ``fit_distilled`` on Hinton's loss, ``alpha * T**2 * KL(p_T || q_T) + (1 - alpha) *
    CE(q, y)``, or on Ba and Caruana's logit regression (``loss='logit_mse'``). The network is
    a skorch ``NeuralNetClassifier`` (``net_``) whose module returns logits.

    Parameters
    ----------
    hidden_layer_sizes : int or array-like of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear softmax model.
    activation : {'relu', 'tanh', 'logistic'}, default='relu'
        Activation after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden activation, in [0, 1).
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=0.0
        L2 penalty added to the gradient by the optimizer (``optimizer__weight_decay``).
    optimizer : {'adam', 'sgd'}, default='adam'
        ``torch.optim.Adam``, or ``torch.optim.SGD`` with momentum 0.9.
    max_epochs : int, default=20
        Passes over the training rows.
    batch_size : int, default=128
        Rows per gradient step (at most the number of rows).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified when the classes allow it) and
        stop once the loss on them has not improved for ``n_iter_no_change`` epochs; the weights
        of the best epoch are kept.
    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement of the held-out loss before stopping (skorch's ``patience``).
    device : {'cpu', 'cuda'}, default='cpu'
        Where the network is trained and run.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order, dropout and the held-out split. An int gives the same
        network on every fit, without touching torch's global random state. As the student of a
        distiller, None takes the distiller's ``random_state``; an int set here wins.
    verbose : int, default=0
        0 prints nothing; 1 prints skorch's table of losses per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is the torch module, ``net_.history`` its history.
    n_iter_ : int
        Epochs run (fewer than ``max_epochs`` when early stopping stopped the training).
    loss_curve_ : list of float
        Training loss of each epoch.

    See Also
    --------
    skdistill.DistilledClassifier : Trains this student on a teacher's soft targets.
    sklearn.neural_network.MLPClassifier : scikit-learn's perceptron, whose names this follows.

    Notes
    -----
    X is cast to float32, the precision of the network; NaN, infinite and sparse X are refused
    (impute, or call ``.toarray()``, first). Scale the features (e.g. ``StandardScaler`` in a
    Pipeline) for the optimizer to do well. ``sample_weight`` weighs each row's loss in the mean
    over its batch; as with any minibatch training, a weight of 2 is not the same as repeating a
    row. Each batch is sliced out of the whole arrays at once rather than collated row by row
    through torch's ``DataLoader``, which on small tabular batches costs as much as the training
    step itself. On a CPU, torch uses all cores by default; for many small fits run side by side
    (``GridSearchCV(n_jobs=...)``), ``torch.set_num_threads(1)`` is usually faster.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.
    .. [2] J. Ba and R. Caruana, "Do Deep Nets Really Need to be Deep?", NIPS 2014.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.torch import MLPStudent
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    >>> student = MLPStudent(hidden_layer_sizes=(16,), lr=0.01, max_epochs=30, random_state=0)
    >>> distiller = DistilledClassifier(teacher, student, temperature=2.0, alpha=0.7).fit(X, y)
    >>> distiller.student_method_, distiller.student_.n_iter_
    ('native', 30)
    >>> bool(distiller.score(X, y) > 0.9)
    True

    The fitted student exports to ONNX (``pip install "skdistill[onnx]"``) and runs without
    Python's torch, e.g. in onnxruntime:

    >>> import onnxruntime  # doctest: +SKIP
    >>> model = distiller.student_.to_onnx("student.onnx")  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("student.onnx")  # doctest: +SKIP
    >>> logits, proba = session.run(None, {"X": X.astype("float32")})  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "optimizer": [StrOptions({"adam", "sgd"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        activation="relu",
        dropout=0.0,
        lr=1e-3,
        weight_decay=0.0,
        optimizer="adam",
        max_epochs=20,
        batch_size=128,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_distilled(
        self,
        X,
        y,
        *,
        soft_targets,
        teacher_logits,
        classes,
        temperature,
        alpha,
        sample_weight=None,
        loss="kl",
        features=None,
        transfer_stream=None,
    ):
        """Train the network on a teacher's targets and the labels (the 'native' protocol).

        :class:`~skdistill.DistilledClassifier` calls this; it is rarely called by hand.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows, cast to float32.
        y : array-like of shape (n_samples,)
            Index of each row's label in ``classes``; -1 for an unlabeled row.
        soft_targets : ndarray of shape (n_samples, n_classes)
            The teacher's distribution at ``temperature``; rows sum to 1.
        teacher_logits : ndarray of shape (n_samples, n_classes)
            The teacher's logits (``log p``, possibly -inf, for a probability-only teacher).
        classes : array-like of shape (n_classes,)
            The class labels, in the order of the columns.
        temperature : float
            Temperature T the soft targets were made with.
        alpha : float
            Weight of the teacher's term against the labels' cross-entropy, in [0, 1].
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the loss.
        loss : {'kl', 'logit_mse'}, default='kl'
            Hinton's tempered KL divergence, or Ba and Caruana's squared error on the logits
            (``teacher_logits`` must then be finite).
        features : object, default=None
            The teacher's hidden-layer activations for FitNets hints and relation losses, which
            :class:`~skdistill.DistilledClassifier` builds from its ``hints`` and
            ``relation_loss``; None trains on the outputs alone.
        transfer_stream : TransferStream or None, default=None
            Fresh synthetic rows for every epoch, drawn and labelled by the teacher chunk by
            chunk as the network trains (``stream_transfer=True`` on the distiller); each epoch
            mixes them with the rows of X. None: the rows of X alone.

        Returns
        -------
        self : MLPStudent
            The fitted student.
        """
        X, y, soft_targets, classes = self._distilled_inputs(X, y, soft_targets, classes)
        return self._train(
            X,
            y,
            classes=classes,
            sample_weight=sample_weight,
            soft_targets=soft_targets,
            teacher_logits=teacher_logits,
            temperature=temperature,
            alpha=alpha,
            loss=loss,
            features=features,
            transfer_stream=transfer_stream,
        )

    def _train(self, X, y_encoded, *, classes, sample_weight, **teacher):
        """Build the net and train it through skorch's fit loop."""
        sample_weight = self._start_training(X, sample_weight)
        seed = self._seed()
        self.classes_ = classes
        self.net_ = self._make_net(X.shape[1], len(classes), y_encoded, teacher, seed)
        train_net(
            self.net_,
            X,
            y_encoded,
            classes=classes,
            sample_weight=sample_weight,
            random_state=seed,
            **teacher,
        )
        self._record_training()
        return self

    def _seed(self):
        """An int seed for train_net and the held-out split, or None (torch's global state)."""
        return int_seed(self.random_state)

    def _make_net(self, n_features, n_classes, y_encoded, teacher, seed):
        sizes = self._hidden_layer_sizes()
        train_split, callbacks = None, []
        if self.early_stopping:
            labels = _split_labels(y_encoded, teacher.get("soft_targets"))
            stratified = _can_stratify(labels, self.validation_fraction)
            train_split = ValidSplit(
                self.validation_fraction, stratified=stratified, random_state=seed
            )
            stopper = EarlyStopping(
                monitor="valid_loss", patience=self.n_iter_no_change, load_best=True
            )
            callbacks = [("early_stopping", stopper)]
        optimizer_params = {"optimizer__weight_decay": self.weight_decay}
        if self.optimizer == "sgd":
            optimizer_params["optimizer__momentum"] = 0.9
        return NeuralNetClassifier(
            module=_MLP,
            module__n_features=n_features,
            module__n_classes=n_classes,
            module__hidden_layer_sizes=sizes,
            module__activation=self.activation,
            module__dropout=float(self.dropout),
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.SGD if self.optimizer == "sgd" else torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=min(self.batch_size, len(y_encoded)),
            train_split=train_split,
            callbacks=callbacks,
            iterator_train=SliceLoader,
            iterator_valid=SliceLoader,
            iterator_train__shuffle=True,
            device=self.device,
            verbose=self.verbose,
            **optimizer_params,
        )

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
        if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}."
                " Pass e.g. (100,) for one hidden layer of 100 units, or () for none."
            )
        return tuple(int(s) for s in sizes)

    # ------------------------------------------------------------------ prediction
    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, order="C")
        # the module is run directly rather than through skorch's DataLoader, which draws from
        # torch's global random generator on every pass: predicting must not change it
        return module_outputs(self.net_.module_, X, _PREDICT_BATCH_SIZE)

    def decision_function(self, X):
        """The network's logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One logit per class; for two classes one score per row, ``z[1] - z[0]``, positive
            for ``classes_[1]``.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities: the softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns in ``classes_`` order.
        """
        return softmax(self._logits(X), axis=1)

    def predict(self, X):
        """The class of the largest logit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    # ------------------------------------------------------------------ shipping
    def to_onnx(self, path=None):
        """Export the trained network to ONNX through ``torch.onnx``.

        The graph takes ``X``, float32 of shape (n_rows, ``n_features_in_``), any number of rows,
        and returns ``logits`` and ``probabilities`` (their softmax), both of shape
        (n_rows, n_classes) in ``classes_`` order; the label of a row is
        ``classes_[argmax(probabilities)]``. The classes are kept in the model's metadata under
        ``"classes"`` (a JSON list), so a runtime outside Python can name them. Needs ``onnx``
        and ``onnxscript`` (``pip install "skdistill[onnx]"``). The fitted network is not
        changed: a copy of it is exported, on the CPU, in evaluation mode (no dropout).

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the model; None only returns it.

        Returns
        -------
        model : onnx.ModelProto
            The exported model.
        """
        check_is_fitted(self)
        module = _LogitsAndProba(copy.deepcopy(self.net_.module_).cpu()).eval()
        example = torch.zeros(2, self.n_features_in_, dtype=torch.float32)
        program = torch.onnx.export(
            module,
            (example,),
            input_names=["X"],
            output_names=["logits", "probabilities"],
            dynamic_shapes=({0: torch.export.Dim("n_rows")},),
            dynamo=True,
            verbose=False,
        )
        model = program.model_proto
        entry = model.metadata_props.add()
        entry.key, entry.value = "classes", json.dumps(self.classes_.tolist())
        if path is not None:
            with open(path, "wb") as file:
                file.write(model.SerializeToString())
        return model


def _can_stratify(labels, validation_fraction):
    """Whether a stratified held-out split exists: every class twice, room for each class on
    both sides (the conditions of ``StratifiedShuffleSplit``)."""
    counts = np.unique(labels, return_counts=True)[1]
    n_valid = int(np.ceil(validation_fraction * len(labels)))
    n_classes = len(counts)
    return counts.min() >= 2 and n_valid >= n_classes and len(labels) - n_valid >= n_classes
