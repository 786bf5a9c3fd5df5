"""Transfer sets: synthetic rows for a teacher to label, so a student learns from many more points.

Each generator is fitted on the training rows and then draws as many new rows as asked::

    X_transfer = Munge(random_state=0).fit(X).sample(10_000)

See Bucilua, Caruana and Niculescu-Mizil, "Model Compression", KDD 2006.
"""

from ._adversarial import AdversarialRows
from ._generators import GaussianNoise, Mixup, Munge

__all__ = ["AdversarialRows", "GaussianNoise", "Mixup", "Munge"]
