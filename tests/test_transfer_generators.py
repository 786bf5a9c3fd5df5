"""Transfer-set generators: what they draw, how they read and write tables, and bad input."""

import joblib
import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError

from skdistill.transfer import GaussianNoise, Mixup, Munge
from skdistill.transfer._generators import check_generator

GENERATORS = [Munge, Mixup, GaussianNoise]
COMPLETE_ROWS_ONLY = [Munge, Mixup]


@pytest.fixture(scope="module")
def X_numeric():
    return np.random.RandomState(0).normal(size=(60, 3)) * [1.0, 5.0, 0.2]


@pytest.fixture(scope="module")
def frame():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    n = 40
    return pd.DataFrame(
        {
            "height": rng.normal(170, 10, n),
            "count": rng.randint(0, 5, n),
            "colour": pd.Categorical(rng.choice(["red", "green"], n), categories=["red", "green"]),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),
        }
    )


def _distance_to_segments(points, starts, ends):
    """Distance of each point to the nearest of the segments (starts[k], ends[k])."""
    direction = ends - starts
    length2 = np.maximum((direction**2).sum(axis=1), 1e-300)
    offset = points[:, None, :] - starts[None, :, :]
    t = np.clip((offset * direction[None]).sum(axis=2) / length2, 0, 1)
    nearest = starts[None] + t[..., None] * direction[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


# ---------------------------------------------------------------- shapes, seeds, estimator API
@pytest.mark.parametrize("Generator", GENERATORS)
def test_sample_shape_and_dtype(Generator, X_numeric):
    generator = Generator(random_state=0).fit(X_numeric)
    X_new = generator.sample(250)
    assert X_new.shape == (250, 3)
    assert X_new.dtype == np.float64
    assert np.isfinite(X_new).all()
    assert generator.n_features_in_ == 3
    assert generator.sample(0).shape == (0, 3)
    assert generator.sample(np.int64(4)).shape == (4, 3)


@pytest.mark.parametrize("Generator", GENERATORS)
def test_reproducible_with_an_int_random_state(Generator, X_numeric):
    first = Generator(random_state=0).fit(X_numeric)
    second = Generator(random_state=0).fit(X_numeric)
    a1, a2 = first.sample(100), first.sample(100)
    b1, b2 = second.sample(100), second.sample(100)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    # consecutive calls continue the stream; refitting restarts it
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(first.fit(X_numeric).sample(100), a1)
    other = Generator(random_state=1).fit(X_numeric).sample(100)
    assert not np.array_equal(a1, other)
    from_state = Generator(random_state=np.random.RandomState(0)).fit(X_numeric).sample(100)
    np.testing.assert_array_equal(from_state, a1)


@pytest.mark.parametrize("Generator", GENERATORS)
def test_clone_and_params(Generator, X_numeric):
    generator = Generator(categorical_features=[True, False, False], random_state=3)
    params = generator.get_params()
    assert params["random_state"] == 3
    fitted = generator.fit(X_numeric)
    copy = clone(fitted)
    assert copy.get_params() == params
    assert not hasattr(copy, "n_features_in_")
    with pytest.raises(NotFittedError):
        copy.sample(2)
    first = next(name for name in params if name not in ("categorical_features", "random_state"))
    assert copy.set_params(**{first: 0.25}).get_params()[first] == 0.25


def test_tags():
    assert get_tags(GaussianNoise()).input_tags.allow_nan
    assert not get_tags(Munge()).input_tags.allow_nan
    assert not get_tags(Mixup()).input_tags.allow_nan
    assert all(get_tags(G()).input_tags.categorical for G in GENERATORS)


@pytest.mark.parametrize("Generator", [Munge, GaussianNoise])
def test_rows_are_taken_in_cycles(Generator):
    # with no change (p=0, scale=0) a sample of k * n rows holds every row exactly k times
    X = np.arange(20.0).reshape(10, 2)
    zero = {"p": 0.0} if Generator is Munge else {"scale": 0.0}
    X_new = Generator(**zero, random_state=0).fit(X).sample(30)
    rows, counts = np.unique(X_new, axis=0, return_counts=True)
    np.testing.assert_array_equal(rows, X)
    assert (counts == 3).all()
    assert not np.array_equal(X_new[:10], X)  # in a random order


# ---------------------------------------------------------------- Munge
def test_munge_with_p0_copies_training_rows(X_numeric):
    X_new = Munge(p=0.0, random_state=0).fit(X_numeric).sample(200)
    matches = (X_new[:, None, :] == X_numeric[None, :, :]).all(axis=2)
    assert matches.any(axis=1).all()


def test_munge_replaces_each_attribute_with_probability_p():
    X = np.random.RandomState(0).uniform(size=(300, 4))
    X_new = Munge(p=0.3, random_state=0).fit(X).sample(6000)
    kept = np.mean([np.isin(X_new[:, a], X[:, a]).mean() for a in range(4)])
    assert kept == pytest.approx(0.7, abs=0.02)


@pytest.mark.parametrize("s", [1.0, 4.0])
def test_munge_with_p1_draws_around_the_neighbour(s):
    # Pairs of nearby rows, pairs far apart: each row's neighbour is its partner (row ^ 1). A
    # categorical id column, swapped like every attribute when p=1, names the neighbour e'.
    rng = np.random.RandomState(0)
    centres = np.repeat(np.arange(50)[:, None] * 100.0, 2, axis=0)
    numeric = centres + rng.uniform(-1, 1, size=(100, 2))
    X = np.column_stack([numeric, np.arange(100)])
    munge = Munge(p=1.0, s=s, categorical_features=[2], random_state=0).fit(X)
    np.testing.assert_array_equal(munge.neighbors_, np.arange(100) ^ 1)

    X_new = munge.sample(20_000)
    neighbour = X_new[:, 2].astype(int)
    assert np.isin(X_new[:, 2], X[:, 2]).all()
    spread = np.abs(numeric[neighbour ^ 1] - numeric[neighbour]) / s
    z = (X_new[:, :2] - numeric[neighbour]) / spread
    assert np.abs(z).mean() == pytest.approx(np.sqrt(2 / np.pi), rel=0.03)
    assert z.mean() == pytest.approx(0.0, abs=0.03)
    assert z.std() == pytest.approx(1.0, rel=0.03)


def test_munge_counts_a_categorical_mismatch_in_the_distance():
    # On the standardised numeric column rows 0 and 1 are nearest; their categories differ.
    X = np.array([[0.0, 0.0], [1.0, 1.0], [1.5, 0.0], [100.0, 1.0]])
    as_numbers = Munge().fit(X[:, :1])
    as_category = Munge(categorical_features=[1]).fit(X)
    assert as_numbers.neighbors_[0] == 1
    assert as_category.neighbors_[0] == 2


def test_munge_stays_near_the_range_of_bounded_data():
    X = np.random.RandomState(0).uniform(size=(1000, 4))
    X_new = Munge(random_state=0).fit(X).sample(20_000)
    outside = np.maximum(-X_new, X_new - 1).clip(0)
    assert (outside > 0).mean() < 0.05
    assert np.quantile(outside, 0.999) < 0.25
    assert X_new.mean(axis=0) == pytest.approx(X.mean(axis=0), abs=0.02)


# ---------------------------------------------------------------- Mixup
@pytest.mark.parametrize("n_neighbors", [None, 1])
def test_mixup_of_two_rows_lies_on_their_segment(n_neighbors):
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    X_new = Mixup(n_neighbors=n_neighbors, random_state=0).fit(X).sample(4000)
    np.testing.assert_allclose(X_new[:, 1], 2 * X_new[:, 0])
    assert ((X_new[:, 0] >= 0) & (X_new[:, 0] <= 1)).all()
    # lam ~ Beta(1, 1): uniform along the segment
    assert X_new[:, 0].mean() == pytest.approx(0.5, abs=0.02)
    assert (X_new[:, 0] < 0.25).mean() == pytest.approx(0.25, abs=0.02)


def test_mixup_small_alpha_stays_near_the_rows():
    X = np.array([[0.0], [1.0]])
    X_new = Mixup(alpha=0.1, random_state=0).fit(X).sample(4000)
    near_a_row = (X_new[:, 0] < 0.05) | (X_new[:, 0] > 0.95)
    assert near_a_row.mean() > 0.7


def test_mixup_with_one_neighbour_only_mixes_neighbours():
    X = np.random.RandomState(0).normal(size=(30, 2))
    mixup = Mixup(n_neighbors=1, random_state=0).fit(X)
    assert mixup.neighbors_.shape == (30, 1)
    X_new = mixup.sample(300)
    neighbour_segments = (X, X[mixup.neighbors_[:, 0]])
    assert _distance_to_segments(X_new, *neighbour_segments).max() < 1e-9

    # any partner: points off the neighbour segments, but on a segment between two rows
    anywhere = Mixup(random_state=0).fit(X).sample(300)
    assert _distance_to_segments(anywhere, *neighbour_segments).max() > 0.1
    i, j = np.triu_indices(30, k=1)
    assert _distance_to_segments(anywhere, X[i], X[j]).max() < 1e-9
    assert Mixup().fit(X).neighbors_ is None


def test_mixup_categorical_values_follow_lam():
    X = np.array([[0.0, 7.0], [1.0, 9.0]])
    X_new = Mixup(categorical_features=[1], random_state=0).fit(X).sample(4000)
    assert set(np.unique(X_new[:, 1])) == {7.0, 9.0}
    near_first = X_new[:, 0] < 0.1  # lam gives the first row at least 90 % weight
    assert (X_new[near_first, 1] == 7.0).mean() > 0.85
    near_second = X_new[:, 0] > 0.9
    assert (X_new[near_second, 1] == 9.0).mean() > 0.85


# ---------------------------------------------------------------- GaussianNoise
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_gaussian_noise_std_grows_by_sqrt_one_plus_scale_squared(scale):
    X = np.random.RandomState(0).normal(size=(5000, 3)) * [1.0, 5.0, 0.2] + [0.0, 10.0, -3.0]
    noise = GaussianNoise(scale=scale, random_state=0).fit(X)
    np.testing.assert_allclose(noise.noise_std_, scale * X.std(axis=0))
    X_new = noise.sample(50_000)
    expected = np.sqrt(1 + scale**2) * X.std(axis=0)
    np.testing.assert_allclose(X_new.std(axis=0), expected, rtol=0.012)
    np.testing.assert_allclose(X_new.mean(axis=0), X.mean(axis=0), atol=0.05)


def test_gaussian_noise_keeps_nan_and_categories():
    X = np.array([[0.0, 1.0, 5.0], [2.0, np.nan, 6.0], [4.0, 3.0, 5.0], [np.nan, 5.0, 6.0]])
    noise = GaussianNoise(scale=0.1, categorical_features=[2], random_state=0).fit(X)
    np.testing.assert_allclose(noise.noise_std_, 0.1 * np.array([1.63299316, 1.63299316, 0.0]))
    X_new = noise.sample(400)  # every row 100 times
    assert np.isnan(X_new).sum(axis=0).tolist() == [100, 100, 0]
    assert set(np.unique(X_new[:, 2])) == {5.0, 6.0}
    assert not np.isin(X_new[:, 0], X[:, 0]).any()


# ---------------------------------------------------------------- DataFrames and categories
@pytest.mark.parametrize("Generator", GENERATORS)
def test_dataframe_round_trip(Generator, frame):
    generator = Generator(categorical_features=["city"], random_state=0).fit(frame)
    np.testing.assert_array_equal(generator.feature_names_in_, frame.columns)
    assert generator.categorical_features_.tolist() == [False, False, True, True]
    X_new = generator.sample(500)
    assert list(X_new.columns) == list(frame.columns)
    assert X_new.shape == (500, 4)
    assert X_new["colour"].dtype == frame["colour"].dtype  # same categories, same order
    assert X_new["city"].dtype == frame["city"].dtype
    assert X_new["count"].dtype == frame["count"].dtype  # int columns stay int, rounded
    assert X_new["count"].between(frame["count"].min() - 3, frame["count"].max() + 3).all()
    assert set(X_new["colour"]) <= set(frame["colour"])
    assert set(X_new["city"]) == set(frame["city"])
    empty = generator.sample(0)
    assert empty.shape == (0, 4)
    assert (empty.dtypes == X_new.dtypes).all()


def test_categorical_features_by_mask_indices_or_names(frame):
    by_name = Munge(categorical_features=["city"]).fit(frame).categorical_features_
    by_index = Munge(categorical_features=[3]).fit(frame).categorical_features_
    by_mask = Munge(categorical_features=[False, False, False, True]).fit(frame)
    assert by_name.tolist() == by_index.tolist() == [False, False, True, True]
    assert by_mask.categorical_features_.tolist() == [False, False, True, True]
    numeric_only = Munge().fit(frame.drop(columns="city"))
    assert numeric_only.categorical_features_.tolist() == [False, False, True]
    assert list(numeric_only.categories_[0]) == ["red", "green"]


def test_string_array_with_a_categorical_column():
    X = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
    X_new = Mixup(categorical_features=[1], random_state=0).fit(X).sample(50)
    assert X_new.dtype == object
    assert set(X_new[:, 1]) == {"a", "b"}
    assert ((X_new[:, 0].astype(float) >= 1) & (X_new[:, 0].astype(float) <= 3)).all()


@pytest.mark.parametrize("Generator", GENERATORS)
def test_missing_value_in_a_categorical_column_is_one_more_value(Generator, frame):
    with_missing = frame.copy()
    with_missing.loc[0, "city"] = None
    generator = Generator(categorical_features=["city"], random_state=0).fit(with_missing)
    city = generator.sample(2000)["city"]  # each row 50 times
    assert city.isna().any()
    assert set(city.dropna()) == {"Oslo", "Lima", "Pune"}


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "n_samples, error, shown",
    [
        (-1, ValueError, "-1"),
        (2.0, TypeError, "2.0"),
        (True, TypeError, "True"),
        ("3", TypeError, "'3'"),
    ],
)
def test_bad_n_samples(n_samples, error, shown, X_numeric):
    generator = Munge().fit(X_numeric)
    with pytest.raises(error, match=rf"n_samples must be an int >= 0, got {shown}"):
        generator.sample(n_samples)


