"""Teachers: which ones are fitted, how they are fitted, asked and cached.

A fitted teacher is used as it is: never refit, never mutated, not even copied by ``clone``. Its
outputs depend on X alone (not on temperature or alpha), so they are cached: in a grid search over
temperature and alpha the teacher answers once per fold, not once per candidate.
"""

import numbers
import re

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.parallel import Parallel, delayed

from ._cache import OutputCache
from ._sklearn_compat import (
    _get_feature_names,
    _num_samples,
    _safe_indexing,
    check_is_fitted,
    check_memory,
    has_fit_parameter,
)
from ._verbose import say

_CACHE_ENTRIES_PER_TEACHER = 16
# Outputs held per teacher: enough for the folds of a grid search on a few million rows, bounded
# so that labelling a large transfer set cannot pin gigabytes in memory.
_CACHE_BYTES_PER_TEACHER = 256 * 2**20
# teacher_batch_size='auto': a tenth of the rows a call, within these bounds. A call has a fixed
# cost (input checks, one pass per tree of a boosting model; about 5 ms for a 100-tree
# HistGradientBoosting teacher here): on 1M rows its batches of 10,000 took 1.07-1.11 times the
# CPU time of one call, batches of 100,000 0.99-1.07 (benchmarks/bench_transfer_scale.py).
# The upper bound keeps the memory of a wide teacher's temporaries in check.
_AUTO_BATCH_ROWS = (10_000, 100_000)
_AUTO_BATCHES = 10


# --------------------------------------------------------------------------------------------
# the teacher parameter: one estimator, a list of estimators or a list of (name, estimator)
# --------------------------------------------------------------------------------------------
def named_teachers(teacher):
    """The teacher parameter as a list of ``(name, estimator)`` pairs."""
    if isinstance(teacher, (list, tuple)):
        if len(teacher) == 0:
            raise ValueError("teacher is an empty list; pass at least one teacher estimator.")
        pairs = []
        for i, item in enumerate(teacher):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                pairs.append(item)
            else:
                pairs.append((f"teacher{i}", item))
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise ValueError(f"teacher names must be unique, got {names}.")
        return pairs
    return [("teacher", teacher)]


def teacher_label(name, *, the=False):
    """How messages name a teacher: 'teacher' ('the teacher' with ``the``) when there is one,
    "teacher 'name'" in a list."""
    if name == "teacher":
        return "the teacher" if the else "teacher"
    return f"teacher {name!r}"


def is_fitted(estimator):
    """Whether ``estimator`` is fitted; an object without ``fit`` (a bare model) is fitted."""
    if not hasattr(estimator, "fit"):
        return True
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def clone_teacher_param(teacher):
    """What ``clone`` of a distiller does to its teacher parameter.

    Fitted teachers are kept as the same object (cloning would discard the fit: a net trained for
    hours would be retrained for every grid-search candidate); unfitted ones are cloned as usual.
    Lists of teachers and of ``(name, teacher)`` pairs are handled item by item.
    """
    if isinstance(teacher, (list, tuple)):
        return type(teacher)(_clone_item(item) for item in teacher)
    return _clone_one(teacher)


def _clone_item(item):
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return (item[0], _clone_one(item[1]))
    return _clone_one(item)


def _clone_one(estimator):
    return estimator if is_fitted(estimator) else clone(estimator, safe=False)


def teaches_from_labels(estimator):
    """Whether a teacher's outputs come from the rows' labels (``label_proba(y)``), not from X:
    :class:`~skdistill.VirtualTeacher`."""
    return callable(getattr(estimator, "label_proba", None))


def tags_of(estimator):
    """``get_tags(estimator)``, or scikit-learn's default tags for an object without tags.

    A bare fitted model (``classes_`` and ``predict_proba``, no ``BaseEstimator``) is a valid
    teacher; scikit-learn's ``get_tags``, ``is_classifier`` and ``is_regressor`` raise on it.
    """
    if hasattr(estimator, "__sklearn_tags__"):
        try:
            return get_tags(estimator)
        except AttributeError:  # a __sklearn_tags__ that calls a missing super()
            pass
    return BaseEstimator().__sklearn_tags__()


def _kind_of(estimator):
    return tags_of(estimator).estimator_type


