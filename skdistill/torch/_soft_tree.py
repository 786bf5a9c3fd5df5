"""SoftTreeClassifier: Frosst and Hinton's soft decision tree, a student on skorch."""

from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from skorch import NeuralNetClassifier

from .._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from ._native import NativeTorchClassifier
from ._skorch import SliceLoader, int_seed, train_net

__all__ = ["SoftTreeClassifier"]

_PREDICT_BATCH_SIZE = 4096
_EPS = 1e-6


def path_probabilities(node_proba, depth):
    """Probability of each leaf's path, from each inner node's probability of going right.

    ``node_proba`` has one column per inner node in breadth-first order (node ``i`` has the
    children ``2i + 1`` on the left and ``2i + 2`` on the right); returns the path
    probability of every node, level by level, as a list of ``depth + 1`` tensors.
    """
    paths = [torch.ones_like(node_proba[:, :1])]
    for level in range(depth):
        first = 2**level - 1
        right = node_proba[:, first : 2 * first + 1]
        reach = paths[-1]
        paths.append(torch.stack([reach * (1 - right), reach * right], dim=2).flatten(1))
    return paths


class _SoftTree(torch.nn.Module):
    """A complete binary tree: sigmoid filters on the inner nodes, a learnt class distribution
    on each leaf. Returns the log of the path-weighted mixture of the leaves, the path
    probabilities of the nodes level by level, the inner nodes' probabilities of going right
    and the leaves' logits."""

    def __init__(self, n_features, n_classes, depth, beta=1.0):
        super().__init__()
        self.depth = depth
        self.beta = beta
        self.filters = torch.nn.Linear(n_features, 2**depth - 1)
        self.leaf_logits = torch.nn.Parameter(0.1 * torch.randn(2**depth, n_classes))

    def forward(self, X):
        node_proba = torch.sigmoid(self.beta * self.filters(X))
        paths = path_probabilities(node_proba, self.depth)
        mixture = paths[-1] @ torch.softmax(self.leaf_logits, dim=1)
        return torch.log(mixture.clamp_min(1e-12)), paths, node_proba, self.leaf_logits


def tree_loss(depth, penalty):
    """Frosst and Hinton's loss: each leaf's own distillation loss weighted by its path
    probability, plus their penalty that pushes every inner node to use both subtrees."""
    # a node at depth d weighs 2**-d: deeper nodes see fewer rows, their share is noisier
    decay = torch.cat([torch.full((2**d,), 2.0**-d) for d in range(depth)])

    def output_loss(y_pred, batch_loss, training):
        _, paths, node_proba, leaf_logits = y_pred
        leaves = paths[-1]
        loss = batch_loss(leaf_logits.repeat(len(leaves), 1), leaves.reshape(-1))
        if training and penalty > 0:
            reach = torch.cat(paths[:-1], dim=1)
            share = (reach * node_proba).sum(0) / reach.sum(0).clamp_min(_EPS)
            share = share.clamp(_EPS, 1 - _EPS)
            balance = 0.5 * (torch.log(share) + torch.log(1 - share))
            loss = loss - penalty * (decay.to(share.device) * balance).sum()
        return loss

    return output_loss


