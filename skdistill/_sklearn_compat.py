"""The one module that imports scikit-learn's private helpers.

scikit-learn does not promise these names across releases; keeping every such import here means an
upgrade touches this file alone.
"""

from sklearn.base import _fit_context
from sklearn.tree._tree import Tree
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    _get_feature_names,
    _num_features,
    _num_samples,
    check_is_fitted,
    check_memory,
    has_fit_parameter,
    validate_data,
)

__all__ = [
    "HasMethods",
    "Interval",
    "MetadataRouter",
    "MethodMapping",
    "StrOptions",
    "Tree",
    "_check_sample_weight",
    "_fit_context",
    "_get_feature_names",
    "_num_features",
    "_num_samples",
    "_raise_for_params",
    "_routing_enabled",
    "_safe_indexing",
    "available_if",
    "check_is_fitted",
    "check_memory",
    "has_fit_parameter",
    "process_routing",
    "validate_data",
]
