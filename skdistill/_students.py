"""How a student learns soft targets: one function per way, chosen once per fit.

- ``'weights'``: a classifier that takes ``sample_weight`` sees each row once per class, weighted by
  the target; its weighted loss is then the cross-entropy against the soft targets, and the fitted
  student is an ordinary classifier of the original labels.
- ``'regression'``: a regressor regresses the soft targets (or the teacher's logits, as in Ba and
  Caruana's mimic learning).
- ``'hard'``: any classifier learns the label the blended target puts first (the teacher's label on
  unlabeled rows). Loses the dark knowledge; for students that take neither weights nor targets.
- ``'native'``: a student with a ``fit_distilled`` method receives the raw pieces (soft targets,
  teacher logits, labels, temperature, alpha) and applies its own loss; a skorch classifier is
  trained with Hinton's loss through ``skdistill.torch``.
"""

import inspect

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from ._sklearn_compat import _routing_enabled, _safe_indexing, has_fit_parameter
from ._soft import expand_weighted_rows, keep_top_mass
from ._tree_on_targets import fit_tree_on_targets, grows_without_copies

STUDENT_METHODS = ("auto", "weights", "regression", "hard", "native")


def takes_sample_weight(estimator):
    """Whether ``estimator.fit`` takes ``sample_weight``; a Pipeline when its last step does."""
    if isinstance(estimator, Pipeline):
        last = estimator.steps[-1][1]
        return last not in (None, "passthrough") and takes_sample_weight(last)
    try:
        return has_fit_parameter(estimator, "sample_weight")
    except (TypeError, ValueError):
        return False


