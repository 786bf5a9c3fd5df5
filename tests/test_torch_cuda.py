"""The CUDA paths of skdistill.torch: students trained on a GPU, teachers asked on another device.

Every test here needs a CUDA device and is skipped without one (the CPU-only CI runs none).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skdistill import DistilledClassifier, _teacher, clear_cache  # noqa: E402
from skdistill.metrics import fidelity_score  # noqa: E402
from skdistill.torch import MLPStudent, SoftTreeClassifier, TorchTeacher  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
CLASSES = np.array(["setosa", "versicolor", "virginica"])


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), CLASSES[y]


def _trained_module(X, y, device):
    """A small net trained on the labels, left on ``device``."""
    generator = torch.Generator().manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    for parameter in module.parameters():
        torch.nn.init.normal_(parameter, std=0.3, generator=generator)
    module = module.to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.05)
    X_t = torch.as_tensor(X, device=device)
    y_t = torch.as_tensor(np.searchsorted(CLASSES, y), device=device)
    for _ in range(100):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(X_t), y_t).backward()
        optimizer.step()
    return module.eval()


def _teacher_on(device, iris):
    X, y = iris
    return TorchTeacher(_trained_module(X, y, device), CLASSES)


def test_a_student_on_the_gpu_learns_from_a_teacher_on_the_cpu(iris):
    X, y = iris
    teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    student = MLPStudent(hidden_layer_sizes=(16,), lr=0.01, max_epochs=40, device="cuda")
    distiller = DistilledClassifier(teacher, student, temperature=2.0, random_state=0).fit(X, y)
    assert next(distiller.student_.net_.module_.parameters()).is_cuda
    proba = distiller.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (150, 3)
    assert fidelity_score(distiller, X) > 0.9
    # the same seeded fit on the CPU learns the same function, up to float differences
    on_cpu = DistilledClassifier(
        teacher, student.set_params(device="cpu"), temperature=2.0, random_state=0
    ).fit(X, y)
    assert np.mean(on_cpu.predict(X) == distiller.predict(X)) > 0.95


def test_a_teacher_on_the_gpu_teaches_a_student_on_the_cpu(iris):
    X, y = iris
    teacher = _teacher_on("cuda", iris)
    on_cpu = TorchTeacher(_trained_module(X, y, "cuda").cpu(), CLASSES)
    np.testing.assert_allclose(teacher.decision_function(X), on_cpu.decision_function(X), atol=1e-4)
    student = MLPStudent(hidden_layer_sizes=(16,), lr=0.01, max_epochs=40, random_state=0)
    distiller = DistilledClassifier(teacher, student, temperature=2.0).fit(X, y)
    assert next(teacher.module.parameters()).is_cuda  # the teacher is never moved
    assert not next(distiller.student_.net_.module_.parameters()).is_cuda
    assert fidelity_score(distiller, X) > 0.9


def test_teacher_and_student_both_on_the_gpu_with_a_soft_tree(iris):
    X, y = iris
    student = SoftTreeClassifier(depth=2, max_epochs=30, device="cuda", random_state=0)
    distiller = DistilledClassifier(_teacher_on("cuda", iris), student, temperature=2.0)
    distiller.fit(X, y)
    assert distiller.predict(X).shape == (150,)
    assert distiller.score(X, y) > 0.8


@pytest.mark.skipif(
    torch.cuda.is_available() and torch.cuda.device_count() < 2, reason="needs two CUDA devices"
)
def test_a_teacher_on_a_second_gpu_teaches_a_student_on_the_first(iris):
    X, y = iris
    teacher = _teacher_on("cuda:1", iris)
    student = MLPStudent(hidden_layer_sizes=(16,), max_epochs=20, device="cuda", random_state=0)
    distiller = DistilledClassifier(teacher, student, temperature=2.0).fit(X, y)
    assert next(teacher.module.parameters()).device == torch.device("cuda:1")
    assert next(distiller.student_.net_.module_.parameters()).device.index == 0


def test_a_skorch_student_on_the_gpu(iris):
    X, y = iris

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 3))

        def forward(self, X):
            return self.layers(X)

    student = skorch.NeuralNetClassifier(
        Net,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=20,
        lr=0.1,
        device="cuda",
        train_split=None,
    )
    distiller = DistilledClassifier(_teacher_on("cpu", iris), student, temperature=2.0)
    distiller.fit(X, y)
    assert next(distiller.student_.module_.parameters()).is_cuda
    assert set(distiller.predict(X)) <= set(CLASSES)


def test_the_cache_notices_a_gpu_teacher_trained_further_in_place(iris):
    X, y = iris
    clear_cache()
    teacher = _teacher_on("cuda", iris)
    student = MLPStudent(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    DistilledClassifier(teacher, student, alpha=1.0).fit(X, y)
    before = teacher.decision_function(X)
    with torch.no_grad():
        for parameter in teacher.module.parameters():
            parameter.mul_(-1.0)  # trained in place: the same parameter objects, new values
    after = teacher.decision_function(X)
    assert not np.allclose(before, after)
    DistilledClassifier(teacher, student, alpha=1.0).fit(X, y)
    cached = list(_teacher._OUTPUT_CACHE.entries(teacher).values())
    assert cached, "a module on the GPU is cached like one on the CPU"
    for values in cached:
        np.testing.assert_allclose(values, after)  # no entry of the old weights survives


def test_a_gpu_student_exports_to_onnx_from_a_cpu_copy(iris, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    X, y = iris
    student = MLPStudent(hidden_layer_sizes=(8,), max_epochs=5, device="cuda", random_state=0)
    student.fit(X, y)
    student.to_onnx(tmp_path / "student.onnx")
    assert next(student.net_.module_.parameters()).is_cuda  # exported from a copy
    session = onnxruntime.InferenceSession(
        str(tmp_path / "student.onnx"), providers=["CPUExecutionProvider"]
    )
    _, proba = session.run(None, {"X": X})
    np.testing.assert_allclose(proba, student.predict_proba(X), atol=1e-5)
