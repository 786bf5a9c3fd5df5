"""Privileged features: columns the teacher sees in fit and the student never sees.

Lopez-Paz et al.'s generalized distillation: a teacher fitted on every column (among them
measurements that exist at training time only) teaches a student that has the other columns, as
they exist when it predicts. Here the columns are resolved once in ``fit``
(``privileged_features_``, ``student_features_``) and every X the student gets passes through
:func:`student_columns`: the training rows, the transfer set and the rows it predicts.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array

from ._inputs import is_raw_sequence
from ._sklearn_compat import _num_features, _safe_indexing


def _shown(values, limit=10):
    values = list(values)
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(repr(v) for v in values[:limit]) + more


def resolve(privileged_features, X, n_features, feature_names):
    """Sorted indices of the privileged columns of X (empty for None or an empty list).

    ``privileged_features`` holds column names (X with string column names), integer indices
    (negative ones count from the end, as in numpy) or a boolean mask of one value per column.
    """
    param = f"privileged_features={privileged_features!r}"
    if privileged_features is None:
        return np.empty(0, dtype=np.intp)
    if is_raw_sequence(X):
        raise ValueError(
            f"{param} names columns, but X is a 1-d sequence of texts (or other raw values), "
            "which has no columns. Use privileged_features=None, or pass X as a table."
        )
    values = list(np.asarray(privileged_features, dtype=object).ravel())
    if not values:
        return np.empty(0, dtype=np.intp)
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        if len(values) != n_features:
            raise ValueError(
                f"privileged_features is a boolean mask of {len(values)} values, but X has "
                f"{n_features} columns; a mask needs one value per column (True: privileged)."
            )
        indices = np.flatnonzero(np.asarray(values, dtype=bool))
    elif all(isinstance(v, str) for v in values):
        indices = _by_name(values, feature_names, param)
    elif all(isinstance(v, Integral) and not isinstance(v, (bool, np.bool_)) for v in values):
        indices = _by_index(values, n_features, param)
    else:
        kinds = sorted({type(v).__name__ for v in values})
        raise ValueError(
            f"{param} mixes or holds values of types {kinds}; pass column names (str), integer "
            "indices or a boolean mask with one value per column, one kind only."
        )
    if len(indices) >= n_features:
        raise ValueError(
            f"{param} makes all {n_features} columns of X privileged, which leaves the student "
            "no column to predict from. Keep at least one column for the student."
        )
    return indices


def _by_name(names, feature_names, param):
    if feature_names is None:
        raise ValueError(
            f"{param} holds column names, but X has no string column names (a numpy array, a "
            "sparse matrix or a DataFrame with non-string columns). Pass integer indices, or X "
            "as a DataFrame with these columns."
        )
    position = {name: i for i, name in enumerate(feature_names)}
    unknown = [name for name in names if name not in position]
    if unknown:
        raise ValueError(
            f"{param} names {_shown(unknown)}, which X does not have; its columns are "
            f"{_shown(feature_names, 20)}."
        )
    return _unique([position[name] for name in names], names, param)


def _by_index(indices, n_features, param):
    wrong = [i for i in indices if not -n_features <= i < n_features]
    if wrong:
        raise ValueError(
            f"{param} holds the index {wrong[0]!r}, out of range for X with {n_features} "
            f"columns; indices run from 0 to {n_features - 1} (or from -{n_features} to -1)."
        )
    return _unique([int(i) % n_features for i in indices], indices, param)


def _unique(indices, given, param):
    seen = {}
    for index, value in zip(indices, given):
        if index in seen:
            raise ValueError(
                f"{param} lists column {seen[index]!r} twice (also as {value!r}); list each "
                "privileged column once."
            )
        seen[index] = value
    return np.array(sorted(seen), dtype=np.intp)


def student_columns(X, student_features):
    """X with the student's columns only (the same kind of container: DataFrame, sparse, array)."""
    return _safe_indexing(X, student_features, axis=1)


