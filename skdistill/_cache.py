"""The in-process cache of teacher outputs, and how it tells that a teacher was refit.

An entry is valid while the teacher object lives and its fitted state is unchanged. The state is
the identity of every attribute of the teacher and of every estimator inside it (a refit replaces
them: scikit-learn, XGBoost and LightGBM build new arrays and boosters on each fit), plus a
content fingerprint of the objects that are trained in place: torch modules and tensors, and a
CatBoost model. A teacher holding an object of an unknown kind, which might be trained in place,
is not cached: it is asked again on every call, never served a stale entry.
"""

import hashlib
import sys
import threading
import weakref
from collections import OrderedDict

import numpy as np
from joblib import hash as joblib_hash

# Objects from these packages are replaced, not changed in place, when a model holding them is
# refit (or are trained in place and fingerprinted by content below).
_TRUSTED_PACKAGES = frozenset(
    {
        "builtins",
        "collections",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "pathlib",
        "re",
        "numpy",
        "scipy",
        "pandas",
        "joblib",
        "sklearn",
        "skdistill",
        "skorch",
        "torch",
        "xgboost",
        "lightgbm",
        "catboost",
    }
)
# Containers nested deeper than this are not looked into (the attribute holding them is still
# compared by identity); estimators sit at most two deep, in a list of (name, estimator) pairs.
_MAX_DEPTH = 2


_PLAIN_TYPES = frozenset(
    {type(None), bool, int, float, complex, str, bytes, np.ndarray, np.float64, np.int64}
)


class _Untraceable(Exception):
    """Part of a teacher whose refit cannot be told cheaply: the teacher is not cached."""


def fitted_state(teacher):
    """What tells a refit of ``teacher``: ``(held, content)``, or None when it cannot be told.

    ``held`` pairs each attribute name with its value, compared by identity (holding the values
    keeps their ids from being reused); ``content`` holds the fingerprints of objects trained in
    place, compared by value.
    """
    walker = _Walker()
    try:
        walker.estimator(teacher)
    except _Untraceable:
        return None
    return walker.held, tuple(walker.content)


def same_state(old, new):
    """Whether two :func:`fitted_state` results describe the same fit."""
    (old_held, old_content), (new_held, new_content) = old, new
    return (
        len(old_held) == len(new_held)
        and all(a[0] == b[0] and a[1] is b[1] for a, b in zip(old_held, new_held))
        and old_content == new_content
    )


class _Walker:
    """One walk over a teacher, its attributes and the estimators inside them."""

    def __init__(self):
        self.held, self.content, self.seen = [], [], set()
        self.kinds = dict.fromkeys(_PLAIN_TYPES, "plain")  # type -> how its objects are walked
        # The libraries are looked up in sys.modules, never imported: an object of a library
        # that was never imported cannot exist.
        modules = sys.modules
        self.in_place = {
            "torch": _types(modules.get("torch"), "nn.Module", "Tensor"),
            "lightgbm": _types(modules.get("lightgbm"), "Booster"),
            "xgboost": _types(modules.get("xgboost"), "Booster"),
            "catboost": _types(modules.get("catboost._catboost"), "_CatBoost"),
        }

    def estimator(self, estimator):
        if id(estimator) in self.seen:
            return
        self.seen.add(id(estimator))
        attributes = getattr(estimator, "__dict__", None)
        if attributes is None:  # __slots__ only: its state is out of sight
            raise _Untraceable
        for key, value in list(attributes.items()):
            self.held.append((key, value))
            self.value(value, depth=0)

    def value(self, value, depth):
        kind = self.kinds.get(type(value))
        if kind is None:
            kind = self.kinds[type(value)] = self._kind(type(value))
        if kind == "plain":
            return
        if kind == "container":
            if depth < _MAX_DEPTH:
                items = value.values() if isinstance(value, dict) else value
                for item in list(items):
                    self.value(item, depth + 1)
        elif kind == "estimator":
            self.estimator(value)
        elif kind == "untrusted":
            raise _Untraceable
        else:
            self.content.append(self._fingerprint(kind, value))

    def _kind(self, cls):
        for kind, classes in self.in_place.items():
            if classes and issubclass(cls, classes):
                return kind
        if issubclass(cls, (list, tuple, dict)):
            return "container"
        if hasattr(cls, "fit") and not issubclass(cls, type):
            return "estimator"
        if cls.__module__.partition(".")[0] in _TRUSTED_PACKAGES:
            return "plain"
        return "untrusted"

    def _fingerprint(self, kind, value):
        if kind == "torch":
            # trained in place: the version counters (bumped by every in-place update) and sums
            tensors = [value] if not hasattr(value, "parameters") else _module_tensors(value)
            return tuple((t._version, float(t.detach().double().sum())) for t in tensors)
        if kind in ("lightgbm", "xgboost"):
            # fit, continued training (init_model, xgb_model) and loading a model build a new
            # booster or a new handle (held by identity); update() and rollback change the
            # number of rounds
            self.held.extend(vars(value).items())
            rounds = value.current_iteration() if kind == "lightgbm" else value.num_boosted_rounds()
            return (kind, rounds)
        # CatBoost trains this one object in place on every fit: its serialised model is its state
        try:
            return (kind, hashlib.blake2b(value._serialize_model()).digest())
        except Exception as exc:  # an unfitted model has nothing to serialise
            raise _Untraceable from exc


