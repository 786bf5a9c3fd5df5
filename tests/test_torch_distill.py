"""skorch nets as students and teachers of the distillers, trained for real on digits."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, load_iris, make_regression  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from skdistill import DistilledClassifier, DistilledRegressor, soft_targets  # noqa: E402
from skdistill.metrics import fidelity_score  # noqa: E402


class Net(torch.nn.Module):
    def __init__(self, n_features=64, n_hidden=32, n_classes=10, softmax=False):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(n_features, n_hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(n_hidden, n_classes),
        )
        self.softmax = softmax

    def forward(self, X):
        z = self.body(X)
        return torch.softmax(z, dim=-1) if self.softmax else z


def _net(criterion=torch.nn.CrossEntropyLoss, softmax=False, **kwargs):
    params = dict(max_epochs=15, lr=0.2, batch_size=64, train_split=None, verbose=0)
    params.update(kwargs)
    return skorch.NeuralNetClassifier(Net, module__softmax=softmax, criterion=criterion, **params)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def teacher(digits):
    X_train, _, y_train, _ = digits
    return LogisticRegression(max_iter=2000, C=10.0).fit(X_train, y_train)


@pytest.mark.parametrize(
    "criterion, softmax",
    [(torch.nn.CrossEntropyLoss, False), (torch.nn.NLLLoss, True)],
    ids=["logits+CrossEntropyLoss", "softmax+NLLLoss"],
)
def test_skorch_student_learns_from_the_teacher_alone(digits, teacher, criterion, softmax):
    X_train, X_test, y_train, y_test = digits
    rng = np.random.RandomState(0)
    garbage = rng.permutation(y_train)  # labels that carry nothing
    taught = DistilledClassifier(
        teacher, _net(criterion, softmax), temperature=2.0, alpha=1.0, random_state=0
    ).fit(X_train, garbage)
    on_garbage = DistilledClassifier(
        teacher, _net(criterion, softmax), alpha=0.0, random_state=0
    ).fit(X_train, garbage)
    assert taught.student_method_ == "native"
    assert taught.score(X_test, y_test) > 0.85
    assert fidelity_score(taught, X_test) > 0.85
    assert on_garbage.score(X_test, y_test) < 0.3


def test_fitted_skorch_student_is_an_ordinary_net(digits, teacher):
    X_train, X_test, y_train, _ = digits
    student = _net(train_split=skorch.dataset.ValidSplit(0.2, stratified=True, random_state=0))
    distiller = DistilledClassifier(teacher, student, temperature=3.0, random_state=0)
    distiller.fit(X_train, y_train)
    net = distiller.student_
    assert type(net) is skorch.NeuralNetClassifier
    assert "get_loss" not in vars(net)  # the distillation hook is gone
    assert isinstance(net.train_split, skorch.dataset.ValidSplit)
    np.testing.assert_array_equal(net.classes_, np.arange(10))
    # its epoch log scored the validation rows against their labels
    assert 0.5 < net.history[-1, "valid_acc"] <= 1.0
    # on its own, without skdistill: predicts the labels, proba = softmax of its logits
    logits = net.forward(X_test, training=False)
    np.testing.assert_allclose(
        net.predict_proba(X_test), torch.softmax(logits, dim=1).numpy(), rtol=1e-5
    )
    np.testing.assert_array_equal(net.predict(X_test), distiller.predict(X_test))
    # the user's net is untouched
    assert not hasattr(student, "module_")


def test_pickle_round_trip_of_a_distiller_with_a_neural_student(digits, teacher):
    X_train, X_test, y_train, _ = digits
    distiller = DistilledClassifier(teacher, _net(max_epochs=3), random_state=0)
    distiller.fit(X_train, y_train)
    again = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_allclose(again.predict_proba(X_test), distiller.predict_proba(X_test))


def test_seeded_fits_are_reproducible_and_leave_torch_rng_alone(digits, teacher):
    X_train, X_test, y_train, _ = digits
    state = torch.get_rng_state()
    first = DistilledClassifier(teacher, _net(max_epochs=3), random_state=7).fit(X_train, y_train)
    assert torch.equal(state, torch.get_rng_state())
    second = DistilledClassifier(teacher, _net(max_epochs=3), random_state=7).fit(X_train, y_train)
    np.testing.assert_array_equal(first.predict_proba(X_test), second.predict_proba(X_test))


def test_string_labels_and_unlabeled_rows(digits):
    X_train, X_test, y_train, y_test = digits
    names = np.array(list("abcdefghij"))[y_train]
    names[::4] = "?"
    distiller = DistilledClassifier(
        LogisticRegression(max_iter=2000),
        _net(),
        alpha=0.5,
        unlabeled_label="?",
        random_state=0,
    ).fit(X_train, names)
    assert set(distiller.predict(X_test)) <= set("abcdefghij")
    assert distiller.score(X_test, np.array(list("abcdefghij"))[y_test]) > 0.85


def test_grid_search_over_temperature_alpha_and_the_nets_parameters(digits, teacher):
    X_train, _, y_train, _ = digits
    search = GridSearchCV(
        DistilledClassifier(teacher, _net(max_epochs=10), random_state=0),
        {
            "temperature": [1.0, 4.0],
            "alpha": [0.5, 1.0],
            "student__lr": [0.05, 0.2],
            "student__module__n_hidden": [16],
        },
        cv=2,
    ).fit(X_train[:600], y_train[:600])
    assert len(search.cv_results_["params"]) == 8
    assert search.best_estimator_.student_.module_.body[0].out_features == 16
    assert search.best_score_ > 0.7


def test_neural_student_in_a_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        StandardScaler(),
        DistilledClassifier(
            LogisticRegression(max_iter=1000),
            _net(),
            temperature=2.0,
            random_state=0,
        ),
    ).fit(X_train.astype(np.float64), y_train)
    assert pipe.score(X_test.astype(np.float64), y_test) > 0.85


def test_logit_matching_loss(digits, teacher):
    X_train, X_test, y_train, y_test = digits
    distiller = DistilledClassifier(
        teacher,
        _net(max_epochs=20, lr=0.01, optimizer=torch.optim.Adam),
        alpha=1.0,
        loss="logit_mse",
        random_state=0,
    ).fit(X_train, y_train)
    assert distiller.score(X_test, y_test) > 0.85


def test_logit_matching_needs_teacher_logits_and_a_neural_student(digits):
    X_train, _, y_train, _ = digits
    forest = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)  # proba only
    with pytest.raises(ValueError, match="loss='logit_mse' regresses the teacher's logits"):
        DistilledClassifier(forest, _net(max_epochs=1), loss="logit_mse").fit(X_train, y_train)
    with pytest.raises(ValueError, match="loss='logit_mse' is the loss of a neural student"):
        DistilledClassifier(forest, DecisionTreeClassifier(), loss="logit_mse").fit(
            X_train, y_train
        )


# -------------------------------------------------------------------------- wrong set-ups
def test_module_output_width_must_match_the_classes(digits, teacher):
    X_train, _, y_train, _ = digits
    student = _net(module__n_classes=7, max_epochs=1)
    with pytest.raises(ValueError, match=r"shape \(64, 7\).*10 classes.*10 outputs"):
        DistilledClassifier(teacher, student).fit(X_train, y_train)


def test_softmax_module_with_cross_entropy_says_what_to_change(digits, teacher):
    X_train, _, y_train, _ = digits
    student = _net(torch.nn.CrossEntropyLoss, softmax=True, max_epochs=1)
    with pytest.raises(ValueError, match=r"softmax would be applied twice.*Remove the final"):
        DistilledClassifier(teacher, student).fit(X_train, y_train)


def test_logit_module_with_nll_loss_says_what_to_change(digits, teacher):
    X_train, _, y_train, _ = digits
    student = _net(torch.nn.NLLLoss, softmax=False, max_epochs=1)
    with pytest.raises(ValueError, match=r"not probabilities.*criterion=torch.nn.CrossEntropy"):
        DistilledClassifier(teacher, student).fit(X_train, y_train)


def test_unsupported_criterion(digits, teacher):
    X_train, _, y_train, _ = digits
    student = _net(torch.nn.MSELoss, max_epochs=1)
    with pytest.raises(ValueError, match="criterion MSELoss"):
        DistilledClassifier(teacher, student).fit(X_train, y_train)


def test_non_numeric_X_for_a_neural_student():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    y = (X["x"] > 0).astype(int).to_numpy()
    teacher = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    student = skorch.NeuralNetClassifier(
        Net, module__n_features=2, module__n_classes=2, max_epochs=1, train_split=None
    )
    with pytest.raises(TypeError, match=r"numeric X.*\['colour'\].*OneHotEncoder"):
        DistilledClassifier(teacher, student).fit(X, y)


# -------------------------------------------------------------------------- skorch teachers
@pytest.fixture(scope="module")
def net_teacher(digits):
    X_train, _, y_train, _ = digits
    torch.manual_seed(0)
    return _net(max_epochs=10).fit(X_train, y_train)


def test_skorch_teacher_gives_its_raw_logits(digits, net_teacher):
    _, X_test, _, _ = digits
    logits = net_teacher.forward(X_test, training=False).double().numpy()
    for T in [1.0, 20.0]:
        expected = torch.softmax(torch.from_numpy(logits) / T, dim=1).numpy()
        np.testing.assert_allclose(soft_targets(net_teacher, X_test, temperature=T), expected)


def test_skorch_teacher_distilled_into_a_tree(digits, net_teacher):
    X_train, X_test, y_train, _ = digits
    distiller = DistilledClassifier(
        net_teacher, DecisionTreeClassifier(max_depth=8, random_state=0), temperature=2.0
    ).fit(X_train.astype(np.float64), y_train)
    assert fidelity_score(distiller, X_test.astype(np.float64)) > 0.6
    again = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_array_equal(again.predict(X_test), distiller.predict(X_test))


def test_cache_notices_a_teacher_trained_in_place(digits):
    from skdistill import _targets

    X_train, X_test, y_train, _ = digits
    torch.manual_seed(0)
    net = _net(max_epochs=1).fit(X_train, y_train)

    def logits_now():
        return net.forward(X_test, training=False).double().numpy()

    def student(memory):
        tree = DecisionTreeClassifier(max_depth=6, random_state=0)
        return DistilledClassifier(net, tree, alpha=1.0, memory=memory).fit(X_test)

    # a first fit asks the net on X_test through the in-process cache, which keeps its outputs
    before = logits_now()
    cached, _ = _targets.TeacherOutputs(X_test).classification("teacher", net)
    np.testing.assert_allclose(cached, before, rtol=1e-6)
    first = student(memory=None).predict_proba(X_test)
    net.partial_fit(X_train, y_train)  # parameters change in place, the same objects
    after = logits_now()
    assert np.abs(after - before).max() > 0.1  # the training step really moved the outputs
    values, _ = _targets.TeacherOutputs(X_test).classification("teacher", net)
    np.testing.assert_allclose(values, after, rtol=1e-6)
    # and a fit after the training step learns the new outputs, as without any cache
    again = student(memory=None).predict_proba(X_test)
    np.testing.assert_array_equal(again, student(memory=False).predict_proba(X_test))
    assert not np.array_equal(again, first)


def test_nan_logits_from_a_teacher_are_refused(digits):
    X_train, _, y_train, _ = digits
    torch.manual_seed(0)
    net = _net(max_epochs=1).fit(X_train, y_train)
    with torch.no_grad():
        net.module_.body[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="returned NaN or inf for"):
        DistilledClassifier(net, DecisionTreeClassifier()).fit(X_train, y_train)


# -------------------------------------------------------------------------- regression
def test_neural_student_of_the_regressor():
    X, y = make_regression(n_samples=400, n_features=5, noise=1.0, random_state=0)
    X = X.astype(np.float32)
    y = (y / y.std()).astype(np.float64)
    teacher = LinearRegression().fit(X, y)
    student = skorch.NeuralNetRegressor(
        torch.nn.Linear,
        module__in_features=5,
        module__out_features=1,
        max_epochs=40,
        lr=0.05,
        train_split=None,
        verbose=0,
    )
    distiller = DistilledRegressor(teacher, student, alpha=1.0, random_state=0).fit(X, y)
    y_pred = distiller.predict(X)
    assert y_pred.shape == (400,)
    np.testing.assert_allclose(y_pred, teacher.predict(X), atol=0.05)
    assert distiller.score(X, y) > 0.99


# -------------------------------------------------------------------------- plain torch teachers
def _trained_module(X, y, epochs=60):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(X_t), y_t).backward()
        optimizer.step()
    return module


def test_torch_module_teacher_into_a_neural_student(digits):
    from skdistill.torch import MLPStudent, TorchTeacher

    X_train, X_test, y_train, y_test = digits
    module = _trained_module(X_train, y_train)
    teacher = TorchTeacher(module, classes=np.arange(10))
    distiller = DistilledClassifier(
        teacher,
        MLPStudent(hidden_layer_sizes=(32,), max_epochs=30, random_state=0),
        temperature=4.0,
        alpha=0.9,
    ).fit(X_train, y_train)
    assert distiller.score(X_test, y_test) > 0.85
    assert fidelity_score(distiller, X_test) > 0.85
    assert module.training  # the user's module is left in the mode it was in


def test_torch_teacher_classes_must_match_the_labels(digits):
    from skdistill.torch import TorchTeacher

    X_train, _, y_train, _ = digits
    teacher = TorchTeacher(_trained_module(X_train, y_train, epochs=1), classes=list("abcdefghij"))
    with pytest.raises(ValueError, match=r"labels the teacher does not know: \[0, 1, 2"):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X_train, y_train)


def test_cache_notices_a_wrapped_module_trained_in_place(digits):
    from skdistill.torch import TorchTeacher

    X_train, X_test, y_train, _ = digits
    module = _trained_module(X_train, y_train, epochs=2)
    teacher = TorchTeacher(module, classes=np.arange(10))
    first = soft_targets(teacher, X_test)
    DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=2)).fit(X_train, y_train)
    with torch.no_grad():
        module[2].bias.add_(torch.arange(10.0))  # trained further, in place
    distiller = DistilledClassifier(teacher, DecisionTreeClassifier(), alpha=1.0)
    distiller.fit(X_test)
    np.testing.assert_array_equal(distiller.predict(X_test), teacher.predict(X_test))
    assert not np.allclose(first, soft_targets(teacher, X_test))


def test_predicting_leaves_torchs_random_stream_alone(digits, teacher):
    X_train, X_test, y_train, _ = digits
    distiller = DistilledClassifier(teacher, _net(max_epochs=1), random_state=0)
    distiller.fit(X_train, y_train)
    state = torch.get_rng_state()
    distiller.predict(X_test)
    distiller.predict_proba(X_test)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_teacher_on_another_device_than_the_student(digits):
    from skdistill.torch import MLPStudent, TorchTeacher

    X_train, X_test, y_train, y_test = digits
    module = _trained_module(X_train, y_train).to("cuda")
    distiller = DistilledClassifier(
        TorchTeacher(module, classes=np.arange(10)),
        MLPStudent(hidden_layer_sizes=(32,), max_epochs=20, device="cpu", random_state=0),
        temperature=2.0,
    ).fit(X_train, y_train)
    assert distiller.score(X_test, y_test) > 0.85


def test_a_pipeline_ending_in_a_neural_student_keeps_hintons_loss(digits, teacher):
    from skdistill.torch import MLPStudent

    X_train, X_test, y_train, y_test = digits
    student = make_pipeline(
        StandardScaler(), MLPStudent(hidden_layer_sizes=(32,), max_epochs=15, random_state=0)
    )
    distiller = DistilledClassifier(
        teacher, student, temperature=2.0, alpha=1.0, random_state=0
    ).fit(X_train, np.random.RandomState(0).permutation(y_train))  # labels carry nothing
    assert distiller.student_method_ == "native"
    assert distiller.student_[0].n_features_in_ == 64  # the scaler was fitted
    assert distiller.score(X_test, y_test) > 0.85  # so it learnt from the teacher alone


def test_a_teacher_with_unsorted_classes_mixed_with_the_labels():
    # the bug: labels were encoded with np.searchsorted on the teacher's classes_, which a
    # TorchTeacher keeps in its output order (allowed, unsorted): IndexError with alpha < 1
    from skdistill.torch import TorchTeacher

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    fitted = LogisticRegression(max_iter=1000).fit(X, y)
    order = [2, 0, 1]  # the module's outputs: virginica, setosa, versicolor
    module = torch.nn.Linear(4, 3)
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(fitted.coef_[order]))
        module.bias.copy_(torch.as_tensor(fitted.intercept_[order]))
    teacher = TorchTeacher(module, names[order].tolist())
    np.testing.assert_array_equal(teacher.predict(X.astype(np.float32)), names[fitted.predict(X)])
    tree = DecisionTreeClassifier(random_state=0)
    labels_only = DistilledClassifier(teacher, tree, alpha=0.0).fit(X, names[y])
    # alpha=0 is the tree on the labels: each label must have been encoded as itself
    np.testing.assert_array_equal(labels_only.predict(X), clone(tree).fit(X, names[y]).predict(X))
    mixed = DistilledClassifier(teacher, tree, alpha=0.5, temperature=2.0).fit(X, names[y])
    np.testing.assert_array_equal(mixed.classes_, names[order])
    assert mixed.score(X, names[y]) > 0.95
    proba = mixed.predict_proba(X)
    np.testing.assert_array_equal(mixed.classes_[proba.argmax(axis=1)], mixed.predict(X))
