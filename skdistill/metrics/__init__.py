"""How faithful a student is to its teacher.

Each function takes ``(estimator, X, y=None)``, the signature of a scikit-learn scorer, so it can
be passed as ``scoring=`` to ``GridSearchCV`` or ``cross_validate`` on a fitted distiller: it reads
the distiller's ``teacher_``. Pass ``teacher=`` to compare any fitted pair.
"""

from ._fidelity import fidelity_score, neg_teacher_divergence, teacher_divergence

__all__ = ["fidelity_score", "neg_teacher_divergence", "teacher_divergence"]
