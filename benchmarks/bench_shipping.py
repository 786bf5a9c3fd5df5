"""What ships: the size on disk and the prediction time of a teacher and of its students.

A distilled ``student_`` is an ordinary model; it is saved with pickle, skops or ONNX and served
without skdistill. Bucilua et al. (2006) report students about 1000 times smaller and faster than
their ensembles; here the same comparison for a forest and four students.
"""

import pickle
import time

import numpy as np
from _common import (
    Section,
    classification_data,
    deterministic,
    figure,
    markdown_table,
    seed_range,
    spread,
)
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.metrics import fidelity_score

NAME = "shipping"
TITLE = "Shipping the student: size and prediction time"
N_ROWS, N_FEATURES, N_CLASSES = 3_000, 20, 5
N_TREES, QUICK_TREES = 200, 50
SEEDS, QUICK_SEEDS = 3, 1
TIMINGS = 5  # repeats of each latency measurement; their median is kept


def _students(seed):
    from skdistill.torch import MLPStudent

    return {
        "tree (depth 6)": DecisionTreeClassifier(max_depth=6, random_state=seed),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "gradient boosting (50 x depth 3)": GradientBoostingClassifier(
            n_estimators=50, max_depth=3, random_state=seed
        ),
        "MLPStudent (64)": make_pipeline(
            StandardScaler(), MLPStudent(hidden_layer_sizes=(64,), max_epochs=30, lr=0.01)
        ),
    }


def _latency(predict, X):
    """Median seconds of ``predict(X)`` over TIMINGS calls, after one warm-up call."""
    predict(X)
    times = []
    for _ in range(TIMINGS):
        start = time.perf_counter()
        predict(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _skops_bytes(model):
    import skops.io as sio

    try:
        return len(sio.dumps(model))
    except Exception:  # an object skops cannot save: reported as n/a
        return float("nan")


def _onnx(model, X):
    """The model as ONNX bytes and an onnxruntime session (skl2onnx; MLPStudent.to_onnx)."""
    import onnxruntime
    from skl2onnx import to_onnx

    last = model.steps[-1][1] if hasattr(model, "steps") else model
    if type(last).__name__ == "MLPStudent":
        # the scaler runs in numpy before the exported net; its cost is in the sklearn latency
        onnx_model = last.to_onnx()
        scaler = model.steps[0][1]

        def prepare(rows):
            return scaler.transform(rows).astype(np.float32)

    else:
        onnx_model = to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False})

        def prepare(rows):
            return rows.astype(np.float32)

    data = onnx_model.SerializeToString()
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return len(data), lambda rows: session.run(None, {name: prepare(rows)})


def _measure(model, X_test):
    rows_1000, one_row = X_test[:1000], X_test[:1]
    onnx_bytes, onnx_predict = _onnx(model, X_test)
    return {
        "pickle": len(pickle.dumps(model)),
        "skops": _skops_bytes(model),
        "onnx": onnx_bytes,
        "ms_1000": 1e3 * _latency(model.predict_proba, rows_1000),
        "ms_1": 1e3 * _latency(model.predict_proba, one_row),
        "onnx_ms_1000": 1e3 * _latency(onnx_predict, rows_1000),
    }


