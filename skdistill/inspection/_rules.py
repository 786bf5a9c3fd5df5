"""export_rules: a tree student's rules, with rows and teacher agreement on each leaf."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from ._common import check_distiller, teacher_predict


def _tree_and_X(student, X):
    """The fitted scikit-learn tree inside the student, and X as that tree sees it."""
    if isinstance(student, Pipeline):
        if len(student) > 1:
            X = student[:-1].transform(X)
        student = student[-1]
    if not hasattr(student, "tree_"):
        raise TypeError(
            f"export_rules reads a scikit-learn decision tree student (DecisionTreeClassifier "
            f"or DecisionTreeRegressor, or a Pipeline ending in one); the student is "
            f"{type(student).__name__}. For SoftTreeClassifier read filters_ and leaf_proba_."
        )
    return student, X


def export_rules(distiller, X, *, feature_names=None, decimals=2):
    """The rules of a tree student, with each leaf's rows and the teacher's agreement there.

    Like :func:`sklearn.tree.export_text`, one line per split and one per leaf; each leaf line
    also says how many rows of ``X`` reach it and, for a classifier, the share of those rows on
    which the teacher predicts the leaf's class (for a regressor, the teacher's mean prediction
    on them). A leaf with a low agreement is where the student departs from its teacher; one
    that no row reaches says ``rows: 0``.

    Parameters
    ----------
    distiller : DistilledClassifier or DistilledRegressor
        A fitted distiller whose student is a decision tree (or a Pipeline ending in one).
    X : array-like of shape (n_samples, n_features)
        Rows to count at the leaves and to ask the teacher about, e.g. held-out rows.
    feature_names : list of str, default=None
        Names of the tree's features; default the distiller's ``feature_names_in_`` when it
        has them and the tree sees the raw columns, else ``feature_0``, ``feature_1``, ....
    decimals : int, default=2
        Decimals of the thresholds and values.

    Returns
    -------
    text : str
        The rules, one line per node.

    See Also
    --------
    sklearn.tree.export_text : The same rules without the rows and the teacher.
    distillation_report : Accuracy, fidelity and size in a table.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.inspection import export_rules
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> distiller = DistilledClassifier(
    ...     LogisticRegression(max_iter=1000), DecisionTreeClassifier(max_depth=2, random_state=0)
    ... ).fit(X, y)
    >>> print(export_rules(distiller, X))
    |--- petal length (cm) <= 2.45
    |   |--- petal length (cm) <= 1.55
    |   |   |--- class: 0  [rows: 37, teacher agrees: 100.0%]
    |   |--- petal length (cm) >  1.55
    |   |   |--- class: 0  [rows: 13, teacher agrees: 100.0%]
    |--- petal length (cm) >  2.45
    |   |--- petal width (cm) <= 1.75
    |   |   |--- class: 1  [rows: 54, teacher agrees: 88.9%]
    |   |--- petal width (cm) >  1.75
    |   |   |--- class: 2  [rows: 46, teacher agrees: 100.0%]
    """
    check_distiller(distiller, "export_rules")
    # with privileged features the student's columns of X (X may have every column)
    X_student = distiller._student_input(X)
    tree, X_tree = _tree_and_X(distiller.student_, X_student)
    if feature_names is None:
        names = getattr(tree, "feature_names_in_", None)
        if names is None and X_tree is X_student:
            names = getattr(distiller, "feature_names_in_", None)
            if names is not None and len(getattr(distiller, "privileged_features_", ())):
                names = names[distiller.student_features_]
        if names is None:
            names = [f"feature_{i}" for i in range(tree.n_features_in_)]
        feature_names = list(names)
    if len(feature_names) != tree.n_features_in_:
        raise ValueError(
            f"feature_names has {len(feature_names)} names, but the tree has "
            f"{tree.n_features_in_} features; pass one name per feature."
        )
    structure = tree.tree_
    leaves = tree.apply(X_tree)
    teacher = np.asarray(teacher_predict(distiller, X))
    classify = is_classifier(distiller)
    lines = []

    def leaf_line(node, indent):
        reach = leaves == node
        value = structure.value[node][0]
        if classify:
            label = tree.classes_[np.argmax(value)]
            agree = f"{100 * np.mean(teacher[reach] == label):.1f}%" if reach.any() else "-"
            lines.append(
                f"{indent}|--- class: {label}  [rows: {reach.sum()}, teacher agrees: {agree}]"
            )
        else:
            mean = f"{np.mean(teacher[reach]):.{decimals}f}" if reach.any() else "-"
            lines.append(
                f"{indent}|--- value: {value[0]:.{decimals}f}  [rows: {reach.sum()}, "
                f"teacher's mean: {mean}]"
            )

    def walk(node, depth):
        indent = "|   " * depth
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            leaf_line(node, indent)
            return
        name = feature_names[structure.feature[node]]
        threshold = f"{structure.threshold[node]:.{decimals}f}"
        lines.append(f"{indent}|--- {name} <= {threshold}")
        walk(left, depth + 1)
        lines.append(f"{indent}|--- {name} >  {threshold}")
        walk(right, depth + 1)

    walk(0, 0)
    return "\n".join(lines)
