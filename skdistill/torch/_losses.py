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
    student_hint = student_hint.reshape(len(student_hint), -1)
    teacher_hint = teacher_hint.reshape(len(teacher_hint), -1)
    if sample_weight is None:  # every row has as many units: one fused operation each way
        return F.mse_loss(student_hint, teacher_hint)
    return _weighted_mean(((student_hint - teacher_hint) ** 2).mean(dim=1), sample_weight)


def _normalised_pair_distances(embedding):
    """The Euclidean distance of every pair ``i < j`` of the batch, divided by their mean over
    the non-zero ones. ``torch.pdist`` takes them from the difference vectors, in one operation
    forwards and one backwards: a repeated row is exactly 0 apart, and its gradient is 0."""
    distances = torch.pdist(embedding.reshape(len(embedding), -1))
    positive = (distances > 0).sum().clamp_min(1)
    return distances / (distances.sum() / positive).clamp_min(1e-12)


def rkd_distance_loss(student_embedding, teacher_embedding):
    """Park et al.'s distance-wise relational loss on a batch of embeddings.

    Every pairwise Euclidean distance in the batch is divided by the mean of the batch's non-zero
    distances, for the student and the teacher apart, and the two normalised distance matrices
    are compared with the Huber (smooth L1, delta 1) loss, averaged over the ``N**2`` entries of
    the matrices. The embeddings may have different widths: only distances are compared.

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
    The matrices are symmetric with a zero diagonal, so only the ``N * (N - 1) / 2`` pairs
    ``i < j`` are computed (``torch.pdist``) and their Huber sum is doubled before dividing by
    ``N**2``: the same value as the mean over the whole matrices, at half the work.

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
    n_rows = len(student_embedding)
    with torch.no_grad():
        teacher = _normalised_pair_distances(teacher_embedding)
    student = _normalised_pair_distances(student_embedding)
    return F.smooth_l1_loss(student, teacher, reduction="sum") * (2.0 / max(n_rows, 1) ** 2)


# The student's angles come from its difference vectors up to this width, from its Gram matrix
# above it. Forward and backward on one thread, a batch of 64 rows and 4 anchors: 0.23 against
# 0.39 ms at width 32, 0.44 against 0.46 at 128, 2.9 against 0.8 at 1,200; every triplet: 1.5
# against 1.8 ms at width 32, 5.2 against 1.9 at 128, 73 against 1.8 at 1,200.
_DIFFERENCES_UP_TO = 64


def _angles(embedding, anchors=None):
    """``cos`` of the angle at ``j`` between ``i`` and ``k``, as ``[j, i, k]``, for every row
    ``j`` or only the rows ``anchors``, from the batch's Gram matrix ``G`` (centred on the
    batch's mean: angles do not move, the products lose less to cancellation):
    ``<e_i - e_j, e_k - e_j> = G_ik - G_ji - G_jk + G_jj``. That costs ``m * N**2`` numbers for
    ``m`` anchors instead of the ``m * N**2 * width`` of the difference vectors, the cheaper way
    for the teacher's wide embeddings, which need no gradient. An angle with a zero side
    (``i == j``, ``k == j`` or repeated rows) is 0, as with normalised zero vectors."""
    centred = embedding.reshape(len(embedding), -1)
    centred = centred - centred.mean(dim=0, keepdim=True)
    gram = centred @ centred.T
    squares = gram.diagonal()
    rows, corner = (gram, squares) if anchors is None else (gram[anchors], squares[anchors])
    # the anchors' distances to every row; what the Gram matrix leaves of a zero distance (a
    # repeated row) is rounding error, set to 0 as the difference vectors would give
    norms = corner[:, None] + squares[None, :]
    squared = norms - 2 * rows
    every = torch.arange(len(gram), device=gram.device)
    vertex = every[:, None] if anchors is None else anchors[:, None]
    keep = (squared > 64 * torch.finfo(squared.dtype).eps * norms) & (vertex != every[None, :])
    distances = squared.clamp_min(1e-12).sqrt() * keep.to(squared.dtype)
    # 1 / distance, and 0 where the distance is 0 (the angle of a zero side is 0)
    inverse = distances / (distances**2).clamp_min(1e-24)
    products = gram[None, :, :] - rows[:, :, None] - rows[:, None, :] + corner[:, None, None]
    return products * inverse[:, :, None] * inverse[:, None, :]


def _angles_with_gradient(embedding, anchors=None):
    """The same cosines from the normalised difference vectors and one batched product: fewer
    operations for autograd to record and run backwards than the Gram route, which matters for
    the student's narrow embeddings. A zero difference (``i == j``, repeated rows) is left a
    zero vector, so its angles are 0 and its gradient 0 (``F.normalize`` would give it a
    gradient of about ``1 / eps``)."""
    embedding = embedding.reshape(len(embedding), -1)
    vertices = embedding if anchors is None else embedding[anchors]
    differences = embedding[None, :, :] - vertices[:, None, :]
    lengths = torch.linalg.vector_norm(differences, dim=2, keepdim=True)
    units = differences * (lengths / (lengths**2).clamp_min(1e-24))
    return torch.bmm(units, units.transpose(1, 2))


def rkd_angle_loss(student_embedding, teacher_embedding, *, anchors=None):
    """Park et al.'s angle-wise relational loss on a batch of embeddings.

    For every triplet of rows ``(i, j, k)`` of the batch, the cosine of the angle at ``j``
    between the normalised difference vectors ``e_i - e_j`` and ``e_k - e_j``; the student's
    cosines are compared with the teacher's by the Huber (smooth L1, delta 1) loss, averaged over
    the ``N**3`` triplets. Angles do not depend on the width or the scale of the embeddings.
    With ``anchors``, only the triplets whose vertex ``j`` is one of those rows are taken.

    Parameters
    ----------
    student_embedding : torch.Tensor of shape (batch, width_s)
        The student's embeddings of the batch's rows.
    teacher_embedding : torch.Tensor of shape (batch, width_t)
        The teacher's embeddings of the same rows, in the same order.
    anchors : torch.Tensor of shape (m,) of int64, default=None
        Row numbers (distinct, on the embeddings' device) of the vertices ``j`` to take the
        angles at; the loss is then the mean over the ``m * N**2`` triplets at those vertices.
        Anchors drawn uniformly at random give an unbiased estimate of the full loss and of its
        gradient. None: every row, Park et al.'s loss.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Notes
    -----
    The cosines are computed from the batch's Gram matrix, which costs ``m * N**2`` numbers
    for a batch of N rows and m anchors: ``N**3`` without anchors (about 2 million for 128
    rows). The full angle term grows with the cube of the batch size; with a fixed number of
    anchors it grows with its square. ``DistilledClassifier(angle_anchors=...)`` draws the
    anchors of each batch.

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
    >>> anchors = torch.tensor([0])  # only the angles at the first row
    >>> round(float(rkd_angle_loss(rotated * 3 + 1, teacher, anchors=anchors)), 6)
    0.0
    """
    with torch.no_grad():
        teacher = _angles(teacher_embedding, anchors)
    width = student_embedding.reshape(len(student_embedding), -1).shape[1]
    angles = _angles_with_gradient if width <= _DIFFERENCES_UP_TO else _angles
    return F.smooth_l1_loss(angles(student_embedding, anchors), teacher)
