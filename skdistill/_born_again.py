"""BornAgainClassifier: generations of one estimator, each distilled from the one before."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone, is_regressor
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._base import _BaseDistiller
from ._classifier import DistilledClassifier
from ._sklearn_compat import (
    HasMethods,
    Interval,
    _check_sample_weight,
    _fit_context,
    _safe_indexing,
    available_if,
    check_is_fitted,
    validate_data,
)
from ._soft import align_columns


def _estimator_has(method):
    def check(self):
        return hasattr(self.estimator, method)

    return check


class BornAgainClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Generations of one classifier, each distilled from the one before (born-again networks).

    Generation 0 is ``estimator`` fitted on the labels. Generation ``k`` is the same estimator
    trained by :class:`DistilledClassifier` with generation ``k - 1`` as its (fitted) teacher,
    on the same rows. With ``ensemble=True`` the prediction is the mean of the ``predict_proba``
    of every generation, generation 0 included (the paper's BAN ensemble); otherwise the last
    generation predicts alone.

    Parameters
    ----------
    estimator : classifier
        The model of every generation, cloned for each. A student of
        :class:`DistilledClassifier`: one that takes ``sample_weight``, a regressor is not
        allowed (generation 0 learns the labels), or one with ``fit_distilled`` such as
        :class:`skdistill.torch.MLPStudent`.
    n_generations : int, default=3
        Number of generations distilled after generation 0, so ``estimators_`` holds
        ``n_generations + 1`` models. 0 gives the estimator fitted on the labels.
    ensemble : bool, default=True
        Predict with the mean of the generations' probabilities (needs ``predict_proba``);
        False predicts with the last generation.
    temperature : float, default=1.0
        Temperature of each distillation, as in :class:`DistilledClassifier`.
    alpha : float, default=0.5
        Weight of the previous generation's soft targets against the labels, in [0, 1].
        Furlanello et al. train on the teacher's outputs alone (``alpha=1``).
    transfer : None, {'auto', 'munge', 'mixup', 'noise'} or generator, default=None
        A transfer set for each distillation, drawn from the training rows, as in
        :class:`DistilledClassifier`. Without one, every generation learns on the training
        rows, where the previous generation is often already right and sure.
    n_transfer : int or float, default=10.0
        Size of the transfer set: rows (int) or a multiple of the training rows (float).
    validation_fraction : float or None, default=None
        Share of the rows held out (stratified when every class allows it): every generation
        is fitted on the other rows and scored on these, in ``validation_scores_``. None: every
        generation is fitted on all rows and no score is kept.
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split and each generation: a ``random_state`` of the estimator that
        is None gets its own seed in each generation (a new initialisation, as in the paper),
        and each distillation's transfer set and neural training are seeded. One the estimator
        was given is kept in every generation.

    Attributes
    ----------
    estimators_ : list of estimators
        One fitted model a generation: ``estimators_[0]`` is ``estimator`` fitted on the labels,
        ``estimators_[k]`` the fitted :class:`DistilledClassifier` of generation ``k`` (its
        ``student_`` is the plain model).
    validation_scores_ : ndarray of shape (n_generations + 1,)
        Accuracy of each generation alone on the held-out rows; only with
        ``validation_fraction``.
    validation_ensemble_scores_ : ndarray of shape (n_generations + 1,)
        Accuracy on the held-out rows of the mean of generations ``0..k``, for each ``k``; only
        with ``validation_fraction`` and an estimator with ``predict_proba``.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    DistilledClassifier : One distillation from a teacher into a student.

    Notes
    -----
    Born-again training helps where a generation's outputs carry more than its labels: a
    smooth model (boosting, a neural net) whose probabilities on the training rows are not
    all 0 and 1, or a transfer set. A fully grown tree is right and certain on every training
    row, so without a transfer set its next generation learns the labels again.

    References
    ----------
    .. [1] T. Furlanello, Z. C. Lipton, M. Tschannen, L. Itti and A. Anandkumar, "Born-Again
       Neural Networks", ICML 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from skdistill import BornAgainClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = BornAgainClassifier(
    ...     HistGradientBoostingClassifier(max_iter=20), n_generations=2,
    ...     validation_fraction=0.25, random_state=0,
    ... ).fit(X, y)
    >>> len(model.estimators_), model.validation_scores_.shape
    (3, (3,))
    >>> model.predict(X[:3]).tolist()
    [0, 0, 0]
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "n_generations": [Interval(Integral, 0, None, closed="left")],
        "ensemble": ["boolean"],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "transfer": _BaseDistiller._shared_constraints["transfer"],
        "n_transfer": _BaseDistiller._shared_constraints["n_transfer"],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        n_generations=3,
        ensemble=True,
        temperature=1.0,
        alpha=0.5,
        transfer=None,
        n_transfer=10.0,
        validation_fraction=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_generations = n_generations
        self.ensemble = ensemble
        self.temperature = temperature
        self.alpha = alpha
        self.transfer = transfer
        self.n_transfer = n_transfer
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit generation 0 on the labels, then each later generation from the one before.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (a DataFrame stays a DataFrame for the estimator).
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to every generation's fit.

        Returns
        -------
        self : BornAgainClassifier
            The fitted model.
        """
        if is_regressor(self.estimator):
            raise ValueError(
                f"estimator must be a classifier: generation 0 learns the labels, and "
                f"{self.estimator!r} is a regressor. Pass a classifier of the same kind, e.g. "
                "DecisionTreeClassifier for DecisionTreeRegressor."
            )
        if self.ensemble and not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"ensemble=True averages the generations' predict_proba, which "
                f"{self.estimator!r} does not have. Set ensemble=False to predict with the last "
                "generation."
            )
        X, y = self._validate(X, y, reset=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        rng = check_random_state(self.random_state)
        seeds = [None] * (self.n_generations + 1)
        if self.random_state is not None:
            seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_generations + 1).tolist()
        train, valid = self._split(y, rng)
        X_fit, y_fit = _safe_indexing(X, train), y[train]
        weight = None if sample_weight is None else sample_weight[train]

        first = self._seeded(seeds[0])
        self.estimators_ = [
            first.fit(X_fit, y_fit)
            if weight is None
            else first.fit(X_fit, y_fit, sample_weight=weight)
        ]
        for seed in seeds[1:]:
            distiller = DistilledClassifier(
                self.estimators_[-1],
                self._seeded(seed),
                temperature=self.temperature,
                alpha=self.alpha,
                transfer=self.transfer,
                n_transfer=self.n_transfer,
                random_state=seed,
            )
            self.estimators_.append(distiller.fit(X_fit, y_fit, sample_weight=weight))
        if valid is not None:
            self._score_generations(_safe_indexing(X, valid), y[valid])
        return self

    def _seeded(self, seed):
        estimator = clone(self.estimator)
        params = estimator.get_params(deep=False)
        if seed is not None and "random_state" in params and params["random_state"] is None:
            estimator.set_params(random_state=seed)
        return estimator

    def _split(self, y, rng):
        """Indices of the rows every generation is fitted on, and of the held-out rows."""
        if self.validation_fraction is None:
            return np.arange(len(y)), None
        counts = np.unique(y, return_counts=True)[1]
        n_valid = int(np.ceil(self.validation_fraction * len(y)))
        stratify = counts.min() >= 2 and len(counts) <= n_valid <= len(y) - len(counts)
        splitter = StratifiedShuffleSplit if stratify else ShuffleSplit
        seed = rng.randint(np.iinfo(np.int32).max)
        split = splitter(n_splits=1, test_size=self.validation_fraction, random_state=seed)
        try:
            return next(split.split(np.zeros((len(y), 1)), y))
        except ValueError as error:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no rows on one side of "
                f"{len(y)} rows ({error}). Pass a fraction that leaves rows on both sides, or "
                "None."
            ) from error

    def _score_generations(self, X_valid, y_valid):
        self.validation_scores_ = np.array(
            [np.mean(model.predict(X_valid) == y_valid) for model in self.estimators_]
        )
        if hasattr(self.estimator, "predict_proba"):
            probas = np.cumsum([self._proba_of(m, X_valid) for m in self.estimators_], axis=0)
            self.validation_ensemble_scores_ = np.array(
                [np.mean(self.classes_[p.argmax(axis=1)] == y_valid) for p in probas]
            )

    def _proba_of(self, model, X):
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        return align_columns(proba, model.classes_, self.classes_)

    def _validate(self, X, y=None, *, reset):
        if hasattr(X, "columns") and hasattr(X, "dtypes"):
            validate_data(self, X, skip_check_array=True, reset=reset)
            if y is not None:
                y = column_or_1d(y, warn=True)
                check_consistent_length(X, y)
            return X, y
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        kwargs = dict(accept_sparse=["csr", "csc"], dtype=None)
        kwargs["ensure_all_finite"] = "allow-nan" if allow_nan else True
        if y is None:
            return validate_data(self, X, reset=reset, **kwargs), None
        return validate_data(self, X, y, reset=reset, **kwargs)

    def predict(self, X):
        """Predict class labels: with the mean of the generations, or the last one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)[0]
        if self.ensemble:
            return self.classes_[np.argmax(self._mean_proba(X), axis=1)]
        return self.estimators_[-1].predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities: the mean over generations, or the last generation's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class for each row, columns in ``classes_`` order.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)[0]
        if self.ensemble:
            return self._mean_proba(X)
        return self._proba_of(self.estimators_[-1], X)

    def _mean_proba(self, X):
        return np.mean([self._proba_of(model, X) for model in self.estimators_], axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # what a distiller of the estimator into itself accepts, transfer set included
        inner = DistilledClassifier(self.estimator, self.estimator, transfer=self.transfer)
        tags.input_tags = get_tags(inner).input_tags
        tags.classifier_tags.multi_label = False
        return tags
