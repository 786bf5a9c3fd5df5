"""Transfer-set generators: MUNGE, mixup and Gaussian noise around the training rows."""

from numbers import Integral, Real

import numpy as np

from .._sklearn_compat import Interval, _fit_context
from ._adversarial import AdversarialRows
from ._base import _BaseGenerator

_COMMON_CONSTRAINTS = {
    "categorical_features": ["array-like", None],
    "random_state": ["random_state"],
}


class Munge(_BaseGenerator):
    """MUNGE: perturb each training row towards its nearest neighbour (Bucilua et al., 2006).

    For a training row ``e`` and its nearest neighbour ``e'``, each attribute is, with
    probability ``p``, replaced: a numeric one by a draw from ``Normal(e'_a, |e_a - e'_a| / s)``,
    a categorical one by ``e'_a``. The new rows stay close to the data and follow its local
    structure, so a teacher labelling them shows a student its function where the data lives.

    Parameters
    ----------
    p : float, default=0.5
        Probability, in [0, 1], that an attribute is replaced. ``p=0`` returns copies of training
        rows.
    s : float, default=1.0
        Local variance parameter, > 0: the spread of a numeric draw is the distance to the
        neighbour divided by ``s``. Larger ``s`` keeps new values nearer the neighbour's.
    categorical_features : array-like of bool, int or str, default=None
        The categorical columns: a boolean mask of length ``n_features``, integer indices or,
        for a DataFrame, column names. Columns that are not numbers are always categorical: a
        DataFrame's 'category', object, string and bool columns, an object array's columns of
        text; None: those alone. Categorical values are copied, never mixed.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws. ``fit`` starts one stream from it that every ``sample`` call
        continues: two generators fitted with the same int give the same sequence of samples,
        and consecutive calls on one generator give different rows.

    Attributes
    ----------
    neighbors_ : ndarray of shape (n_rows,)
        Index of each training row's nearest other training row.
    categorical_features_ : ndarray of bool of shape (`n_features_in_`,)
        Which features are categorical.
    categories_ : list of ndarray
        For each categorical feature, in column order, the values it can take: its categories
        for a 'category' dtype, else the values observed in ``fit``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    Mixup : Points on segments between pairs of training rows.
    GaussianNoise : Training rows plus noise; the only generator that accepts NaN.

    Notes
    -----
    Distances are Euclidean on numeric features standardised by their std; each categorical
    attribute that differs adds 1 to the squared distance. The neighbours are found once, in
    ``fit``. Unlike the paper, which changes both ``e`` and ``e'`` in place, each new row is
    a perturbed copy of one training row ``e``; the rows to perturb cycle through the training
    rows in a random order, so ``n_samples = k * n_rows`` perturbs every row ``k`` times.

    Which generator to try first: on smooth numeric tables, :class:`Mixup` with
    ``n_neighbors=None`` has been the strongest in our measurements so far. MUNGE is the
    paper's method and keeps to the local structure of the data (clusters, manifolds, mixed
    numeric and categorical columns). :class:`GaussianNoise` is the simplest and the only one
    that takes missing values.

    Each column of a DataFrame comes back in its own dtype (integer ones rounded). X needs
    complete rows: impute missing values first. Missing values in categorical columns count as
    one more category.

    References
    ----------
    .. [1] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model Compression", KDD 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill.transfer import Munge
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 3))
    >>> y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    >>> teacher = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> X_transfer = Munge(p=0.5, s=1.0, random_state=0).fit(X).sample(2000)
    >>> X_transfer.shape
    (2000, 3)
    >>> student = DecisionTreeRegressor(max_depth=5, random_state=0)
    >>> student = student.fit(X_transfer, teacher.predict(X_transfer))
    """

    _min_rows = 2

    _parameter_constraints = {
        "p": [Interval(Real, 0, 1, closed="both")],
        "s": [Interval(Real, 0, None, closed="neither")],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(self, p=0.5, s=1.0, *, categorical_features=None, random_state=None):
        self.p = p
        self.s = s
        self.categorical_features = categorical_features
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find each training row's nearest neighbour.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Training rows, at least 2, without missing values in numeric columns.
        y : None
            Ignored.

        Returns
        -------
        self : Munge
            The fitted generator.
        """
        self._fit_table(X)
        self.neighbors_ = self._nearest_neighbors(1)[:, 0]
        self._start_rng()
        return self

    def _draw(self, rows, rng):
        partners = self.neighbors_[rows]
        own, theirs = self._numeric[rows], self._numeric[partners]
        swap = rng.random(own.shape) < self.p
        spread = np.abs(own - theirs) / self.s
        numeric = np.where(swap, theirs + spread * rng.standard_normal(own.shape), own)
        own_codes = self._codes[rows]
        swap_codes = rng.random(own_codes.shape) < self.p
        codes = np.where(swap_codes, self._codes[partners], own_codes)
        return numeric, codes


class Mixup(_BaseGenerator):
    """Mixup: points on segments between two training rows (Zhang et al., 2018).

    Each new row is ``lam * x_i + (1 - lam) * x_j`` with ``lam ~ Beta(alpha, alpha)`` drawn per
    row, ``x_i`` a training row and ``x_j`` its partner: any other training row, or one of its
    ``n_neighbors`` nearest neighbours. A categorical attribute is never interpolated: it takes
    ``x_i``'s value with probability ``lam``, else ``x_j``'s.

    Parameters
    ----------
    alpha : float, default=1.0
        Parameter of the Beta distribution of ``lam``, > 0. 1.0 spreads new rows uniformly along
        each segment; small values keep them near the ends (near training rows), large values
        near the middle.
    n_neighbors : int, default=None
        Partner among the row's ``n_neighbors`` nearest neighbours (>= 1, fewer than the number
        of training rows); None: any other training row, which also fills the space between
        clusters.
    categorical_features : array-like of bool, int or str, default=None
        The categorical columns: a boolean mask of length ``n_features``, integer indices or,
        for a DataFrame, column names. Columns that are not numbers are always categorical: a
        DataFrame's 'category', object, string and bool columns, an object array's columns of
        text; None: those alone. Categorical values are copied, never mixed.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws. ``fit`` starts one stream from it that every ``sample`` call
        continues: two generators fitted with the same int give the same sequence of samples,
        and consecutive calls on one generator give different rows.

    Attributes
    ----------
    neighbors_ : ndarray of shape (n_rows, n_neighbors) or None
        Indices of each training row's nearest other rows; None when ``n_neighbors=None``.
    categorical_features_ : ndarray of bool of shape (`n_features_in_`,)
        Which features are categorical.
    categories_ : list of ndarray
        For each categorical feature, in column order, the values it can take: its categories
        for a 'category' dtype, else the values observed in ``fit``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    Munge : Perturb rows towards their nearest neighbour (the model-compression paper's method).
    GaussianNoise : Training rows plus noise; the only generator that accepts NaN.

    Notes
    -----
    Which generator to try first: on smooth numeric tables, Mixup with ``n_neighbors=None``
    has been the strongest in our measurements so far. Segments between distant rows can cross
    regions without data (between clusters, off a manifold); ``n_neighbors`` keeps them local.
    :class:`Munge` is the model-compression paper's method and follows local structure;
    :class:`GaussianNoise` is the simplest and takes missing values.

    Nearest neighbours use Euclidean distance on numeric features standardised by their std; a
    differing categorical attribute adds 1 to the squared distance. The rows ``x_i`` cycle
    through the training rows in a random order, so ``n_samples = k * n_rows`` starts from every
    row ``k`` times. Each column of a DataFrame comes back in its own dtype (integer ones
    rounded). X needs complete rows: impute missing values first. Missing values in categorical
    columns count as one more category.

    References
    ----------
    .. [1] H. Zhang, M. Cisse, Y. N. Dauphin and D. Lopez-Paz, "mixup: Beyond Empirical Risk
       Minimization", ICLR 2018.
    .. [2] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model Compression", KDD 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import Mixup
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [4.0, 4.0]])
    >>> mixup = Mixup(alpha=1.0, n_neighbors=1, random_state=0).fit(X)
    >>> mixup.neighbors_.ravel()
    array([1, 0, 1])
    >>> X_new = mixup.sample(6)
    >>> X_new.shape
    (6, 2)
    >>> bool(np.allclose(X_new[:, 0], X_new[:, 1]))  # on the segments, all on the diagonal
    True
    """

    _min_rows = 2

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(
        self, alpha=1.0, *, n_neighbors=None, categorical_features=None, random_state=None
    ):
        self.alpha = alpha
        self.n_neighbors = n_neighbors
        self.categorical_features = categorical_features
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Keep the training rows and, with ``n_neighbors``, find their nearest neighbours.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Training rows, at least 2, without missing values in numeric columns.
        y : None
            Ignored.

        Returns
        -------
        self : Mixup
            The fitted generator.
        """
        self._fit_table(X)
        n_rows = self._numeric.shape[0]
        if self.n_neighbors is None:
            self.neighbors_ = None
        elif self.n_neighbors >= n_rows:
            raise ValueError(
                f"n_neighbors must be smaller than the number of rows in X ({n_rows}), got "
                f"{self.n_neighbors}. Lower it, or use n_neighbors=None to pair any two rows."
            )
        else:
            self.neighbors_ = self._nearest_neighbors(self.n_neighbors)
        self._start_rng()
        return self

    def _draw(self, rows, rng):
        n_rows = self._numeric.shape[0]
        if self.neighbors_ is None:
            # Any row but the row itself: draw from n_rows - 1 and skip over it.
            partners = rng.integers(0, n_rows - 1, size=rows.size)
            partners += partners >= rows
        else:
            which = rng.integers(0, self.neighbors_.shape[1], size=rows.size)
            partners = self.neighbors_[rows, which]
        lam = rng.beta(self.alpha, self.alpha, size=rows.size)[:, None]
        numeric = lam * self._numeric[rows] + (1.0 - lam) * self._numeric[partners]
        own_codes = self._codes[rows]
        keep_own = rng.random(own_codes.shape) < lam
        codes = np.where(keep_own, own_codes, self._codes[partners])
        return numeric, codes


