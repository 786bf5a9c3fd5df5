"""Relational distillation (Park et al. 2019): distance and angle losses between two nets."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

import torch.nn.functional as F  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skdistill import DistilledClassifier  # noqa: E402
from skdistill.torch import MLPStudent, TorchTeacher, rkd_angle_loss, rkd_distance_loss  # noqa: E402
from skdistill.torch._features import FeatureTargets, StudentFeatures  # noqa: E402


def _direct_distances(e):
    """Park et al.'s distance potential, from the difference vectors themselves."""
    d = (e[:, None, :] - e[None, :, :]).norm(dim=2)
    return d / d[d > 0].mean()


def _direct_angles(e):
    """Park et al.'s angle potential: cosines of normalised difference vectors, all triplets."""
    diff = e[None, :, :] - e[:, None, :]
    unit = F.normalize(diff, p=2, dim=2)
    return torch.bmm(unit, unit.transpose(1, 2)).reshape(-1)


@pytest.fixture
def embeddings():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(9, 4, generator=gen, dtype=torch.float64) * 3 + 5
    teacher = torch.randn(9, 7, generator=gen, dtype=torch.float64)
    teacher[4] = teacher[2]  # a repeated row: zero distance, zero angle
    return student, teacher


def test_distance_loss_matches_a_direct_computation(embeddings):
    student, teacher = embeddings
    expected = F.smooth_l1_loss(_direct_distances(student), _direct_distances(teacher))
    torch.testing.assert_close(rkd_distance_loss(student, teacher), expected)


def test_angle_loss_matches_a_direct_computation(embeddings):
    student, teacher = embeddings
    expected = F.smooth_l1_loss(_direct_angles(student), _direct_angles(teacher))
    torch.testing.assert_close(rkd_angle_loss(student, teacher), expected)
    # the Huber loss, not the squared error: large differences count linearly
    far = F.smooth_l1_loss(10 * _direct_distances(student), _direct_distances(teacher))
    assert float(rkd_distance_loss(10 * student, teacher)) < float(far)


def test_losses_ignore_scale_rotation_and_translation(embeddings):
    _, teacher = embeddings
    rotation = torch.linalg.qr(torch.randn(7, 7, dtype=torch.float64))[0]
    moved = 4.0 * teacher @ rotation + 2.0
    assert float(rkd_distance_loss(moved, teacher)) < 1e-12
    assert float(rkd_angle_loss(moved, teacher)) < 1e-12


def test_gradients_are_finite_with_repeated_rows(embeddings):
    student, teacher = embeddings
    student = student.float().clone()
    student[3] = student[1]
    student.requires_grad_(True)
    (
        rkd_distance_loss(student, teacher.float()) + rkd_angle_loss(student, teacher.float())
    ).backward()
    assert torch.isfinite(student.grad).all()


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16.0).astype(np.float32), y[:300]


@pytest.fixture(scope="module")
def teacher(digits):
    X, y = digits
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.Adam(module.parameters(), lr=0.02)
    for _ in range(60):
        optimizer.zero_grad()
        F.cross_entropy(module(torch.as_tensor(X)), torch.as_tensor(y)).backward()
        optimizer.step()
    return TorchTeacher(module, classes=np.arange(10))


def _student():
    return MLPStudent((8,), lr=0.01, max_epochs=6, batch_size=32, random_state=0)


def _penultimate_gap(distiller, teacher, X):
    """The distance loss between the two nets' penultimate layers over all of X."""
    with torch.no_grad():
        t = teacher.module[:2](torch.as_tensor(X))
        s = distiller.student_.net_.module_.layers[:2](torch.as_tensor(X))
    return float(rkd_distance_loss(s, t))


