"""What the transfer-set generators share: reading X into a table, neighbours, drawing rows.

A fitted generator keeps the training rows as two arrays: ``_numeric``, the numeric columns as
float64, and ``_codes``, the categorical columns as integer codes into ``categories_``. Generators
work on these arrays only; ``_to_output`` turns drawn arrays back into the type and dtypes of the
X seen in ``fit``.
"""

from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array, check_random_state

from .._sklearn_compat import check_is_fitted, validate_data

# Rows drawn per step of ``sample``: bounds the temporary arrays of a large transfer set.
_CHUNK_ROWS = 1 << 16

# Past this many one-hot columns the neighbour search runs on a sparse matrix.
_MAX_DENSE_ONE_HOT = 256


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _column_label(columns, j):
    return repr(columns[j]) if columns is not None else f"{j} (by position)"


def _resolve_categorical(categorical_features, n_features, columns=None, dtypes=None, X=None):
    """Boolean mask of the categorical columns: those named by ``categorical_features`` and
    every column that is not numeric: in a DataFrame, 'category', object, string and bool
    dtypes; in an array, bool arrays and the columns of an object array that are not numbers."""
    mask = _parse_categorical(categorical_features, n_features, columns)
    if dtypes is not None:
        mask |= np.array([_is_categorical_dtype(dtype) for dtype in dtypes], dtype=bool)
    elif X is not None and X.dtype.kind == "b":
        mask[:] = True
    elif X is not None and X.dtype.kind in "OUS":
        mask |= np.array([not _is_numeric(X[:, j]) for j in range(n_features)], dtype=bool)
    return mask


def _is_categorical_dtype(dtype):
    import pandas as pd

    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    )


def _is_numeric(values):
    try:
        np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _parse_categorical(categorical_features, n_features, columns):
    if categorical_features is None:
        return np.zeros(n_features, dtype=bool)

    value = np.asarray(categorical_features)
    shown = categorical_features
    if value.ndim != 1:
        raise ValueError(
            f"categorical_features must be a 1-d boolean mask, integer indices or column names; "
            f"got an array of shape {value.shape}: {shown!r}."
        )
    mask = np.zeros(n_features, dtype=bool)
    if value.size == 0:
        return mask
    if value.dtype.kind == "b":
        if value.size != n_features:
            raise ValueError(
                f"categorical_features as a boolean mask must have one entry per feature "
                f"({n_features}), got {value.size}: {shown!r}."
            )
        return value.copy()
    if value.dtype.kind in "iu":
        bad = value[(value < 0) | (value >= n_features)]
        if bad.size:
            raise ValueError(
                f"categorical_features holds indices out of range for {n_features} features: "
                f"{bad.tolist()}. Use indices from 0 to {n_features - 1}."
            )
        mask[value] = True
        return mask
    if value.dtype.kind in "UO":
        if columns is None:
            raise ValueError(
                f"categorical_features holds column names {shown!r}, but X has no column names. "
                "Pass a pandas DataFrame, or integer indices or a boolean mask."
            )
        position = {name: j for j, name in enumerate(columns)}
        unknown = [name for name in value.tolist() if name not in position]
        if unknown:
            raise ValueError(
                f"categorical_features names columns that X does not have: {unknown}. "
                f"The columns of X are {list(columns)}."
            )
        mask[[position[name] for name in value.tolist()]] = True
        return mask
    raise ValueError(
        f"categorical_features must be None, a boolean mask, integer indices or column names; "
        f"got {shown!r} (dtype {value.dtype})."
    )


def _factorize(values):
    """Observed values and integer codes of one column; missing values are one more value."""
    try:
        categories, codes = np.unique(values, return_inverse=True)
    except TypeError:  # an object column mixing types that do not sort
        position = {}
        codes = np.fromiter((position.setdefault(v, len(position)) for v in values), np.intp)
        categories = np.empty(len(position), dtype=object)
        categories[:] = list(position)
    return categories, codes.reshape(-1).astype(np.intp)


def _to_float(values, label):
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"Column {label} of X is not numeric (dtype {np.asarray(values).dtype}). Mark it in "
            "categorical_features, or give it a pandas 'category' dtype, so that its values are "
            "copied from observed rows."
        ) from None


def check_n_samples(n_samples):
    """``n_samples`` as an int >= 0, or a clear error."""
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, Integral):
        raise TypeError(
            f"n_samples must be an int >= 0, got {n_samples!r} ({type(n_samples).__name__})."
        )
    if n_samples < 0:
        raise ValueError(f"n_samples must be an int >= 0, got {n_samples}.")
    return int(n_samples)


