"""stream_transfer=True: fresh transfer rows for each epoch of a neural student."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

from skdistill import DistilledClassifier, DistilledRegressor  # noqa: E402
from skdistill.torch import MLPStudent, SoftTreeClassifier  # noqa: E402

N_TRANSFER, BATCH = 200, 100  # fresh rows per epoch, rows per teacher call


class RecordingLogistic(LogisticRegression):
    """A real logistic regression that records the rows of every decision_function call."""

    calls = []

    def decision_function(self, X):
        type(self).calls.append(np.array(X, copy=True))
        return super().decision_function(X)


class RecordingLinear(LinearRegression):
    """A real linear regression that records the rows of every predict call."""

    calls = []

    def predict(self, X):
        type(self).calls.append(np.array(X, copy=True))
        return super().predict(X)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture
def teacher(iris):
    X, y = iris
    fitted = RecordingLogistic(max_iter=500).fit(X, y)
    RecordingLogistic.calls = []
    return fitted


def _mlp(**params):
    return MLPStudent((8,), lr=0.02, max_epochs=2, batch_size=32, **params)


def _streamed(teacher, student=None, **params):
    settings = dict(
        transfer="mixup",
        n_transfer=N_TRANSFER,
        stream_transfer=True,
        teacher_batch_size=BATCH,
        temperature=2.0,
        random_state=0,
    )
    settings.update(params)
    return DistilledClassifier(teacher, student if student is not None else _mlp(), **settings)


def test_teacher_labels_fresh_batch_sized_chunks_every_epoch(iris, teacher):
    X, y = iris
    distiller = _streamed(teacher).fit(X, y)
    sizes = [len(rows) for rows in RecordingLogistic.calls]
    # the training rows once (150 = 100 + 50), then two chunks of fresh rows per epoch
    assert sizes == [100, 50] + [BATCH] * 2 * 2
    assert max(sizes) <= BATCH  # never more rows at once than teacher_batch_size
    epoch1 = np.vstack(RecordingLogistic.calls[2:4])
    epoch2 = np.vstack(RecordingLogistic.calls[4:6])
    assert not np.isin(epoch1, X).all(axis=1).any()  # synthetic rows, not training rows
    assert not any((epoch2 == row).all(axis=1).any() for row in epoch1)  # new rows each epoch
    assert distiller.n_transfer_ == N_TRANSFER
    # each epoch trains on the training rows and the epoch's fresh rows, in batches of 32
    history = distiller.student_.net_.history
    assert [h["train_batch_count"] for h in history] == [-(-(150 + N_TRANSFER) // 32)] * 2


def test_seeded_stream_repeats_and_leaves_torch_alone(iris, teacher):
    X, y = iris
    state = torch.random.get_rng_state()
    first = _streamed(teacher).fit(X, y)
    first_rows = np.vstack(RecordingLogistic.calls[-4:])  # the streamed chunks
    assert torch.equal(torch.random.get_rng_state(), state)
    RecordingLogistic.calls = []
    second = _streamed(teacher).fit(X, y)  # the training rows' outputs come from the cache
    np.testing.assert_array_equal(np.vstack(RecordingLogistic.calls), first_rows)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    other = _streamed(teacher, random_state=1).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), first.predict_proba(X))


def test_streamed_student_learns_from_the_teacher(iris, teacher):
    X, y = iris
    student = MLPStudent((16,), lr=0.02, max_epochs=15, batch_size=32)
    distiller = _streamed(teacher, student, alpha=1.0).fit(X, y)
    agreement = np.mean(distiller.predict(X) == teacher.predict(X))
    assert agreement > 0.9


@pytest.mark.parametrize(
    "student",
    [
        SoftTreeClassifier(depth=2, lr=0.1, max_epochs=10, batch_size=32),
        make_pipeline(StandardScaler(), _mlp()),
    ],
    ids=["SoftTreeClassifier", "Pipeline(StandardScaler, MLPStudent)"],
)
def test_other_streaming_students(iris, teacher, student):
    X, y = iris
    distiller = _streamed(teacher, student).fit(X, y)
    last = distiller.student_[-1] if hasattr(distiller.student_, "steps") else distiller.student_
    sizes = [len(rows) for rows in RecordingLogistic.calls][2:]
    assert sizes == [BATCH] * 2 * last.n_iter_  # two fresh chunks per epoch
    assert distiller.score(X, y) > 0.8


class _Net(torch.nn.Module):
    def __init__(self, n_out=3):
        super().__init__()
        self.layer = torch.nn.Linear(4, n_out)

    def forward(self, X):
        return self.layer(X)


def test_skorch_classifier_streams(iris, teacher):
    X, y = iris
    net = skorch.NeuralNetClassifier(
        _Net,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2,
        batch_size=50,
        lr=0.1,
        train_split=None,
        verbose=0,
    )
    distiller = _streamed(teacher, net).fit(X.astype(np.float32), y)
    assert [len(rows) for rows in RecordingLogistic.calls][2:] == [BATCH] * 4
    assert [h["train_batch_count"] for h in distiller.student_.history] == [7, 7]


def test_skorch_regressor_streams():
    X, y = make_regression(n_samples=120, n_features=4, noise=1.0, random_state=0)
    X = X.astype(np.float32)
    teacher = RecordingLinear().fit(X, y)
    RecordingLinear.calls = []
    net = skorch.NeuralNetRegressor(
        _Net, module__n_out=1, max_epochs=2, batch_size=40, lr=0.01, train_split=None, verbose=0
    )
    settings = dict(transfer="noise", n_transfer=N_TRANSFER, teacher_batch_size=BATCH)
    streamed = DistilledRegressor(
        teacher, net, alpha=1.0, stream_transfer=True, random_state=0, **settings
    )
    streamed.fit(X, y)
    sizes = [len(rows) for rows in RecordingLinear.calls]
    assert sizes == [100, 20] + [BATCH] * 4
    assert [h["train_batch_count"] for h in streamed.student_.history] == [8, 8]
    assert streamed.predict(X).shape == (120,)


def test_errors_name_the_parameter(iris, teacher):
    X, y = iris
    with pytest.raises(ValueError, match=r"stream_transfer=True .* transfer=None"):
        _streamed(teacher, transfer=None).fit(X, y)
    with pytest.raises(ValueError, match=r"stream_transfer=True needs a neural student.*tree"):
        _streamed(teacher, DecisionTreeClassifier(max_depth=2)).fit(X, y)
    with pytest.raises(ValueError, match=r"student_method='weights'"):
        _streamed(teacher, student_method="weights").fit(X, y)
    with pytest.raises(ValueError, match=r"n_transfer > 0"):
        _streamed(teacher, n_transfer=0).fit(X, y)
    with pytest.raises(ValueError, match=r"stream_transfer=True .*NeuralNetRegressor"):
        DistilledRegressor(
            DecisionTreeRegressor(max_depth=2).fit(X, y),
            DecisionTreeRegressor(),
            transfer="noise",
            stream_transfer=True,
        ).fit(X, y)
    with pytest.raises(ValueError, match="stream_transfer"):
        _streamed(teacher, stream_transfer="yes").fit(X, y)


def test_boundary_rows_stream_and_student_aware_rows_are_refused(iris, teacher):
    X, y = iris
    # boundary rows need the teacher alone: they can be drawn fresh every epoch
    distiller = _streamed(teacher, transfer="boundary").fit(X, y)
    assert distiller.n_transfer_ == N_TRANSFER
    sizes = [len(rows) for rows in RecordingLogistic.calls]
    # after the generator's fit (150) and the training rows (100 + 50): per chunk of fresh
    # rows, the generator's search asks the teacher at 5 points of each segment, then the
    # teacher labels the chunk; two chunks per epoch, two epochs
    assert sizes == [150, 100, 50] + [5 * BATCH, BATCH] * 2 * 2
    # adversarial rows are drawn where a fitted student disagrees: none exists before epoch 1
    with pytest.raises(ValueError, match=r"stream_transfer=True .*transfer='adversarial'"):
        _streamed(teacher, transfer="adversarial").fit(X, y)


def test_clone_search_and_pickle(iris, teacher):
    X, y = iris
    distiller = _streamed(teacher)
    assert clone(distiller).get_params()["stream_transfer"] is True
    search = GridSearchCV(distiller, {"temperature": [1.0, 4.0]}, cv=2).fit(X, y)
    assert search.best_estimator_.stream_transfer
    fitted = _streamed(teacher).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    # no epoch's rows outlive the fit: nothing of the stream is kept on the distiller
    assert not any("stream" in type(value).__name__.lower() for value in vars(fitted).values())


def test_privileged_columns_reach_the_teacher_not_the_student(iris):
    X, y = iris
    teacher = RecordingLogistic(max_iter=500).fit(X, y)  # every column
    RecordingLogistic.calls = []
    distiller = _streamed(teacher, privileged_features=[0]).fit(X, y)
    assert {rows.shape[1] for rows in RecordingLogistic.calls} == {4}  # streamed rows too
    assert distiller.student_.n_features_in_ == 3
    assert distiller.predict(X[:, 1:]).shape == (150,)
