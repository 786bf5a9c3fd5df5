"""scikit-learn's estimator checks on small, fast instances of every public estimator."""

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import BornAgainClassifier, DistilledClassifier, DistilledRegressor
from skdistill.torch import MLPStudent
from skdistill.tree import GuidedTreeClassifier


def _fitted_classifier_teacher():
    X, y = make_classification(
        n_samples=60, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    return LogisticRegression(max_iter=500).fit(X, y)


FITTED_TEACHER = _fitted_classifier_teacher()

ESTIMATORS = [
    # born-again generations of a tree: generation 0 on labels, one distilled, their ensemble
    BornAgainClassifier(DecisionTreeClassifier(max_depth=3, random_state=0), n_generations=1),
    # the searched tree student, on labels
    GuidedTreeClassifier(max_depth=3, n_thresholds=8, random_state=0),
    # a tree student, an unfitted teacher
    DistilledClassifier(
        DecisionTreeClassifier(max_depth=4, random_state=0), DecisionTreeClassifier(random_state=0)
    ),
    # a linear student at T=2, a linear teacher
    DistilledClassifier(
        LogisticRegression(solver="newton-cholesky", tol=1e-10),
        LogisticRegression(solver="newton-cholesky", tol=1e-10),
        temperature=2.0,
    ),
    # a regressor student
    DistilledClassifier(
        DecisionTreeClassifier(max_depth=4, random_state=0), Ridge(solver="cholesky"), alpha=0.8
    ),
    # a fitted teacher
    DistilledClassifier(FITTED_TEACHER, DecisionTreeClassifier(random_state=0)),
    DistilledRegressor(
        DecisionTreeRegressor(max_depth=4, random_state=0), Ridge(solver="cholesky")
    ),
    # a neural student trained with Hinton's loss, a few epochs
    DistilledClassifier(
        LogisticRegression(max_iter=500),
        MLPStudent((8,), lr=0.01, batch_size=32, max_epochs=5, random_state=0),
        temperature=2.0,
        alpha=0.7,
        random_state=0,
    ),
    # a transfer set labelled by the teacher, and out-of-fold teacher outputs
    DistilledClassifier(
        DecisionTreeClassifier(max_depth=4, random_state=0),
        DecisionTreeClassifier(random_state=0),
        transfer="noise",
        n_transfer=0.5,
        random_state=0,
    ),
    # rows across the teacher's boundaries and where the student disagrees (two fits); a
    # teacher without NaN support, as the generator needs complete rows
    DistilledClassifier(
        LogisticRegression(max_iter=500),
        DecisionTreeClassifier(max_depth=3, random_state=0),
        transfer="adversarial",
        n_transfer=0.5,
        random_state=0,
    ),
    DistilledRegressor(
        DecisionTreeRegressor(max_depth=4, random_state=0),
        Ridge(solver="cholesky"),
        transfer="mixup",
        n_transfer=20,
        cv=2,
        random_state=0,
    ),
]

# A fitted teacher knows only the data it was fitted on (4 features, labels 0, 1, 2). These checks
# fit on data of their own (2, 3, 10 or 30 features, other labels), which the distiller rightly
# refuses with "X has 3 features, but the teacher was fitted on 4 features ..." or "y contains
# labels the teacher does not know ...". The same contracts are checked for the unfitted-teacher
# instances above, and for fitted teachers on matching data in tests/test_classifier.py.
_CHECKS_WITH_THEIR_OWN_DATA = (
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_train",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
    "check_supervised_y_2d",
)
FITTED_TEACHER_EXPECTED_FAILURES = {
    name: "fits on data of its own, which a teacher fitted on other data rightly refuses"
    for name in _CHECKS_WITH_THEIR_OWN_DATA
}


# Minibatch gradient descent: a row of weight 2 is one row in one batch, its copy two rows in two
# batches, so the two fits take different steps (sklearn's own MLPClassifier passes this check
# only with the full-batch lbfgs solver).
# The network also computes in float32: a row's logits can differ in the last float32 bits with
# the rows it is batched with, which is the tolerance of the order check (measured: 2.2e-7
# relative on 3 values of 60 on an Intel Xeon; it passed on an AMD EPYC).
NEURAL_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatch training: a weight of 2 is not the same steps as a repeated row"
    ),
    "check_methods_sample_order_invariance": (
        "float32 logits may differ in the last bits (~1e-7) with the order of the rows in a batch"
    ),
}


# Cross-validation folds and a transfer set are drawn from rows, not from their weights: a row
# repeated twice can land in two folds and is drawn from twice as often, a row of weight 2 is not.
# Weights reach the teacher's and the student's fits, as the check's other instances show.
ROW_SAMPLING_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "cv folds and mixup (or boundary) partners are drawn from rows: a repeated row is not "
        "a weighted one"
    ),
}


def expected_failed_checks(estimator):
    """Empty but for the fitted-teacher, the minibatch-trained, the cv and adversarial ones."""
    if not hasattr(estimator, "teacher"):  # a student on its own
        return {}
    if estimator.teacher is FITTED_TEACHER:
        return FITTED_TEACHER_EXPECTED_FAILURES
    if isinstance(estimator.student, MLPStudent):
        return NEURAL_EXPECTED_FAILURES
    if estimator.cv is not None or estimator.transfer == "adversarial":
        return ROW_SAMPLING_EXPECTED_FAILURES
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