@pytest.mark.parametrize("Generator", GENERATORS)
def test_sample_before_fit(Generator):
    with pytest.raises(NotFittedError):
        Generator().sample(5)


@pytest.mark.parametrize("Generator", COMPLETE_ROWS_ONLY)
def test_nan_needs_imputing(Generator, X_numeric):
    X = X_numeric.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"missing values.*column 1.*impute.*GaussianNoise"):
        Generator().fit(X)
    assert GaussianNoise().fit(X).sample(10).shape == (10, 3)


@pytest.mark.parametrize("Generator", GENERATORS)
def test_infinity_is_rejected(Generator, X_numeric):
    X = X_numeric.copy()
    X[0, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Generator().fit(X)


@pytest.mark.parametrize("Generator", GENERATORS)
def test_sparse_input_is_rejected(Generator, X_numeric):
    with pytest.raises(TypeError, match=r"dense X.*sparse csr_matrix.*toarray"):
        Generator().fit(sparse.csr_matrix(X_numeric))


@pytest.mark.parametrize("Generator", COMPLETE_ROWS_ONLY)
def test_needs_two_rows(Generator, X_numeric):
    with pytest.raises(ValueError, match="at least 2 rows in X, got 1"):
        Generator().fit(X_numeric[:1])
    assert GaussianNoise(random_state=0).fit(X_numeric[:1]).sample(3).shape == (3, 3)


@pytest.mark.parametrize(
    "generator, name",
    [
        (Munge(p=-0.1), "p"),
        (Munge(p=1.5), "p"),
        (Munge(p=np.nan), "p"),
        (Munge(s=0.0), "s"),
        (Munge(s=-1.0), "s"),
        (Mixup(alpha=0.0), "alpha"),
        (Mixup(n_neighbors=0), "n_neighbors"),
        (Mixup(n_neighbors=1.5), "n_neighbors"),
        (GaussianNoise(scale=-0.1), "scale"),
        (Munge(categorical_features="city"), "categorical_features"),
        (Mixup(random_state="seed"), "random_state"),
    ],
)
def test_invalid_parameters(generator, name, X_numeric):
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter"):
        generator.fit(X_numeric)


def test_n_neighbors_must_be_below_the_number_of_rows(X_numeric):
    with pytest.raises(ValueError, match=r"n_neighbors must be smaller.*\(5\), got 5"):
        Mixup(n_neighbors=5).fit(X_numeric[:5])


@pytest.mark.parametrize(
    "categorical_features, match",
    [
        ([True, False], r"one entry per feature \(3\), got 2"),
        ([0, 3], r"out of range for 3 features: \[3\]"),
        ([-1], r"out of range for 3 features: \[-1\]"),
        (["a"], r"column names \['a'\], but X has no column names"),
        ([0.5], r"got \[0.5\]"),
        ([[0, 1]], "1-d"),
    ],
)
def test_bad_categorical_features(categorical_features, match, X_numeric):
    with pytest.raises(ValueError, match=rf"categorical_features.*{match}"):
        Munge(categorical_features=categorical_features).fit(X_numeric)


def test_unknown_column_name(frame):
    with pytest.raises(ValueError, match=r"categorical_features.*\['town'\].*'city'"):
        Munge(categorical_features=["city", "town"]).fit(frame)


@pytest.mark.parametrize("Generator", GENERATORS)
def test_text_columns_are_categorical_by_default(Generator, frame):
    # an object column needs no categorical_features: its values are copied from real rows
    generator = Generator(random_state=0).fit(frame)
    assert generator.categorical_features_.tolist() == [False, False, True, True]
    assert set(generator.sample(200)["city"]) <= set(frame["city"])
    X = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
    generator = Generator(random_state=0).fit(X)
    assert generator.categorical_features_.tolist() == [False, True]
    assert set(generator.sample(50)[:, 1]) <= {"a", "b"}


@pytest.mark.parametrize("Generator", GENERATORS)
def test_input_is_not_modified(Generator, X_numeric, frame):
    for X, params in [(X_numeric, {}), (frame, {"categorical_features": ["city"]})]:
        before = joblib.hash(X)
        Generator(**params, random_state=0).fit(X).sample(100)
        assert joblib.hash(X) == before


# ---------------------------------------------------------------- check_generator
@pytest.mark.parametrize(
    "name, Generator", [("munge", Munge), ("mixup", Mixup), ("noise", GaussianNoise)]
)
def test_check_generator_by_name(name, Generator):
    generator = check_generator(name)
    assert type(generator) is Generator
    assert generator.get_params() == Generator().get_params()
    assert check_generator(name) is not generator


def test_check_generator_passes_objects_and_none():
    generator = Mixup(alpha=0.4)
    assert check_generator(generator) is generator
    assert check_generator(None) is None


@pytest.mark.parametrize(
    "transfer, error, shown",
    [
        ("smote", ValueError, "got 'smote'"),
        (3, TypeError, r"got 3 \(int\)"),
        (Munge, TypeError, r"got the class Munge\. Pass an instance, e\.g\. Munge\(\)"),
        (object(), TypeError, "got <object object"),
    ],
)
def test_check_generator_rejects(transfer, error, shown):
    accepted = (
        r"transfer must be None, 'munge', 'mixup', 'noise', 'adversarial', 'boundary' or an "
        r"object with fit and sample"
    )
    with pytest.raises(error, match=rf"{accepted}; {shown}"):
        check_generator(transfer)