class GaussianNoise(_BaseGenerator):
    """Training rows plus Gaussian noise scaled to each feature's spread.

    Each new row is a training row with ``Normal(0, scale * std_a)`` added to every numeric
    feature ``a``; categorical attributes keep the row's value.

    Parameters
    ----------
    scale : float, default=0.1
        Noise std as a fraction of each feature's std, >= 0. 0 returns copies of training rows.
    categorical_features : array-like of bool, int or str, default=None
        The categorical columns: a boolean mask of length ``n_features``, integer indices or,
        for a DataFrame, column names. Columns that are not numbers are always categorical: a
        DataFrame's 'category', object, string and bool columns, an object array's columns of
        text; None: those alone. Categorical values are copied, never mixed.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws. ``fit`` starts one stream from it that every ``sample`` call
        continues: two generators fitted with the same int give the same sequence of samples,
        and consecutive calls on one generator give different rows.

    Attributes
    ----------
    noise_std_ : ndarray of shape (`n_features_in_`,)
        Std of the noise added to each feature: ``scale`` times the feature's std (ignoring
        NaN); 0 for categorical features and features without two observed values.
    categorical_features_ : ndarray of bool of shape (`n_features_in_`,)
        Which features are categorical.
    categories_ : list of ndarray
        For each categorical feature, in column order, the values it can take: its categories
        for a 'category' dtype, else the values observed in ``fit``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    Munge : Perturb rows towards their nearest neighbour (the model-compression paper's method).
    Mixup : Points on segments between pairs of training rows.

    Notes
    -----
    The simplest generator and the only one that accepts missing values: a NaN cell stays NaN
    in every row drawn from its row, and each feature's std is computed without NaN
    (``numpy.nanstd``). Noise is independent across features, so it ignores correlations;
    :class:`Mixup` (the strongest on smooth numeric tables in our measurements so far) and
    :class:`Munge` follow the data more closely.

    The rows cycle through the training rows in a random order, so ``n_samples = k * n_rows``
    takes every row ``k`` times. Each column of a DataFrame comes back in its own dtype (integer
    ones rounded).

    References
    ----------
    .. [1] C. M. Bishop, "Training with Noise is Equivalent to Tikhonov Regularization",
       Neural Computation 7(1), 1995.
    .. [2] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model Compression", KDD 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import GaussianNoise
    >>> X = np.array([[0.0, 1.0], [2.0, np.nan], [4.0, 3.0]])
    >>> noise = GaussianNoise(scale=0.1, random_state=0).fit(X)
    >>> noise.noise_std_.round(3)
    array([0.163, 0.1  ])
    >>> X_new = noise.sample(6)
    >>> int(np.isnan(X_new).sum())
    2
    """

    _allow_nan = True

    _parameter_constraints = {
        "scale": [Interval(Real, 0, None, closed="left")],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(self, scale=0.1, *, categorical_features=None, random_state=None):
        self.scale = scale
        self.categorical_features = categorical_features
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Measure each numeric feature's std (ignoring NaN).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Training rows; NaN allowed.
        y : None
            Ignored.

        Returns
        -------
        self : GaussianNoise
            The fitted generator.
        """
        self._fit_table(X)
        counts = (~np.isnan(self._numeric)).sum(axis=0)
        std = np.zeros(self._numeric.shape[1])
        some = counts > 0
        std[some] = np.nanstd(self._numeric[:, some], axis=0)
        self._numeric_noise_std = self.scale * std
        self.noise_std_ = np.zeros(self.n_features_in_)
        self.noise_std_[~self.categorical_features_] = self._numeric_noise_std
        self._start_rng()
        return self

    def _draw(self, rows, rng):
        rows_numeric = self._numeric[rows]
        noise = rng.standard_normal(rows_numeric.shape) * self._numeric_noise_std
        return rows_numeric + noise, self._codes[rows]


def _boundary_rows():
    return AdversarialRows(student_share=0.0)


_BY_NAME = {
    "munge": Munge,
    "mixup": Mixup,
    "noise": GaussianNoise,
    "adversarial": AdversarialRows,
    "boundary": _boundary_rows,
}


def check_generator(transfer, name="transfer"):
    """A transfer-set generator from a distiller's parameter.

    Parameters
    ----------
    transfer : None, str or object with ``fit`` and ``sample``
        None is returned as it is; a name ('munge', 'mixup', 'noise', 'adversarial',
        'boundary') gives a new generator with default parameters ('boundary' is
        ``AdversarialRows(student_share=0)``); an
        object with ``fit`` and ``sample`` methods is returned as it is (not cloned).
    name : str, default='transfer'
        Name of the parameter, for error messages.

    Returns
    -------
    generator : object or None
    """
    if transfer is None:
        return None
    accepted = (
        f"{name} must be None, 'munge', 'mixup', 'noise', 'adversarial', 'boundary' or an "
        "object with fit and sample"
    )
    if isinstance(transfer, str):
        if transfer not in _BY_NAME:
            raise ValueError(f"{accepted}; got {transfer!r}.")
        return _BY_NAME[transfer]()
    if isinstance(transfer, type):
        raise TypeError(
            f"{accepted}; got the class {transfer.__name__}. Pass an instance, e.g. "
            f"{transfer.__name__}()."
        )
    if callable(getattr(transfer, "fit", None)) and callable(getattr(transfer, "sample", None)):
        return transfer
    raise TypeError(f"{accepted}; got {transfer!r} ({type(transfer).__name__}).")
