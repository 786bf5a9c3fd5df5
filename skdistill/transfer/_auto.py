"""``transfer='auto'``: the generator and the number of synthetic rows, chosen from the student.

The choice follows what was measured (docs/benchmarks.md):

- a greedy tree (scikit-learn's trees and tree ensembles): mixup, 50,000 rows, or 10 rows per
  training row when that is more. Digits, depth-8 tree: mixup closes +0.37 of the teacher's gap
  at 50,000 rows against +0.24 for MUNGE; letter, depth-10 tree: mixup keeps 0.35 / 0.21 of the
  teacher's advantage at 100,000 rows against 0.32 / 0.19 for MUNGE and 0.17 / 0.09 for noise,
  and more rows kept helping.
- a neural net (skorch nets, skdistill's MLPStudent, scikit-learn's MLPs): MUNGE, 25 rows per
  training row, at least 25,000 and at most 400,000 (Bucilua et al.'s size). Letter, MLP with
  128 hidden units: MUNGE keeps 1.20 / 0.83 at 100,000 rows against 1.07 / 0.67 for mixup and
  0.87 / 0.76 for noise.
- a searched tree (:class:`skdistill.tree.GuidedTreeClassifier`) of less than two full searched
  blocks (``max_depth < 2 * search_depth``): no synthetic rows. Its search on the training rows
  alone was as accurate or better (seed 0, depth 4: phoneme 0.836 against 0.811 with 20,000
  mixup rows, fidelity 0.880 against 0.865; depth 6: segment 0.963 against 0.957, satimage 0.861
  against 0.859 with 'auto' rows).
- a deeper searched tree (two blocks or more): mixup, 50,000 rows or 10 per training row, as
  for a greedy tree. Digits, depth 8: the blocks below the top one are searched on the
  teacher-labelled rows that reach them, and the tree closes more of the teacher's gap than
  mimic on the same kind of rows (docs/benchmarks.md, "Tree students of one size").
- any other student: mixup, 10 rows per training row (the default of ``n_transfer``).
"""

from sklearn.pipeline import Pipeline

from ._generators import Mixup, Munge


def _last_step(student):
    while isinstance(student, Pipeline):
        student = student.steps[-1][1]
    return student


def _kind(student):
    student = _last_step(student)
    modules = [cls.__module__ for cls in type(student).__mro__]
    names = [cls.__name__ for cls in type(student).__mro__]
    if "GuidedTreeClassifier" in names:
        return "searched tree"
    if any(m.startswith(("skorch", "skdistill.torch", "sklearn.neural_network")) for m in modules):
        return "neural net"
    if any(m.startswith(("sklearn.tree", "sklearn.ensemble._forest")) for m in modules):
        return "greedy tree"
    return "other"


def auto_transfer(student, n_rows):
    """``(generator or None, number of rows, kind of student)`` for ``transfer='auto'``."""
    kind = _kind(student)
    if kind == "searched tree":
        searched = _last_step(student)
        if searched.max_depth < 2 * searched.search_depth:
            return None, 0, kind
        return Mixup(), max(50_000, 10 * n_rows), kind
    if kind == "greedy tree":
        return Mixup(), max(50_000, 10 * n_rows), kind
    if kind == "neural net":
        return Munge(), min(max(25_000, 25 * n_rows), 400_000), kind
    return Mixup(), 10 * n_rows, kind
