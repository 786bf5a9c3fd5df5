"""Tree students that learn a teacher better than greedy CART can.

:class:`GuidedTreeClassifier` searches a small tree exactly (STreeD, ``pip install
"skdistill[tree]"``) on split guesses from a reference model fitted to the teacher's targets.
The solver is imported only when such a tree is fitted.
"""

from ._guided import GuidedTreeClassifier

__all__ = ["GuidedTreeClassifier"]
