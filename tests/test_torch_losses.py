"""Hinton's loss and logit matching, against their formulas."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skdistill.torch import hinton_loss, logit_matching_loss  # noqa: E402


def _reference_hinton(z, p, y, T, alpha, w=None):
    """The formula written out in float64 numpy."""
    z, p = np.asarray(z, np.float64), np.asarray(p, np.float64)
    zt = z / T
    log_q = zt - zt.max(1, keepdims=True)
    log_q = log_q - np.log(np.exp(log_q).sum(1, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0)
    kl = (plogp - p * log_q).sum(1)
    log_s = z - z.max(1, keepdims=True)
    log_s = log_s - np.log(np.exp(log_s).sum(1, keepdims=True))
    ce = np.where(y >= 0, -log_s[np.arange(len(y)), np.maximum(y, 0)], 0.0)
    per_row = alpha * T**2 * kl + (1 - alpha) * ce
    w = np.ones(len(y)) if w is None else np.asarray(w, np.float64)
    return (per_row * w).sum() / w.sum()


@pytest.mark.parametrize("T", [1.0, 2.5, 20.0])
@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_hinton_loss_matches_its_formula(T, alpha):
    rng = np.random.RandomState(0)
    z = rng.normal(size=(8, 5)) * 3
    p = rng.dirichlet(np.ones(5), size=8)
    p[0, 2] = 0.0  # an exact zero of a probability-only teacher
    p[0] /= p[0].sum()
    y = rng.randint(-1, 5, size=8)
    w = rng.uniform(0.5, 2, size=8)
    got = hinton_loss(
        torch.tensor(z),
        torch.tensor(p),
        torch.tensor(y),
        temperature=T,
        alpha=alpha,
        sample_weight=torch.tensor(w),
    )
    np.testing.assert_allclose(float(got), _reference_hinton(z, p, y, T, alpha, w), rtol=1e-10)


def test_hinton_loss_stays_finite_for_huge_logits_and_temperatures():
    z = torch.tensor([[1e4, -1e4, 0.0], [-3e4, 2e4, 1e4]], requires_grad=True)
    p = torch.softmax(torch.tensor([[5e3, -5e3, 0.0], [0.0, 1e4, -1e4]]) / 100.0, dim=1)
    for T in [0.5, 1.0, 100.0]:
        loss = hinton_loss(z, p, torch.tensor([0, -1]), temperature=T, alpha=0.5)
        loss.backward()
        assert torch.isfinite(loss)
        assert torch.isfinite(z.grad).all()
        z.grad = None


def test_soft_term_gradient_is_T_times_the_difference_of_distributions():
    # the T**2 factor keeps the soft term's gradients on the labels' scale: dL/dz = T (q_T - p) / n
    T = 4.0
    z = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]], dtype=torch.float64, requires_grad=True)
    p = torch.tensor([[0.7, 0.1, 0.2], [0.2, 0.5, 0.3]], dtype=torch.float64)
    hinton_loss(z, p, torch.tensor([-1, -1]), temperature=T, alpha=1.0).backward()
    expected = T * (torch.softmax(z.detach() / T, dim=1) - p) / 2
    torch.testing.assert_close(z.grad, expected)


def test_alpha_zero_is_cross_entropy_and_unlabeled_rows_drop_out():
    z = torch.tensor([[2.0, 0.0], [0.0, 1.0], [5.0, -5.0]])
    y = torch.tensor([0, 1, -1])
    got = hinton_loss(z, None, y, temperature=3.0, alpha=0.0)
    ce = torch.nn.functional.cross_entropy(z[:2], y[:2], reduction="sum") / 3  # mean over batch
    torch.testing.assert_close(got, ce)


def test_a_student_equal_to_the_teacher_has_no_soft_loss():
    z = torch.tensor([[1.0, 2.0, 3.0]])
    p = torch.softmax(z / 2.0, dim=1)
    assert float(hinton_loss(z, p, torch.tensor([-1]), temperature=2.0, alpha=1.0)) < 1e-6


def test_logit_matching_loss_matches_its_formula():
    z = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)
    t = torch.tensor([[0.0, 2.0], [1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1, -1])
    got = logit_matching_loss(z, t, y, alpha=0.25)
    mse = 0.5 * np.array([1.0, 1.0 + 4.0])
    ce = np.array([-np.log(np.exp(2) / (np.exp(1) + np.exp(2))), 0.0])
    np.testing.assert_allclose(float(got), np.mean(0.25 * mse + 0.75 * ce))
