"""Neural students and teachers on PyTorch and skorch.

This is the only part of skdistill that imports torch and skorch; install them with
``pip install "skdistill[torch]"``. A skorch ``NeuralNetClassifier`` passed as a student of
:class:`~skdistill.DistilledClassifier` is trained with Hinton's loss through skorch's own fit
loop; :class:`MLPStudent` is a ready student for users who write no module; :class:`TorchTeacher`
makes a trained ``torch.nn.Module`` a teacher; :class:`SoftTreeClassifier` is Frosst and
Hinton's soft decision tree; :class:`MutualLearningClassifier` trains two or more neural
students that teach each other, with no pretrained teacher.
"""

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "skdistill.torch needs torch and skorch, which are not installed: "
        'pip install "skdistill[torch]"'
    ) from exc

from ._losses import (
    hint_loss,
    hinton_loss,
    logit_matching_loss,
    rkd_angle_loss,
    rkd_distance_loss,
)
from ._mlp import MLPStudent
from ._mutual import MutualLearningClassifier
from ._soft_tree import SoftTreeClassifier
from ._teacher import TorchTeacher

__all__ = [
    "MLPStudent",
    "MutualLearningClassifier",
    "SoftTreeClassifier",
    "TorchTeacher",
    "hint_loss",
    "hinton_loss",
    "logit_matching_loss",
    "rkd_angle_loss",
    "rkd_distance_loss",
]