def check_teacher_kind(name, estimator, task, owner):
    """Raise when a teacher cannot serve a ``task`` of 'classification' or 'regression'."""
    label = teacher_label(name)
    kind = "classifier" if task == "classification" else "regressor"
    methods = "predict_proba or decision_function" if kind == "classifier" else "predict"
    if estimator is None or isinstance(estimator, (str, bytes, numbers.Number, type)):
        shown = (
            f"the class {estimator.__name__}"
            if isinstance(estimator, type)
            else (f"{estimator!r} ({type(estimator).__name__})")
        )
        example = "RandomForestClassifier()" if kind == "classifier" else "RandomForestRegressor()"
        hint = (
            f" Pass an instance, e.g. {estimator.__name__}()."
            if isinstance(estimator, type)
            else f" Pass an estimator object, e.g. {example}, fitted or not."
        )
        raise TypeError(
            f"{owner} needs a {kind} as {label}: an estimator with fit, or a fitted model with "
            f"{'classes_ and ' if kind == 'classifier' else ''}{methods}; got {shown}.{hint}"
        )
    if task == "classification":
        if _kind_of(estimator) == "regressor":
            raise TypeError(
                f"{owner} needs a classifier as teacher; {label} is the regressor "
                f"{estimator!r}. Use DistilledRegressor to distil a regressor."
            )
        if teaches_from_labels(estimator):
            return  # a teacher without a model: its classes_ come from the labels
        if not (hasattr(estimator, "decision_function") or hasattr(estimator, "predict_proba")):
            raise TypeError(
                f"{owner} needs a teacher with decision_function or predict_proba to make soft "
                f"targets; {label} {estimator!r} has neither. Wrap it, e.g. in "
                "sklearn.calibration.CalibratedClassifierCV, to give it probabilities."
            )
        if not hasattr(estimator, "fit") and not hasattr(estimator, "classes_"):
            raise TypeError(
                f"{owner} needs the classes of a fitted model; {label} {estimator!r} has no "
                "fit and no classes_. Give it a classes_ attribute (the label of each output "
                "column, in order)."
            )
    else:
        if _kind_of(estimator) == "classifier":
            raise TypeError(
                f"{owner} needs a regressor as teacher; {label} is the classifier "
                f"{estimator!r}. Use DistilledClassifier to distil a classifier."
            )
        if not hasattr(estimator, "predict"):
            raise TypeError(
                f"{owner} needs a teacher with predict; {label} {estimator!r} has none."
            )


def fit_teacher(teacher, X, y, sample_weight, fit_params, memory):
    """Clone and fit an unfitted teacher; through ``memory`` when it is a cache location."""
    fitter = _fit_clone
    if memory is not None and memory is not False:
        fitter = check_memory(memory).cache(_fit_clone)
    return fitter(teacher, X, y, sample_weight, fit_params)


def _fit_clone(teacher, X, y, sample_weight, fit_params):
    fresh = clone(teacher)
    if sample_weight is not None and "sample_weight" not in fit_params:
        if has_fit_parameter(fresh, "sample_weight"):
            fit_params = {**fit_params, "sample_weight": sample_weight}
    return fresh.fit(X, y, **fit_params)


def out_of_fold_outputs(teacher, X, y, cv, method, params, n_jobs, memory):
    """``cross_val_predict`` of clones of ``teacher``: each row answered by a clone that did not
    see it; through ``memory`` when it is a cache location."""
    fn = _cross_val_outputs
    if memory is not None and memory is not False:
        fn = check_memory(memory).cache(_cross_val_outputs, ignore=["n_jobs"])
    return fn(teacher, X, y, cv, method, params, n_jobs)


def _cross_val_outputs(teacher, X, y, cv, method, params, n_jobs):
    return np.asarray(
        cross_val_predict(
            clone(teacher), X, y, cv=cv, method=method, params=params or None, n_jobs=n_jobs
        )
    )


