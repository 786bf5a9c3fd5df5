"""Growing a tree on soft targets: threshold guesses, an optimal search on them, greedy parts.

The search minimises, over trees of a given depth, the expected disagreement with the targets,
``sum_i w_i (1 - t_i[leaf label])``. With one-hot targets that is the misclassification count;
with a teacher's soft targets it rewards a leaf label the teacher gives much mass to.

pystreed is imported here, and only when a search runs.
"""

import numpy as np
from sklearn.tree import DecisionTreeRegressor

from .._tree_on_targets import simplex_columns


class Nodes:
    """A binary tree as arrays: ``left[i] == -1`` marks a leaf; rows with
    ``X[:, feature[i]] <= threshold[i]`` go left. ``value[i]`` is the weighted mean target of the
    training rows that reach node i."""

    def __init__(self, n_classes):
        self.feature, self.threshold, self.left, self.right = [], [], [], []
        self.n_classes = n_classes

    def add(self, feature=-1, threshold=np.nan):
        self.feature.append(feature)
        self.threshold.append(threshold)
        self.left.append(-1)
        self.right.append(-1)
        return len(self.feature) - 1

    def freeze(self, X, targets, weight):
        """Turn the lists into arrays and fill each node's value from the rows reaching it."""
        self.feature = np.asarray(self.feature, dtype=np.intp)
        self.threshold = np.asarray(self.threshold, dtype=np.float64)
        self.left = np.asarray(self.left, dtype=np.intp)
        self.right = np.asarray(self.right, dtype=np.intp)
        self.value = np.zeros((len(self.feature), self.n_classes))
        self._fill(0, np.arange(len(X)), X, targets, weight, None)
        return self

    def _fill(self, node, rows, X, targets, weight, parent_value):
        total = weight[rows].sum()
        if total > 0:
            value = (targets[rows] * weight[rows, None]).sum(axis=0) / total
        else:  # no training row reaches it: the parent's distribution
            value = parent_value
        self.value[node] = value
        if self.left[node] >= 0:
            goes_left = X[rows, self.feature[node]] <= self.threshold[node]
            self._fill(self.left[node], rows[goes_left], X, targets, weight, value)
            self._fill(self.right[node], rows[~goes_left], X, targets, weight, value)

    def apply(self, X):
        """The leaf each row of X reaches."""
        node = np.zeros(len(X), dtype=np.intp)
        inner = self.left[node] >= 0
        while inner.any():
            at = node[inner]
            goes_left = X[inner, self.feature[at]] <= self.threshold[at]
            node[inner] = np.where(goes_left, self.left[at], self.right[at])
            inner = self.left[node] >= 0
        return node

    def depth(self, node=0):
        if self.left[node] < 0:
            return 0
        return 1 + max(self.depth(self.left[node]), self.depth(self.right[node]))


def threshold_guesses(X, targets, weight, n_guesses, random_state):
    """Candidate splits ``(feature, threshold)`` ranked by what a boosted reference model uses.

    A small L2 boosting of depth-3 regression trees on the target vectors (McTavish et al.'s
    reference ensemble, here fitted to the teacher's targets); each split's score is its total
    weighted impurity decrease over the ensemble. The ``n_guesses`` best are kept.
    """
    columns = simplex_columns(targets)
    columns = columns.reshape(len(X), -1)
    residual = columns - np.average(columns, axis=0, weights=weight)
    scores = {}
    for _ in range(30):
        tree = DecisionTreeRegressor(max_depth=3, random_state=random_state.randint(2**31 - 1))
        tree.fit(X, residual, sample_weight=weight)
        residual = residual - 0.3 * tree.predict(X).reshape(residual.shape)
        t = tree.tree_
        inner = np.flatnonzero(t.children_left >= 0)
        n, imp = t.weighted_n_node_samples, t.impurity
        left, right = t.children_left[inner], t.children_right[inner]
        gain = n[inner] * imp[inner] - n[left] * imp[left] - n[right] * imp[right]
        for node, g in zip(inner, gain):
            key = (int(t.feature[node]), float(t.threshold[node]))
            scores[key] = scores.get(key, 0.0) + float(g)
    ranked = sorted(scores, key=lambda key: -scores[key])
    return sorted(ranked[:n_guesses])


def optimal_tree(X, targets, weight, guesses, depth, min_leaf, time_limit, seed):
    """The tree of at most ``depth`` on the guessed splits with the least expected disagreement,
    found by STreeD. Returns ``(nodes, proved_optimal)``."""
    try:
        from pystreed import STreeDInstanceCostSensitiveClassifier
    except ImportError as exc:
        raise ImportError(
            "GuidedTreeClassifier searches its tree with pystreed (STreeD), which is not "
            'installed: pip install "skdistill[tree]"'
        ) from exc
    nodes = Nodes(targets.shape[1])
    if not guesses:  # the reference model found nothing to split on
        nodes.add()
        return nodes, True
    binary = np.column_stack([X[:, f] <= t for f, t in guesses]).astype(np.intc)
    costs = weight[:, None] * (1.0 - targets)
    solver = STreeDInstanceCostSensitiveClassifier(
        max_depth=depth,
        min_leaf_node_size=min_leaf,
        time_limit=time_limit,
        random_seed=seed,
    )
    solver.fit(binary, costs)
    if not hasattr(solver, "tree_"):  # no tree within the time limit
        nodes.add()
        return nodes, False
    _copy_streed(solver.tree_, nodes, guesses)
    return nodes, bool(solver.fit_result.is_optimal())