def fingerprint_rows(X):
    """An exact fingerprint of the rows ``X``: equal only for equal contents.

    A numeric numpy array is fingerprinted by SHA-256 of its buffer, with its dtype, shape and
    memory order: one pass at memory speed, about half the time of ``joblib.hash`` (which
    pickles the array into its hash), and never a sample of the rows, so two arrays that differ
    in one value never share an entry. A Fortran-ordered array is hashed as it lies (tagged
    'F'), without a copy; other layouts are copied once. Anything else (DataFrames, sparse
    matrices, object arrays, lists of texts) goes through ``joblib.hash``, as before.
    """
    if type(X) is np.ndarray and X.dtype.kind in "biufcmM" and X.dtype.fields is None:
        if X.flags.c_contiguous:
            order, buffer = "C", X
        elif X.flags.f_contiguous:
            order, buffer = "F", X.T
        else:
            order, buffer = "C", np.ascontiguousarray(X)
        digest = hashlib.sha256(buffer.reshape(-1).view(np.uint8)).hexdigest()
        return ("ndarray", X.dtype.str, X.shape, order, digest)
    return ("joblib", joblib_hash(X))


def _types(module, *names):
    """The classes ``module.<name>`` (dotted names allowed); () without the module."""
    if module is None:
        return ()
    classes = []
    for name in names:
        obj = module
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, type):
            classes.append(obj)
    return tuple(classes)


def _module_tensors(module):
    return list(module.parameters()) + list(module.buffers())


class OutputCache:
    """In-process cache of teacher outputs, keyed on the teacher object and an exact
    fingerprint of X (:func:`fingerprint_rows`).

    A teacher is known by its id while it lives (a weak reference guards against a reused id), so
    teachers that cannot be hashed, such as CatBoost's, are cached too. Entries die with the
    teacher and are dropped once it is refit.
    """

    def __init__(self, max_entries, max_bytes):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._store = {}  # id(teacher) -> [weak reference, fitted state, OrderedDict of outputs]
        # joblib's threading backend may fit several distillers at once; the teacher is asked
        # outside the lock, so two threads may both ask it, but the dictionaries stay whole.
        self._lock = threading.Lock()

    def get_or_call(self, teacher, X, method, call):
        """The cached ``teacher.<method>(X)``, or ``call()`` (then stored)."""
        state = fitted_state(teacher)
        if state is None:
            return call()
        key = (method, fingerprint_rows(X))
        with self._lock:
            slot = self._valid_slot(teacher, state)
            hit = slot[2].get(key) if slot is not None else None
            if hit is not None:
                slot[2].move_to_end(key)
                return hit
        values = call()
        if values.nbytes > self.max_bytes:
            return values
        values.setflags(write=False)
        with self._lock:
            slot = self._valid_slot(teacher, state)
            if slot is None:
                try:
                    ref = weakref.ref(teacher, self._forget_callback(id(teacher)))
                except TypeError:  # not weak-referenceable: its id could outlive it
                    return values
                slot = self._store[id(teacher)] = [ref, state, OrderedDict()]
            entries = slot[2]
            entries[key] = values
            while len(entries) > self.max_entries or (
                sum(entry.nbytes for entry in entries.values()) > self.max_bytes
            ):
                entries.popitem(last=False)
        return values

    def _valid_slot(self, teacher, state):
        """The teacher's slot when it is this very object in the same fitted state; a slot left
        by a refit is dropped."""
        slot = self._store.get(id(teacher))
        if slot is None:
            return None
        if slot[0]() is teacher and same_state(slot[1], state):
            return slot
        del self._store[id(teacher)]
        return None

    def _forget_callback(self, key):
        def forget(ref):
            # no lock here: the collector may run this while the lock is held
            slot = self._store.get(key)
            if slot is not None and slot[0] is ref:
                self._store.pop(key, None)

        return forget

    def entries(self, teacher):
        """The outputs held for ``teacher`` (for tests and inspection)."""
        slot = self._store.get(id(teacher))
        return slot[2] if slot is not None and slot[0]() is teacher else OrderedDict()

    def clear(self):
        with self._lock:
            self._store = {}
