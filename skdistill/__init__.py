"""skdistill: knowledge distillation for scikit-learn.

Train a small, cheap *student* to imitate a large *teacher* from the teacher's temperature-softened
outputs mixed with the true labels, with any scikit-learn estimator on either side.
"""

from ._born_again import BornAgainClassifier
from ._classifier import DistilledClassifier
from ._regressor import DistilledRegressor
from ._targets import soft_targets
from ._teacher import clear_cache
from ._virtual import VirtualTeacher

__version__ = "0.1.0.dev0"

__all__ = [
    "BornAgainClassifier",
    "DistilledClassifier",
    "DistilledRegressor",
    "VirtualTeacher",
    "__version__",
    "clear_cache",
    "soft_targets",
]
