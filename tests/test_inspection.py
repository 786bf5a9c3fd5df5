"""skdistill.inspection: the report, the curve display and the rules with teacher agreement."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor
from skdistill.inspection import DistillationCurveDisplay, distillation_report, export_rules
from skdistill.inspection._report import model_size


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def _distiller(**params):
    return DistilledClassifier(
        LogisticRegression(C=0.05, max_iter=1000),
        DecisionTreeClassifier(max_depth=2, random_state=0),
        **params,
    )


def test_report_compares_teacher_label_student_and_distilled_student(iris):
    X, y = iris
    X_train, y_train, X_test, y_test = X[::2], y[::2], X[1::2], y[1::2]
    distiller = _distiller(temperature=2.0, alpha=1.0).fit(X_train, y_train)
    report = distillation_report(distiller, X_test, y_test, X_train=X_train, y_train=y_train)
    assert list(report["model"]) == ["teacher", "student on labels", "distilled student"]
    on_labels = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X_train, y_train)
    teacher_pred = distiller.teacher_.predict(X_test)
    expected_accuracy = [
        np.mean(teacher_pred == y_test),
        on_labels.score(X_test, y_test),
        distiller.score(X_test, y_test),
    ]
    np.testing.assert_allclose(report["accuracy"], expected_accuracy)
    expected_fidelity = [1.0, np.mean(on_labels.predict(X_test) == teacher_pred)]
    expected_fidelity.append(np.mean(distiller.predict(X_test) == teacher_pred))
    np.testing.assert_allclose(report["fidelity"], expected_fidelity)
    assert list(report["size"]) == [15, on_labels.get_n_leaves(), distiller.student_.get_n_leaves()]
    assert list(report["size_unit"]) == ["parameters", "leaves", "leaves"]
    assert (report["predict_ms_per_1000"] > 0).all()


def test_report_without_training_rows_and_for_regression():
    X, y = make_regression(n_samples=80, n_features=3, noise=5.0, random_state=0)
    distiller = DistilledRegressor(
        LinearRegression(), DecisionTreeRegressor(max_depth=3, random_state=0), alpha=1.0
    ).fit(X, y)
    report = distillation_report(distiller, X, y)
    assert list(report["model"]) == ["teacher", "distilled student"]
    teacher_pred = distiller.teacher_.predict(X)
    np.testing.assert_allclose(
        report["r2"], [r2_score(y, teacher_pred), r2_score(y, distiller.predict(X))]
    )
    np.testing.assert_allclose(report["fidelity"][1], r2_score(teacher_pred, distiller.predict(X)))


def test_report_refuses_half_the_training_rows_and_unfitted_distillers(iris):
    X, y = iris
    with pytest.raises(TypeError, match="fitted DistilledClassifier"):
        distillation_report(_distiller(), X, y)
    with pytest.raises(ValueError, match="both X_train and y_train"):
        distillation_report(_distiller().fit(X, y), X, y, X_train=X)


def test_model_size_of_linear_models_and_pipelines(iris):
    X, y = iris
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    assert model_size(model) == (3 * 4 + 3, "parameters")
    assert np.isnan(model_size(StandardScaler().fit(X))[0])


def test_export_rules_counts_rows_and_teacher_agreement_per_leaf(iris):
    X, y = iris
    distiller = _distiller().fit(X, y)
    text = export_rules(distiller, X, feature_names=["sl", "sw", "pl", "pw"])
    tree = distiller.student_
    leaves = tree.apply(X)
    teacher_pred = distiller.teacher_.predict(X)
    leaf_lines = [line for line in text.splitlines() if "class:" in line]
    leaf_ids = [n for n in range(tree.tree_.node_count) if tree.tree_.children_left[n] == -1]
    assert len(leaf_lines) == len(leaf_ids)
    for line, leaf in zip(leaf_lines, leaf_ids):  # both in depth-first order, left first
        reach = leaves == leaf
        label = tree.classes_[np.argmax(tree.tree_.value[leaf][0])]
        agree = 100 * np.mean(teacher_pred[reach] == label)
        assert f"class: {label}  [rows: {reach.sum()}, teacher agrees: {agree:.1f}%]" in line
    assert text.startswith("|--- p")  # the named features are used


def test_export_rules_for_a_pipeline_student_and_a_regressor():
    X, y = make_regression(n_samples=60, n_features=2, random_state=0)
    distiller = DistilledRegressor(
        LinearRegression(),
        make_pipeline(StandardScaler(), DecisionTreeRegressor(max_depth=1, random_state=0)),
    ).fit(X, y)
    text = export_rules(distiller, X, decimals=1)
    assert text.count("value:") == 2 and "feature_" in text
    rows = [int(part.split("rows: ")[1].split(",")[0]) for part in text.split("value:")[1:]]
    assert sum(rows) == 60


def test_export_rules_refuses_a_student_that_is_not_a_tree(iris):
    X, y = iris
    distiller = DistilledClassifier(
        LogisticRegression(max_iter=1000), LogisticRegression(max_iter=1000)
    ).fit(X, y)
    with pytest.raises(TypeError, match="decision tree student"):
        export_rules(distiller, X)
    with pytest.raises(ValueError, match="feature_names has 2 names"):
        export_rules(_distiller().fit(X, y), X, feature_names=["a", "b"])


def test_curve_scores_are_those_of_each_fold_and_value(iris):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    X, y = iris
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    display = DistillationCurveDisplay.from_estimator(
        _distiller(alpha=1.0), X, y, param_name="student__max_depth", param_range=[1, 3], cv=cv
    )
    assert display.distilled_score.shape == (2, 2) and display.teacher_score.shape == (2,)
    train, test = next(cv.split(X, y))
    by_hand = _distiller(alpha=1.0).set_params(student__max_depth=3).fit(X[train], y[train])
    assert display.distilled_score[1, 0] == by_hand.score(X[test], y[test])
    on_labels = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X[train], y[train])
    assert display.label_score[1, 0] == on_labels.score(X[test], y[test])
    teacher_pred = by_hand.teacher_.predict(X[test])
    assert display.label_fidelity[1, 0] == np.mean(on_labels.predict(X[test]) == teacher_pred)
    assert display.teacher_score[0] == np.mean(teacher_pred == y[test])
    assert set(display.lines_) == {
        "distilled accuracy",
        "distilled fidelity",
        "labels accuracy",
        "labels fidelity",
        "teacher accuracy",
    }
    np.testing.assert_allclose(
        display.lines_["distilled accuracy"].get_ydata(), display.distilled_score.mean(axis=1)
    )
    assert display.ax_.get_xlabel() == "student__max_depth"
    assert display.figure_ is display.ax_.figure


def test_curve_over_a_parameter_the_label_student_ignores(iris):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = iris
    _, ax = plt.subplots()
    display = DistillationCurveDisplay.from_estimator(
        _distiller(), X, y, param_name="transfer", param_range=[None, "mixup"], cv=2, ax=ax
    )
    assert display.ax_ is ax
    np.testing.assert_array_equal(display.label_score[0], display.label_score[1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["None", "mixup"]
    plt.close("all")


def test_curve_with_out_of_fold_teacher_outputs_refits_the_teacher(iris):
    X, y = iris
    display = DistillationCurveDisplay.from_estimator(
        _distiller(cv=2), X, y, param_name="temperature", param_range=[1.0, 2.0], cv=2, plot=False
    )
    assert np.all((display.distilled_fidelity > 0.5) & (display.distilled_fidelity <= 1))
    assert not hasattr(display, "ax_")


def test_curve_from_results_and_its_errors():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    results = {
        "param_range": [1.0, 2.0, 4.0],
        "distilled_score": [0.8, 0.85, 0.9],
        "distilled_fidelity": [0.85, 0.9, 0.95],
        "label_score": [0.8, 0.82, 0.84],
        "label_fidelity": [0.8, 0.8, 0.8],
        "teacher_score": 0.95,
    }
    display = DistillationCurveDisplay.from_results(results, param_name="temperature")
    assert display.distilled_score.shape == (3, 1)
    assert display.lines_["teacher accuracy"].get_ydata()[0] == 0.95
    with pytest.raises(ValueError, match="lacks the keys"):
        DistillationCurveDisplay.from_results({"param_range": [1]}, param_name="temperature")
    with pytest.raises(ValueError, match="param_range is empty"):
        DistillationCurveDisplay.from_estimator(
            _distiller(), np.zeros((4, 2)), [0, 1, 0, 1], param_name="alpha", param_range=[]
        )
