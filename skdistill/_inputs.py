"""Checks of what the user passes that need more than a parameter constraint: raw inputs
(texts) for pipelines, unlabeled markers, and generator errors told in a distiller's terms."""

from numbers import Real

import scipy.sparse as sp

from ._sklearn_compat import _num_samples
from ._teacher import tags_of


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and not hasattr(X, "toarray")


def is_raw_sequence(X):
    """Whether X is a 1-d sequence of raw values: texts (or bytes, or dicts) in a list, tuple,
    1-d array or pandas Series, as a Pipeline starting with a vectorizer takes them."""
    if sp.issparse(X) or _is_dataframe(X):
        return False
    shape = getattr(X, "shape", None)
    if shape is not None:
        if len(shape) != 1 or shape[0] == 0:
            return False
    elif not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    return isinstance(first_value(X), (str, bytes, dict))


def first_value(X):
    """The first item of a non-empty list, tuple, 1-d array or Series (by position)."""
    return X.iloc[0] if hasattr(X, "iloc") else X[0]


def first_step(estimator):
    """The estimator that first sees X: the first real step of a Pipeline, else itself."""
    steps = getattr(estimator, "steps", None)
    if not isinstance(steps, list):
        return estimator
    for _, step in steps:
        if step is not None and step != "passthrough":
            return first_step(step)
    return estimator


def in_distiller_terms(error, transfer, generator):
    """The generator's error, saying how a distiller user sets the generator parameter it names:
    with ``transfer='mixup'`` there is no ``categorical_features`` to pass, only
    ``transfer=Mixup(categorical_features=...)``."""
    message = str(error)
    name = type(generator).__name__
    params = [p for p in generator.get_params() if p in message]
    example = f"{name}({params[0]}=...)" if params else f"{name}(...)"
    message += (
        f" (transfer={transfer!r} is skdistill.transfer.{name}() with its defaults; to set "
        f"its parameters pass the generator itself, e.g. transfer={example}"
    )
    if "GaussianNoise" in message and name != "GaussianNoise":
        message += ", or transfer='noise' for GaussianNoise"
    return type(error)(message + ".)")


def check_parts_take_raw(parts, X):
    """Refuse 1-d raw X when the teacher or the student is a model that needs 2-d X (not a
    pipeline that starts with a vectorizer), before it prints the whole corpus."""
    for role, estimator in parts:
        entry = first_step(estimator)
        if not hasattr(entry, "__sklearn_tags__"):
            continue  # a bare model or a custom step: let it decide
        tags = tags_of(entry)
        inputs = tags.input_tags
        if tags.transformer_tags is not None or inputs.string or inputs.dict:
            continue  # a vectorizer (or another transformer, which will say what it needs)
        if inputs.one_d_array or not inputs.two_d_array:
            continue
        first = first_value(X)
        raise ValueError(
            f"X is a 1-d sequence of {_num_samples(X)} {type(first).__name__} values (the "
            f"first: {str(first)[:40]!r}), but the {_role(role)} {type(estimator).__name__} "
            "needs 2-d X of numbers. For texts, make the teacher and the student pipelines "
            "that start with a vectorizer, e.g. make_pipeline(TfidfVectorizer(), "
            f"{type(entry).__name__}(...))."
        )


def _role(name):
    return name if name in ("student", "teacher") else f"teacher {name!r}"


def looks_like_marker(value):
    """Whether a label the teacher does not know is a common unlabeled marker (scikit-learn's
    semi-supervised estimators use -1)."""
    if isinstance(value, str):
        return value.strip().lower() in {"-1", "unlabeled", "unlabelled", "?"}
    return isinstance(value, Real) and not isinstance(value, bool) and value == -1


def check_marker_fits(y, marker):
    """Raise when ``unlabeled_label`` could never occur in y: a marker of another type than the
    labels (a str marker with numeric labels, a number with str labels, NaN or a fraction with
    integer labels). A marker of the labels' type that does not occur means every row is
    labelled, which is fine (a fold without unlabeled rows)."""
    values = y.tolist() if y.dtype == object else None
    numeric = y.dtype.kind in "biuf" or (
        values is not None and all(isinstance(v, Real) for v in values)
    )
    text = y.dtype.kind in "US" or (values is not None and all(isinstance(v, str) for v in values))
    if isinstance(marker, str):
        fits = not numeric
    elif isinstance(marker, Real):
        fits = not text
        if numeric and y.dtype.kind in "biu" and not float(marker).is_integer():
            fits = False  # NaN or a fraction among integer labels
    else:
        fits = True
    if not fits:
        shown = y.dtype if y.dtype != object else "mixed object"
        raise ValueError(
            f"unlabeled_label={marker!r} can never occur in y, whose labels are {shown} "
            f"(e.g. {y[0]!r}). Pass a marker of the labels' type (e.g. unlabeled_label=-1 for "
            "integer labels), or unlabeled_label=None when every row is labelled."
        )
