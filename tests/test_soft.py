"""The soft-target mathematics of skdistill._soft: plain numpy, checked against hand formulas."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skdistill._soft import (
    align_columns,
    binary_scores_to_logits,
    blend_with_labels,
    expand_weighted_rows,
    keep_top_mass,
    temper_logits,
    temper_proba,
)

TEMPERATURES = [0.01, 0.5, 1.0, 2.0, 10.0, 100.0]


def _naive_softmax(z):
    """exp(z) / sum(exp(z)) as written on paper: right for moderate z, overflows for huge z."""
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _random_proba(rng, n_rows, n_classes, zero_share=0.0):
    """Random probability rows; ``zero_share`` of the entries set to exact zeros."""
    p = rng.dirichlet(np.ones(n_classes), size=n_rows)
    if zero_share:
        zeros = rng.random(p.shape) < zero_share
        zeros[np.arange(n_rows), np.argmax(p, axis=1)] = False  # keep every row non-empty
        p[zeros] = 0.0
        p /= p.sum(axis=1, keepdims=True)
    return p


# ------------------------------------------------------------------------------- temper_logits
@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0, 100.0])
def test_temper_logits_is_softmax_of_logits_over_temperature(temperature):
    rng = np.random.default_rng(0)
    for n_classes in (2, 3, 7):
        logits = rng.normal(scale=3.0, size=(20, n_classes))
        assert_allclose(
            temper_logits(logits, temperature), _naive_softmax(logits / temperature), rtol=1e-12
        )


@pytest.mark.parametrize("temperature", [1.0, 2.0, 100.0])
def test_temper_logits_is_stable_for_huge_logits(temperature):
    # softmax([c, c + T log 3] / T) is [1/4, 3/4] for any c; exp(c / T) overflows for c = 1e5 * T
    c = 1e5 * temperature
    logits = np.array([[c, c + temperature * np.log(3.0)], [-c, -c - temperature * np.log(3.0)]])
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(_naive_softmax(logits / temperature)).all()  # the pitfall is real here
    assert_allclose(temper_logits(logits, temperature), [[0.25, 0.75], [0.75, 0.25]], rtol=1e-9)

    huge = np.array([[1e300, -1e300, 0.0], [-1e300, 0.0, 1e300]])
    out = temper_logits(huge, temperature)
    assert np.isfinite(out).all()
    assert_allclose(out, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("temperature", [2.0, 100.0])
def test_temper_logits_flattens_towards_uniform_as_temperature_grows(temperature):
    logits = np.array([[4.0, 1.0, -2.0]])
    sharp = temper_logits(logits, 1.0)
    soft = temper_logits(logits, temperature)
    assert soft.max() < sharp.max()
    assert soft.min() > sharp.min()
    assert_array_equal(np.argsort(soft), np.argsort(sharp))


# ------------------------------------------------------------------------------- temper_proba
@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_temper_proba_is_softmax_of_log_proba_over_temperature(temperature):
    rng = np.random.default_rng(1)
    p = _random_proba(rng, 30, 4)
    expected = softmax(np.log(p) / temperature, axis=1)
    assert_allclose(temper_proba(p, temperature), expected, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_temper_proba_keeps_exact_zeros_and_tempers_the_rest(temperature):
    rng = np.random.default_rng(2)
    p = _random_proba(rng, 40, 5, zero_share=0.4)
    assert (p == 0).any()
    out = temper_proba(p, temperature)
    assert_array_equal(out == 0, p == 0)
    assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    for row_p, row_out in zip(p, out):
        present = row_p > 0
        expected = softmax(np.log(row_p[present]) / temperature)
        assert_allclose(row_out[present], expected, rtol=1e-9, atol=1e-300)


def test_temper_proba_does_not_spread_mass_onto_classes_a_forest_excluded():
    X, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    p = forest.predict_proba(X)
    assert (p == 0).mean() > 0.3  # a forest's probabilities are full of exact zeros

    out = temper_proba(p, 10.0)
    assert_array_equal(out[p == 0], 0.0)
    assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)

    # what clipping log(p) before tempering would do: excluded classes get real mass
    clipped = softmax(np.log(np.clip(p, 1e-12, None)) / 10.0, axis=1)
    assert clipped[p == 0].min() > 0.01


def test_temper_proba_at_temperature_one_returns_the_probabilities():
    rng = np.random.default_rng(3)
    p = _random_proba(rng, 25, 3, zero_share=0.3)
    out = temper_proba(p, 1.0)
    assert_allclose(out, p, rtol=1e-14)
    assert_array_equal(out == 0, p == 0)


def test_temper_proba_with_small_temperature_does_not_underflow_to_nan():
    rng = np.random.default_rng(4)
    # 5000 classes of similar size: every p is below 3e-4, so p ** (1 / 0.01) underflows to 0
    # for the whole row
    p = rng.uniform(1.0, 2.0, size=(5, 5000))
    p /= p.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", under="ignore"):
        naive = p**100.0 / (p**100.0).sum(axis=1, keepdims=True)
    assert np.isnan(naive).all()  # the pitfall is real for these rows

    out = temper_proba(p, 0.01)
    assert np.isfinite(out).all()
    assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(out, softmax(np.log(p) / 0.01, axis=1), rtol=1e-9, atol=1e-300)
    assert_array_equal(np.argmax(out, axis=1), np.argmax(p, axis=1))


# --------------------------------------------------------------------- binary_scores_to_logits
def test_binary_scores_to_logits_gives_sigmoid_as_second_softmax_column():
    scores = np.array([-800.0, -30.0, -1.5, 0.0, 0.25, 2.0, 40.0, 800.0])
    logits = binary_scores_to_logits(scores)
    assert logits.shape == (len(scores), 2)
    assert_array_equal(logits[:, 0], 0.0)
    assert_allclose(softmax(logits, axis=1)[:, 1], expit(scores), rtol=1e-12)
    # a one-column 2d score is the same as a 1d one
    assert_array_equal(binary_scores_to_logits(scores[:, None]), logits)


def test_binary_scores_to_logits_reproduces_a_logistic_regressions_proba():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    logits = binary_scores_to_logits(model.decision_function(X))
    assert_allclose(softmax(logits, axis=1), model.predict_proba(X), rtol=1e-10, atol=1e-15)


def test_binary_scores_to_logits_leaves_multiclass_scores_alone():
    scores = np.arange(12.0).reshape(4, 3)
    assert_array_equal(binary_scores_to_logits(scores), scores)


# ---------------------------------------------------------------------------- align_columns
def test_align_columns_matches_by_class_value_not_position():
    values = np.array([[0.1, 0.9], [0.7, 0.3]])  # columns: class "b", class "a"
    aligned = align_columns(values, np.array(["b", "a"]), np.array(["a", "b", "c"]))
    assert_array_equal(aligned, [[0.9, 0.1, 0.0], [0.3, 0.7, 0.0]])


def test_align_columns_fills_classes_the_source_lacks():
    values = np.array([[2.0, -1.0], [0.5, 4.0]])  # columns: classes 3, 0
    aligned = align_columns(values, np.array([3, 0]), np.array([0, 1, 2, 3]), fill=-np.inf)
    assert_array_equal(aligned, [[-1.0, -np.inf, -np.inf, 2.0], [4.0, -np.inf, -np.inf, 0.5]])


def test_align_columns_reorders_the_same_classes_in_another_order():
    # same number of classes, same set, another order: a TorchTeacher whose classes follow its
    # output order beside a scikit-learn model, whose classes_ are sorted
    values = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])  # columns: "c", "a", "b"
    aligned = align_columns(values, np.array(["c", "a", "b"]), np.array(["a", "b", "c"]))
    assert_array_equal(aligned, [[0.2, 0.1, 0.7], [0.5, 0.5, 0.0]])
    # and integer classes in reverse order
    values = np.arange(6.0).reshape(2, 3)
    assert_array_equal(
        align_columns(values, np.array([2, 1, 0]), np.array([0, 1, 2])), values[:, ::-1]
    )


def test_align_columns_with_identical_classes_keeps_the_values():
    values = np.array([[0.2, 0.8]])
    assert_array_equal(align_columns(values, np.array([0, 1]), np.array([0, 1])), values)


# ------------------------------------------------------------------------ blend_with_labels
def _soft_and_labels(rng, n_rows=12, n_classes=4):
    soft = _random_proba(rng, n_rows, n_classes)
    y_encoded = rng.integers(0, n_classes, size=n_rows)
    return soft, y_encoded


def test_blend_with_labels_at_alpha_zero_is_the_one_hot_labels():
    soft, y_encoded = _soft_and_labels(np.random.default_rng(5))
    assert_array_equal(blend_with_labels(soft, y_encoded, 0.0), np.eye(4)[y_encoded])


def test_blend_with_labels_at_alpha_one_is_the_soft_targets():
    soft, y_encoded = _soft_and_labels(np.random.default_rng(6))
    assert_array_equal(blend_with_labels(soft, y_encoded, 1.0), soft)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 0.9])
def test_blend_with_labels_mixes_labelled_rows_and_keeps_unlabeled_ones(alpha):
    soft, y_encoded = _soft_and_labels(np.random.default_rng(7))
    y_encoded[[1, 4, 5]] = -1
    soft_before = soft.copy()
    blended = blend_with_labels(soft, y_encoded, alpha)

    labelled = y_encoded >= 0
    expected = alpha * soft[labelled] + (1 - alpha) * np.eye(4)[y_encoded[labelled]]
    assert_allclose(blended[labelled], expected, rtol=1e-14)
    assert_array_equal(blended[~labelled], soft[~labelled])
    assert_allclose(blended.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(soft, soft_before)  # the caller's soft targets are not changed


# ---------------------------------------------------------------------------- keep_top_mass
def _keep_top_mass_by_hand(targets, mass):
    out = np.zeros_like(targets)
    for i, row in enumerate(targets):
        order = np.argsort(-row, kind="stable")
        k = int(np.searchsorted(np.cumsum(row[order]), mass * row.sum())) + 1
        out[i, order[:k]] = row[order[:k]]
    return out / out.sum(axis=1, keepdims=True)


def test_keep_top_mass_keeps_the_largest_entries_reaching_the_mass():
    targets = np.array([[0.2, 0.5, 0.3], [0.05, 0.05, 0.9]])
    # 0.5 alone is short of 0.75, 0.5 + 0.3 reaches it: 0.2 goes, the rest is renormalised
    assert_allclose(keep_top_mass(targets, 0.75), [[0.0, 0.625, 0.375], [0.0, 0.0, 1.0]])
    assert_allclose(keep_top_mass(targets, 0.4), [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert_allclose(keep_top_mass(targets, 0.97), [[0.2, 0.5, 0.3], [0.05, 0.05, 0.9]])
    # a set that reaches the mass exactly is enough (values exact in binary)
    assert_array_equal(keep_top_mass(np.array([[0.25, 0.5, 0.25]]), 0.5), [[0.0, 1.0, 0.0]])
    assert_allclose(keep_top_mass(np.array([[0.125, 0.5, 0.375]]), 0.875), [[0, 4 / 7, 3 / 7]])


@pytest.mark.parametrize("mass", [0.3, 0.6, 0.9, 0.99])
def test_keep_top_mass_matches_a_row_by_row_selection(mass):
    rng = np.random.default_rng(8)
    targets = _random_proba(rng, 50, 6, zero_share=0.2)
    kept = keep_top_mass(targets, mass)
    assert_allclose(kept, _keep_top_mass_by_hand(targets, mass), rtol=1e-12)
    assert_allclose(kept.sum(axis=1), 1.0, rtol=1e-12)
    # a kept set reaches the mass, and dropping its smallest entry would not
    for row, kept_row in zip(targets, kept):
        kept_mass = row[kept_row > 0].sum()
        assert kept_mass >= mass * row.sum() - 1e-12
        assert kept_mass - row[kept_row > 0].min() < mass * row.sum()


def test_keep_top_mass_is_relative_to_the_row_total():
    rng = np.random.default_rng(9)
    targets = _random_proba(rng, 10, 5)
    assert_allclose(keep_top_mass(3.0 * targets, 0.7), keep_top_mass(targets, 0.7), rtol=1e-12)


def test_keep_top_mass_of_one_keeps_every_non_zero_entry():
    rng = np.random.default_rng(10)
    targets = _random_proba(rng, 20, 5, zero_share=0.3)
    assert_array_equal(keep_top_mass(targets, 1.0), targets)


# --------------------------------------------------------------------- expand_weighted_rows
def test_expand_weighted_rows_is_row_major_and_drops_zeros():
    targets = np.array([[0.0, 0.7, 0.3], [1.0, 0.0, 0.0], [0.2, 0.5, 0.3]])
    rows, cols, weights = expand_weighted_rows(targets)
    assert_array_equal(rows, [0, 0, 1, 2, 2, 2])
    assert_array_equal(cols, [1, 2, 0, 0, 1, 2])
    assert_array_equal(weights, [0.7, 0.3, 1.0, 0.2, 0.5, 0.3])


def test_expand_weighted_rows_of_one_hot_targets_are_the_original_rows():
    y_encoded = np.random.default_rng(11).integers(0, 4, size=30)
    rows, cols, weights = expand_weighted_rows(np.eye(4)[y_encoded])
    assert_array_equal(rows, np.arange(30))
    assert_array_equal(cols, y_encoded)
    assert_array_equal(weights, 1.0)


def test_expand_weighted_rows_weights_sum_back_to_the_targets():
    targets = _random_proba(np.random.default_rng(12), 15, 5, zero_share=0.3)
    rows, cols, weights = expand_weighted_rows(targets)
    assert (weights > 0).all()
    rebuilt = np.zeros_like(targets)
    np.add.at(rebuilt, (rows, cols), weights)
    assert_array_equal(rebuilt, targets)


def test_temper_logits_near_the_largest_float_at_low_temperature():
    tempered = temper_logits(np.array([[1e308, 0.0], [-1e308, 1e308]]), 0.5)
    np.testing.assert_array_equal(tempered, [[1.0, 0.0], [0.0, 1.0]])