def test_distance_loss_brings_the_student_geometry_closer(digits, teacher):
    X, y = digits
    plain = DistilledClassifier(teacher, _student(), random_state=0).fit(X, y)
    related = DistilledClassifier(
        teacher, _student(), relation_loss="distance", relation_weight=20.0, random_state=0
    ).fit(X, y)
    # the penultimate layer by default: the input of each net's last Linear
    assert _penultimate_gap(related, teacher, X) < _penultimate_gap(plain, teacher, X)


@pytest.mark.parametrize("kind", ["angle", "both"])
def test_angle_and_both_train_on_named_layers(digits, teacher, kind):
    X, y = digits
    distiller = DistilledClassifier(
        teacher,
        _student(),
        relation_loss=kind,
        relation_layers=("1", "layers.1"),
        random_state=0,
    ).fit(X, y)
    assert distiller.score(X, y) > 0.5


def test_both_is_distance_plus_twice_angle(digits, teacher):
    X, _ = digits
    net = _student().fit(X[:40], np.arange(40) % 10).net_
    features = FeatureTargets([], 1.0, "both", 0.5, None)
    features.widths = [32]
    taps = StudentFeatures(net, features, X)
    try:
        net.module_(torch.as_tensor(X[:16]))
        student = taps.taps.taken()[0]
        teacher_rows = teacher.module[:2](torch.as_tensor(X[:16])).detach()
        expected = 0.5 * (
            rkd_distance_loss(student, teacher_rows) + 2 * rkd_angle_loss(student, teacher_rows)
        )
        torch.testing.assert_close(taps.loss(teacher_rows, None), expected)
    finally:
        taps.remove()


def test_relation_loss_needs_a_neural_pair(digits, teacher):
    X, y = digits
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="has no torch module"):
        DistilledClassifier(forest, _student(), relation_loss="distance").fit(X, y)
    with pytest.raises(TypeError, match=r"need a neural student.*LogisticRegression"):
        DistilledClassifier(teacher, LogisticRegression(), relation_loss="angle").fit(X, y)
    with pytest.raises(
        ValueError, match="'relation_loss' parameter of DistilledClassifier must be"
    ):
        DistilledClassifier(teacher, _student(), relation_loss="cosine").fit(X, y)
    with pytest.raises(ValueError, match="no layer 'fc'"):
        DistilledClassifier(
            teacher, _student(), relation_loss="angle", relation_layers=("1", "fc")
        ).fit(X, y)


def test_hidden_layer_losses_refuse_a_streamed_transfer_set(digits, teacher):
    # the teacher's activations are taken once on the student's rows; streamed rows are new
    # every epoch, so they would have none
    X, y = digits
    distiller = DistilledClassifier(
        teacher, _student(), relation_loss="distance", transfer="mixup", stream_transfer=True
    )
    with pytest.raises(ValueError, match=r"relation_loss .*stream_transfer=True"):
        distiller.fit(X, y)


def test_angle_loss_at_anchors_is_the_direct_loss_at_those_vertices(embeddings):
    student, teacher = embeddings
    n = len(student)
    anchors = torch.tensor([6, 2, 4])  # row 4 repeats row 2: its angles are 0 where they meet
    direct_s = _direct_angles(student).reshape(n, n, n)[anchors]
    direct_t = _direct_angles(teacher).reshape(n, n, n)[anchors]
    expected = F.smooth_l1_loss(direct_s, direct_t)
    torch.testing.assert_close(rkd_angle_loss(student, teacher, anchors=anchors), expected)
    # all rows as anchors is the paper's loss, and the mean over single anchors is too: drawn
    # uniformly, anchors give an unbiased estimate of the full loss
    everyone = torch.arange(n)
    full = rkd_angle_loss(student, teacher)
    torch.testing.assert_close(rkd_angle_loss(student, teacher, anchors=everyone), full)
    single = [rkd_angle_loss(student, teacher, anchors=everyone[j : j + 1]) for j in range(n)]
    torch.testing.assert_close(torch.stack(single).mean(), full)


