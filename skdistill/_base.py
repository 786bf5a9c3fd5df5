"""What DistilledClassifier and DistilledRegressor share: teachers, clone, tags and routing."""

import copy

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags

from . import _teacher
from ._sklearn_compat import (
    MetadataRouter,
    MethodMapping,
    _check_sample_weight,
    _raise_for_params,
    _routing_enabled,
    _safe_indexing,
    process_routing,
    validate_data,
)


class _BaseDistiller(MetaEstimatorMixin, BaseEstimator):
    """Teacher handling for the distillers. Not public: subclass the distillers instead."""

    _task = None  # 'classification' or 'regression'

    # ---------------------------------------------------------------- clone and parameters
    def __sklearn_clone__(self):
        # A fitted teacher travels into the clone as the same object: GridSearchCV, cross_val_score
        # and Pipeline clone the distiller, and must not discard (and so refit) the teacher.
        params = self.get_params(deep=False)
        new_params = {
            name: (
                _teacher.clone_teacher_param(value)
                if name == "teacher"
                else clone(value, safe=False)
            )
            for name, value in params.items()
        }
        new = type(self)(**new_params)
        if hasattr(self, "_metadata_request"):
            new._metadata_request = copy.deepcopy(self._metadata_request)
        return new

    def set_params(self, **params):
        """Set the parameters of this estimator, as in scikit-learn.

        Parameters of a fitted teacher (``teacher__<name>``) cannot be set: a fitted teacher is
        used as it is and never refit, so changing it would silently change the user's object
        without effect on its fit. Pass an unfitted teacher to tune its parameters.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        teacher = params.get("teacher", self.teacher)
        nested = sorted(key for key in params if key.startswith("teacher__"))
        if nested and not isinstance(teacher, (list, tuple)) and _teacher.is_fitted(teacher):
            raise ValueError(
                f"Cannot set {nested} on a fitted teacher: it is used as it is and never refit. "
                "Pass an unfitted teacher to tune its parameters (it is then fitted on each "
                "training set), or set the parameters on the teacher before fitting it yourself."
            )
        return super().set_params(**params)

    # ---------------------------------------------------------------- tags and routing
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        parts = [self.student] + [est for _, est in _teacher.named_teachers(self.teacher)]
        part_tags = [get_tags(part) for part in parts]
        tags.input_tags.sparse = all(t.input_tags.sparse for t in part_tags)
        tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in part_tags)
        tags.input_tags.categorical = all(t.input_tags.categorical for t in part_tags)
        tags.input_tags.string = all(t.input_tags.string for t in part_tags)
        tags.input_tags.pairwise = part_tags[0].input_tags.pairwise
        return tags

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        The teacher and the student are the children: ``fit`` metadata goes to the teacher's
        ``fit`` (only when the distiller fits the teacher) and to the student's ``fit``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter` encapsulating routing
            information.
        """
        router = MetadataRouter(owner=self.__class__.__name__)
        for name, estimator in _teacher.named_teachers(self.teacher):
            if _teacher.is_fitted(estimator):
                continue  # never fitted here, so it receives no fit metadata
            router.add(
                **{name: estimator},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        router.add(
            student=self.student,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        return router

    def _route_fit_params(self, sample_weight, fit_params):
        """Split fit metadata into per-teacher and student parameters.

        Without metadata routing enabled, ``sample_weight`` goes to both by hand (when they take
        it) and any other fit parameter is an error, as in scikit-learn's meta-estimators.
        """
        names = [name for name, _ in _teacher.named_teachers(self.teacher)]
        if _routing_enabled():
            if sample_weight is not None:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            routed = process_routing(self, "fit", **fit_params)
            teacher_params = {
                name: dict(routed[name].fit) if name in routed else {} for name in names
            }
            student_params = dict(routed.student.fit)
            student_weight = student_params.pop("sample_weight", None)
            return teacher_params, student_params, student_weight, False
        _raise_for_params(fit_params, self, "fit")
        return {name: {} for name in names}, {}, sample_weight, True

    # ---------------------------------------------------------------- teachers
    def _fit_teachers(self, X, y_labelled_mask, y, sample_weight, teacher_params, by_hand):
        """Use fitted teachers as they are; clone and fit unfitted ones on the labelled rows."""
        owner = type(self).__name__
        fitted = []
        for name, estimator in _teacher.named_teachers(self.teacher):
            _teacher.check_teacher_kind(name, estimator, self._task, owner)
            if _teacher.is_fitted(estimator):
                _teacher.check_n_features(estimator, self.n_features_in_, name)
                fitted.append((name, estimator))
                continue
            if not y_labelled_mask.any():
                raise ValueError(
                    f"teacher {estimator!r} is not fitted, and y has no labelled rows to fit it "
                    "on. Pass a fitted teacher, or labelled rows."
                )
            rows = np.flatnonzero(y_labelled_mask)
            X_fit = X if len(rows) == len(y_labelled_mask) else self._take(X, rows)
            y_fit = y[rows]
            weight = sample_weight[rows] if (by_hand and sample_weight is not None) else None
            fitted.append(
                (
                    name,
                    _teacher.fit_teacher(
                        estimator, X_fit, y_fit, weight, teacher_params[name], self.memory
                    ),
                )
            )
        self.teacher_ = (
            fitted[0][1]
            if not isinstance(self.teacher, (list, tuple))
            else [est for _, est in fitted]
        )
        return fitted

    def _teacher_weights(self, n_teachers):
        if self.teacher_weights is None:
            return np.full(n_teachers, 1.0 / n_teachers)
        weights = np.asarray(self.teacher_weights, dtype=np.float64)
        if weights.shape != (n_teachers,) or not np.all(np.isfinite(weights)):
            raise ValueError(
                f"teacher_weights must hold one finite weight per teacher ({n_teachers}), got "
                f"{self.teacher_weights!r}."
            )
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(
                f"teacher_weights must be >= 0 with a positive sum, got {self.teacher_weights!r}."
            )
        return weights / weights.sum()

    def _fitted_teacher_pairs(self):
        teachers = self.teacher_ if isinstance(self.teacher_, list) else [self.teacher_]
        names = [name for name, _ in _teacher.named_teachers(self.teacher)]
        return list(zip(names, teachers))

    def _validate_X(self, X, *, reset):
        """Check X without changing its kind: a DataFrame stays a DataFrame for the teacher.

        Other inputs become 2d arrays (sparse ones CSR or CSC) that rows can be taken from. NaN
        is allowed only where the teacher and the student both accept it (the input tags).
        """
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        if _is_dataframe(X):
            validate_data(self, X, skip_check_array=True, reset=reset)
            return X
        return validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=None,
            ensure_all_finite="allow-nan" if allow_nan else True,
            ensure_min_samples=1,
        )

    @staticmethod
    def _take(X, rows):
        return _safe_indexing(X, rows)

    @staticmethod
    def _check_sample_weight(sample_weight, X):
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float64)


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and not hasattr(X, "toarray")
