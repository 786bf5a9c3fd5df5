"""MLPStudent: a neural student that is an ordinary scikit-learn classifier."""

import json
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from scipy.special import expit, softmax  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skdistill import DistilledClassifier, soft_targets  # noqa: E402
from skdistill.torch import MLPStudent  # noqa: E402

# Few epochs keep the common checks fast; lr and batch_size are set so that 5 epochs reach the
# accuracy check_classifiers_train asks for (> 0.83 on blobs) with a margin.
CHECKED = MLPStudent(hidden_layer_sizes=(8,), lr=0.01, batch_size=32, max_epochs=5, random_state=0)

EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatch gradient descent: a row of weight 2 is one row in one batch, its repeated "
        "copy is two rows in two batches, so the two fits take different steps"
    ),
    "check_methods_subset_invariance": (
        "the network computes in float32: a row's logits may differ in the last float32 bits "
        "(~1e-7) with the size of the batch it is computed in, the tolerance of this check"
    ),
}


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), np.array(["setosa", "versicolor", "virginica"])[y]


def _student(**params):
    return MLPStudent(**{"hidden_layer_sizes": (16,), "lr": 0.01, "random_state": 0, **params})


def test_it_learns_and_reports_its_training(iris):
    X, y = iris
    student = _student(max_epochs=30).fit(X, y)
    assert student.score(X, y) > 0.9
    np.testing.assert_array_equal(student.classes_, ["setosa", "versicolor", "virginica"])
    assert student.n_features_in_ == 4
    assert student.n_iter_ == 30 == len(student.loss_curve_)
    assert student.loss_curve_[-1] < student.loss_curve_[0] / 2
    assert isinstance(student.net_.module_, torch.nn.Module)


def test_outputs_agree_with_each_other(iris):
    X, y = iris
    student = _student(max_epochs=5).fit(X, y)
    logits = student.decision_function(X)
    proba = student.predict_proba(X)
    assert logits.shape == proba.shape == (150, 3)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, softmax(logits, axis=1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(student.predict(X), student.classes_[proba.argmax(axis=1)])
    with torch.no_grad():
        module_logits = student.net_.module_(torch.as_tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(logits, module_logits.double().numpy(), rtol=1e-5, atol=1e-6)


def test_binary_decision_function_is_one_score_per_row(iris):
    X, y = iris
    binary = y != "setosa"
    student = _student(max_epochs=5).fit(X[binary], y[binary])
    scores = student.decision_function(X[binary])
    assert scores.shape == (100,)
    np.testing.assert_allclose(expit(scores), student.predict_proba(X[binary])[:, 1], rtol=1e-6)
    np.testing.assert_array_equal(
        student.predict(X[binary]), np.where(scores > 0, "virginica", "versicolor")
    )


def test_same_random_state_same_network_and_torch_global_rng_untouched(iris):
    X, y = iris
    rng_before = torch.random.get_rng_state()
    first = _student(max_epochs=3, dropout=0.2).fit(X, y).predict_proba(X)
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # neither fit nor predict
    second = _student(max_epochs=3, dropout=0.2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = _student(max_epochs=3, dropout=0.2, random_state=1).fit(X, y).predict_proba(X)
    assert not np.allclose(first, other)


def test_pickle_round_trip_gives_identical_predictions(iris):
    X, y = iris
    student = _student(max_epochs=3, early_stopping=True).fit(X, y)
    loaded = pickle.loads(pickle.dumps(student))
    np.testing.assert_array_equal(loaded.predict_proba(X), student.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), student.predict(X))


def test_clone_is_unfitted_with_the_same_parameters(iris):
    X, y = iris
    student = _student(max_epochs=2, hidden_layer_sizes=(4, 3)).fit(X, y)
    copy = clone(student)
    assert copy.get_params() == student.get_params()
    assert not hasattr(copy, "net_")
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), student.predict_proba(X))