def _copy_streed(streed_node, nodes, guesses):
    """Copy a STreeD tree; its right child holds the rows whose binary feature is 1 (x <= t)."""
    if streed_node.is_leaf_node():
        return nodes.add()
    feature, threshold = guesses[streed_node.feature]
    node = nodes.add(feature, threshold)
    nodes.left[node] = _copy_streed(streed_node.right_child, nodes, guesses)
    nodes.right[node] = _copy_streed(streed_node.left_child, nodes, guesses)
    return node


def greedy_tree(X, targets, weight, depth, min_leaf, seed, nodes=None, rows=None, at=None):
    """CART on the target vectors (the Gini tree of the weighted copies, see ``_tree_on_targets``),
    grown on ``rows`` into ``nodes`` from the leaf ``at`` (a new tree when ``nodes`` is None)."""
    if nodes is None:
        nodes = Nodes(targets.shape[1])
        at = nodes.add()
    rows = np.arange(len(X)) if rows is None else rows
    if depth == 0 or len(rows) < 2 * min_leaf:
        return nodes
    columns = simplex_columns(targets[rows]).reshape(len(rows), -1)
    tree = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=min_leaf, random_state=seed)
    t = tree.fit(X[rows], columns, sample_weight=weight[rows]).tree_

    def copy(source, target):
        if t.children_left[source] < 0:
            return
        nodes.feature[target] = int(t.feature[source])
        nodes.threshold[target] = float(t.threshold[source])
        nodes.left[target], nodes.right[target] = nodes.add(), nodes.add()
        copy(t.children_left[source], nodes.left[target])
        copy(t.children_right[source], nodes.right[target])

    copy(0, at)
    return nodes


def searched_tree(X, targets, weight, settings, rng):
    """A tree searched in blocks: the top ``search_depth`` levels on guesses from all rows, then
    under each of its leaves a block searched on the rows that reach it (with guesses of its own),
    down to ``max_depth``. Each search sees at most ``search_rows`` rows (a random subset); the
    leaves' values come from all rows. Returns ``(nodes, top block's guesses, all proved
    optimal)``.

    ``settings`` holds ``max_depth``, ``search_depth``, ``n_thresholds``, ``search_rows``,
    ``min_samples_leaf`` and ``time_limit``.
    """
    max_depth, block = settings["max_depth"], min(settings["search_depth"], settings["max_depth"])
    nodes, top_guesses, proved = None, [], True
    pending = [(None, np.arange(len(X)), 0)]  # (leaf to grow from, its rows, its level)
    while pending:
        at, rows, level = pending.pop()
        depth = min(block, max_depth - level)
        if depth <= 0 or len(rows) < 2 * settings["min_samples_leaf"]:
            continue
        seen = rows
        if settings["search_rows"] is not None and len(rows) > settings["search_rows"]:
            seen = np.sort(rng.choice(rows, settings["search_rows"], replace=False))
        guesses = threshold_guesses(
            X[seen], targets[seen], weight[seen], settings["n_thresholds"], rng
        )
        part, optimal = optimal_tree(
            X[seen],
            targets[seen],
            weight[seen],
            guesses,
            depth,
            settings["min_samples_leaf"],
            settings["time_limit"],
            int(rng.randint(2**31 - 1)),
        )
        proved = proved and optimal
        if nodes is None:
            nodes, top_guesses, at = Nodes(targets.shape[1]), guesses, 0
            nodes.add()
        if part.left[0] >= 0:  # a block that splits nothing leaves its leaf a leaf
            _graft(part, 0, nodes, at)
            pending.extend(_leaves_below(nodes, at, X, rows, level))
    if nodes is None:  # nothing to search: one leaf
        nodes = Nodes(targets.shape[1])
        nodes.add()
    return nodes, top_guesses, proved


def _graft(part, source, nodes, target):
    """Copy the subtree of ``part`` at ``source`` onto the leaf ``target`` of ``nodes``."""
    if part.left[source] < 0:
        return
    nodes.feature[target] = part.feature[source]
    nodes.threshold[target] = part.threshold[source]
    nodes.left[target], nodes.right[target] = nodes.add(), nodes.add()
    _graft(part, part.left[source], nodes, nodes.left[target])
    _graft(part, part.right[source], nodes, nodes.right[target])


def _leaves_below(nodes, at, X, rows, level):
    """``(leaf, its rows, its level)`` for each leaf of the subtree of ``nodes`` at ``at``."""
    stack, leaves = [(at, rows, level)], []
    while stack:
        node, rows, level = stack.pop()
        if nodes.left[node] < 0:
            leaves.append((node, rows, level))
            continue
        goes_left = X[rows, nodes.feature[node]] <= nodes.threshold[node]
        stack.append((nodes.left[node], rows[goes_left], level + 1))
        stack.append((nodes.right[node], rows[~goes_left], level + 1))
    return leaves


def agreement(nodes, X, targets, weight):
    """The weighted mass of the targets on the tree's labels (higher is better)."""
    label = np.argmax(nodes.value[nodes.apply(X)], axis=1)
    return float(np.sum(weight * targets[np.arange(len(X)), label]))
