"""TorchTeacher and skorch teachers: a trained torch model's outputs, taken without changing it."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from scipy.special import softmax  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from skdistill import DistilledClassifier, soft_targets  # noqa: E402
from skdistill.torch import TorchTeacher  # noqa: E402
from skdistill.torch._teacher import skorch_teacher_outputs  # noqa: E402

CLASSES = ["setosa", "versicolor", "virginica"]


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _module(n_in=4, n_out=3, dropout=0.0):
    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, n_out))


class _Custom(torch.nn.Module):
    """A module whose number of input features the adapter cannot read."""

    def __init__(self):
        super().__init__()
        self.head = torch.nn.Linear(4, 3)

    def forward(self, X):
        return self.head(X)


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_logits_are_exactly_the_modules_outputs(iris):
    X, _ = iris
    module = _module().eval()
    teacher = TorchTeacher(module, CLASSES)
    logits = teacher.decision_function(X)
    with torch.no_grad():
        expected = module(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    assert logits.dtype == np.float64
    np.testing.assert_array_equal(logits, expected)
    np.testing.assert_allclose(teacher.predict_proba(X), softmax(expected, axis=1))
    np.testing.assert_array_equal(teacher.predict(X), np.array(CLASSES)[expected.argmax(axis=1)])


def test_batches_give_the_outputs_of_one_batch(iris):
    X, _ = iris
    module = _module()
    whole = TorchTeacher(module, CLASSES, batch_size=len(X)).decision_function(X)
    batched = TorchTeacher(module, CLASSES, batch_size=7).decision_function(X)
    assert batched.shape == whole.shape == (150, 3)
    np.testing.assert_allclose(batched, whole, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
def test_the_module_is_left_as_it_was(iris, training):
    X, _ = iris
    module = _module(dropout=0.5).train(training)
    before = _state(module)
    teacher = TorchTeacher(module, CLASSES, batch_size=50)
    first = teacher.decision_function(X)
    teacher.predict_proba(X)
    teacher.predict(X)
    # eval mode inside: dropout is off, so two calls agree even for a module left in train mode
    np.testing.assert_array_equal(teacher.decision_function(X), first)
    assert module.training is training
    assert all(m.training is training for m in module.modules())
    after = _state(module)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in module.parameters())


def test_the_module_is_restored_even_when_it_raises(iris):
    X, _ = iris
    module = _Custom().train()
    teacher = TorchTeacher(module, CLASSES)
    with pytest.raises(RuntimeError):
        teacher.decision_function(X[:, :3])  # a shape error inside the module
    assert module.training


def test_it_is_fitted_by_construction_and_refuses_to_fit(iris):
    X, y = iris
    teacher = TorchTeacher(_module(), CLASSES)
    check_is_fitted(teacher)
    np.testing.assert_array_equal(teacher.classes_, CLASSES)
    assert teacher.n_features_in_ == 4
    with pytest.raises(TypeError, match="already trained torch module"):
        teacher.fit(X, y)


def test_output_width_must_match_the_classes(iris):
    X, _ = iris
    teacher = TorchTeacher(_module(), ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"returns 3 outputs per row but there are 4 classes"):
        teacher.decision_function(X)
    with pytest.raises(ValueError, match="at least two labels"):
        TorchTeacher(_module(n_out=1), ["a"]).decision_function(X)


def test_inputs_are_checked(iris):
    X, _ = iris
    teacher = TorchTeacher(_module(), CLASSES)
    with pytest.raises(TypeError, match="needs numeric X"):
        teacher.decision_function(np.array([["a", "b", "c", "d"]], dtype=object))
    with pytest.raises(ValueError, match="module's first layer takes 4 features"):
        teacher.decision_function(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        teacher.decision_function(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="batch_size"):
        TorchTeacher(_module(), CLASSES, batch_size=0).decision_function(X)


def test_n_features_in_is_absent_when_unknowable():
    assert not hasattr(TorchTeacher(_Custom(), CLASSES), "n_features_in_")
    assert TorchTeacher(torch.nn.Linear(5, 3), CLASSES).n_features_in_ == 5


def test_binary_one_logit_gives_scores_and_two_probability_columns(iris):
    X, _ = iris
    module = _module(n_out=1)
    teacher = TorchTeacher(module, ["no", "yes"])
    scores = teacher.decision_function(X)
    assert scores.shape == (150,)
    with torch.no_grad():
        expected = module(torch.as_tensor(X, dtype=torch.float32))[:, 0].double().numpy()
    np.testing.assert_array_equal(scores, expected)
    proba = teacher.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-expected)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(teacher.predict(X), np.where(expected > 0, "yes", "no"))
    # a two-logit binary module keeps both columns
    assert TorchTeacher(_module(n_out=2), ["no", "yes"]).decision_function(X).shape == (150, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_module_on_the_gpu_is_asked_there(iris):
    X, _ = iris
    cpu = TorchTeacher(_module(), CLASSES).decision_function(X)
    module = _module().cuda()
    np.testing.assert_allclose(
        TorchTeacher(module, CLASSES).decision_function(X), cpu, rtol=1e-4, atol=1e-5
    )
    assert next(module.parameters()).is_cuda  # not moved


def test_pickle_round_trip(iris):
    X, _ = iris
    teacher = TorchTeacher(_module(), CLASSES, batch_size=32)
    loaded = pickle.loads(pickle.dumps(teacher))
    np.testing.assert_array_equal(loaded.decision_function(X), teacher.decision_function(X))
    np.testing.assert_array_equal(loaded.classes_, teacher.classes_)


def test_distilling_a_torch_teacher_leaves_it_untouched(iris):
    X, y = iris
    module = _module().train()
    before = _state(module)
    teacher = TorchTeacher(module, CLASSES)
    labels = np.array(CLASSES)[y]
    distiller = DistilledClassifier(teacher, LogisticRegression(max_iter=1000), temperature=2.0)
    distiller.fit(X, labels)
    assert clone(distiller).teacher is teacher  # fitted: kept, not copied
    assert distiller.teacher_ is teacher
    np.testing.assert_array_equal(distiller.classes_, CLASSES)
    with torch.no_grad():
        logits = module.eval()(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    module.train()
    np.testing.assert_allclose(soft_targets(teacher, X, temperature=2.0), softmax(logits / 2.0, 1))
    assert module.training
    after = _state(module)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_teachers_with_the_same_classes_in_another_order_are_aligned():
    # a TorchTeacher lists its classes in its output order, here not sorted, beside a
    # scikit-learn teacher whose classes_ are sorted: the mean must match columns by class
    X, y = load_iris(return_X_y=True)
    labels = np.array(CLASSES)[y]
    X_train, X_test = X[::2], X[1::2]
    y_train, y_test = labels[::2], labels[1::2]
    logistic = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    order = [2, 0, 1]  # virginica, setosa, versicolor
    module = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(logistic.coef_[order]))
        module.bias.copy_(torch.as_tensor(logistic.intercept_[order]))
    torch_teacher = TorchTeacher(module.float(), logistic.classes_[order])
    np.testing.assert_allclose(
        torch_teacher.predict_proba(X_test)[:, np.argsort(order)],
        logistic.predict_proba(X_test),
        atol=1e-5,
    )
    distiller = DistilledClassifier(
        [logistic, torch_teacher], DecisionTreeClassifier(max_depth=3, random_state=0), alpha=1.0
    ).fit(X_train, y_train)
    np.testing.assert_array_equal(distiller.classes_, CLASSES)
    # both teachers say the same, so the student learns what the logistic teacher alone teaches
    alone = DistilledClassifier(
        logistic, DecisionTreeClassifier(max_depth=3, random_state=0), alpha=1.0
    ).fit(X_train, y_train)
    np.testing.assert_array_equal(distiller.predict(X_test), alone.predict(X_test))
    assert distiller.score(X_test, y_test) > 0.9


def _skorch_net(module, criterion, **kwargs):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    torch.manual_seed(0)
    net = skorch.NeuralNetClassifier(
        module, criterion=criterion, max_epochs=3, train_split=None, verbose=0, **kwargs
    )
    return net.fit(X, y), X


def test_skorch_teacher_with_cross_entropy_gives_its_logits():
    net, X = _skorch_net(_module(), torch.nn.CrossEntropyLoss)
    rng_before = torch.random.get_rng_state()
    values, kind = skorch_teacher_outputs(net, X.astype(np.float64))  # float64 is cast
    assert torch.equal(torch.random.get_rng_state(), rng_before)
    assert kind == "logits"
    assert values.dtype == np.float64 and values.shape == (150, 3)
    with torch.no_grad():
        expected = net.module_.eval()(torch.as_tensor(X)).double().numpy()
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6)


def test_skorch_teacher_with_nll_and_softmax_gives_probabilities():
    module = torch.nn.Sequential(_module(), torch.nn.Softmax(dim=-1))
    net, X = _skorch_net(module, torch.nn.NLLLoss)
    values, kind = skorch_teacher_outputs(net, X.astype(np.float64))
    assert kind == "proba"
    np.testing.assert_allclose(values, net.predict_proba(X), rtol=1e-6)
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=1e-5)


def test_skorch_binary_teacher_gives_one_logit_per_row():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X[y < 2]).astype(np.float32)
    y = y[y < 2].astype(np.float32)

    class OneLogit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, X):
            return self.linear(X)[:, 0]

    net = skorch.NeuralNetBinaryClassifier(OneLogit, max_epochs=2, train_split=None, verbose=0)
    net.fit(X, y)
    values, kind = skorch_teacher_outputs(net, X)
    assert kind == "logits"
    assert values.shape == (len(X),)
    np.testing.assert_allclose(1 / (1 + np.exp(-values)), net.predict_proba(X)[:, 1], rtol=1e-5)


def test_skorch_teacher_with_another_criterion_is_refused():
    net, X = _skorch_net(_module(), torch.nn.CrossEntropyLoss)
    net.criterion_ = torch.nn.MSELoss()
    with pytest.raises(ValueError, match=r"MSELoss is not understood.*CrossEntropyLoss"):
        skorch_teacher_outputs(net, X)
