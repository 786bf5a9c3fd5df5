"""A DecisionTreeClassifier grown on soft targets without copying rows.

The 'weights' way fits a classifier on one weighted copy of each row per class, so a tree's fit
grows with the number of classes. For a Gini tree there is a cheaper way to grow the same tree.
With targets ``t_i`` (rows summing to one) and row weights ``w_i``, a node's weighted Gini over the
copies is ``W - sum_j S_j**2 / W`` (``S_j = sum_i w_i t_ij``, ``W = sum_i w_i``), and the
multi-output squared error of the target vectors, times ``W``, is ``sum_i w_i |t_i|**2 -
sum_j S_j**2 / W``. The two differ by terms that add up over the children, which no split changes,
so both criteria rank every split of every node alike. The targets are first centred and projected
onto the ``K - 1`` directions orthogonal to the all-ones vector (an isometry of the simplex), so a
binary problem regresses one column.

A ``DecisionTreeRegressor`` with the classifier's hyperparameters is fitted on those columns, and
its tree becomes the ``tree_`` of the classifier the user passed, with each node's value the
weighted mean target (the class distribution) and its impurity the Gini of it. The regressor
already holds each node's weighted mean of the columns, and the columns are an affine image of
the targets, so the mean target is read back from it without another pass over the rows.
"""

import numbers

import numpy as np
from scipy.linalg import null_space
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ._sklearn_compat import Tree

_SHARED_PARAMS = (
    "splitter",
    "max_depth",
    "min_samples_split",
    "min_samples_leaf",
    "min_weight_fraction_leaf",
    "max_features",
    "max_leaf_nodes",
    "random_state",
)


def grows_without_copies(student):
    """Whether ``student`` is a Gini tree (or a Pipeline ending in one) that
    :func:`fit_tree_on_targets` grows exactly as on the copies: no class weights, no monotonic
    constraints, ``min_samples_leaf`` and ``min_samples_split`` at their defaults. Subclasses
    are left to the copies, as they may change ``fit``."""
    if isinstance(student, Pipeline):
        last = student.steps[-1][1]
        return last not in (None, "passthrough") and grows_without_copies(last)
    if type(student) is not DecisionTreeClassifier:
        # ExtraTreeClassifier would split by the same criterion, but its random draws follow
        # the number of rows, so it would grow another tree than on the copies
        return False
    params = student.get_params()
    # min_samples_leaf and min_samples_split count copies on the copies; at their defaults the
    # two fits agree (a row's copies share every feature value, so no split parts them)
    return (
        params["criterion"] == "gini"
        and params["class_weight"] is None
        and params["monotonic_cst"] is None
        and _is_int(params["min_samples_leaf"], 1)
        and _is_int(params["min_samples_split"], 2)
    )


def _is_int(value, expected):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value == expected


def fit_tree_on_targets(student, X, targets, classes, sample_weight=None):
    """Fit ``student`` (see :func:`grows_without_copies`) on soft ``targets`` and return it.

    ``targets`` holds one row per row of X, summing to one, columns in ``classes`` order.
    """
    if isinstance(student, Pipeline):
        Xt = student[:-1].fit_transform(X) if len(student) > 1 else X
        name, last = student.steps[-1]
        student.steps[-1] = (name, fit_tree_on_targets(last, Xt, targets, classes, sample_weight))
        return student
    targets = np.asarray(targets, dtype=np.float64)
    present = targets.sum(axis=0) > 0  # the copies would have no row of an absent class
    targets, classes = targets[:, present], np.asarray(classes)[present]
    n_classes = targets.shape[1]
    params = student.get_params()
    # both criteria's decreases differ by the factor n_classes - 1 (the number of regressed
    # columns, over which the squared error is averaged)
    scale = max(n_classes - 1, 1)
    regressor = DecisionTreeRegressor(
        criterion="squared_error",
        min_impurity_decrease=params["min_impurity_decrease"] / scale,
        ccp_alpha=params["ccp_alpha"] / scale,
        **{name: params[name] for name in _SHARED_PARAMS},
    )
    regressor.fit(X, simplex_columns(targets), sample_weight=sample_weight)
    _adopt_tree(student, regressor, classes)
    return student


def simplex_columns(targets):
    """Targets centred and written in an orthonormal basis of the plane they lie in."""
    n_classes = targets.shape[1]
    if n_classes == 1:
        return np.zeros((len(targets), 1))
    columns = (targets - 1.0 / n_classes) @ _simplex_basis(n_classes)
    return columns[:, 0] if columns.shape[1] == 1 else columns


def _simplex_basis(n_classes):
    return null_space(np.ones((1, n_classes)))  # (n_classes, n_classes - 1), orthonormal


def _class_distributions(column_means, n_classes):
    """The mean targets whose :func:`simplex_columns` are ``column_means`` (one row a node)."""
    if n_classes == 1:
        return np.ones((len(column_means), 1))
    value = column_means @ _simplex_basis(n_classes).T + 1.0 / n_classes
    # the map back is exact up to rounding: a class no row of a node has comes back as +-1e-17,
    # and is set to the zero a classifier's tree holds for it
    value[value < 8 * n_classes * np.finfo(np.float64).eps] = 0.0
    return value / value.sum(axis=1, keepdims=True)


def _adopt_tree(student, regressor, classes):
    """Give ``student`` the fitted attributes of a classifier with the regressor's tree."""
    n_classes = len(classes)
    state = regressor.tree_.__getstate__()
    # the regressor's node values are the weighted means of the columns over each node's rows
    value = _class_distributions(state["values"][:, :, 0], n_classes)
    nodes = state["nodes"].copy()
    nodes["impurity"] = 1.0 - np.sum(value**2, axis=1)
    tree = Tree(regressor.n_features_in_, np.array([n_classes], dtype=np.intp), 1)
    tree.__setstate__(
        {
            "max_depth": state["max_depth"],
            "node_count": state["node_count"],
            "nodes": nodes,
            "values": np.ascontiguousarray(value[:, None, :]),
        }
    )
    student.tree_ = tree
    student.classes_ = classes
    student.n_classes_ = n_classes
    student.n_outputs_ = 1
    student.max_features_ = regressor.max_features_
    student.n_features_in_ = regressor.n_features_in_
    if hasattr(regressor, "feature_names_in_"):
        student.feature_names_in_ = regressor.feature_names_in_
