"""The distillation losses, on logits, for any torch training loop."""

import torch
import torch.nn.functional as F


def _weighted_mean(per_row, sample_weight):
    if sample_weight is None:
        return per_row.mean()
    return (per_row * sample_weight).sum() / sample_weight.sum().clamp_min(1e-12)


def _label_term(student_logits, y):
    """Cross-entropy against the labels; rows with ``y < 0`` (unlabeled) contribute zero."""
    labelled = y >= 0
    ce = F.cross_entropy(student_logits, y.clamp_min(0), reduction="none")
    return torch.where(labelled, ce, torch.zeros_like(ce))


def hinton_loss(student_logits, soft_targets, y, *, temperature, alpha, sample_weight=None):
    """Hinton's distillation loss: ``alpha * T**2 * KL(p || q_T) + (1 - alpha) * CE(z, y)``.

    ``p`` is the teacher's tempered distribution and ``q_T = softmax(z / T)`` the student's. The
    KL term is computed from ``log_softmax``, so it stays finite for large logits and high
    temperatures, and ``T**2`` keeps its gradients on the scale of the label term. Unlabeled rows
    (``y < 0``) drop out of the label term; the loss is the (weighted) mean over the batch.

    Parameters
    ----------
    student_logits : torch.Tensor of shape (batch, n_classes)
        The student's raw outputs.
    soft_targets : torch.Tensor of shape (batch, n_classes) or None
        The teacher's distribution at temperature T (rows sum to 1); None when ``alpha=0``.
    y : torch.Tensor of shape (batch,)
        Class indices; -1 marks an unlabeled row.
    temperature : float
        The temperature T > 0 the soft targets were made with.
    alpha : float
        Weight of the soft-target term, in [0, 1].
    sample_weight : torch.Tensor of shape (batch,), default=None
        Row weights of the mean.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> import torch
    >>> from skdistill.torch import hinton_loss
    >>> z = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
    >>> p = torch.softmax(z / 2.0, dim=1)
    >>> y = torch.tensor([0, -1])  # the second row is unlabeled
    >>> loss = hinton_loss(z, p, y, temperature=2.0, alpha=0.5)
    >>> round(float(loss), 4)  # the soft term is zero: the student matches the teacher
    0.0317
    """
    per_row = torch.zeros(len(student_logits), dtype=student_logits.dtype, device=y.device)
    if alpha > 0:
        log_q = F.log_softmax(student_logits / temperature, dim=1)
        # sum p (log p - log q); xlogy makes the teacher's exact zeros contribute zero
        kl = (torch.special.xlogy(soft_targets, soft_targets) - soft_targets * log_q).sum(dim=1)
        per_row = per_row + alpha * temperature**2 * kl
    if alpha < 1:
        per_row = per_row + (1 - alpha) * _label_term(student_logits, y)
    return _weighted_mean(per_row, sample_weight)


def logit_matching_loss(student_logits, teacher_logits, y, *, alpha, sample_weight=None):
    """Ba and Caruana's mimic loss: ``alpha * ||z - z_teacher||**2 / 2 + (1 - alpha) * CE(z, y)``.

    The student regresses the teacher's logits (summed over classes, halved), mixed with the
    labels' cross-entropy. Temperature plays no part. Unlabeled rows (``y < 0``) drop out of the
    label term; the loss is the (weighted) mean over the batch.

    Parameters
    ----------
    student_logits : torch.Tensor of shape (batch, n_classes)
        The student's raw outputs.
    teacher_logits : torch.Tensor of shape (batch, n_classes)
        The teacher's logits; must be finite.
    y : torch.Tensor of shape (batch,)
        Class indices; -1 marks an unlabeled row.
    alpha : float
        Weight of the logit term, in [0, 1].
    sample_weight : torch.Tensor of shape (batch,), default=None
        Row weights of the mean.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    References
    ----------
    .. [1] J. Ba and R. Caruana, "Do Deep Nets Really Need to be Deep?", NIPS 2014.

    Examples
    --------
    >>> import torch
    >>> from skdistill.torch import logit_matching_loss
    >>> z = torch.tensor([[1.0, 0.0]])
    >>> float(logit_matching_loss(z, torch.tensor([[0.0, 0.0]]), torch.tensor([-1]), alpha=1.0))
    0.5
    """
    per_row = torch.zeros(len(student_logits), dtype=student_logits.dtype, device=y.device)
    if alpha > 0:
        per_row = per_row + alpha * 0.5 * ((student_logits - teacher_logits) ** 2).sum(dim=1)
    if alpha < 1:
        per_row = per_row + (1 - alpha) * _label_term(student_logits, y)
    return _weighted_mean(per_row, sample_weight)
