"""Soft-target mathematics: plain numpy, no estimators, no torch.

Everything the distillers compute from a teacher's raw outputs lives here, so it can be read and
tested on its own: tempering logits and probabilities, aligning a teacher's columns with the labels,
blending soft targets with one-hot labels, and turning soft targets into weighted rows for students
that only take ``sample_weight``.
"""

import numpy as np
from scipy.special import softmax

__all__ = [
    "align_columns",
    "binary_scores_to_logits",
    "blend_with_labels",
    "expand_weighted_rows",
    "keep_top_mass",
    "temper_logits",
    "temper_proba",
]


def binary_scores_to_logits(scores):
    """Turn a binary ``decision_function`` (one column) into two-column logits.

    ``[0, s]`` has ``softmax([0, s])[1] == sigmoid(s)``, which is exact for log-odds scores such as
    those of a logistic regression.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim == 1:
        return np.column_stack([np.zeros_like(scores), scores])
    return scores


def temper_logits(logits, temperature):
    """``softmax(logits / T)`` row by row, computed stably for any T > 0.

    The row maximum is subtracted before dividing, so that logits near the largest float do not
    overflow when T < 1.
    """
    logits = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore"):  # -inf after the shift is exactly what softmax needs
        shifted = (logits - logits.max(axis=1, keepdims=True)) / temperature
    return softmax(shifted, axis=1)


def temper_proba(proba, temperature):
    """Temper probabilities as ``p ** (1 / T)`` renormalised per row.

    This equals ``softmax(log(p) / T)`` but keeps exact zeros at zero: clipping ``log(p)`` before
    dividing by T would spread mass onto classes the teacher excluded (a forest's probabilities are
    full of zeros). The power is taken relative to the row maximum so that large ``1 / T`` cannot
    underflow every entry of a row.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if temperature == 1.0:
        total = proba.sum(axis=1, keepdims=True)
        return proba / total
    row_max = proba.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(proba > 0, proba / row_max, 0.0) ** (1.0 / temperature)
    return scaled / scaled.sum(axis=1, keepdims=True)


def proba_to_logits(proba):
    """``log(p)`` with ``-inf`` where ``p == 0``: the logits of a probability-only teacher."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(proba, dtype=np.float64))


def align_columns(values, source_classes, target_classes, fill=0.0):
    """Reorder the columns of ``values`` from ``source_classes`` to ``target_classes``.

    Columns are matched by class value, never by position. Classes of the target that the source
    lacks are filled with ``fill``.
    """
    source_classes = np.asarray(source_classes)
    target_classes = np.asarray(target_classes)
    if source_classes.shape == target_classes.shape and np.array_equal(
        source_classes, target_classes
    ):
        return values
    aligned = np.full((values.shape[0], len(target_classes)), fill, dtype=np.float64)
    position = {cls: i for i, cls in enumerate(target_classes.tolist())}
    for j, cls in enumerate(source_classes.tolist()):
        aligned[:, position[cls]] = values[:, j]
    return aligned


def blend_with_labels(soft_targets, y_encoded, alpha):
    """``alpha * soft_targets + (1 - alpha) * onehot(y)``; rows with ``y_encoded == -1`` keep
    the soft targets alone (they have no label)."""
    labelled = y_encoded >= 0
    target = np.array(soft_targets, dtype=np.float64, copy=True)
    if alpha == 1.0:
        return target
    target[labelled] *= alpha
    target[np.flatnonzero(labelled), y_encoded[labelled]] += 1.0 - alpha
    return target


def keep_top_mass(targets, mass):
    """Zero the smallest entries of each row while the kept ones carry at least ``mass``.

    Rows are renormalised to sum to one. ``mass=1`` keeps every non-zero entry. This bounds the
    number of weighted copies per row when there are many classes, at a cost of at most
    ``1 - mass`` of each row's target.
    """
    if mass >= 1.0:
        return targets
    order = np.argsort(-targets, axis=1, kind="stable")
    sorted_targets = np.take_along_axis(targets, order, axis=1)
    cumulative = np.cumsum(sorted_targets, axis=1)
    # keep an entry when the mass before it is still short of `mass`
    keep_sorted = (cumulative - sorted_targets) < mass * cumulative[:, -1:]
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    kept = np.where(keep, targets, 0.0)
    return kept / kept.sum(axis=1, keepdims=True)


def expand_weighted_rows(targets):
    """Rows and classes of every non-zero target entry, row-major.

    Returns ``(row_index, class_index, weight)``. Repeating row ``i`` once per class ``j`` with
    weight ``targets[i, j]`` turns a weighted classification loss into the cross-entropy against
    the soft targets. Row-major order keeps a one-hot target identical to the original rows, in the
    original order.
    """
    row_index, class_index = np.nonzero(targets > 0)
    return row_index, class_index, targets[row_index, class_index]
