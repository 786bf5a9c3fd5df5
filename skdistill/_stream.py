"""Streamed transfer sets: fresh synthetic rows for each epoch of a neural student.

With ``stream_transfer=True`` the distiller does not draw the transfer set once and hold it whole.
It hands the student a :class:`TransferStream` instead: on each pass over the data the student
asks it for ``n_rows`` fresh rows, which the fitted generator draws and the teacher labels one
chunk (``chunk_rows``, the distiller's ``teacher_batch_size``) at a time. A chunk lives while the
student trains on it; peak memory is set by the chunk, not by ``n_rows`` times the epochs.

This module is plain numpy: the torch side (``skdistill.torch``) turns the chunks into batches.
"""

import inspect

import numpy as np

from ._sklearn_compat import _num_samples
from ._verbose import say


class TransferStream:
    """Fresh transfer rows with the teacher's targets, one chunk at a time.

    Parameters
    ----------
    generator : fitted transfer generator
        Draws the rows (``sample``); its random stream continues from one chunk to the next, so
        every chunk and every epoch gets new rows, and a seeded generator repeats the same ones.
    label : callable
        ``label(X_rows)`` returns the teacher's targets for the rows as a dict of arrays, one
        row per row (``soft_targets`` and ``teacher_logits``, or ``target`` for a regressor).
    n_rows : int
        Rows per epoch.
    chunk_rows : int
        Rows drawn and labelled at once.
    weight : float or None
        Sample weight of a synthetic row (the mean of the real rows' weights), None without
        weights.
    """

    def __init__(self, generator, label, n_rows, chunk_rows, weight=None):
        self.generator = generator
        self.label = label
        self.n_rows = int(n_rows)
        self.chunk_rows = int(chunk_rows)
        self.weight = weight
        self._transforms = []
        self.epochs_drawn = 0

    def through(self, transform):
        """The stream whose rows go through ``transform`` before the student sees them (the
        steps of a Pipeline student before its last); the teacher labels the raw rows."""
        new = TransferStream(self.generator, self.label, self.n_rows, self.chunk_rows, self.weight)
        new._transforms = [*self._transforms, transform]
        return new

    def chunks(self):
        """One epoch of fresh rows: ``(X_student, targets)`` pairs of at most ``chunk_rows`` rows,
        ``n_rows`` in all. Nothing is kept once a chunk has been handed over."""
        self.epochs_drawn += 1
        say(
            f"epoch {self.epochs_drawn}: streaming {self.n_rows} fresh transfer rows, "
            f"{self.chunk_rows} at a time"
        )
        for start in range(0, self.n_rows, self.chunk_rows):
            n = min(self.chunk_rows, self.n_rows - start)
            X_rows = self.generator.sample(n)
            if _num_samples(X_rows) != n:
                raise ValueError(
                    f"the transfer generator {self.generator!r} returned "
                    f"{_num_samples(X_rows)} rows from sample({n}); it must return exactly the "
                    "rows asked for."
                )
            targets = self.label(X_rows)
            for transform in self._transforms:
                X_rows = transform(X_rows)
            yield X_rows, targets


def fit_distilled_streams(student):
    """Whether ``student.fit_distilled`` takes a ``transfer_stream`` (MLPStudent and
    SoftTreeClassifier do)."""
    method = getattr(student, "fit_distilled", None)
    if method is None:
        return False
    try:
        return "transfer_stream" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def synthetic_weight(sample_weight):
    """The weight of a synthetic row: the mean of the real rows' weights (None without)."""
    return None if sample_weight is None else float(np.mean(sample_weight))
