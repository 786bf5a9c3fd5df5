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


def hint_loss(student_hint, teacher_hint, sample_weight=None):
    """FitNets' hint loss: the squared error between the (regressed) student's and the teacher's
    hidden activations, averaged over units, then over the rows of the batch.

    Romero et al. sum the squares over units; averaging them instead keeps the term on the scale
    of the output loss whatever the layer's width, so one ``hint_weight`` suits wide and narrow
    layers. Activations with more than one dimension per row are flattened.

    Parameters
    ----------
    student_hint : torch.Tensor of shape (batch, ...)
        The student's activations, already mapped to the teacher's width.
    teacher_hint : torch.Tensor of shape (batch, ...)
        The teacher's activations at the hint layer, as many values per row.
    sample_weight : torch.Tensor of shape (batch,), default=None
        Row weights of the mean over rows.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    References
    ----------
    .. [1] A. Romero, N. Ballas, S. E. Kahou, A. Chassang, C. Gatta and Y. Bengio, "FitNets:
       Hints for Thin Deep Nets", ICLR 2015.

    Examples
    --------
    >>> import torch
    >>> from skdistill.torch import hint_loss
    >>> float(hint_loss(torch.tensor([[1.0, 3.0]]), torch.tensor([[0.0, 0.0]])))
    5.0
    """
    diff = student_hint.reshape(len(student_hint), -1) - teacher_hint.reshape(len(teacher_hint), -1)
    return _weighted_mean((diff**2).mean(dim=1), sample_weight)


def _centred_gram(embedding):
    """The Gram matrix of the batch's embeddings centred on their mean (distances and angles do
    not move; the products lose less to cancellation), and the squared norms on its diagonal."""
    centred = embedding.reshape(len(embedding), -1)
    centred = centred - centred.mean(dim=0, keepdim=True)
    gram = centred @ centred.T
    return gram, gram.diagonal()


def _pairwise_distances(embedding):
    gram, squares = _centred_gram(embedding)
    norms = squares[:, None] + squares[None, :]
    squared = norms - 2 * gram
    # what the Gram matrix leaves of a zero distance (a repeated row) is rounding error: it is
    # set to 0, as the difference vectors would give; so is the diagonal. The square root is
    # taken of a clamped value, whose gradient is finite, as in Park et al.'s code
    tolerance = 64 * torch.finfo(squared.dtype).eps * norms
    keep = (squared > tolerance) & ~torch.eye(len(squared), dtype=torch.bool, device=squared.device)
    return squared.clamp_min(1e-12).sqrt() * keep.to(squared.dtype)


def _normalised_distances(embedding):
    distances = _pairwise_distances(embedding)
    positive = (distances > 0).to(distances.dtype)
    return distances / (distances.sum() / positive.sum().clamp_min(1.0)).clamp_min(1e-12)


def rkd_distance_loss(student_embedding, teacher_embedding):
    """Park et al.'s distance-wise relational loss on a batch of embeddings.

    Every pairwise Euclidean distance in the batch is divided by the mean of the batch's non-zero
    distances, for the student and the teacher apart, and the two normalised distance matrices
    are compared with the Huber (smooth L1, delta 1) loss, averaged over the pairs. The
    embeddings may have different widths: only distances are compared.

    Parameters
    ----------
    student_embedding : torch.Tensor of shape (batch, width_s)
        The student's embeddings of the batch's rows.
    teacher_embedding : torch.Tensor of shape (batch, width_t)
        The teacher's embeddings of the same rows, in the same order.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    References
    ----------
    .. [1] W. Park, D. Kim, Y. Lu and M. Cho, "Relational Knowledge Distillation", CVPR 2019.

    Examples
    --------
    >>> import torch
    >>> from skdistill.torch import rkd_distance_loss
    >>> teacher = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    >>> float(rkd_distance_loss(teacher * 10, teacher))  # the scale is normalised away
    0.0
    """
    with torch.no_grad():
        teacher = _normalised_distances(teacher_embedding)
    student = _normalised_distances(student_embedding)
    return F.smooth_l1_loss(student, teacher)


def _angles(embedding):
    """``cos`` of the angle at ``j`` between ``i`` and ``k``, as ``[j, i, k]``, from the Gram
    matrix: ``<e_i - e_j, e_k - e_j> = G_ik - G_ji - G_jk + G_jj``. That costs a batch of N
    rows ``N**3`` numbers instead of the ``N**3 * width`` of the difference vectors. An angle
    with a zero side (``i == j``, ``k == j`` or repeated rows) is 0, as with normalised zero
    vectors."""
    gram, _ = _centred_gram(embedding)
    distances = _pairwise_distances(embedding)
    # 1 / distance, and 0 where the distance is 0 (the angle of a zero side is 0)
    inverse = distances / (distances**2).clamp_min(1e-24)
    corner = gram.diagonal()[:, None, None]
    products = gram[None, :, :] - gram[:, :, None] - gram[:, None, :] + corner
    return products * inverse[:, :, None] * inverse[:, None, :]


def rkd_angle_loss(student_embedding, teacher_embedding):
    """Park et al.'s angle-wise relational loss on a batch of embeddings.

    For every triplet of rows ``(i, j, k)`` of the batch, the cosine of the angle at ``j``
    between the normalised difference vectors ``e_i - e_j`` and ``e_k - e_j``; the student's
    cosines are compared with the teacher's by the Huber (smooth L1, delta 1) loss, averaged over
    the ``N**3`` triplets. Angles do not depend on the width or the scale of the embeddings.

    Parameters
    ----------
    student_embedding : torch.Tensor of shape (batch, width_s)
        The student's embeddings of the batch's rows.
    teacher_embedding : torch.Tensor of shape (batch, width_t)
        The teacher's embeddings of the same rows, in the same order.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Notes
    -----
    The cosines are computed from the batch's Gram matrix, which costs ``N**3`` numbers for a
    batch of N rows (about 2 million for 128 rows); the angle term grows with the cube of the
    batch size.

    References
    ----------
    .. [1] W. Park, D. Kim, Y. Lu and M. Cho, "Relational Knowledge Distillation", CVPR 2019.

    Examples
    --------
    >>> import torch
    >>> from skdistill.torch import rkd_angle_loss
    >>> teacher = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> rotated = teacher @ torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    >>> round(float(rkd_angle_loss(rotated * 3 + 1, teacher)), 6)  # angles survive rotation
    0.0
    """
    with torch.no_grad():
        teacher = _angles(teacher_embedding)
    student = _angles(student_embedding)
    return F.smooth_l1_loss(student, teacher)