class SoftTreeClassifier(NativeTorchClassifier):
    """Frosst and Hinton's soft decision tree, trained on labels or on a teacher's targets.

    A complete binary tree of the given ``depth``. Each inner node ``i`` has a filter: a row
    ``x`` goes right with probability ``sigmoid(beta * (x @ filters_[i] + biases_[i]))``, and
    the product of these along a path is the row's probability of reaching that leaf. Each leaf
    holds a learnt distribution over the classes (``leaf_proba_``). The loss is each leaf's own
    loss weighted by the row's path probability to it, so that every leaf on its own is a good
    answer; Frosst and Hinton's penalty keeps each node using both of its subtrees.

    On its own, ``fit`` trains on the labels with cross-entropy. As the student of
    :class:`~skdistill.DistilledClassifier` it is trained through ``fit_distilled`` with
    Hinton's loss, ``alpha * T**2 * KL(p_T || q_T) + (1 - alpha) * CE(q, y)``, on each leaf.

    **Prediction uses one leaf per row**: the leaf of largest path probability (``apply``).
    This is the paper's interpretable mode: a prediction is explained by the filters on one
    path and one leaf's distribution. ``inference='mixture'`` predicts with the path-weighted
    mixture of all leaves instead (often a little more accurate, no longer one path).

    Parameters
    ----------
    depth : int, default=4
        Depth of the tree: ``2**depth - 1`` filters and ``2**depth`` leaves.
    beta : float, default=1.0
        Inverse temperature of the filters; larger values make the branches sharper.
    penalty : float, default=0.1
        Strength of the balance penalty at the root, halved at each level below.
    inference : {'max_path', 'mixture'}, default='max_path'
        How ``predict`` and ``predict_proba`` answer: the distribution of the leaf of largest
        path probability, or the path-weighted mixture of all leaves.
    lr : float, default=0.01
        Learning rate of Adam.
    max_epochs : int, default=20
        Passes over the training rows.
    batch_size : int, default=128
        Rows per gradient step (at most the number of rows).
    device : {'cpu', 'cuda'}, default='cpu'
        Where the tree is trained and run.
    random_state : int, RandomState instance or None, default=None
        Seeds the filters, the leaves and the batch order. An int gives the same tree on every
        fit, without touching torch's global random state.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    filters_ : ndarray of shape (2**depth - 1, n_features_in_)
        Weights of each inner node's filter, nodes in breadth-first order: node ``i`` has the
        children ``2i + 1`` (left) and ``2i + 2`` (right).
    biases_ : ndarray of shape (2**depth - 1,)
        Bias of each inner node's filter.
    leaf_proba_ : ndarray of shape (2**depth, n_classes)
        Class distribution of each leaf, leaves from left to right.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is the torch module.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Training loss of each epoch.

    See Also
    --------
    skdistill.DistilledClassifier : Trains this student on a teacher's soft targets.
    MLPStudent : A neural student without the tree's structure.

    Notes
    -----
    Scale the features (e.g. ``StandardScaler``): the filters are linear in X. X is cast to
    float32; NaN, infinite and sparse X are refused. ``sample_weight`` weighs each row's loss
    in its batch's mean; the penalty is estimated on each batch, as in the paper (which also
    smooths it over batches). A leaf that no training row reaches keeps its initial, nearly
    uniform distribution.

    References
    ----------
    .. [1] N. Frosst and G. Hinton, "Distilling a Neural Network Into a Soft Decision Tree",
       CEx workshop at AI*IA, 2017.
    .. [2] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.torch import SoftTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> teacher = LogisticRegression().fit(X, y)
    >>> tree = SoftTreeClassifier(depth=2, lr=0.05, max_epochs=30, batch_size=32, random_state=0)
    >>> distiller = DistilledClassifier(teacher, tree, temperature=2.0, alpha=0.7).fit(X, y)
    >>> distiller.student_.filters_.shape, distiller.student_.leaf_proba_.shape
    ((3, 4), (4, 3))
    >>> bool(distiller.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "depth": [Interval(Integral, 1, 16, closed="both")],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "penalty": [Interval(Real, 0, None, closed="left")],
        "inference": [StrOptions({"max_path", "mixture"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        depth=4,
        *,
        beta=1.0,
        penalty=0.1,
        inference="max_path",
        lr=0.01,
        max_epochs=20,
        batch_size=128,
        device="cpu",
        random_state=None,
    ):
        self.depth = depth
        self.beta = beta
        self.penalty = penalty
        self.inference = inference
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.device = device
        self.random_state = random_state

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
        transfer_stream=None,
    ):
        """Train the tree on a teacher's targets and the labels (the 'native' protocol).

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
            The teacher's logits (used with ``loss='logit_mse'`` only).
        classes : array-like of shape (n_classes,)
            The class labels, in the order of the columns.
        temperature : float
            Temperature T the soft targets were made with.
        alpha : float
            Weight of the teacher's term against the labels' cross-entropy, in [0, 1].
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the loss.
        loss : {'kl', 'logit_mse'}, default='kl'
            Hinton's tempered KL divergence at each leaf, or the squared error between each
            leaf's logits and the teacher's.
        transfer_stream : TransferStream or None, default=None
            Fresh synthetic rows for every epoch, drawn and labelled by the teacher chunk by
            chunk as the tree trains (``stream_transfer=True`` on the distiller); each epoch
            mixes them with the rows of X. None: the rows of X alone.

        Returns
        -------
        self : SoftTreeClassifier
            The fitted tree.
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
            transfer_stream=transfer_stream,
        )

    def _train(self, X, y_encoded, *, classes, sample_weight, **teacher):
        sample_weight = self._start_training(X, sample_weight)
        seed = int_seed(self.random_state)
        self.classes_ = classes
        self.net_ = NeuralNetClassifier(
            module=_SoftTree,
            module__n_features=X.shape[1],
            module__n_classes=len(classes),
            module__depth=int(self.depth),
            module__beta=float(self.beta),
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=min(self.batch_size, len(X)),
            train_split=None,
            iterator_train=SliceLoader,
            iterator_train__shuffle=True,
            device=self.device,
            verbose=0,
        )
        train_net(
            self.net_,
            X,
            y_encoded,
            classes=classes,
            sample_weight=sample_weight,
            random_state=seed,
            output_loss=tree_loss(int(self.depth), float(self.penalty)),
            **teacher,
        )
        module = self.net_.module_
        self.filters_ = module.filters.weight.detach().cpu().double().numpy()
        self.biases_ = module.filters.bias.detach().cpu().double().numpy()
        self.leaf_proba_ = softmax(module.leaf_logits.detach().cpu().double().numpy(), axis=1)
        self._record_training()
        return self

    # ------------------------------------------------------------------ the tree, read in numpy
    def _node_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, order="C")
        z = self.beta * (X.astype(np.float64) @ self.filters_.T + self.biases_)
        return 0.5 * (1 + np.tanh(z / 2))  # the sigmoid, without overflow warnings

    def path_proba(self, X):
        """Each row's probability of reaching each leaf.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to route.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2**depth)
            Path probabilities, leaves from left to right; rows sum to 1.
        """
        node_proba = torch.from_numpy(self._node_proba(X))
        return path_probabilities(node_proba, int(self.depth))[-1].numpy()

    def apply(self, X):
        """The leaf of largest path probability of each row (the one that predicts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to route.

        Returns
        -------
        leaves : ndarray of shape (n_samples,)
            Index of the leaf, from 0 (leftmost) to ``2**depth - 1``.
        """
        return np.argmax(self.path_proba(X), axis=1)

    def predict_proba(self, X):
        """Class probabilities: those of the row's most probable leaf, or the mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            With ``inference='max_path'``, ``leaf_proba_[apply(X)]``; with ``'mixture'``,
            ``path_proba(X) @ leaf_proba_``.
        """
        check_is_fitted(self)
        if self.inference == "mixture":
            return self.path_proba(X) @ self.leaf_proba_
        return self.leaf_proba_[self.apply(X)]

    def predict(self, X):
        """The class the tree puts first (see ``inference``).

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
