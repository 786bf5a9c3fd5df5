"""Everyday inputs: texts, mixed DataFrames, bare teachers, empty frames and loose values."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import make_scorer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor
from skdistill.metrics import fidelity_score, neg_teacher_divergence
from skdistill.transfer import GaussianNoise, Mixup, Munge

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y, LogisticRegression(max_iter=1000).fit(X, y)


def _tree(**params):
    return DecisionTreeClassifier(max_depth=3, random_state=0, **params)


# ---------------------------------------------------------------- texts
@pytest.fixture(scope="module")
def reviews():
    """A small corpus: the label is carried by a positive or negative word among fillers."""
    rng = np.random.RandomState(0)
    positive, negative = ["good", "great", "lovely", "fine"], ["bad", "awful", "poor", "dull"]
    filler = ["the", "a", "movie", "plot", "actor", "day", "was", "really"]
    docs, labels = [], []
    for i in range(80):
        label = ["neg", "pos"][i % 2]
        words = [*rng.choice(filler, 4), *rng.choice(positive if label == "pos" else negative, 2)]
        rng.shuffle(words)
        docs.append(" ".join(words))
        labels.append(label)
    return docs, np.array(labels)


def _text_teacher():
    return make_pipeline(TfidfVectorizer(), LogisticRegression())


def _text_student():
    return make_pipeline(TfidfVectorizer(), _tree())


@pytest.mark.parametrize("kind", ["list", "array", "series"])
def test_texts_go_to_pipeline_teacher_and_student(reviews, kind):
    docs, y = reviews
    X = {"list": docs, "array": np.array(docs), "series": pd.Series(docs)}[kind]
    teacher = _text_teacher().fit(docs, y)
    distiller = DistilledClassifier(teacher, _text_student(), alpha=1.0).fit(X, y)
    assert not hasattr(distiller, "n_features_in_")  # as for a text Pipeline
    assert set(distiller.predict(X)) <= {"neg", "pos"}
    proba = distiller.predict_proba(X)
    assert proba.shape == (80, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert distiller.score(X, y) > 0.9
    assert fidelity_score(distiller, X) > 0.9


def test_texts_for_a_regressor(reviews):
    docs, y = reviews
    score = np.where(y == "pos", 1.0, -1.0)
    teacher = make_pipeline(TfidfVectorizer(), Ridge()).fit(docs, score)
    student = make_pipeline(TfidfVectorizer(), DecisionTreeRegressor(max_depth=3, random_state=0))
    distiller = DistilledRegressor(teacher, student, alpha=1.0).fit(pd.Series(docs), score)
    assert distiller.predict(docs).shape == (80,)
    assert fidelity_score(distiller, docs) > 0.5


def test_texts_with_an_unfitted_teacher_and_cross_validation(reviews):
    docs, y = reviews
    distiller = DistilledClassifier(_text_teacher(), _text_student(), cv=3)
    scores = cross_val_score(distiller, docs, y, cv=2, scoring=fidelity_score)
    assert (scores > 0.8).all()


def test_texts_with_a_model_that_needs_columns_say_so(reviews):
    docs, y = reviews
    teacher = _text_teacher().fit(docs, y)
    with pytest.raises(ValueError, match=r"X is a 1-d sequence of 80 str.*student.*vectorizer"):
        DistilledClassifier(teacher, _tree()).fit(docs, y)


def test_transfer_set_on_texts_is_refused(reviews):
    docs, y = reviews
    teacher = _text_teacher().fit(docs, y)
    with pytest.raises(ValueError, match=r"transfer='mixup'.*texts.*transfer=None"):
        DistilledClassifier(teacher, _text_student(), transfer="mixup").fit(docs, y)


# ---------------------------------------------------------------- mixed DataFrames
@pytest.fixture(scope="module")
def mixed():
    rng = np.random.RandomState(0)
    n = 80
    X = pd.DataFrame(
        {
            "height": rng.normal(size=n),
            "count": rng.randint(0, 5, n),
            "member": rng.rand(n) > 0.5,
            "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune"], n), dtype=object),
            "plan": pd.array(rng.choice(["free", "paid"], n), dtype="string"),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
        }
    )
    y = ((X["height"] > 0) ^ X["member"]).astype(int).to_numpy()
    return X, y


def _mixed_pipeline(model):
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["member", "city", "plan", "size"]),
        remainder="passthrough",
    )
    return make_pipeline(encode, model)


@pytest.fixture(scope="module")
def mixed_teacher(mixed):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = mixed
    return _mixed_pipeline(HistGradientBoostingClassifier(max_iter=10, random_state=0)).fit(X, y)


@pytest.mark.parametrize("transfer", ["mixup", "munge", "noise", "adversarial"])
def test_transfer_on_mixed_dataframe(mixed, mixed_teacher, transfer):
    # object, string and bool columns used to stop the generators or come back as fractions,
    # which the teacher's one-hot encoder then ignored or rejected
    X, y = mixed
    distiller = DistilledClassifier(
        mixed_teacher, _mixed_pipeline(_tree()), transfer=transfer, n_transfer=1.0, random_state=0
    ).fit(X, y)
    assert distiller.n_transfer_ == 80
    assert distiller.score(X, y) > 0.7


@pytest.mark.parametrize("Generator", [Mixup, Munge, GaussianNoise])
def test_generators_keep_every_column_dtype(mixed, Generator):
    X, _ = mixed
    X_new = Generator(random_state=0).fit(X).sample(300)
    assert X_new.dtypes.to_dict() == X.dtypes.to_dict()
    assert set(X_new["member"]) <= {True, False}  # bools stay bools, never fractions
    for column in ["city", "plan", "size"]:
        assert set(X_new[column]) <= set(X[column])  # copied from real rows


def test_generator_advice_names_a_parameter_of_the_distiller(mixed):
    X, y = mixed
    X = X.assign(height=X["height"].where(X.index != 3))  # a missing value Mixup cannot draw from
    teacher = _mixed_pipeline(DecisionTreeClassifier(random_state=0))  # takes NaN
    with pytest.raises(ValueError, match=r"NaN.*transfer=Mixup\(.*transfer='noise'"):
        DistilledClassifier(teacher, _mixed_pipeline(_tree()), transfer="mixup").fit(X, y)


# ---------------------------------------------------------------- teachers that are not models
@pytest.mark.parametrize(
    "teacher, shown",
    [(None, "None"), ("rf", "'rf'"), (LogisticRegression, "the class LogisticRegression")],
)
@pytest.mark.parametrize("Distiller", [DistilledClassifier, DistilledRegressor])
def test_teacher_that_is_not_a_model(iris, Distiller, teacher, shown):
    X, y, _ = iris
    with pytest.raises(TypeError, match=rf"as teacher.*got {shown}"):
        Distiller(teacher, DecisionTreeRegressor()).fit(X, y)


class _BareClassifier:
    """A fitted model without fit, get_params or tags: only classes_ and its scores."""

    def __init__(self, model, method):
        self._model = model
        self.classes_ = model.classes_
        setattr(self, method, getattr(model, method))


class _BareRegressor:
    def __init__(self, model):
        self.predict = model.predict


@pytest.mark.parametrize("method", ["predict_proba", "decision_function"])
def test_bare_fitted_classifier_is_a_teacher(iris, method):
    X, y, teacher = iris
    bare = _BareClassifier(teacher, method)
    distiller = DistilledClassifier(bare, _tree(), alpha=1.0).fit(X, y)
    assert clone(distiller).teacher is bare  # fitted: kept, not cloned
    reference = DistilledClassifier(teacher, _tree(), alpha=1.0).fit(X, y)
    np.testing.assert_allclose(distiller.predict_proba(X), reference.predict_proba(X))
    assert fidelity_score(distiller, X) == fidelity_score(reference, X)
    assert distiller.__sklearn_tags__().input_tags.sparse is False


def test_bare_fitted_regressor_is_a_teacher():
    X, y = load_diabetes(return_X_y=True)
    teacher = Ridge().fit(X, y)
    student = DecisionTreeRegressor(max_depth=3, random_state=0)
    distiller = DistilledRegressor(_BareRegressor(teacher), student, alpha=1.0).fit(X, y)
    reference = DistilledRegressor(teacher, student, alpha=1.0).fit(X, y)
    np.testing.assert_allclose(distiller.predict(X), reference.predict(X))
    assert fidelity_score(distiller, X) > 0.5


# ---------------------------------------------------------------- empty DataFrames
@pytest.mark.parametrize("shape, missing", [((0, 4), "0 rows"), ((10, 0), "0 columns")])
def test_empty_dataframe(iris, shape, missing):
    X, y, _ = iris
    frame = pd.DataFrame(X[: shape[0], : shape[1]])
    with pytest.raises(ValueError, match=rf"X is a DataFrame with {missing} \(shape"):
        DistilledClassifier(LogisticRegression(), _tree()).fit(frame, y[: shape[0]])


# ---------------------------------------------------------------- loose values
@pytest.mark.parametrize("name", ["temperature", "alpha", "keep_mass"])
def test_bools_are_not_numbers(iris, name):
    X, y, teacher = iris
    with pytest.raises(ValueError, match=rf"{name} must be a number, got the bool True"):
        DistilledClassifier(teacher, _tree(), **{name: True}).fit(X, y)


def test_regressor_alpha_is_not_a_bool():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match=r"alpha must be a number, got the bool True"):
        DistilledRegressor(Ridge(), DecisionTreeRegressor(), alpha=True).fit(X, y)


@pytest.mark.parametrize("Distiller", [DistilledClassifier, DistilledRegressor])
def test_negative_sample_weight(iris, Distiller):
    X, y, _ = iris
    weight = np.ones(len(y))
    weight[7] = -0.5
    teacher = LogisticRegression() if Distiller is DistilledClassifier else Ridge()
    with pytest.raises(ValueError, match=r"sample_weight must be >= 0, got -0.5 at row 7"):
        Distiller(teacher, DecisionTreeRegressor()).fit(X, y, sample_weight=weight)


def test_unlabeled_label_that_is_absent_means_every_row_is_labelled(iris):
    # a fold without unlabeled rows is common in cross-validation: no error, no warning
    X, y, teacher = iris
    distiller = DistilledClassifier(teacher, _tree(), unlabeled_label=-1).fit(X, y)
    reference = DistilledClassifier(teacher, _tree()).fit(X, y)
    np.testing.assert_allclose(distiller.predict_proba(X), reference.predict_proba(X))


@pytest.mark.parametrize(
    "labels, marker",
    [("int", "unlabeled"), ("int", 0.5), ("int", np.nan), ("str", -1)],
)
def test_unlabeled_label_that_y_cannot_hold(iris, labels, marker):
    X, y, _ = iris
    if labels == "str":
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    with pytest.raises(ValueError, match=r"unlabeled_label=.* can never occur in y"):
        DistilledClassifier(LogisticRegression(), _tree(), unlabeled_label=marker).fit(X, y)


def test_unknown_minus_one_labels_suggest_unlabeled_label(iris):
    X, y, teacher = iris
    y = y.copy()
    y[:10] = -1
    with pytest.raises(ValueError, match=r"does not know: \[-1\].*unlabeled_label=-1"):
        DistilledClassifier(teacher, _tree()).fit(X, y)


@pytest.mark.parametrize("scorer", [fidelity_score, neg_teacher_divergence])
def test_scorer_wrapped_in_make_scorer(iris, scorer):
    X, y, teacher = iris
    distiller = DistilledClassifier(teacher, _tree()).fit(X, y)
    name = scorer.__name__
    with pytest.raises(TypeError, match=rf"{name} is already a scorer.*scoring={name}"):
        make_scorer(scorer)(distiller, X, y)