def predict_input(distiller, X):
    """X as the fitted student takes it, from X with the student's columns or with every column
    seen in ``fit`` (the privileged ones are then dropped).

    Both are accepted: a model in use has the student's columns alone, while scikit-learn's
    model selection (``GridSearchCV``, ``cross_val_score``) scores on held-out rows of the X it
    was fitted on, which has every column.
    """
    keep = distiller.student_features_
    n_full = distiller.n_features_in_
    full_names = getattr(distiller, "feature_names_in_", None)
    student_names = None if full_names is None else full_names[keep]
    names = _column_names(X)
    if names is not None and full_names is not None:
        if _same(names, full_names):
            return student_columns(distiller._validate_X(X, reset=False), keep)
        if _same(names, student_names):
            return X
        raise ValueError(_width_message(distiller, X, names))
    if is_raw_sequence(X):
        raise ValueError(_width_message(distiller, X, None))
    width = _num_features(X)
    if width == n_full:
        return student_columns(distiller._validate_X(X, reset=False), keep)
    if width != len(keep):
        raise ValueError(_width_message(distiller, X, names))
    if full_names is not None and names is None:
        warnings.warn(
            f"X does not have valid feature names, but {type(distiller).__name__} was fitted "
            "with feature names",
            UserWarning,
            stacklevel=3,
        )
    if hasattr(X, "columns"):
        return X  # a DataFrame of the student's width; fit or X had no string column names
    allow_nan = distiller.__sklearn_tags__().input_tags.allow_nan
    return check_array(
        X,
        accept_sparse=["csr", "csc"],
        dtype=None,
        ensure_all_finite="allow-nan" if allow_nan else True,
        ensure_min_samples=1,
    )


def _column_names(X):
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "dtypes"):
        return None
    names = list(columns)
    return np.asarray(names, dtype=object) if all(isinstance(n, str) for n in names) else None


def _same(names, expected):
    return len(names) == len(expected) and bool(np.all(np.asarray(names) == np.asarray(expected)))


def _width_message(distiller, X, names):
    owner = type(distiller).__name__
    keep = distiller.student_features_
    full_names = getattr(distiller, "feature_names_in_", None)
    if full_names is not None:
        student = f"the student's {len(keep)} columns {_shown(full_names[keep], 20)}"
        full = f"all {distiller.n_features_in_} columns seen in fit, in that order"
    else:
        student = f"the student's {len(keep)} columns (columns {_shown(keep, 20)} of fit)"
        full = f"all {distiller.n_features_in_} columns seen in fit"
    seen = f"columns {_shown(names, 20)}" if names is not None else f"{_width_or_kind(X)}"
    privileged = distiller.privileged_features_
    if full_names is not None:
        privileged = full_names[privileged]
    return (
        f"X has {seen}, but {owner} was fitted with privileged_features="
        f"{distiller.privileged_features!r}: it predicts from {student}, or from {full} (the "
        f"privileged columns {_shown(privileged, 20)} are then dropped)."
    )


def _width_or_kind(X):
    if is_raw_sequence(X):
        return "no columns (a 1-d sequence of raw values)"
    return f"{_num_features(X)} columns"


def check_teacher_input(distiller, X, owner):
    """Raise when X lacks the privileged columns a comparison with the teacher needs."""
    if not len(getattr(distiller, "privileged_features_", ())) or is_raw_sequence(X):
        return
    width = _num_features(X)
    if width != distiller.n_features_in_:
        full_names = getattr(distiller, "feature_names_in_", None)
        privileged = distiller.privileged_features_
        if full_names is not None:
            privileged = full_names[privileged]
        raise ValueError(
            f"{owner} asks the teacher, which needs every column seen in fit "
            f"({distiller.n_features_in_}, privileged ones included: {_shown(privileged, 20)}), "
            f"but X has {width}. Pass held-out rows with all the columns; the student takes its "
            "own part of them."
        )
