"""Seeing the trade-off: how a distilled student compares with its teacher and with the same
student trained on the labels.

:func:`distillation_report` tabulates accuracy, fidelity, size and prediction time;
:class:`DistillationCurveDisplay` plots accuracy and fidelity across student sizes or
temperatures; :func:`export_rules` writes a tree student's rules with, on each leaf, how many
rows reach it and how often the teacher agrees there. matplotlib is imported only when plotting
(``pip install "skdistill[plot]"``).
"""

from ._curve import DistillationCurveDisplay
from ._report import distillation_report
from ._rules import export_rules

__all__ = ["DistillationCurveDisplay", "distillation_report", "export_rules"]