def weight_params(estimator, sample_weight):
    """``sample_weight`` as ``estimator.fit`` takes it: a Pipeline routes it to its last step
    (``<step>__sample_weight``), unless metadata routing is on, which routes it itself."""
    if isinstance(estimator, Pipeline) and not _routing_enabled():
        return {f"{estimator.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def is_skorch_net(estimator):
    """Whether ``estimator`` is a skorch net (found without importing skorch)."""
    return any(cls.__module__.split(".")[0] == "skorch" for cls in type(estimator).__mro__)


def is_native(student):
    """Whether ``student`` applies its own distillation loss: it has ``fit_distilled``, is a
    skorch classifier, or is a Pipeline whose last step is one of those."""
    if isinstance(student, Pipeline):
        last = student.steps[-1][1]
        return last not in (None, "passthrough") and is_native(last)
    return hasattr(student, "fit_distilled") or (is_skorch_net(student) and is_classifier(student))


def check_takes_features(student, owner):
    """Refuse hints and relation losses for a student without hidden layers to hook: they need
    a skorch classifier or a student whose ``fit_distilled`` takes ``features`` (MLPStudent)."""
    last = student.steps[-1][1] if isinstance(student, Pipeline) else student
    if is_skorch_net(last) and is_classifier(last):
        return
    fit_distilled = getattr(last, "fit_distilled", None)
    if fit_distilled is not None and "features" in inspect.signature(fit_distilled).parameters:
        return
    raise TypeError(
        f"hints and relation_loss train a neural student's hidden layers, but the student "
        f"{type(last).__name__} has none that {owner} can hook. Use a skorch "
        "NeuralNetClassifier or skdistill.torch.MLPStudent as the student, or drop hints and "
        "relation_loss."
    )


def seed_neural_student(student, seed):
    """Give the distiller's ``seed`` to a (cloned) student with ``fit_distilled``, such as
    ``MLPStudent``, or a Pipeline ending in one, when its own ``random_state`` is None.

    A skorch net is seeded where it is trained; a ``random_state`` the student was given wins.
    """
    last = student.steps[-1][1] if isinstance(student, Pipeline) else student
    if seed is None or not hasattr(last, "fit_distilled") or not hasattr(last, "get_params"):
        return student
    if last.get_params(deep=False).get("random_state", "absent") is None:
        last.set_params(random_state=seed)
    return student


def resolve_student_method(student, method, owner):
    """The way ``student`` will learn, checked against what it can do."""
    native = is_native(student)
    weighted = is_classifier(student) and takes_sample_weight(student)
    if method == "auto":
        if native:
            return "native"
        if weighted:
            return "weights"
        if is_regressor(student):
            return "regression"
        raise TypeError(_cannot_learn_message(student, owner))
    if method == "native" and not native:
        raise TypeError(
            f"student_method='native' needs a student with a fit_distilled method or a skorch "
            f"classifier; {student!r} is neither. Use student_method='auto'."
        )
    if method == "weights" and not weighted:
        raise TypeError(
            f"student_method='weights' needs a classifier whose fit takes sample_weight; "
            f"{student!r} is {'a classifier without it' if is_classifier(student) else 'not one'}."
            " Use student_method='hard' or 'regression', or another student."
        )
    if method == "regression" and not is_regressor(student):
        raise TypeError(
            f"student_method='regression' needs a regressor as student, got {student!r}."
        )
    if method == "hard" and not is_classifier(student):
        raise TypeError(f"student_method='hard' needs a classifier as student, got {student!r}.")
    return method


def _cannot_learn_message(student, owner):
    if is_classifier(student):
        why = "it is a classifier whose fit takes no sample_weight, so it cannot weigh soft targets"
    else:
        why = "it is neither a classifier nor a regressor"
    return (
        f"{owner} cannot teach the student {student!r}: {why}. Pass a classifier that accepts "
        "sample_weight (DecisionTreeClassifier, LogisticRegression, HistGradientBoostingClassifier,"
        " ...), a regressor (it regresses the soft targets), or set student_method='hard' to train "
        "it on the teacher's argmax labels."
    )


def fit_weighted(student, X, targets, classes, sample_weight, keep_mass, fit_params):
    """Fit a weight-taking classifier on one weighted copy of each row per class.

    A Gini tree (or a Pipeline ending in one) is grown on the target vectors instead, without
    copies: the same tree, at a cost that does not grow with the classes (see ``_tree_on_targets``).
    """
    targets = keep_top_mass(targets, keep_mass)
    one_hot = np.all((targets == 0.0) | (targets == 1.0))
    if not one_hot and not fit_params and grows_without_copies(student):
        return fit_tree_on_targets(student, X, targets, classes, sample_weight)
    rows, cols, weights = expand_weighted_rows(targets)
    if sample_weight is not None:
        weights = weights * sample_weight[rows]
    elif one_hot:
        # one-hot targets (alpha=0): the plain fit, exactly the student trained on the labels
        return _fit_labels(student, X, classes[cols], fit_params, "weights")
    return _fit_labels(
        student,
        _safe_indexing(X, rows),
        classes[cols],
        {**weight_params(student, weights), **fit_params},
        "weights",
    )


def fit_hard(student, X, targets, classes, sample_weight, fit_params):
    """Fit any classifier on the argmax of the blended targets."""
    if sample_weight is not None:
        fit_params = {**fit_params, **weight_params(student, _weight_for(student, sample_weight))}
    return _fit_labels(student, X, classes[np.argmax(targets, axis=1)], fit_params, "hard")


def _fit_labels(student, X, labels, fit_params, way):
    """``student.fit(X, labels)``; when the targets left a single class and the student cannot
    learn one, say so in the distiller's terms instead of the student's."""
    try:
        return student.fit(X, labels, **fit_params)
    except ValueError as error:
        seen = np.unique(labels)
        if len(seen) != 1:
            raise
        how = (
            "keep_mass=1.0 to keep every class the teacher gives mass to, "
            if way == "weights"
            else ""
        )
        only = seen.tolist()[0]
        raise ValueError(
            f"the student {student!r} cannot learn a single class, but the targets put all the "
            f"mass the student sees on {only!r} in every row (the student says: {error}). Set "
            f"alpha < 1 so that the labels count, {how}pass rows on which the teacher sees more "
            "than one class, or a student that accepts one class (a decision tree)."
        ) from error


def regression_columns(values):
    """Binary problems regress one column (the second class); others every column."""
    return values[:, 1] if values.shape[1] == 2 else values


def fit_regression(student, X, values, sample_weight, fit_params):
    """Fit a regressor on the soft targets or the logits; wrap single-output ones when needed."""
    y_fit = regression_columns(values)
    if y_fit.ndim == 2 and not get_tags(student).target_tags.multi_output:
        student = MultiOutputRegressor(student)
    if sample_weight is not None:
        fit_params = {**fit_params, **weight_params(student, _weight_for(student, sample_weight))}
    return student.fit(X, y_fit, **fit_params)


def _weight_for(student, sample_weight):
    if not takes_sample_weight(student):
        raise TypeError(
            f"sample_weight was passed, but the student {student!r} does not accept "
            "sample_weight in fit. Drop sample_weight or choose a student that takes it."
        )
    return sample_weight


def can_stream(student, task):
    """Whether ``student`` can learn from a streamed transfer set (``stream_transfer=True``): a
    skorch net, or a student whose ``fit_distilled`` takes ``transfer_stream`` (for
    classification also a Pipeline ending in one of these)."""
    from ._stream import fit_distilled_streams

    if task == "regression":
        return is_skorch_net(student) and is_regressor(student)
    if isinstance(student, Pipeline):
        last = student.steps[-1][1]
        return last not in (None, "passthrough") and can_stream(last, task)
    return fit_distilled_streams(student) or (is_skorch_net(student) and is_classifier(student))


def fit_native(
    student, X, y_encoded, *, fit_params, random_state=None, transfer_stream=None, **pieces
):
    """Fit a student that applies its own loss: its ``fit_distilled``, or skorch's fit loop.

    ``pieces`` are the keyword arguments of the ``fit_distilled`` protocol: ``soft_targets``,
    ``teacher_logits``, ``classes``, ``temperature``, ``alpha``, ``sample_weight`` and ``loss``.
    ``transfer_stream`` (``stream_transfer=True``) is passed on only when it is not None, so
    students written before it need not take it.
    """
    if isinstance(student, Pipeline):
        # the steps before the last are fitted as transformers; the last one learns natively
        if fit_params:
            raise TypeError(
                f"a Pipeline student takes no further fit parameters here, got "
                f"{sorted(fit_params)}; set them on its steps."
            )
        Xt = student[:-1].fit_transform(X) if len(student) > 1 else X
        if transfer_stream is not None and len(student) > 1:
            transfer_stream = transfer_stream.through(student[:-1].transform)
        name, last = student.steps[-1]
        fitted = fit_native(
            last,
            Xt,
            y_encoded,
            fit_params={},
            random_state=random_state,
            transfer_stream=transfer_stream,
            **pieces,
        )
        student.steps[-1] = (name, fitted)
        return student
    if transfer_stream is not None:
        pieces["transfer_stream"] = transfer_stream
    if hasattr(student, "fit_distilled"):
        return student.fit_distilled(X, y_encoded, **pieces, **fit_params)
    if fit_params:
        raise TypeError(
            f"a skorch student takes no further fit parameters here, got {sorted(fit_params)}. "
            "Set them on the net (e.g. max_epochs, callbacks) instead."
        )
    from .torch._skorch import train_net

    return train_net(student, X, y_encoded, random_state=random_state, **pieces)


def predict_with(student, method, X):
    """``student.<method>(X)``; a skorch net gets float32 X and leaves torch's RNG alone."""
    if is_skorch_net(student):
        from .torch._skorch import check_numeric_X, predict_quietly

        return predict_quietly(student, method, check_numeric_X(X))
    return getattr(student, method)(X)


def fit_regressor(student, X, target, sample_weight, fit_params, seed, transfer_stream=None):
    """Fit a regressor student on the blended targets; a skorch net through skdistill.torch."""
    if is_skorch_net(student):
        if sample_weight is not None:
            raise TypeError(
                f"sample_weight was passed, but the skorch student {student!r} takes no "
                "sample_weight. Drop sample_weight or choose another student."
            )
        from .torch._skorch import train_regressor_net

        return train_regressor_net(
            student, X, target, random_state=seed, transfer_stream=transfer_stream, **fit_params
        )
    if sample_weight is not None:
        fit_params = {**fit_params, **weight_params(student, sample_weight)}
    return student.fit(X, target, **fit_params)