class _BaseGenerator(BaseEstimator):
    """Reading X, keeping the fitted table and writing drawn rows back. Not public."""

    _min_rows = 1
    _allow_nan = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = self._allow_nan
        return tags

    # ---------------------------------------------------------------- fit: read X
    def _fit_table(self, X):
        """Validate X, resolve the categorical columns and keep the training rows."""
        name = type(self).__name__
        if sparse.issparse(X):
            raise TypeError(
                f"{name} needs dense X, got a sparse {type(X).__name__}. Convert it with "
                "X.toarray(), or use a dense representation of the data."
            )
        validate_data(self, X, skip_check_array=True, reset=True)
        if _is_dataframe(X):
            columns, dtypes = list(X.columns), list(X.dtypes)
            n_rows = X.shape[0]
        else:
            X = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=0)
            columns, dtypes = None, None
            n_rows = X.shape[0]
        if n_rows < self._min_rows:
            raise ValueError(f"{name} needs at least {self._min_rows} rows in X, got {n_rows}.")
        mask = _resolve_categorical(self.categorical_features, X.shape[1], columns, dtypes, X)
        self.categorical_features_ = mask
        if columns is not None:
            self._read_dataframe(X, mask, columns, dtypes)
        else:
            self._read_array(X, mask)
        self._check_values(name)

    def _read_dataframe(self, X, mask, columns, dtypes):
        import pandas as pd

        numeric = []
        for j in np.flatnonzero(~mask):
            if not pd.api.types.is_numeric_dtype(dtypes[j]):
                raise ValueError(
                    f"Column {columns[j]!r} of X has dtype {dtypes[j]}, which is not numeric. "
                    f"Mark it in categorical_features (e.g. categorical_features="
                    f"[{columns[j]!r}]) or give it a 'category' dtype, so that its values are "
                    "copied from observed rows."
                )
            column = X.iloc[:, j]
            numeric.append(column.to_numpy(dtype=np.float64, na_value=np.nan))
        codes, categories, decoders = [], [], []
        for j in np.flatnonzero(mask):
            column = X.iloc[:, j]
            if isinstance(dtypes[j], pd.CategoricalDtype):
                codes.append(column.cat.codes.to_numpy().astype(np.intp))
                categories.append(np.asarray(dtypes[j].categories))
                decoders.append(("category", dtypes[j], None))
            else:
                column_codes, uniques = pd.factorize(column, use_na_sentinel=False)
                codes.append(column_codes.astype(np.intp))
                categories.append(np.asarray(uniques))
                decoders.append(("values", dtypes[j], uniques))
        self._store(X.shape[0], numeric, codes, categories)
        self._output = ("dataframe", X.columns, dtypes, decoders)

    def _read_array(self, X, mask):
        numeric = [_to_float(X[:, j], _column_label(None, j)) for j in np.flatnonzero(~mask)]
        codes, categories = [], []
        for j in np.flatnonzero(mask):
            column_categories, column_codes = _factorize(X[:, j])
            codes.append(column_codes)
            categories.append(column_categories)
        self._store(X.shape[0], numeric, codes, categories)
        dtype = {"b": bool, "i": np.float64, "u": np.float64, "f": np.float64}.get(
            X.dtype.kind, object
        )
        self._output = ("array", None, dtype, None)

    def _store(self, n_rows, numeric, codes, categories):
        self._numeric = np.column_stack(numeric) if numeric else np.empty((n_rows, 0))
        self._codes = np.column_stack(codes) if codes else np.empty((n_rows, 0), dtype=np.intp)
        self.categories_ = categories

    def _check_values(self, name):
        """Infinity is never allowed; NaN only in generators that keep it as it is."""
        numeric_columns = np.flatnonzero(~self.categorical_features_)
        names = self._output[1]
        for kind, bad in (("infinity", np.isinf), ("missing values (NaN)", np.isnan)):
            if kind.startswith("missing") and self._allow_nan:
                continue
            counts = bad(self._numeric).sum(axis=0)
            if counts.any():
                k = int(np.flatnonzero(counts)[0])
                label = _column_label(names, numeric_columns[k])
                fix = (
                    "Remove or clip these values first."
                    if kind == "infinity"
                    else "It needs complete rows: impute them first (e.g. SimpleImputer in a "
                    "Pipeline before the distiller) or use GaussianNoise, which keeps NaN as NaN."
                )
                raise ValueError(
                    f"{name} got X with {kind} in {int(counts.sum())} cell(s), first in column "
                    f"{label}. {fix}"
                )

    # ---------------------------------------------------------------- fit: neighbours
    def _nearest_neighbors(self, n_neighbors):
        """Indices of each row's nearest other rows, shape (n_rows, n_neighbors).

        Numeric features are standardised by their std; a categorical attribute adds 1 to the
        squared distance when it differs (a one-hot column scaled by 1/sqrt(2)).
        """
        std = self._numeric.std(axis=0)
        std[std == 0] = 1.0
        numeric = (self._numeric - self._numeric.mean(axis=0)) / std
        n_rows = numeric.shape[0]
        blocks = []
        for k in range(self._codes.shape[1]):
            n_values = int(self._codes[:, k].max()) + 2  # pandas codes missing values as -1
            blocks.append(
                sparse.csr_matrix(
                    (
                        np.full(n_rows, np.sqrt(0.5)),
                        (np.arange(n_rows), self._codes[:, k] + 1),
                    ),
                    shape=(n_rows, n_values),
                )
            )
        if blocks:
            one_hot = sparse.hstack(blocks, format="csr")
            if one_hot.shape[1] <= _MAX_DENSE_ONE_HOT:
                features = np.hstack([numeric, one_hot.toarray()])
            else:
                features = sparse.hstack([sparse.csr_matrix(numeric), one_hot], format="csr")
        else:
            features = numeric
        search = NearestNeighbors(n_neighbors=n_neighbors).fit(features)
        # With X=None the query rows are not their own neighbours (duplicates still are).
        return search.kneighbors(return_distance=False)

    # ---------------------------------------------------------------- sample
    def _start_rng(self):
        self._random_state = check_random_state(self.random_state)

    def sample(self, n_samples):
        """Draw ``n_samples`` new rows.

        Parameters
        ----------
        n_samples : int
            Number of rows to draw, >= 0.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            A DataFrame with the columns and categorical dtypes of the X seen in ``fit`` when
            that was a DataFrame (each column in its dtype, integer columns rounded), else an
            ndarray (float64, bool for a bool X, or object when X held strings).
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        # A fresh Generator per call, seeded from the stream started in fit: reproducible with
        # an int random_state, and consecutive calls continue the stream rather than repeat it.
        rng = np.random.default_rng(self._random_state.randint(np.iinfo(np.int32).max))
        rows = self._cycle_rows(n_samples, rng)
        numeric = np.empty((n_samples, self._numeric.shape[1]))
        codes = np.empty((n_samples, self._codes.shape[1]), dtype=np.intp)
        for start in range(0, n_samples, _CHUNK_ROWS):
            part = slice(start, start + _CHUNK_ROWS)
            numeric[part], codes[part] = self._draw(rows[part], rng)
        return self._to_output(numeric, codes)

    def _cycle_rows(self, n_samples, rng):
        """Training rows in random order, cycled: n_samples = k * n_rows takes each row k times."""
        n_rows = self._numeric.shape[0]
        n_cycles = -(-n_samples // n_rows)
        return np.argsort(rng.random((n_cycles, n_rows)), axis=1).reshape(-1)[:n_samples]

    def _draw(self, rows, rng):
        """New numeric values and categorical codes built from the training ``rows``."""
        raise NotImplementedError

    def _to_output(self, numeric, codes):
        kind, columns, dtypes, decoders = self._output
        mask = self.categorical_features_
        n_samples = numeric.shape[0]
        if kind == "array":
            if not mask.any() and dtypes is np.float64:
                return numeric
            out = np.empty((n_samples, mask.size), dtype=dtypes)
            out[:, ~mask] = numeric
            for k, j in enumerate(np.flatnonzero(mask)):
                out[:, j] = self.categories_[k][codes[:, k]]
            return out

        import pandas as pd

        data = {}
        numeric_columns = iter(numeric.T)
        categorical_columns = iter(zip(codes.T, decoders))
        for j in range(mask.size):
            if not mask[j]:
                data[j] = _as_numeric_dtype(next(numeric_columns), dtypes[j])
                continue
            column_codes, (way, dtype, uniques) = next(categorical_columns)
            if way == "category":
                data[j] = pd.Categorical.from_codes(column_codes, dtype=dtype)
            else:
                data[j] = pd.Series(uniques.take(column_codes), dtype=dtype)
        out = pd.DataFrame(data)
        out.columns = columns
        return out


def _as_numeric_dtype(values, dtype):
    """Drawn float64 values of a numeric column in the column's own dtype: integer columns are
    rounded, and clipped to their dtype's range (float32, nullable Int64 and so on kept)."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(dtype):
        info = np.iinfo(np.dtype(getattr(dtype, "numpy_dtype", dtype)))
        values = np.clip(np.rint(values), info.min, info.max)
    if isinstance(dtype, np.dtype):
        return values.astype(dtype)
    return pd.array(values, dtype=dtype)  # a pandas extension dtype: NaN becomes <NA>
