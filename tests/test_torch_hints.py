"""FitNets hints: a neural student matching a hidden layer of a TorchTeacher or skorch teacher."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from skdistill import DistilledClassifier  # noqa: E402
from skdistill.torch import MLPStudent, TorchTeacher, hint_loss  # noqa: E402
from skdistill.torch._features import FeatureTargets, StudentFeatures  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:400] / 16.0).astype(np.float32), y[:400]


def _trained_module(X, y, hidden=16, seed=0):
    torch.manual_seed(seed)
    module = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10),
    )
    optimizer = torch.optim.Adam(module.parameters(), lr=0.02)
    X_t, y_t = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(X_t), y_t).backward()
        optimizer.step()
    return module


@pytest.fixture(scope="module")
def teacher(digits):
    return TorchTeacher(_trained_module(*digits), classes=np.arange(10))


def _student(**params):
    return MLPStudent((16, 16), lr=0.01, max_epochs=8, batch_size=64, random_state=0, **params)


def _hooks(module):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


def test_hint_loss_is_the_mean_squared_error_per_row_then_the_weighted_mean():
    gen = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(5, 3, generator=gen), torch.randn(5, 3, generator=gen)
    weight = torch.tensor([1.0, 2.0, 0.0, 1.0, 3.0])
    per_row = ((student - teacher) ** 2).sum(dim=1) / 3
    expected = (per_row * weight).sum() / weight.sum()
    torch.testing.assert_close(hint_loss(student, teacher, weight), expected)
    torch.testing.assert_close(hint_loss(student, teacher), per_row.mean())


def test_hint_pulls_the_student_layer_towards_the_teacher_layer(digits, teacher):
    X, y = digits
    # the same width on both sides: no regressor, so the student's own layer must match
    pair = ("3", "layers.3")
    plain = DistilledClassifier(teacher, _student(), temperature=2.0, random_state=0).fit(X, y)
    hinted = DistilledClassifier(
        teacher, _student(), temperature=2.0, hints=[pair], hint_weight=10.0, random_state=0
    ).fit(X, y)

    def gap(distiller):
        with torch.no_grad():
            t = teacher.module[:4](torch.as_tensor(X))
            s = distiller.student_.net_.module_.layers[:4](torch.as_tensor(X))
        return float(((s - t) ** 2).mean())

    assert gap(hinted) < 0.75 * gap(plain)  # 37 against 64 when written


def test_hooks_regressor_gone_and_teacher_unchanged(digits, teacher):
    X, y = digits
    module = teacher.module
    module.train()  # the teacher is asked in eval mode and left in the mode it was found in
    before = {k: v.clone() for k, v in module.state_dict().items()}
    rng_before = torch.get_rng_state()
    distiller = DistilledClassifier(
        teacher, _student(), hints=[("1", "layers.1")], relation_loss="both", random_state=0
    ).fit(X, y)
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert module.training
    module.eval()
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
    assert _hooks(module) == 0
    net = distiller.student_.net_
    assert _hooks(net.module_) == 0
    # the 16 -> 32 regressor was trained with the net's optimizer and is gone from it
    assert len(net.optimizer_.param_groups) == 1
    params = {id(p) for p in net.module_.parameters()}
    assert all(id(p) in params for p in net.optimizer_.state)
    assert [id(p) for p in net.optimizer_.param_groups[0]["params"]] == [
        id(p) for p in net.module_.parameters()
    ]
    assert set(net.module_.state_dict()) == set(_student().fit(X, y).net_.module_.state_dict())


class _Flaky(torch.nn.Module):
    """A student module that fails on its fourth training step."""

    made = []

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ReLU())
        self.out = torch.nn.Linear(8, 10)
        self.calls = 0
        _Flaky.made.append(self)

    def forward(self, X):
        if self.training:
            self.calls += 1
            if self.calls > 3:
                raise RuntimeError("boom")
        return self.out(self.body(X))


def test_hooks_are_removed_when_training_fails(digits, teacher):
    X, y = digits
    net = skorch.NeuralNetClassifier(
        _Flaky, criterion=torch.nn.CrossEntropyLoss, max_epochs=2, train_split=None, verbose=0
    )
    distiller = DistilledClassifier(teacher, net, hints=[("3", "body.1")], relation_loss="angle")
    with pytest.raises(RuntimeError, match="boom"):
        distiller.fit(X, y)
    assert _Flaky.made and all(_hooks(m) == 0 for m in _Flaky.made)
    assert _hooks(teacher.module) == 0


class _TwoLayer(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU())
        self.out = torch.nn.Linear(hidden, 10)

    def forward(self, X):
        return self.out(self.body(X))


def test_skorch_teacher_and_skorch_student(digits):
    X, y = digits

    def net(hidden, epochs):
        return skorch.NeuralNetClassifier(
            _TwoLayer,
            module__hidden=hidden,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=0.01,
            max_epochs=epochs,
            train_split=None,
            verbose=0,
        )

    skorch_teacher = net(32, 20).fit(X, y)
    weights = [p.detach().clone() for p in skorch_teacher.module_.parameters()]
    distiller = DistilledClassifier(
        skorch_teacher, net(8, 10), hints=[("body.1", "body.1")], random_state=0
    ).fit(X, y)
    assert distiller.score(X, y) > 0.4  # 0.52 when written (0.70 without the hint); 10 classes
    assert all(torch.equal(a, b) for a, b in zip(weights, skorch_teacher.module_.parameters()))


def test_pipeline_clone_and_pickle(digits, teacher):
    X, y = digits
    distiller = DistilledClassifier(teacher, _student(), hints=[("1", "layers.1")], random_state=0)
    assert clone(distiller).get_params()["hints"] == [("1", "layers.1")]
    pipe = make_pipeline(StandardScaler(with_std=False), clone(distiller)).fit(X, y)
    assert pipe.score(X, y) > 0.5
    distiller.fit(X, y)
    restored = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_array_equal(restored.predict(X), distiller.predict(X))
    # a student that is a Pipeline: the teacher still takes the raw rows
    student = make_pipeline(StandardScaler(), _student())
    fitted = DistilledClassifier(teacher, student, hints=[("1", "layers.1")]).fit(X, y)
    assert fitted.score(X, y) > 0.5


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"hints": [("9", "layers.1")]}, ValueError, r"teacher's module .* no layer '9'.*'0'"),
        ({"hints": [("1", "nope")]}, ValueError, r"student's module .* no layer 'nope'.*layers.0"),
        ({"hints": ["1"]}, ValueError, "pairs of module names"),
        ({"relation_layers": ("1", "layers.1")}, ValueError, "relation_loss is None"),
    ],
)
def test_errors_name_the_path(digits, teacher, params, error, match):
    X, y = digits
    with pytest.raises(error, match=match):
        DistilledClassifier(teacher, _student(), **params).fit(X, y)


def test_teacher_without_module_and_student_without_layers(digits, teacher):
    X, y = digits
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="RandomForestClassifier has no torch module"):
        DistilledClassifier(forest, _student(), hints=[("1", "layers.1")]).fit(X, y)
    with pytest.raises(TypeError, match="need a neural student"):
        DistilledClassifier(teacher, DecisionTreeClassifier(), hints=[("1", "0")]).fit(X, y)
    with pytest.raises(ValueError, match="2 teachers were given"):
        DistilledClassifier([teacher, teacher], _student(), hints=[("1", "layers.1")]).fit(X, y)


def test_unlabeled_rows_and_early_stopping_with_a_hint(digits, teacher):
    X, y = digits
    y = y.copy()
    y[::3] = -1  # a third unlabeled: the held-out rows are scored on the teacher's class
    student = _student(early_stopping=True, validation_fraction=0.2)
    distiller = DistilledClassifier(
        teacher, student, hints=[("1", "layers.1")], unlabeled_label=-1, random_state=0
    ).fit(X, y)
    history = distiller.student_.net_.history
    assert np.isfinite(history[-1, "valid_loss"])
    # the held-out loss is the output loss alone, below the training loss with the hint in it
    assert history[0, "valid_loss"] < history[0, "train_loss"]
    assert distiller.score(X[y >= 0], y[y >= 0]) > 0.2  # 10 classes; 0.36 when written


def test_regressor_joins_the_only_group_or_gets_its_own(digits, teacher):
    X, y = digits
    module = _trained_module(X, y)
    for lr in (None, 0.05):  # a group of other settings than the optimizer's defaults: its own
        net = _student().fit(X[:40], y[:40]).net_
        if lr is not None:
            net.optimizer_.param_groups[0]["lr"] = lr
        groups = [list(group["params"]) for group in net.optimizer_.param_groups]
        features = FeatureTargets([("1", "layers.1")], 1.0, None, 1.0, None)
        features.take_teacher(TorchTeacher(module, classes=np.arange(10)), X[:40], 40)
        student = StudentFeatures(net, features, X)
        try:
            regressor = list(student.regressors[0].parameters())
            now = net.optimizer_.param_groups
            assert len(now) == (1 if lr is None else 2)
            assert [id(p) for p in now[-1]["params"][-2:]] == [id(p) for p in regressor]
            # one step moves the regressor with the net's optimizer
            before = regressor[0].detach().clone()
            net.optimizer_.zero_grad()
            net.module_(torch.as_tensor(X[:40]))
            loss = student.loss(torch.as_tensor(features.columns), None)
            loss.backward()
            net.optimizer_.step()
            assert not torch.equal(before, regressor[0])
        finally:
            student.remove()
        assert [list(group["params"]) for group in net.optimizer_.param_groups] == groups
        assert all(id(p) not in {id(r) for r in regressor} for p in net.optimizer_.state)