def test_verbose(iris, capsys):
    X, y = iris
    _student(max_epochs=2).fit(X, y)
    assert capsys.readouterr().out == ""
    _student(max_epochs=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out


def test_early_stopping_stops_when_the_held_out_loss_stops_improving():
    # labels that are noise: the held-out loss cannot improve for long
    X, _ = make_classification(n_samples=300, n_features=10, random_state=0)
    y = np.random.default_rng(0).integers(0, 2, size=300)
    student = _student(
        hidden_layer_sizes=(64,), lr=0.05, max_epochs=100, early_stopping=True, n_iter_no_change=3
    ).fit(X, y)
    assert student.n_iter_ < 100
    assert len(student.loss_curve_) == student.n_iter_
    assert "valid_loss" in student.net_.history[-1]


def test_early_stopping_on_classes_too_small_to_stratify(iris):
    X, y = iris
    y = y.copy()
    y[0] = "rare"  # one row: no stratified split exists
    student = _student(max_epochs=2, early_stopping=True).fit(X, y)
    assert student.n_iter_ == 2
    assert "rare" in student.classes_


def test_shapes_of_the_network(iris):
    X, y = iris
    linear = _student(hidden_layer_sizes=(), max_epochs=1).fit(X, y)
    assert [type(m) for m in linear.net_.module_.layers] == [torch.nn.Linear]
    deep = _student(hidden_layer_sizes=(8, 4), activation="tanh", dropout=0.1, max_epochs=1)
    layers = [type(m).__name__ for m in deep.fit(X, y).net_.module_.layers]
    assert layers == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    sgd = _student(optimizer="sgd", weight_decay=1e-3, max_epochs=1).fit(X, y)
    assert isinstance(sgd.net_.optimizer_, torch.optim.SGD)
    assert sgd.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    assert sgd.net_.optimizer_.param_groups[0]["weight_decay"] == 1e-3


def test_sample_weight_zero_removes_a_class(iris):
    X, y = iris
    weight = np.where(y == "virginica", 0.0, 1.0)
    weighted = _student(max_epochs=20).fit(X, y, sample_weight=weight)
    assert "virginica" not in weighted.predict(X)
    assert "virginica" in _student(max_epochs=20).fit(X, y).predict(X)


def test_dataframe_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    student = _student(max_epochs=1).fit(frame, y)
    np.testing.assert_array_equal(student.feature_names_in_, ["a", "b", "c", "d"])
    assert student.predict(frame).shape == (150,)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"activation": "gelu"}, InvalidParameterError, "activation"),
        ({"optimizer": "rmsprop"}, InvalidParameterError, "optimizer"),
        ({"device": "tpu"}, InvalidParameterError, "device"),
        ({"dropout": 1.0}, InvalidParameterError, "dropout"),
        ({"hidden_layer_sizes": (8, 0)}, ValueError, r"hidden_layer_sizes must hold positive"),
    ],
)
def test_bad_parameters_are_named(iris, params, error, match):
    X, y = iris
    with pytest.raises(error, match=match):
        _student(**params).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without a GPU")
def test_cuda_without_a_gpu_says_so(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"device='cuda'.*torch.cuda.is_available\(\) is False"):
        _student(device="cuda").fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_matches_the_cpu_result(iris):
    X, y = iris
    student = _student(device="cuda", max_epochs=20).fit(X, y)
    assert next(student.net_.module_.parameters()).is_cuda
    assert student.score(X, y) > 0.9
    proba = student.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (150, 3)


def test_bad_inputs_are_refused(iris):
    X, y = iris
    student = _student(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        _student().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="4 features"):
        student.predict(X[:, :3])


# ---------------------------------------------------------------------- as a distillation student
def test_fit_distilled_with_alpha_one_learns_the_teacher(iris):
    X, y = iris
    teacher = LogisticRegression(C=0.1, max_iter=1000).fit(X, y)
    student = _student(max_epochs=60)
    distiller = DistilledClassifier(teacher, student, temperature=2.0, alpha=1.0).fit(X, y)
    assert distiller.student_method_ == "native"
    fitted = distiller.student_
    np.testing.assert_array_equal(fitted.classes_, teacher.classes_)
    assert np.mean(fitted.predict(X) == teacher.predict(X)) > 0.95
    # the student's tempered distribution approaches the teacher's
    tempered = softmax(fitted.decision_function(X) / 2.0, axis=1)
    target = soft_targets(teacher, X, temperature=2.0)
    assert np.abs(tempered - target).mean() < 0.05