def check_n_features(teacher, n_features, name="teacher"):
    """Raise when X has another number of features than a fitted teacher expects."""
    expected = getattr(teacher, "n_features_in_", None)
    if isinstance(expected, numbers.Integral) and expected != n_features:
        label = teacher_label(name, the=True)
        raise ValueError(
            f"X has {n_features} features, but {label} was fitted on {expected} features "
            f"(teacher.n_features_in_ = {expected}). Pass X with the columns the teacher was "
            "trained on, in the same order, or pass an unfitted teacher to fit it on this X."
        )


def check_feature_names(teacher, X, name="teacher"):
    """Raise when X's column names differ from those a fitted teacher was trained on.

    scikit-learn refuses such X itself, but LightGBM and CatBoost take the columns by position:
    the same columns in another order would silently give other outputs.
    """
    expected = teacher_feature_names(teacher)
    seen = _get_feature_names(X) if hasattr(X, "columns") else None
    if expected is None or seen is None:
        return
    expected, seen = [str(c) for c in expected], [str(c) for c in seen]
    # LightGBM keeps the names with each whitespace replaced by "_": compare them so
    plain_expected, plain_seen = list(map(_plain_name, expected)), list(map(_plain_name, seen))
    if plain_expected == plain_seen:
        return
    label = teacher_label(name, the=True)
    missing = [c for c, p in zip(expected, plain_expected) if p not in set(plain_seen)]
    unexpected = [c for c, p in zip(seen, plain_seen) if p not in set(plain_expected)]
    if missing or unexpected:
        parts = [f"missing from X: {missing[:20]}"] if missing else []
        parts += [f"not known to {label}: {unexpected[:20]}"] if unexpected else []
        problem = "; ".join(parts)
    else:
        problem = (
            f"the same columns in another order: X has {seen[:20]}, {label} was fitted on "
            f"{expected[:20]}"
        )
    raise ValueError(
        f"X's column names do not match those {label} was fitted on ({problem}). Pass X with "
        "the teacher's columns in its order, e.g. X[teacher.feature_names_in_], or pass an "
        "unfitted teacher to fit it on this X."
    )


def _plain_name(column):
    return re.sub(r"\s", "_", str(column))


def teacher_feature_names(teacher):
    """The column names a fitted teacher was trained on, or None when it was not given names."""
    names = getattr(teacher, "feature_names_in_", None)
    if names is None and type(teacher).__module__.startswith("catboost"):
        # CatBoost keeps the DataFrame's names in feature_names_, or '0', '1', ... for arrays
        names = getattr(teacher, "feature_names_", None)
        if names is not None and list(names) == [str(i) for i in range(len(names))]:
            names = None
    return None if names is None else list(names)


# --------------------------------------------------------------------------------------------
# asking the teacher
# --------------------------------------------------------------------------------------------
def output_method(teacher):
    """The method a classifier teacher is asked: logits first, probabilities otherwise.

    A skorch net is asked through ``skdistill.torch``: its module's raw logits when its criterion
    is CrossEntropyLoss ('skorch_logits'), else its probabilities ('skorch_proba').
    """
    if _is_skorch(teacher):
        from .torch._skorch import criterion_kind

        return "skorch_proba" if criterion_kind(teacher) == "proba" else "skorch_logits"
    if hasattr(teacher, "decision_function"):
        pairwise = _one_vs_one(teacher)
        if pairwise is None:
            return "decision_function"
        if hasattr(teacher, "predict_proba"):
            return "predict_proba"
        raise ValueError(
            f"the teacher's decision_function gives one-vs-one scores (one column per pair of "
            f"classes, not per class: decision_function_shape='ovo' on {pairwise!r}), which are "
            "not logits. Set decision_function_shape='ovr', or give the teacher probabilities: "
            "sklearn.calibration.CalibratedClassifierCV(teacher, ensemble=False) (or "
            "probability=True before scikit-learn 1.9)."
        )
    return "predict_proba"


def _one_vs_one(teacher):
    """The estimator inside ``teacher`` whose decision function gives one-vs-one scores, if any.

    Follows the estimators a teacher's decision_function comes from: a Pipeline's last step and
    a wrapped estimator (a search's best_estimator_, FrozenEstimator, BaggingClassifier).
    """
    if len(getattr(teacher, "classes_", ())) <= 2:
        return None  # two classes: one pair, one column, the same as one-vs-rest
    estimator = teacher
    for _ in range(10):
        if getattr(estimator, "decision_function_shape", None) == "ovo":
            return estimator
        if isinstance(estimator, Pipeline):
            inner = estimator.steps[-1][1]
        else:
            inner = next(
                (
                    getattr(estimator, attr)
                    for attr in ("best_estimator_", "estimator_", "estimator")
                    if hasattr(getattr(estimator, attr, None), "decision_function")
                ),
                None,
            )
        if inner is None:
            return None
        estimator = inner
    return None