@pytest.mark.parametrize("width", [4, 200])
@pytest.mark.parametrize("anchors", [None, [6, 2, 4]])
def test_angle_loss_and_its_gradient_at_any_width(width, anchors):
    # narrow students take the difference vectors' route, wide ones the Gram matrix's (cheaper
    # there): both give Park et al.'s loss and its gradient, a repeated row included
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(9, width, generator=gen, dtype=torch.float64)
    student[4] = student[2]
    student.requires_grad_(True)
    teacher = torch.randn(9, 7, generator=gen, dtype=torch.float64)
    rows = slice(None) if anchors is None else torch.tensor(anchors)

    def direct(e):  # as _direct_angles, with a zero difference a zero vector of zero gradient
        diff = e[None, :, :] - e[:, None, :]
        norm = diff.norm(dim=2, keepdim=True)
        unit = torch.where(norm > 0, diff / norm.clamp_min(1e-300), 0.0)
        return torch.bmm(unit, unit.transpose(1, 2))[rows]

    expected = F.smooth_l1_loss(direct(student), direct(teacher))
    (want,) = torch.autograd.grad(expected, student)
    loss = rkd_angle_loss(
        student, teacher, anchors=None if anchors is None else torch.tensor(anchors)
    )
    (got,) = torch.autograd.grad(loss, student)
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(got, want)


def test_losses_of_a_single_row_are_zero():
    one = torch.ones(1, 3)
    assert float(rkd_distance_loss(one, one)) == 0.0
    assert float(rkd_angle_loss(one, one)) == 0.0


def test_angle_anchors_are_drawn_from_their_own_seeded_generator(digits, teacher):
    X, y = digits
    rng_before = torch.get_rng_state()

    def fit(**params):
        return DistilledClassifier(
            teacher, _student(), relation_loss="angle", relation_weight=5.0, **params
        ).fit(X, y)

    first, again = fit(angle_anchors=2, random_state=3), fit(angle_anchors=2, random_state=3)
    assert torch.equal(torch.get_rng_state(), rng_before)  # torch's global stream untouched
    curve = first.student_.loss_curve_
    assert curve == again.student_.loss_curve_  # the same seed draws the same anchors
    # other anchors (another seed of theirs, or every row) train another student, on the same
    # batches: the student's seed, and so its batches, is the distiller's either way
    assert fit(angle_anchors=3, random_state=3).student_.loss_curve_ != curve
    full = fit(angle_anchors=None, random_state=3)
    assert full.student_.loss_curve_ != curve
    # a batch with no more rows than angle_anchors takes the angles at every row
    assert fit(angle_anchors=32, random_state=3).student_.loss_curve_ == full.student_.loss_curve_


def test_angle_anchors_must_be_a_positive_int_or_none(digits, teacher):
    X, y = digits
    for bad in (0, -2, 2.5, "4"):
        distiller = DistilledClassifier(
            teacher, _student(), relation_loss="angle", angle_anchors=bad
        )
        with pytest.raises(ValueError, match=r"'angle_anchors' parameter .* Got .*instead"):
            distiller.fit(X, y)


def test_teacher_activations_are_cached_like_its_outputs(digits):
    X, y = digits
    calls = []

    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.body = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU())
            self.out = torch.nn.Linear(16, 10)

        def forward(self, X):
            calls.append(len(X))
            return self.out(self.body(X))

    teacher = TorchTeacher(Counting().eval(), classes=np.arange(10))

    def fit(**params):
        before = sum(calls)
        DistilledClassifier(
            teacher, _student(), relation_loss="distance", random_state=0, **params
        ).fit(X, y)
        return sum(calls) - before

    # the first fit asks the teacher for its outputs and its penultimate layer, a pass each
    # (and one row more, for the layer's width)
    assert fit() == 2 * len(X) + 1
    assert fit() == 1  # both come from the in-process cache
    assert fit(memory=False) == 2 * len(X)