def test_fit_distilled_takes_unlabeled_rows_and_logit_matching(iris):
    X, y = iris
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    partial = y.copy().astype(object)
    partial[::2] = "?"
    distiller = DistilledClassifier(
        teacher, _student(max_epochs=20), alpha=0.5, unlabeled_label="?"
    ).fit(X, partial)
    assert set(distiller.predict(X)) <= set(teacher.classes_)
    assert distiller.score(X, y) > 0.85

    # Ba and Caruana's loss regresses the logits themselves, not only their softmax
    linear = LogisticRegression(max_iter=1000).fit(X, y)
    logits = linear.decision_function(X)
    direct = _student(max_epochs=30, lr=0.03).fit_distilled(
        X,
        np.searchsorted(linear.classes_, y),
        soft_targets=softmax(logits, axis=1),
        teacher_logits=logits,
        classes=linear.classes_,
        temperature=1.0,
        alpha=1.0,
        loss="logit_mse",
    )
    assert np.abs(direct.decision_function(X) - logits).mean() < 0.1 * np.abs(logits).mean()
    assert np.mean(direct.predict(X) == linear.predict(X)) > 0.95


def test_early_stopping_in_distillation_holds_out_labelled_and_unlabeled_rows(iris):
    X, y = iris
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    partial = y.copy().astype(object)
    partial[::3] = "?"
    student = _student(max_epochs=200, early_stopping=True, n_iter_no_change=3)
    distiller = DistilledClassifier(
        teacher, student, temperature=2.0, alpha=0.8, unlabeled_label="?"
    ).fit(X, partial)
    fitted = distiller.student_
    assert fitted.n_iter_ < 200
    assert np.isfinite(fitted.net_.history[:, "valid_loss"]).all()
    assert distiller.score(X, y) > 0.85


def test_fit_distilled_checks_lengths(iris):
    X, _ = iris
    with pytest.raises(ValueError, match=r"soft_targets has shape \(10, 3\), expected \(150, 3\)"):
        _student().fit_distilled(
            X,
            np.zeros(150, int),
            soft_targets=np.full((10, 3), 1 / 3),
            teacher_logits=np.zeros((10, 3)),
            classes=np.array([0, 1, 2]),
            temperature=1.0,
            alpha=0.5,
        )


def _epoch_rows(loader):
    rows = [(X[:, 0].numpy(), y.numpy()) for X, y in loader]
    return np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows]), rows


