"""AdversarialRows: boundary and disagreement rows, alone and inside the distillers."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_friedman1
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DistilledClassifier, DistilledRegressor
from skdistill.transfer import AdversarialRows, Mixup


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    return X, y, teacher


def _margin(teacher, rows):
    top_two = np.sort(teacher.predict_proba(rows), axis=1)[:, -2:]
    return float(np.mean(top_two[:, 1] - top_two[:, 0]))


def test_boundary_rows_are_where_the_teacher_is_least_sure(cancer):
    X, _, teacher = cancer
    boundary = AdversarialRows(random_state=0).fit(X, teacher=teacher).sample(1000)
    thinner = AdversarialRows(n_halvings=3, random_state=0).fit(X, teacher=teacher).sample(1000)
    mixup = Mixup(random_state=0).fit(X).sample(1000)
    # on a real table the forest is sure of most mixup rows (margin 0.87); the sought rows sit
    # in a band across its boundary, and a thinner band is nearer to it
    assert _margin(teacher, thinner) < 0.8 * _margin(teacher, boundary)
    assert _margin(teacher, boundary) < 0.7 * _margin(teacher, mixup)


def test_student_rows_are_where_the_student_disagrees(cancer):
    X, _, teacher = cancer
    student = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, teacher.predict(X))
    mixup = Mixup(random_state=0).fit(X).sample(1000)
    rows = AdversarialRows(random_state=0).fit(X, teacher=teacher).sample(500, student=student)
    assert rows.shape == (500, X.shape[1])
    disagree = np.mean(student.predict(rows) != teacher.predict(rows))
    assert disagree > 0.8 > 4 * np.mean(student.predict(mixup) != teacher.predict(mixup))


def test_rows_keep_to_the_data_ranges_and_observed_categories():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "count": rng.randint(0, 5, 300),
            "colour": pd.Categorical(rng.choice(["red", "blue", "green"], 300)),
        }
    )
    y = ((X["x"] + X["count"] / 2 > 1) ^ (X["colour"] == "red")).astype(int).to_numpy()
    encode = make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough")
    teacher = make_pipeline(encode, HistGradientBoostingClassifier(max_iter=20)).fit(X, y)
    student = make_pipeline(clone(encode), DecisionTreeClassifier(max_depth=1)).fit(X, y)
    generator = AdversarialRows(random_state=0).fit(X, teacher=teacher)
    for rows in (generator.sample(400), generator.sample(200, student=student)):
        assert list(rows.columns) == list(X.columns)
        assert (rows.dtypes == X.dtypes).all()
        for column in ("x", "count"):
            assert rows[column].between(X[column].min(), X[column].max()).all()
        assert set(rows["colour"]) <= set(X["colour"])
    deeper = make_pipeline(clone(encode), DecisionTreeClassifier(max_depth=4, random_state=0))
    distiller = DistilledClassifier(
        teacher, deeper, transfer="adversarial", n_transfer=300, random_state=0
    ).fit(X, y)
    assert distiller.score(X, y) > 0.8  # a depth-1 student cannot pass 0.65 here


def test_seeded_rows_and_fits_are_reproducible(cancer):
    X, y, teacher = cancer

    def rows(seed):
        return AdversarialRows(random_state=seed).fit(X, teacher=teacher).sample(300)

    np.testing.assert_array_equal(rows(1), rows(1))
    assert not np.array_equal(rows(1), rows(2))

    def fit():
        tree = DecisionTreeClassifier(max_depth=3, random_state=0)
        return DistilledClassifier(
            teacher, tree, transfer="adversarial", n_transfer=400, random_state=3
        ).fit(X, y)

    np.testing.assert_array_equal(fit().predict_proba(X), fit().predict_proba(X))


def test_adversarial_fits_the_student_twice_and_draws_where_it_errs(cancer, capsys):
    X, y, teacher = cancer
    distiller = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=2, random_state=0),
        transfer=AdversarialRows(student_share=0.25),
        n_transfer=400,
        random_state=0,
        verbose=1,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "drawing 300 transfer rows with AdversarialRows" in out
    assert "drawing 100 transfer rows where the student disagrees with the teacher" in out
    assert out.count("fitting the student DecisionTreeClassifier on 869 rows") == 1
    assert out.count("fitting the student DecisionTreeClassifier on 969 rows") == 1
    assert distiller.n_transfer_ == 400
    boundary = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=2, random_state=0),
        transfer="boundary",
        n_transfer=400,
        random_state=0,
        verbose=1,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "disagrees" not in out and boundary.n_transfer_ == 400


def test_every_row_can_come_from_the_students_errors(cancer, capsys):
    X, y, teacher = cancer
    DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=2, random_state=0),
        transfer=AdversarialRows(student_share=1.0),
        n_transfer=100,
        random_state=0,
        verbose=1,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "fitting the student DecisionTreeClassifier on 569 rows" in out  # the real rows alone
    assert "drawing 100 transfer rows where the student disagrees" in out
    assert "fitting the student DecisionTreeClassifier on 669 rows" in out


def test_user_inputs_are_left_as_they_were(cancer):
    X, y, teacher = cancer
    X_before, y_before, teacher_before = X.copy(), y.copy(), pickle.dumps(teacher)
    generator = AdversarialRows(student_share=0.5, n_halvings=2)
    DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), transfer=generator, n_transfer=200
    ).fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    assert pickle.dumps(teacher) == teacher_before
    assert not hasattr(generator, "teacher_classes_")  # a clone was fitted, not this one
    fitted = AdversarialRows(random_state=0).fit(X, teacher=teacher)
    fitted.sample(100, student=DecisionTreeClassifier(max_depth=1).fit(X, y))
    assert pickle.dumps(teacher) == teacher_before


def test_grid_search_over_transfer_strings(cancer):
    X, y, teacher = cancer
    search = GridSearchCV(
        DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3), random_state=0),
        {"transfer": ["mixup", "boundary", "adversarial"], "n_transfer": [200]},
        cv=2,
    ).fit(X, y)
    assert np.all(search.cv_results_["mean_test_score"] > 0.85)


def test_several_teachers_are_asked_as_their_mean(cancer):
    X, y, teacher = cancer
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    distiller = DistilledClassifier(
        [teacher, tree],
        DecisionTreeClassifier(max_depth=3, random_state=0),
        transfer="adversarial",
        n_transfer=200,
        random_state=0,
    ).fit(X, y)
    assert distiller.n_transfer_ == 200 and distiller.score(X, y) > 0.9


def test_regression_is_refused_clearly():
    X, y = make_friedman1(n_samples=100, random_state=0)
    teacher = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
    for transfer in ("adversarial", "boundary", AdversarialRows()):
        distiller = DistilledRegressor(teacher, DecisionTreeRegressor(), transfer=transfer)
        with pytest.raises(ValueError, match=r"class boundaries.*'mixup', 'munge' or 'noise'"):
            distiller.fit(X, y)
    with pytest.raises(ValueError, match=r"regression teacher has no classes.*Mixup or Munge"):
        AdversarialRows().fit(X, teacher=teacher)


def test_bad_parameters_and_teachers_are_named(cancer):
    X, y, teacher = cancer
    with pytest.raises(InvalidParameterError, match=r"'student_share' parameter.*Got 1\.5"):
        AdversarialRows(student_share=1.5).fit(X, teacher=teacher)
    with pytest.raises(ValueError, match="needs a fitted classifier teacher with classes_"):
        AdversarialRows().fit(X, teacher=RandomForestClassifier())
    with pytest.raises(TypeError, match="teacher"):
        AdversarialRows().fit(X)
    distiller = DistilledClassifier(
        teacher, DecisionTreeClassifier(), transfer=AdversarialRows(n_candidates=0)
    )
    with pytest.raises(InvalidParameterError, match="'n_candidates' parameter"):
        distiller.fit(X, y)