def _is_skorch(estimator):
    return any(cls.__module__.split(".")[0] == "skorch" for cls in type(estimator).__mro__)


def batch_rows(batch_size, n_rows):
    """Rows per teacher call for ``teacher_batch_size`` (an int, 'auto' or None) and ``n_rows``
    rows; None means one call."""
    if isinstance(batch_size, str) and batch_size == "auto":
        low, high = _AUTO_BATCH_ROWS
        return min(high, max(low, -(-n_rows // _AUTO_BATCHES)))
    return batch_size


def _call_teacher(teacher, X, method, batch_size=None, n_jobs=None):
    """``teacher.<method>(X)``, in batches of ``batch_size`` rows spread over ``n_jobs``.

    Peak memory grows with the batch, not with X. The batches go through joblib, so a backend
    such as dask's or ray's (``joblib.parallel_config``) spreads them over a cluster.
    """
    n_rows = _num_samples(X)
    batch_size = batch_rows(batch_size, n_rows)
    if batch_size is None or n_rows <= batch_size:
        return _call_once(teacher, X, method)
    starts = range(0, n_rows, batch_size)
    # Batches come back in order, one at a time, and go straight into one array allocated at the
    # first: the peak is the output plus a few batches, never the output twice.
    parts = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_call_once)(teacher, _safe_indexing(X, slice(i, i + batch_size)), method)
        for i in starts
    )
    out = None
    for k, (start, part) in enumerate(zip(starts, parts)):
        say(f"labelled batch {k + 1} of {len(starts)} ({len(part)} rows) with {method}")
        if out is None:
            out = np.empty((n_rows, *part.shape[1:]), dtype=part.dtype)
        out[start : start + len(part)] = part
    return out


def _call_once(teacher, X, method):
    if method.startswith("skorch_"):
        from .torch._teacher import skorch_teacher_outputs

        return np.asarray(skorch_teacher_outputs(teacher, X)[0])
    return np.asarray(getattr(teacher, method)(X))


_OUTPUT_CACHE = OutputCache(_CACHE_ENTRIES_PER_TEACHER, _CACHE_BYTES_PER_TEACHER)


def teacher_outputs(teacher, X, method, memory, batch_size=None, n_jobs=None):
    """``teacher.<method>(X)`` as an array, through the cache that ``memory`` selects.

    ``memory=None`` uses the in-process cache, ``False`` asks the teacher every time, and a path or
    ``joblib.Memory`` caches on disk (shared by processes, so it also serves ``n_jobs > 1``).
    """
    if memory is False:
        return _call_teacher(teacher, X, method, batch_size, n_jobs)
    if memory is None:
        return _OUTPUT_CACHE.get_or_call(
            teacher, X, method, lambda: _call_teacher(teacher, X, method, batch_size, n_jobs)
        )
    cached = check_memory(memory).cache(_call_teacher, ignore=["batch_size", "n_jobs"])
    return cached(teacher, X, method, batch_size, n_jobs)


def clear_cache():
    """Forget every teacher output held by the in-process cache."""
    _OUTPUT_CACHE.clear()


def check_finite_outputs(values, name, method):
    """Raise when a teacher returned NaN or inf (or negative probabilities)."""
    label = teacher_label(name, the=True)
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))
        raise ValueError(
            f"{label}'s {method} returned NaN or inf for {len(rows)} of {len(values)} rows "
            f"(first at row {rows[0]}). Check X for extreme or missing values the teacher cannot "
            "handle, or impute them in a Pipeline step before the distiller."
        )
    if method == "predict_proba" and ((values < 0).any() or (values.sum(axis=1) <= 0).any()):
        raise ValueError(
            f"{label}'s predict_proba returned negative probabilities or a row summing to zero; "
            "soft targets need a probability distribution per row."
        )