@pytest.mark.parametrize("subset", [False, True])
def test_slice_loader_gives_every_row_once_per_epoch_with_its_target(subset):
    # MLPStudent draws its batches through SliceLoader: each epoch must show every training row
    # exactly once, beside its own target, in batches of batch_size, as skorch's DataLoader does.
    from skorch.dataset import Dataset

    from skdistill.torch._skorch import SliceLoader

    X = np.arange(50, dtype=np.float32).repeat(3).reshape(50, 3)
    y = (np.arange(50, dtype=np.float32) * 10).repeat(2).reshape(50, 2)
    dataset = Dataset(X, y)
    expected = np.arange(50)
    if subset:  # early stopping's train/valid split hands over a Subset
        expected = np.array([3, 7, 8, 20, 21, 33, 49])
        dataset = torch.utils.data.Subset(dataset, expected)
    loader = SliceLoader(dataset, batch_size=3, shuffle=True)
    torch.manual_seed(1)  # two epochs in the same order would then be a bug, not 1 in 5,040
    firsts, targets, batches = _epoch_rows(loader)
    assert len(batches) == len(loader) == -(-len(expected) // 3)
    assert [len(b[0]) for b in batches[:-1]] == [3] * (len(batches) - 1)
    np.testing.assert_array_equal(np.sort(firsts), expected)
    np.testing.assert_array_equal(targets[:, 0], firsts * 10)
    second, _, _ = _epoch_rows(loader)
    assert not np.array_equal(firsts, second)  # reshuffled per epoch
    unshuffled, _, _ = _epoch_rows(SliceLoader(dataset, batch_size=4))
    np.testing.assert_array_equal(unshuffled, expected)
    torch.manual_seed(0)
    again = _epoch_rows(loader)[0]
    torch.manual_seed(0)
    np.testing.assert_array_equal(_epoch_rows(loader)[0], again)


def test_slice_loader_leaves_other_datasets_to_torchs_data_loader():
    from skdistill.torch._skorch import SliceLoader

    data = torch.utils.data.TensorDataset(torch.arange(10.0)[:, None], torch.arange(10))
    batches = list(SliceLoader(data, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(torch.cat([b[1] for b in batches]).numpy(), np.arange(10))


def test_read_only_X_as_joblib_workers_pass_it(iris):
    # GridSearchCV(n_jobs=2) hands workers read-only memmaps: training must neither fail nor warn
    X, y = iris
    X = np.asarray(X, dtype=np.float32).copy()
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        student = MLPStudent((8,), lr=0.01, max_epochs=20, random_state=0).fit(X, y)
        assert student.score(X, y) > 0.8
    assert not X.flags.writeable


def test_the_distillers_random_state_seeds_an_unseeded_student(iris):
    # the bug: random_state on the distiller did not reach MLPStudent, so two fits differed
    # (by up to 0.53 in a probability) and torch's global generator moved
    X, y = iris
    teacher = LogisticRegression(max_iter=1000).fit(X, y)

    def distil(student, random_state):
        distiller = DistilledClassifier(teacher, student, random_state=random_state)
        return distiller.fit(X, y).predict_proba(X)

    unseeded = MLPStudent((8,), max_epochs=3)
    torch_state = torch.get_rng_state()
    first = distil(unseeded, 0)
    np.testing.assert_array_equal(distil(unseeded, 0), first)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert unseeded.random_state is None  # the user's student is left as it was
    assert not np.allclose(distil(unseeded, 1), first)
    # in a Pipeline too
    pipe = make_pipeline(StandardScaler(), MLPStudent((8,), max_epochs=3))
    np.testing.assert_array_equal(distil(pipe, 0), distil(pipe, 0))
    # the student's own random_state wins over the distiller's
    own = MLPStudent((8,), max_epochs=3, random_state=5)
    np.testing.assert_array_equal(distil(own, 0), distil(own, 1))


@pytest.mark.slow  # torch.onnx's exporter takes several seconds on its first call
def test_to_onnx_gives_the_same_probabilities_in_onnxruntime(iris, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    X, y = iris
    # dropout is active while training: the export must run the network in evaluation mode
    student = _student(hidden_layer_sizes=(8,), dropout=0.3, max_epochs=5).fit(X, y)
    before = {k: v.clone() for k, v in student.net_.module_.state_dict().items()}
    training = student.net_.module_.training
    model = student.to_onnx(tmp_path / "student.onnx")
    session = onnxruntime.InferenceSession(
        str(tmp_path / "student.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [i.name for i in session.get_inputs()] == ["X"]
    logits, proba = session.run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(proba, student.predict_proba(X), atol=1e-5, rtol=0)
    np.testing.assert_allclose(logits, student._logits(X), atol=1e-5, rtol=0)
    classes = json.loads(session.get_modelmeta().custom_metadata_map["classes"])
    np.testing.assert_array_equal(np.asarray(classes)[proba.argmax(axis=1)], student.predict(X))
    assert {p.key for p in model.metadata_props} == {"classes"}
    # any number of rows, and the fitted network left as it was
    assert session.run(None, {"X": X[:1].astype(np.float32)})[1].shape == (1, 3)
    assert student.net_.module_.training == training
    for key, value in student.net_.module_.state_dict().items():
        assert torch.equal(value, before[key])
