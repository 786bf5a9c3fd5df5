"""BornAgainClassifier: generations, the ensemble, held-out scores, seeds and meta-estimator use."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skdistill import BornAgainClassifier, DistilledClassifier


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _smooth():
    """A model whose probabilities on its training rows are not 0 and 1."""
    return LogisticRegression(C=0.1, max_iter=300)


def test_each_generation_is_distilled_from_the_one_before(iris):
    X, y = iris
    model = BornAgainClassifier(_smooth(), n_generations=2, random_state=0).fit(X, y)
    assert len(model.estimators_) == 3
    first = model.estimators_[0]
    assert isinstance(first, LogisticRegression)
    # generation 0 is the estimator on the labels
    np.testing.assert_allclose(
        first.predict_proba(X), clone(first).fit(X, y).predict_proba(X), atol=1e-12
    )
    for k in (1, 2):
        generation = model.estimators_[k]
        assert isinstance(generation, DistilledClassifier)
        assert generation.teacher_ is model.estimators_[k - 1]  # fitted, used as it is
        assert isinstance(generation.student_, LogisticRegression)
        assert generation.alpha == 0.5 and generation.temperature == 1.0
    # the targets changed: the distilled generations are not copies of generation 0
    assert not np.allclose(model.estimators_[2].predict_proba(X), first.predict_proba(X))


def test_the_ensemble_is_the_mean_of_all_generations(iris):
    X, y = iris
    model = BornAgainClassifier(_smooth(), n_generations=2, random_state=0).fit(X, y)
    mean = np.mean([m.predict_proba(X) for m in model.estimators_], axis=0)
    np.testing.assert_allclose(model.predict_proba(X), mean)
    np.testing.assert_array_equal(model.predict(X), model.classes_[mean.argmax(axis=1)])

    last = model.set_params(ensemble=False)
    np.testing.assert_array_equal(last.predict(X), model.estimators_[-1].predict(X))
    np.testing.assert_allclose(last.predict_proba(X), model.estimators_[-1].predict_proba(X))


def test_zero_generations_is_the_estimator_on_the_labels(iris):
    X, y = iris
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    model = BornAgainClassifier(tree, n_generations=0).fit(X, y)
    assert len(model.estimators_) == 1
    np.testing.assert_array_equal(model.predict(X), clone(tree).fit(X, y).predict(X))


def test_held_out_scores_per_generation(iris):
    X, y = iris
    model = BornAgainClassifier(
        DecisionTreeClassifier(max_depth=2),
        n_generations=2,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X, y)
    # every generation was fitted on the other 80% of the rows (a tree's root counts them)
    for generation in model.estimators_:
        tree = getattr(generation, "student_", generation)
        assert tree.tree_.n_node_samples[0] == 120
    assert model.validation_scores_.shape == (3,)
    assert model.validation_ensemble_scores_.shape == (3,)
    assert model.validation_ensemble_scores_[0] == model.validation_scores_[0]
    assert np.all((model.validation_scores_ > 0.5) & (model.validation_scores_ <= 1))
    assert not hasattr(
        BornAgainClassifier(_smooth(), n_generations=1).fit(X, y), "validation_scores_"
    )


def test_each_generation_gets_its_own_seed_and_fits_repeat(iris):
    X, y = iris
    tree = DecisionTreeClassifier(max_features=2)
    model = BornAgainClassifier(tree, n_generations=2, random_state=0).fit(X, y)
    seeds = [model.estimators_[0].random_state] + [
        g.student_.random_state for g in model.estimators_[1:]
    ]
    assert None not in seeds and len(set(seeds)) == 3
    assert tree.random_state is None  # the user's estimator is left alone
    again = BornAgainClassifier(tree, n_generations=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    # a seed the estimator was given is kept in every generation
    fixed = BornAgainClassifier(
        DecisionTreeClassifier(random_state=7), n_generations=1, random_state=0
    ).fit(X, y)
    assert fixed.estimators_[1].student_.random_state == 7


def test_bad_estimators_are_refused_with_what_to_do(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"ensemble=True.*predict_proba.*ensemble=False"):
        BornAgainClassifier(LinearSVC(), n_generations=1).fit(X, y)
    model = BornAgainClassifier(LinearSVC(), n_generations=1, ensemble=False).fit(X, y)
    assert not hasattr(model, "predict_proba")
    assert model.score(X, y) > 0.8
    with pytest.raises(ValueError, match=r"must be a classifier.*regressor"):
        BornAgainClassifier(Ridge(), n_generations=1).fit(X, y)
    with pytest.raises(ValueError, match="n_generations"):
        BornAgainClassifier(_smooth(), n_generations=-1).fit(X, y)


def test_clone_pickle_pipeline_and_grid_search(iris):
    X, y = iris
    model = BornAgainClassifier(
        LogisticRegression(max_iter=500), n_generations=1, temperature=2.0, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), model).fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    assert clone(model).get_params()["temperature"] == 2.0
    search = GridSearchCV(model, {"n_generations": [0, 1]}, cv=3).fit(X, y)
    assert len(search.best_estimator_.estimators_) == search.best_params_["n_generations"] + 1
    assert search.best_score_ > 0.8
