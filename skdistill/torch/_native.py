"""What the torch students of skdistill share: fitting on labels, checking the 'native' inputs of
``fit_distilled``, the device check and the training record.

:class:`~skdistill.torch.MLPStudent` and :class:`~skdistill.torch.SoftTreeClassifier` each build
their own skorch net (``_train``); this base validates what reaches them, in one place.
"""

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from .._sklearn_compat import _check_sample_weight, _fit_context, validate_data


class NativeTorchClassifier(ClassifierMixin, BaseEstimator):
    """Base of the classifiers that train a torch module through skorch on labels or, as the
    'native' student of :class:`~skdistill.DistilledClassifier`, on a teacher's targets.

    A subclass defines ``_train(X, y_encoded, *, classes, sample_weight, **teacher)``, which
    builds and trains its net, and its own ``fit_distilled`` (its docstring says which teacher
    inputs it uses), which calls :meth:`_distilled_inputs` and then ``_train``.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on the labels with cross-entropy.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows, cast to float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        return self._train(X, y_encoded, classes=classes, sample_weight=sample_weight)

    def _distilled_inputs(self, X, y, soft_targets, classes):
        """``fit_distilled``'s rows, label indices, soft targets and classes, checked to agree."""
        X = validate_data(self, X, dtype=np.float32)
        y = np.asarray(y, dtype=np.intp)
        classes = np.asarray(classes)
        soft_targets = np.asarray(soft_targets, dtype=np.float64)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}; they must match.")
        if soft_targets.shape != (len(X), len(classes)):
            raise ValueError(
                f"soft_targets has shape {soft_targets.shape}, expected {(len(X), len(classes))}:"
                " one row per row of X and one column per class in classes."
            )
        return X, y, soft_targets, classes

    def _start_training(self, X, sample_weight):
        """Refuse a CUDA device torch cannot see; return the checked row weights."""
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device='cuda', but torch {torch.__version__} sees no CUDA device "
                "(torch.cuda.is_available() is False). Use device='cpu', or install a CUDA build "
                "of torch on a machine with a GPU."
            )
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, ensure_non_negative=True)

    def _record_training(self):
        """``n_iter_`` and ``loss_curve_`` from the trained net's history."""
        self.n_iter_ = len(self.net_.history)
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