def run(quick=False):
    import torch

    seeds = seed_range(QUICK_SEEDS if quick else SEEDS)
    n_trees = QUICK_TREES if quick else N_TREES
    X, y = classification_data(N_ROWS, N_FEATURES, N_CLASSES)
    results = {}  # model -> list of per-seed dicts
    with deterministic():
        for seed in seeds:
            torch.manual_seed(seed)
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=1_000, random_state=seed
            )
            X_teacher, X_student, y_teacher, y_student = train_test_split(
                X_train, y_train, test_size=0.5, random_state=seed
            )
            teacher = RandomForestClassifier(n_estimators=n_trees, random_state=seed)
            teacher.fit(X_teacher, y_teacher)
            entry = _measure(teacher, X_test)
            entry["accuracy"] = teacher.score(X_test, y_test)
            entry["fidelity"] = 1.0
            results.setdefault(f"teacher: forest ({n_trees} trees)", []).append(entry)
            for name, student in _students(seed).items():
                distiller = DistilledClassifier(
                    teacher, student, temperature=2.0, alpha=0.5, random_state=seed
                ).fit(X_student, y_student)
                entry = _measure(distiller.student_, X_test)
                entry["accuracy"] = distiller.score(X_test, y_test)
                entry["fidelity"] = fidelity_score(distiller, X_test)
                results.setdefault(name, []).append(entry)
    teacher_name = next(iter(results))
    summary = {
        name: {key: spread([e[key] for e in entries]) for key in entries[0]}
        for name, entries in results.items()
    }
    t = summary[teacher_name]
    rows = []
    for name, s in summary.items():
        smaller = spread(
            [a["pickle"] / b["pickle"] for a, b in zip(results[teacher_name], results[name])]
        )
        faster = spread(
            [a["ms_1000"] / b["ms_1000"] for a, b in zip(results[teacher_name], results[name])]
        )
        rows.append(
            [
                name,
                s["pickle"].fmt(lambda v: f"{v / 1e3:,.0f}"),
                s["skops"].fmt(lambda v: "n/a" if np.isnan(v) else f"{v / 1e3:,.0f}"),
                s["onnx"].fmt(lambda v: f"{v / 1e3:,.0f}"),
                f"{s['ms_1000']:.2f}",
                f"{s['ms_1']:.3f}",
                f"{s['onnx_ms_1000']:.2f}",
                "" if name == teacher_name else f"{smaller:.0f}x / {faster:.0f}x",
                f"{s['accuracy']:.3f}",
                "" if name == teacher_name else f"{s['fidelity']:.3f}",
            ]
        )
    table = markdown_table(
        [
            "model",
            "pickle (kB)",
            "skops (kB)",
            "ONNX (kB)",
            "predict_proba, 1000 rows (ms)",
            "1 row (ms)",
            "onnxruntime, 1000 rows (ms)",
            "smaller / faster than the teacher",
            "test accuracy",
            "fidelity",
        ],
        rows,
    )
    tree = summary["tree (depth 6)"]
    figures = [
        figure(
            "tree_smaller",
            "tree student: teacher's pickle / student's pickle",
            [
                a["pickle"] / b["pickle"]
                for a, b in zip(results[teacher_name], results["tree (depth 6)"])
            ],
            ".0f",
        ),
        figure(
            "tree_faster",
            "tree student: teacher's / student's predict_proba time, 1000 rows",
            [
                a["ms_1000"] / b["ms_1000"]
                for a, b in zip(results[teacher_name], results["tree (depth 6)"])
            ],
            ".0f",
        ),
    ]
    body = f"""
A `RandomForestClassifier` of {n_trees} trees (the teacher, fitted on half of the training rows)
and four students distilled from it on the other half (`temperature=2`, `alpha=0.5`), on
`make_classification` ({N_ROWS:,} rows, {N_FEATURES} features, {N_CLASSES} classes; 1,000 test
rows). Sizes are the bytes of `pickle.dumps`, `skops.io.dumps` and the ONNX model (skl2onnx;
`MLPStudent.to_onnx` for the net, whose scaler then runs in numpy); times are the median of
{TIMINGS} calls of `predict_proba` in scikit-learn (one thread) and of the ONNX model in
onnxruntime (CPU). Figures are medians over {len(seeds)} seeds (split, teacher and students),
`median [min, max]`. The machine was shared with other jobs while this ran: single-row times
in particular carry their waits.

{table}

The depth-6 tree is {tree["pickle"].median and t["pickle"].median / tree["pickle"].median:,.0f}
times smaller than the forest in a pickle and answers 1,000 rows
{t["ms_1000"].median / tree["ms_1000"].median:,.0f} times faster, at the accuracy and fidelity in
the table; Bucilua et al. (2006) report students "about 1000 times smaller and faster" than their
ensembles, which compressed into a neural net. None of the students needs skdistill to be loaded
or to predict.
"""
    return Section(NAME, TITLE, body, figures)
