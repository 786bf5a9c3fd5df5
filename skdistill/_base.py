"""What DistilledClassifier and DistilledRegressor share: teachers, clone, tags and routing."""

import copy
import functools
import inspect
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import check_random_state, get_tags

from . import _inputs, _privileged, _students, _targets, _teacher
from ._sklearn_compat import (
    HasMethods,
    Interval,
    MetadataRouter,
    MethodMapping,
    StrOptions,
    _check_sample_weight,
    _num_samples,
    _raise_for_params,
    _routing_enabled,
    _safe_indexing,
    check_is_fitted,
    has_fit_parameter,
    process_routing,
    validate_data,
)
from ._teacher import teacher_label
from ._verbose import say


def keep_state_on_error(fit):
    """Decorate ``fit`` so that a failed fit leaves the distiller as it was before it.

    Attributes are set step by step during ``fit``; without this, a refit that fails half-way
    would leave a mix of the old and the new fit (an ``n_features_in_`` of the new X beside the
    old student). A distiller that was fitted stays fitted as before; one that was not stays
    unfitted.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    return wrapper


class _BaseDistiller(MetaEstimatorMixin, BaseEstimator):
    """Teacher handling for the distillers. Not public: subclass the distillers instead."""

    _task = None  # 'classification' or 'regression'

    # parameters of the transfer set, the teacher's batches and the cache, shared by both
    _shared_constraints: dict = {
        "transfer": [
            None,
            StrOptions({"auto", "munge", "mixup", "noise", "adversarial", "boundary"}),
            HasMethods(["fit", "sample"]),
        ],
        "n_transfer": [
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, None, closed="neither"),
        ],
        "stream_transfer": ["boolean"],
        "cv": ["cv_object", None],
        "privileged_features": ["array-like", None],
        "teacher_batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "n_jobs": [Integral, None],
        "memory": [None, "boolean", str, HasMethods(["cache"])],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

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
    def _part_tags(self):
        """The tags of the student and of each teacher."""
        try:
            teachers = [est for _, est in _teacher.named_teachers(self.teacher)]
        except ValueError:  # an empty or badly named list of teachers is reported by fit
            teachers = []
        # a bare fitted teacher (no BaseEstimator) or an invalid one (reported by fit) has no
        # tags of its own: it counts with scikit-learn's defaults
        return [_teacher.tags_of(part) for part in [self.student, *teachers]]

    def _parts_allow_nan(self):
        """Whether the student and every teacher take NaN (the transfer generator aside)."""
        return all(t.input_tags.allow_nan for t in self._part_tags())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        part_tags = self._part_tags()
        tags.input_tags.sparse = all(t.input_tags.sparse for t in part_tags)
        tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in part_tags)
        tags.input_tags.categorical = all(t.input_tags.categorical for t in part_tags)
        tags.input_tags.string = all(t.input_tags.string for t in part_tags)
        tags.input_tags.pairwise = part_tags[0].input_tags.pairwise
        if getattr(self, "transfer", None) is not None:
            # the generators draw dense rows, and most need complete ones
            from .transfer._generators import check_generator

            try:
                if isinstance(self.transfer, str) and self.transfer == "auto":
                    from .transfer._auto import auto_transfer

                    generator = auto_transfer(self.student, 0)[0]
                else:
                    generator = check_generator(self.transfer)
                generator_tags = None if generator is None else get_tags(generator)
            except (TypeError, ValueError):  # an invalid transfer is reported by fit
                generator_tags = None
            if generator_tags is not None:
                tags.input_tags.sparse &= generator_tags.input_tags.sparse
                # a generator that refuses NaN (mixup, MUNGE) makes the distiller refuse it too
                tags.input_tags.allow_nan &= generator_tags.input_tags.allow_nan
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
    # numeric parameters that scikit-learn's Interval(Real) lets a bool through for
    _number_params = ("alpha",)

    def _check_teachers(self):
        """Refuse a teacher that is no model (None, a name, a class) before X is looked at,
        and bools where a number is meant (``Interval(Real)`` accepts True as 1)."""
        owner = type(self).__name__
        for name, estimator in _teacher.named_teachers(self.teacher):
            _teacher.check_teacher_kind(name, estimator, self._task, owner)
        for name in self._number_params:
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)):
                raise ValueError(
                    f"{name} must be a number, got the bool {value!r}. Pass a float, e.g. "
                    f"{name}={float(value)}."
                )

    def _fit_teachers(self, X, y_labelled_mask, y, sample_weight, teacher_params, by_hand):
        """Use fitted teachers as they are; clone and fit unfitted ones on the labelled rows."""
        owner = type(self).__name__
        fitted = []
        for name, estimator in _teacher.named_teachers(self.teacher):
            _teacher.check_teacher_kind(name, estimator, self._task, owner)
            if _teacher.is_fitted(estimator):
                say(f"using the fitted {teacher_label(name)} {type(estimator).__name__} as it is")
                if hasattr(self, "n_features_in_"):  # not for texts
                    _teacher.check_n_features(estimator, self.n_features_in_, name)
                    _teacher.check_feature_names(estimator, X, name)
                fitted.append((name, estimator))
                continue
            if not y_labelled_mask.any():
                raise ValueError(
                    f"teacher {estimator!r} is not fitted, and y has no labelled rows to fit it "
                    "on. Pass a fitted teacher, or labelled rows."
                )
            rows = np.flatnonzero(y_labelled_mask)
            say(f"fitting the {teacher_label(name)} {type(estimator).__name__} on {len(rows)} rows")
            X_fit = X if len(rows) == len(y_labelled_mask) else self._take(X, rows)
            y_fit = y[rows]
            if y_fit.dtype == object and len(rows) < len(y):
                y_fit = np.asarray(y_fit.tolist())  # labels beside an unlabeled marker
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

    # ---------------------------------------------------------------- out-of-fold outputs
    def _out_of_fold(self, X, labelled, y, sample_weight, teacher_params, by_hand, named, unfitted):
        """Out-of-fold outputs of the teachers fitted here, on the labelled rows (``cv``).

        A teacher's outputs on its own training rows are overconfident; clones fitted on the other
        folds answer for each labelled row instead. The teacher fitted on every labelled row
        still labels unlabeled rows and the transfer set.
        """
        if self.cv is None:
            return {}
        if not unfitted:
            raise ValueError(
                f"cv={self.cv!r} asks for out-of-fold teacher outputs, which needs a teacher that "
                f"{type(self).__name__} fits itself, but every teacher is already fitted (and is "
                "never refit). Pass an unfitted teacher, or cv=None."
            )
        rows = np.flatnonzero(labelled)
        X_labelled = X if len(rows) == len(labelled) else self._take(X, rows)
        templates = dict(_teacher.named_teachers(self.teacher))
        replaced = {}
        for name, fitted in named:
            if name not in unfitted or _teacher.teaches_from_labels(fitted):
                continue  # a teacher without a model has no overconfident fit to replace
            method = "predict" if self._task == "regression" else _teacher.output_method(fitted)
            if method.startswith("skorch"):
                raise ValueError(
                    f"cv (out-of-fold outputs) is not supported for the skorch teacher {name!r}; "
                    "fit it yourself on other rows than the student's, and pass it fitted."
                )
            params = dict(teacher_params[name])
            if by_hand and sample_weight is not None:
                if has_fit_parameter(templates[name], "sample_weight"):
                    params["sample_weight"] = sample_weight[rows]
            label = teacher_label(name)
            say(f"out-of-fold outputs of the {label}: cv={self.cv!r}, {len(rows)} rows")
            y_labelled = y[rows]
            if y_labelled.dtype == object:
                y_labelled = np.asarray(y_labelled.tolist())  # labels beside a marker
            values = _teacher.out_of_fold_outputs(
                templates[name],
                X_labelled,
                y_labelled,
                self.cv,
                method,
                params,
                self.n_jobs,
                self.memory,
            )
            replaced[name] = (rows, values)
        return replaced

    # ---------------------------------------------------------------- transfer set
    def _seeds(self):
        """Seeds of the transfer generator and of a neural student, from ``random_state``."""
        if self.random_state is None:
            return None, None
        rng = check_random_state(self.random_state)
        return tuple(int(seed) for seed in rng.randint(np.iinfo(np.int32).max, size=2))

    def _transfer_set(self, X, seed, teacher=None):
        """Synthetic rows for the teacher to label, drawn from the training rows (``transfer``).

        Returns the rows (or None) and the second stage of a student-aware generator: None, or
        ``(generator, n_rows)`` to draw with :meth:`_student_rows` once the student is fitted.
        ``teacher`` is what a generator whose ``fit`` takes a teacher is given (classifiers).
        """
        generator = self._transfer_generator(X, seed, teacher)
        if generator is None:
            return None, None
        n_transfer = self.n_transfer_
        # a student-aware generator (AdversarialRows) draws its last share of the rows where
        # the student fitted on the first share disagrees with the teacher
        n_second = int(np.rint(getattr(generator, "student_share", 0.0) * n_transfer))
        second = (generator, n_second) if n_second else None
        n_first = n_transfer - n_second
        say(f"drawing {n_first} transfer rows with {type(generator).__name__}")
        first = self._checked_sample(generator, n_first) if n_first else None
        return first, second

    def _transfer_generator(self, X, seed, teacher=None):
        """The transfer generator fitted on X, and ``n_transfer_`` set; None without rows."""
        if self.transfer is None:
            self.n_transfer_ = 0
            return None
        from .transfer._generators import check_generator

        n_rows = _num_samples(X)
        if isinstance(self.transfer, str) and self.transfer == "auto":
            from .transfer._auto import auto_transfer

            generator, n_auto, _ = auto_transfer(self.student, n_rows)
            self.n_transfer_ = n_auto
            if generator is None:
                return None
            return self._fit_generator(generator, X, seed, teacher)
        generator = clone(check_generator(self.transfer), safe=False)
        if isinstance(self.n_transfer, (bool, np.bool_)):
            raise ValueError(
                f"n_transfer must be a number of rows (an int) or a multiple of the rows of X "
                f"(a float), got the bool {self.n_transfer!r}."
            )
        if isinstance(self.n_transfer, Integral):
            n_transfer = int(self.n_transfer)
        else:
            n_transfer = int(np.rint(self.n_transfer * n_rows))
        self.n_transfer_ = n_transfer
        if n_transfer == 0:
            return None
        return self._fit_generator(generator, X, seed, teacher)

    def _fit_generator(self, generator, X, seed, teacher=None):
        """``generator`` fitted on X (seeded with ``seed`` unless it has a ``random_state`` of
        its own); a generator whose ``fit`` takes a teacher is given ``teacher``."""
        params = generator.get_params() if hasattr(generator, "get_params") else {}
        if seed is not None and "random_state" in params:
            if params["random_state"] is None:
                generator.set_params(random_state=seed)
        takes_teacher = "teacher" in inspect.signature(generator.fit).parameters
        if takes_teacher and teacher is None:
            raise ValueError(
                f"transfer={self.transfer!r} draws rows near a classifier teacher's class "
                f"boundaries, which a regression teacher does not have. {type(self).__name__} "
                "takes transfer='mixup', 'munge' or 'noise'."
            )
        try:
            if takes_teacher:
                generator.fit(X, teacher=teacher)
            else:
                generator.fit(X)
        except (TypeError, ValueError) as error:
            if not isinstance(self.transfer, str) or self.transfer == "auto":
                raise  # the user built the generator and knows its parameters
            raise _inputs.in_distiller_terms(error, self.transfer, generator) from error
        return generator

    def _student_rows(self, second, X_transfer):
        """The transfer set with the second stage's rows added: drawn where the student fitted
        so far (through this distiller's ``predict``) disagrees with the teacher."""
        generator, n_rows = second
        say(f"drawing {n_rows} transfer rows where the student disagrees with the teacher")
        X_new = self._checked_sample(generator, n_rows, student=self)
        if X_transfer is None:
            return X_new
        if _is_dataframe(X_new):
            import pandas as pd

            return pd.concat([X_transfer, X_new], ignore_index=True)
        return np.concatenate([np.asarray(X_transfer), np.asarray(X_new)])

    @staticmethod
    def _checked_sample(generator, n_transfer, **params):
        X_transfer = generator.sample(n_transfer, **params)
        if _num_samples(X_transfer) != n_transfer:
            raise ValueError(
                f"the transfer generator {generator!r} returned {_num_samples(X_transfer)} rows "
                f"from sample({n_transfer}); it must return exactly the rows asked for."
            )
        return X_transfer

    # ---------------------------------------------------------------- streamed transfer set
    def _check_stream(self, way=None):
        """With ``stream_transfer=True``: a transfer generator and a student that trains epoch
        by epoch (``way`` is how a classifier's student learns)."""
        if not self.stream_transfer:
            return
        if self.transfer is None:
            raise ValueError(
                "stream_transfer=True draws fresh transfer rows for every epoch of the student, "
                "but transfer=None draws none. Set transfer (e.g. 'munge', 'mixup' or 'auto') "
                "and n_transfer (rows per epoch), or stream_transfer=False."
            )
        if way in (None, "native") and _students.can_stream(self.student, self._task):
            return
        if self._task == "classification":
            kinds = (
                "MLPStudent, SoftTreeClassifier, a skorch classifier, or a student whose "
                "fit_distilled takes transfer_stream"
            )
        else:
            kinds = "a skorch NeuralNetRegressor"
        how = "" if way in (None, "native") else f" (it learns by student_method={way!r})"
        raise ValueError(
            f"stream_transfer=True needs a neural student that learns batch by batch over "
            f"epochs ({kinds}); the student {self.student!r}{how} needs all its rows at once, as "
            "a tree is grown on the whole set. Use stream_transfer=False to draw n_transfer "
            "rows once and fit the student on all of them."
        )

    def _transfer_rows(self, X, seed, label, sample_weight, teacher=None):
        """``(transfer_set, second_stage, transfer_stream)``: the rows drawn once and the second
        stage of a student-aware generator (see :meth:`_transfer_set`), or with
        ``stream_transfer`` the stream that draws ``n_transfer_`` fresh rows per epoch and has
        ``label(rows)`` give the teacher's targets for them."""
        if not self.stream_transfer:
            return (*self._transfer_set(X, seed, teacher), None)
        from ._stream import TransferStream, synthetic_weight

        generator = self._transfer_generator(X, seed, teacher)
        if getattr(generator, "student_share", 0.0) > 0:
            raise ValueError(
                f"stream_transfer=True draws every epoch's rows before the student has seen "
                f"them, but transfer={self.transfer!r} draws a share of its rows where a fitted "
                "student disagrees with the teacher (student_share="
                f"{generator.student_share!r}). Stream with transfer='boundary' (or an "
                "AdversarialRows with student_share=0), 'mixup' or 'munge', or set "
                "stream_transfer=False."
            )
        if generator is None:
            raise ValueError(
                f"stream_transfer=True, but transfer={self.transfer!r} with "
                f"n_transfer={self.n_transfer!r} gives no rows to stream for this student. "
                "Set n_transfer > 0 (rows per epoch), or stream_transfer=False."
            )
        chunk = _teacher.batch_rows(self.teacher_batch_size, self.n_transfer_) or self.n_transfer_
        say(
            f"streaming {self.n_transfer_} fresh transfer rows per epoch with "
            f"{type(generator).__name__}, labelled {min(chunk, self.n_transfer_)} at a time"
        )
        stream = TransferStream(
            generator,
            label,
            self.n_transfer_,
            min(chunk, self.n_transfer_),
            synthetic_weight(sample_weight),
        )
        # rows are drawn full width for the teacher; the student sees its own columns
        return None, None, stream.through(self._for_student)

    def _stream_outputs(self, X_rows):
        """The teachers' outputs on one streamed chunk. Not cached: a chunk is never asked for
        again, and hashing it would only cost time and hold memory."""
        return _targets.TeacherOutputs(X_rows, False, batch_size=len(X_rows), n_jobs=self.n_jobs)

    def _teacher_outputs(self, X, X_transfer, replaced, labels=None):
        n_transfer = 0 if X_transfer is None else _num_samples(X_transfer)
        batches = (
            ""
            if self.teacher_batch_size is None
            else f", teacher_batch_size={self.teacher_batch_size!r}"
        )
        say(
            f"asking the teacher for outputs on {_num_samples(X)} rows and {n_transfer} transfer "
            f"rows{batches} (outputs cached earlier are reused)"
        )
        return _targets.TeacherOutputs(
            X,
            self.memory,
            batch_size=self.teacher_batch_size,
            n_jobs=self.n_jobs,
            X_transfer=X_transfer,
            replaced=replaced,
            labels=labels,
        )

    @staticmethod
    def _with_transfer(X, X_transfer, y, sample_weight, fill):
        """The student's rows: X, then the transfer set, whose labels are ``fill`` (unlabeled).

        Synthetic rows weigh the mean of the real rows' weights.
        """
        if X_transfer is None:
            return X, y, sample_weight
        n_new = _num_samples(X_transfer)
        if _is_dataframe(X):
            import pandas as pd

            X_all = pd.concat([X, X_transfer], ignore_index=True)
        elif sp.issparse(X):
            X_all = sp.vstack([X, sp.csr_matrix(X_transfer)], format="csr")
        else:
            X_all = np.concatenate([X, np.asarray(X_transfer)])
        y_new = np.full((n_new,) + np.shape(y)[1:], fill, dtype=np.asarray(y).dtype)
        y_all = np.concatenate([y, y_new])
        if sample_weight is not None:
            weight_new = np.full(n_new, np.mean(sample_weight))
            sample_weight = np.concatenate([sample_weight, weight_new])
        return X_all, y_all, sample_weight

    def _unfitted_teacher_names(self):
        return {
            name
            for name, estimator in _teacher.named_teachers(self.teacher)
            if not _teacher.is_fitted(estimator)
        }

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
        if _inputs.is_raw_sequence(X):
            # texts (or dicts) for teachers and students that are pipelines starting with a
            # vectorizer: passed through as they are, like a text Pipeline, which has no
            # n_features_in_ either
            if reset:
                _inputs.check_parts_take_raw(
                    [("student", self.student), *_teacher.named_teachers(self.teacher)], X
                )
                if self.transfer is not None:
                    marker = "NaN" if self._task == "regression" else "unlabeled_label (e.g. -1)"
                    raise ValueError(
                        f"transfer={self.transfer!r} draws synthetic rows from columns of "
                        "numbers and categories, but X is a 1-d sequence of texts (or other raw "
                        "values), which has no columns to draw from. Use transfer=None; to have "
                        f"the teacher label more texts, add them to X with y set to {marker}."
                    )
                if hasattr(self, "n_features_in_"):
                    del self.n_features_in_
            validate_data(self, X, skip_check_array=True, reset=reset)
            return X
        # NaN that the teacher and student take passes here; a generator that cannot draw from
        # it says so in its own words (what to impute, which generator keeps NaN)
        allow_nan = self._parts_allow_nan()
        if _is_dataframe(X):
            n_rows, n_columns = X.shape
            if n_rows == 0 or n_columns == 0:
                missing = "rows" if n_rows == 0 else "columns"
                raise ValueError(
                    f"X is a DataFrame with 0 {missing} (shape {X.shape}); at least one row and "
                    "one column are needed. Check how X was selected or filtered."
                )
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

    # ---------------------------------------------------------------- privileged features
    def _resolve_privileged(self, X):
        """Set ``privileged_features_`` and ``student_features_``: indices into the columns of X."""
        if _inputs.is_raw_sequence(X):
            n_features, names = 0, None
        else:
            n_features, names = self.n_features_in_, getattr(self, "feature_names_in_", None)
        privileged = _privileged.resolve(self.privileged_features, X, n_features, names)
        self.privileged_features_ = privileged
        self.student_features_ = np.setdiff1d(np.arange(n_features), privileged)
        if len(privileged):
            say(
                f"the teacher sees all {n_features} columns, the student "
                f"{len(self.student_features_)} ({len(privileged)} privileged)"
            )

    def _for_student(self, X):
        """The student's columns of X, which has every column seen in fit."""
        if not len(getattr(self, "privileged_features_", ())):
            return X
        return _privileged.student_columns(X, self.student_features_)

    def _student_input(self, X):
        """Checked X for the fitted student: X of the student's columns, or of every column
        seen in fit with the privileged ones dropped (see ``privileged_features``)."""
        check_is_fitted(self)
        if not len(getattr(self, "privileged_features_", ())):
            return self._validate_X(X, reset=False)
        return _privileged.predict_input(self, X)

    @staticmethod
    def _take(X, rows):
        return _safe_indexing(X, rows)

    @staticmethod
    def _check_sample_weight(sample_weight, X):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        negative = np.flatnonzero(sample_weight < 0)
        if negative.size:
            raise ValueError(
                f"sample_weight must be >= 0, got {float(sample_weight[negative[0]])!r} at row "
                f"{negative[0]} ({negative.size} negative weights in all). Pass non-negative "
                "weights; a weight of 0 leaves a row out."
            )
        return sample_weight


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and not hasattr(X, "toarray")
