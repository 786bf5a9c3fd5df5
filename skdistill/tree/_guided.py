"""GuidedTreeClassifier: a small tree searched (not grown greedily) on a teacher's targets."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets

from .._sklearn_compat import (
    Interval,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from .._soft import blend_with_labels
from . import _search


class GuidedTreeClassifier(ClassifierMixin, BaseEstimator):
    """A decision tree found by optimal search on split guesses, guided by a teacher.

    The tree of at most ``search_depth`` levels that agrees best with the targets (the labels, or
    a teacher's soft targets when distilled) is searched exactly by STreeD over a few candidate
    splits, the *threshold guesses* a boosted reference model fitted to the same targets uses
    (McTavish et al., 2022). A deeper tree is searched in blocks: under each leaf of the top
    ``search_depth`` levels, the next levels are searched on the rows that reach that leaf, with
    split guesses of their own. A greedy CART of ``max_depth`` on the same targets is fitted
    too, and the tree that agrees better with the targets on the training rows is kept, so a
    search stopped by ``time_limit`` never leaves a tree worse than CART's on the training
    objective.

    As a student of :class:`~skdistill.DistilledClassifier` it receives the teacher's soft
    targets (``fit_distilled``) and minimises the expected disagreement with the blended target,
    ``sum_i w_i (1 - t_i[label of the leaf of row i])``; fitted alone on labels it minimises
    the training errors. A tree of two blocks or more (``max_depth >= 2 * search_depth``) gains
    most from many teacher-labelled rows, which ``transfer='auto'`` draws for it: its lower
    blocks are searched on the rows that reach them. Each search sees at most ``search_rows``
    rows; the leaves' class shares come from all of them. A tree of one block gained nothing
    from such rows in the benchmarks, and ``transfer='auto'`` draws none for it.

    Parameters
    ----------
    max_depth : int, default=4
        Depth of the tree: at most ``2**max_depth`` leaves.
    search_depth : int, default=4
        Levels searched exactly at once (at most ``max_depth``); the levels below are searched
        in further blocks of ``search_depth`` levels, one block under each leaf. A search's
        cost grows fast with it.
    n_thresholds : int, default=40
        Number of split guesses each search chooses from (over all features).
    search_rows : int or None, default=10_000
        Most rows one search (and its split guesses) sees: a random subset of the rows that
        reach the block searched. None searches on all of them. The search's cost grows with
        the rows; the leaves' values always come from all rows.
    time_limit : float, default=60.0
        Seconds each search may take; then its best tree so far is kept (and the whole tree
        competes with CART's).
    min_samples_leaf : int, default=1
        Fewest training rows in a leaf.
    random_state : int, RandomState instance or None, default=None
        Seeds the reference model, the search and the greedy trees.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    thresholds_ : list of (int, float)
        The split guesses the top search chose from, as (feature index, threshold).
    search_ : {'optimal', 'greedy'}
        Which tree was kept: the searched one or CART's.
    search_optimal_ : bool
        Whether every search proved its block optimal on its guesses within ``time_limit``.

    See Also
    --------
    sklearn.tree.DecisionTreeClassifier : The greedy tree.
    skdistill.DistilledClassifier : Distils a teacher into this student.

    Notes
    -----
    Needs ``pystreed`` (``pip install "skdistill[tree]"``). A row goes left when
    ``X[:, feature] <= threshold``, as in scikit-learn's trees. ``predict_proba`` gives the
    weighted mean target of the training rows in the leaf.

    References
    ----------
    .. [1] H. McTavish, C. Zhong, R. Achermann, I. Karimalis, J. Chen, C. Rudin and M. Seltzer,
       "Fast Sparse Decision Tree Optimization via Reference Ensembles", AAAI 2022.
    .. [2] E. Demirovic, E. Hebrard and L. Jean, "Necessary and Sufficient Conditions for Optimal
       Decision Trees using Dynamic Programming" (STreeD), NeurIPS 2023.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.tree import GuidedTreeClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    >>> distiller = DistilledClassifier(
    ...     teacher, GuidedTreeClassifier(max_depth=2, random_state=0), alpha=1.0
    ... ).fit(X, y)
    >>> distiller.student_.get_depth()
    2
    >>> print(distiller.student_.export_text().splitlines()[0])
    |--- feature_... <= ...
    """

    _parameter_constraints: dict = {
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "search_depth": [Interval(Integral, 1, None, closed="left")],
        "n_thresholds": [Interval(Integral, 1, None, closed="left")],
        "search_rows": [Interval(Integral, 2, None, closed="left"), None],
        "time_limit": [Interval(Real, 0, None, closed="neither")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        max_depth=4,
        *,
        search_depth=4,
        n_thresholds=40,
        search_rows=10_000,
        time_limit=60.0,
        min_samples_leaf=1,
        random_state=None,
    ):
        self.max_depth = max_depth
        self.search_depth = search_depth
        self.n_thresholds = n_thresholds
        self.search_rows = search_rows
        self.time_limit = time_limit
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Search the tree that makes the fewest training errors on the labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        self : GuidedTreeClassifier
            The fitted tree.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        return self._grow(X, np.eye(len(classes))[y_encoded], classes, sample_weight)

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
    ):
        """Search the tree that agrees best with a teacher's targets blended with the labels.

        :class:`~skdistill.DistilledClassifier` calls this (the 'native' protocol); it is
        rarely called by hand. The target of a labelled row is ``alpha * soft_targets + (1 -
        alpha) * onehot(y)``, of an unlabeled row (``y == -1``) the soft targets alone.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Index of each row's label in ``classes``; -1 for an unlabeled row.
        soft_targets : ndarray of shape (n_samples, n_classes)
            The teacher's distribution at ``temperature``; rows sum to 1.
        teacher_logits : ndarray of shape (n_samples, n_classes)
            Unused: a tree learns the distribution.
        classes : array-like of shape (n_classes,)
            The class labels, in the order of the columns.
        temperature : float
            Unused: ``soft_targets`` are already tempered.
        alpha : float
            Weight of the soft targets against the labels, in [0, 1].
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        loss : str, default='kl'
            Unused: the tree minimises the expected disagreement with the targets.

        Returns
        -------
        self : GuidedTreeClassifier
            The fitted tree.
        """
        X = validate_data(self, X, dtype=np.float64)
        y = np.asarray(y, dtype=np.intp)
        classes = np.asarray(classes)
        soft_targets = np.asarray(soft_targets, dtype=np.float64)
        if soft_targets.shape != (len(X), len(classes)) or len(y) != len(X):
            raise ValueError(
                f"soft_targets has shape {soft_targets.shape} and y {y.shape}, expected "
                f"{(len(X), len(classes))} and ({len(X)},): one row per row of X."
            )
        targets = blend_with_labels(soft_targets, y, alpha)
        return self._grow(X, targets, classes, sample_weight)

    def _grow(self, X, targets, classes, sample_weight):
        weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        kept = weight > 0  # a row of weight 0 is a row not there, also for the guesses
        X, targets, weight = X[kept], targets[kept], weight[kept]
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(2**31 - 1))
        self.classes_ = classes
        if len(classes) < 2 or len(X) < 2:
            # nothing to split: one leaf with the mean target
            self.thresholds_, self.search_optimal_, self.search_ = [], True, "optimal"
            self.nodes_ = _search.Nodes(len(classes))
            self.nodes_.add()
            self.nodes_.freeze(X, targets, weight)
            return self
        settings = {
            "max_depth": self.max_depth,
            "search_depth": self.search_depth,
            "n_thresholds": self.n_thresholds,
            "search_rows": self.search_rows,
            "min_samples_leaf": self.min_samples_leaf,
            "time_limit": self.time_limit,
        }
        searched, self.thresholds_, self.search_optimal_ = _search.searched_tree(
            X, targets, weight, settings, rng
        )
        greedy = _search.greedy_tree(
            X, targets, weight, self.max_depth, self.min_samples_leaf, seed
        )
        searched.freeze(X, targets, weight)
        greedy.freeze(X, targets, weight)
        better = _search.agreement(searched, X, targets, weight) >= _search.agreement(
            greedy, X, targets, weight
        )
        self.nodes_ = searched if better else greedy
        self.search_ = "optimal" if better else "greedy"
        return self

    def predict_proba(self, X):
        """Class probabilities: the mean target of the training rows in each row's leaf.

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
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.nodes_.value[self.nodes_.apply(X)]

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The label of each row's leaf.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def get_depth(self):
        """The depth of the fitted tree (0 for a single leaf)."""
        check_is_fitted(self)
        return self.nodes_.depth()

    def get_n_leaves(self):
        """The number of leaves of the fitted tree."""
        check_is_fitted(self)
        return int(np.sum(self.nodes_.left < 0))

    def export_text(self, feature_names=None, decimals=3):
        """The tree's rules as text, in the layout of ``sklearn.tree.export_text``.

        Parameters
        ----------
        feature_names : list of str, default=None
            Names of the features; default ``feature_names_in_`` if seen in fit, else
            ``feature_0``, ``feature_1``, ...
        decimals : int, default=3
            Decimals of the thresholds and of the class shares.

        Returns
        -------
        text : str
            One line per split and per leaf; a leaf shows its class and the share of the
            target mass on it.
        """
        check_is_fitted(self)
        if feature_names is None:
            feature_names = getattr(self, "feature_names_in_", None)
        if feature_names is None:
            feature_names = [f"feature_{j}" for j in range(self.n_features_in_)]
        nodes, lines = self.nodes_, []

        def walk(node, indent):
            if nodes.left[node] < 0:
                label = int(np.argmax(nodes.value[node]))
                share = nodes.value[node, label]
                lines.append(f"{indent}|--- class: {self.classes_[label]} ({share:.{decimals}f})")
                return
            name, threshold = feature_names[nodes.feature[node]], nodes.threshold[node]
            lines.append(f"{indent}|--- {name} <= {threshold:.{decimals}f}")
            walk(nodes.left[node], indent + "|   ")
            lines.append(f"{indent}|--- {name} >  {threshold:.{decimals}f}")
            walk(nodes.right[node], indent + "|   ")

        walk(0, "")
        return "\n".join(lines) + "\n"
