"""Shipping the student: ONNX through skl2onnx, skops files, a student that needs no skdistill."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X[::2], y[::2])
    return X, y, teacher


def _distil(wine, student):
    X, y, teacher = wine
    return DistilledClassifier(teacher, student, temperature=2.0, random_state=0).fit(X, y)


STUDENTS = {
    "tree": lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
    "linear": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "boosting": lambda: GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0),
}


@pytest.mark.parametrize("kind", list(STUDENTS))
def test_a_distilled_student_converts_to_onnx_with_the_same_outputs(wine, kind):
    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    X = wine[0]
    student = _distil(wine, STUDENTS[kind]()).student_
    model = skl2onnx.to_onnx(student, X[:1].astype(np.float32), options={"zipmap": False})
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})
    np.testing.assert_array_equal(labels, student.predict(X))
    np.testing.assert_allclose(proba, student.predict_proba(X), atol=1e-5, rtol=0)


# What skops 0.16 reports for these objects on scikit-learn 1.9: skdistill's own class, and the
# Tree inside every scikit-learn tree model (the forest teacher, a tree student).
DISTILLER_UNTRUSTED = {"skdistill._classifier.DistilledClassifier"}


def test_skops_saves_and_loads_a_distiller_and_a_bare_student(wine, tmp_path):
    sio = pytest.importorskip("skops.io")
    from skops.io.exceptions import UntrustedTypesFoundException

    X = wine[0]
    distiller = _distil(wine, STUDENTS["tree"]())
    sio.dump(distiller, tmp_path / "distiller.skops")
    sio.dump(distiller.student_, tmp_path / "student.skops")
    untrusted = set(sio.get_untrusted_types(file=tmp_path / "distiller.skops"))
    student_untrusted = set(sio.get_untrusted_types(file=tmp_path / "student.skops"))
    # the distiller adds only its own class to what its teacher and student report
    assert untrusted - student_untrusted == DISTILLER_UNTRUSTED
    assert not any(name.startswith("skdistill") for name in student_untrusted)
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(tmp_path / "distiller.skops")
    loaded = sio.load(tmp_path / "distiller.skops", trusted=sorted(untrusted))
    assert type(loaded) is DistilledClassifier
    np.testing.assert_array_equal(loaded.predict(X), distiller.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), distiller.predict_proba(X))
    student = sio.load(tmp_path / "student.skops", trusted=sorted(student_untrusted))
    np.testing.assert_array_equal(student.predict_proba(X), distiller.student_.predict_proba(X))


def test_the_bare_student_loads_and_predicts_where_skdistill_cannot_be_imported(wine, tmp_path):
    sio = pytest.importorskip("skops.io")
    X = wine[0]
    student = _distil(wine, STUDENTS["tree"]()).student_
    (tmp_path / "student.pkl").write_bytes(pickle.dumps(student))
    sio.dump(student, tmp_path / "student.skops")
    np.save(tmp_path / "X.npy", X)
    code = textwrap.dedent(
        f"""
        import pickle, sys
        sys.modules["skdistill"] = None  # `import skdistill` now raises ImportError
        import numpy as np
        import skops.io as sio
        try:
            import skdistill
        except ImportError:
            pass
        else:
            raise SystemExit("skdistill was importable")
        folder = {str(tmp_path)!r}
        X = np.load(folder + "/X.npy")
        with open(folder + "/student.pkl", "rb") as file:
            from_pickle = pickle.load(file)
        path = folder + "/student.skops"
        from_skops = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        np.save(folder + "/pickle.npy", from_pickle.predict_proba(X))
        np.save(folder + "/skops.npy", from_skops.predict_proba(X))
        print(sorted(name for name in sys.modules if name.startswith("skdistill")))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['skdistill']"  # only the blocked entry, never loaded
    expected = student.predict_proba(X)
    np.testing.assert_array_equal(np.load(tmp_path / "pickle.npy"), expected)
    np.testing.assert_array_equal(np.load(tmp_path / "skops.npy"), expected)
