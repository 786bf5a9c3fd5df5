"""Labelling a 1M-row transfer set: time and peak memory of the distiller's batched teacher calls.

A transfer set is many times the training rows, and the teacher labels all of it. The distiller
asks the teacher in batches of ``teacher_batch_size`` rows (default 'auto': a tenth of the rows,
10,000 to 100,000; 10,000 before) through joblib, so that the teacher's own temporary arrays grow
with the batch and not with the transfer set, and fingerprints the rows for its in-process cache
(SHA-256 of the buffer; ``joblib.hash`` before). This benchmark measures what that costs in time
against one call of the teacher on all rows, and what batching saves in peak memory. The target
is a time ratio of at most 1.05, with the cache.
"""

import gc
import tracemalloc
import warnings

import numpy as np
from _common import (
    Section,
    classification_data,
    clock,
    deterministic,
    figure,
    fmt_seconds,
    markdown_table,
    median,
)
from _common import spread as spread_of
from joblib import hash as joblib_hash
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdistill._cache import fingerprint_rows
from skdistill._targets import TeacherOutputs
from skdistill._teacher import clear_cache, output_method
from skdistill.transfer import GaussianNoise

NAME = "transfer_scale"
TITLE = "Labelling a 1M-row transfer set"
TARGET = 1.05
N_TRAIN, N_FEATURES, N_CLASSES = 20_000, 20, 10
FULL = {"rows": 1_000_000, "repeats": 3}
QUICK = {"rows": 30_000, "repeats": 2}
BATCH = 10_000  # the default before 'auto'
BATCHED = f"distiller, teacher_batch_size={BATCH:,}"
AUTO = "distiller, teacher_batch_size='auto' (default)"
CACHED = "distiller, 'auto', memory=None (default)"
# measured for its memory only: its time is one call's plus the distiller's checks
UNTIMED = "distiller, teacher_batch_size=None"


def _teachers(X, y):
    """(description, fitted teacher): boosting, whose temporaries are about its output's size,
    and a net, whose hidden layer is 25 times wider than its output."""
    boosting = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        # a few epochs make a teacher good enough to time; convergence does not matter here
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = MLPClassifier(hidden_layer_sizes=(256,), max_iter=20, random_state=0).fit(X, y)
    return [
        ("HistGradientBoosting (10 iterations x 10 classes)", boosting),
        ("MLPClassifier (256 hidden)", net),
    ]


def _variants(teacher, method):
    """The ways of labelling the rows that the table compares, as name -> function of X."""

    def outputs(batch_size, memory=False):
        def label(X):
            if memory is None:
                clear_cache()  # a cold cache: the call hashes X and stores the outputs
            return TeacherOutputs(X, memory, batch_size=batch_size).classification(
                "teacher", teacher
            )[0]

        return label

    return {
        "one call": lambda X: getattr(teacher, method)(X),
        UNTIMED: outputs(None),
        BATCHED: outputs(BATCH),
        AUTO: outputs("auto"),
        CACHED: outputs("auto", None),
    }


def _peak_bytes(label, X, reference):
    """Peak of the memory traced while ``label(X)`` runs, above what was in use before; and a
    check that ``label`` gives the reference's outputs.

    numpy reports its allocations to tracemalloc, so the teacher's temporary arrays and the
    outputs count; the outputs are dropped after the check, before the next variant runs.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        outputs = label(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    clear_cache()
    if not np.allclose(outputs, reference):
        raise AssertionError(f"{label} labels the rows differently from one call")
    return peak - before


def _measure(teacher, X, repeats):
    method = output_method(teacher)
    variants = _variants(teacher, method)
    reference = variants["one call"](X)
    peaks = {name: _peak_bytes(label, X, reference) for name, label in variants.items()}
    timed = [name for name in variants if name not in ("one call", UNTIMED)]
    one_call, times, ratios = [], {name: [] for name in timed}, {name: [] for name in timed}
    hashes = {}
    for repeat in range(repeats):
        # one call, each variant once, one call again (the mirror order on odd repeats): a drift
        # in the machine's load during the repeat favours no side; each variant's ratio is to
        # the mean of the repeat's two calls
        middle = timed if repeat % 2 == 0 else timed[::-1]
        clocks = {}
        for which in ["one call", *middle, "one call"]:
            with clock() as elapsed:
                variants[which](X)
            clocks.setdefault(which, []).append(elapsed)
        one_call += clocks["one call"]
        reference_cpu = sum(c.cpu for c in clocks["one call"]) / len(clocks["one call"])
        for name in timed:
            times[name] += clocks[name]
            ratios[name].append(clocks[name][0].cpu / reference_cpu)
        # the in-process cache's fingerprint of X, before (joblib.hash) and now, per one call
        for name, fingerprint in (("joblib.hash", joblib_hash), ("sha256", fingerprint_rows)):
            with clock() as elapsed:
                fingerprint(X)
            hashes.setdefault(name, []).append(elapsed.cpu / median([c.cpu for c in one_call]))
    clear_cache()
    times["one call"] = one_call
    rows = []
    for name in variants:
        if name in times:
            cpu = median([c.cpu for c in times[name]])
            wall = median([c.wall for c in times[name]])
        else:
            cpu = wall = None
        ratio = ratios.get(name)
        spread = (min(ratio), max(ratio)) if ratio else None
        rows.append((name, cpu, wall, median(ratio) if ratio else None, spread, peaks[name]))
    return {
        "method": method,
        "output_bytes": reference.astype(np.float64).nbytes,
        "rows": rows,
        "ratios": ratios,
        "hashes": hashes,
    }


def run(quick=False):
    config = QUICK if quick else FULL
    n_rows, repeats = config["rows"], config["repeats"]
    X, y = classification_data(N_TRAIN, N_FEATURES, N_CLASSES)
    with deterministic():
        teachers = _teachers(X, y)
        transfer_set = GaussianNoise(scale=0.1, random_state=0).fit(X).sample(n_rows)
        measured = [
            (description, _measure(teacher, transfer_set, repeats))
            for description, teacher in teachers
        ]

    def mib(n_bytes):
        return f"{n_bytes / 2**20:,.0f}"

    rows = []
    ratios = {}
    for description, result in measured:
        for name, cpu, wall, ratio, spread, peak in result["rows"]:
            is_reference = name == "one call"
            if is_reference:
                relative = "1 (reference)"
            elif ratio is None:
                relative = "not timed"
            else:
                relative = f"{ratio:.3f} ({spread[0]:.3f}-{spread[1]:.3f})"
            rows.append(
                [
                    description if is_reference else "",
                    f"{name} (`{result['method']}`)" if is_reference else name,
                    "" if cpu is None else fmt_seconds(cpu),
                    "" if wall is None else fmt_seconds(wall),
                    relative,
                    mib(peak),
                ]
            )
            ratios[description, name] = ratio
        rows.append(["", "output array itself", "", "", "", mib(result["output_bytes"])])
    table = markdown_table(
        ["teacher", "labelling", "CPU s", "wall s", "CPU time / one call", "peak MiB"],
        rows,
        align=["l", "l", "r", "r", "r", "r"],
    )
    body = _body(n_rows, repeats, table, measured, ratios)
    return Section(NAME, TITLE, body, _figures(measured))


def _figures(measured):
    """Per teacher: the CPU-time ratios (one per repeat) of the default labelling, with and
    without the cache, of batches of 10,000, and the default's peak MiB."""
    figures = []
    for description, result in measured:
        short = description.split(" (")[0]
        peaks = {row[0]: row[5] for row in result["rows"]}
        figures += [
            figure(
                f"{short}_auto_ratio",
                f"{short}: CPU time of 'auto' batches / one call",
                result["ratios"][AUTO],
                ".3f",
            ),
            figure(
                f"{short}_auto_cached_ratio",
                f"{short}: CPU time of 'auto' batches and the cache / one call",
                result["ratios"][CACHED],
                ".3f",
            ),
            figure(
                f"{short}_10k_ratio",
                f"{short}: CPU time of batches of 10,000 / one call",
                result["ratios"][BATCHED],
                ".3f",
            ),
            figure(
                f"{short}_auto_peak_mib",
                f"{short}: peak MiB in 'auto' batches",
                [round(peaks[AUTO] / 2**20)],
                ".0f",
            ),
        ]
    return figures


def _body(n_rows, repeats, table, measured, ratios):
    def short(description):
        return description.split(" (")[0]

    def each(key, fmt=".3f"):
        return " and ".join(
            f"{ratios[description, key]:{fmt}} for {short(description)}"
            for description, _ in measured
        )

    worst = max(max(ratios[d, AUTO], ratios[d, CACHED]) for d, _ in measured)
    verdict = "within" if worst <= TARGET else "above"
    hashes = [
        " and ".join(f"{name} {spread_of(values):.3f}" for name, values in result["hashes"].items())
        + f" of one call of {short(description)}"
        for description, result in measured
    ]
    reading = [
        f"Time: the default batches ('auto': a tenth of the rows, here "
        f"{min(100_000, max(10_000, -(-n_rows // 10))):,} a call) take {each(AUTO)} times the "
        f"CPU time of one call, and with the default in-process cache (`memory=None`, which "
        f"fingerprints the rows) {each(CACHED)}: {verdict} the target of {TARGET:.2f} "
        f"(median of {repeats} repeats; single repeats in the table). Batches of {BATCH:,}, the "
        f"default before, take {each(BATCHED)}. The cache's fingerprint of the {n_rows:,} rows "
        f"costs, per repeat, " + "; ".join(hashes) + " (SHA-256 of the array's buffer now, "
        "`joblib.hash` before; both exact: rows that differ in one bit never share an entry)."
    ]
    for description, result in measured:
        peaks = {row[0]: row[5] for row in result["rows"]}
        output = result["output_bytes"]
        reading.append(
            f"Memory, {short(description)}: {peaks[AUTO] / 2**20:,.0f} MiB in 'auto' batches, "
            f"{peaks[BATCHED] / 2**20:,.0f} MiB in batches of {BATCH:,}, "
            f"{peaks['one call'] / 2**20:,.0f} MiB in one call (the output itself is "
            f"{output / 2**20:,.0f} MiB)."
        )
    return f"""
The teachers are fitted on `make_classification` ({N_TRAIN:,} rows, {N_FEATURES} features,
{N_CLASSES} classes, `random_state=0`); the transfer set is {n_rows:,} rows drawn by
`GaussianNoise(scale=0.1, random_state=0)` from those rows. "one call" is the teacher's own
method on all rows, the one the distiller asks (`decision_function` for boosting,
`predict_proba` for the net). "distiller" is
`skdistill._targets.TeacherOutputs(X, memory, batch_size=...).classification("teacher",
teacher)`, the step of `DistilledClassifier.fit` that labels the rows (with `memory=False`
unless said; `memory=None`, the distiller's default, fingerprints the rows for its in-process
cache and is timed with the cache emptied before each call). Each repeat times one call, the
timed variant once and one call again (the variants in the mirror order on odd repeats), one
thread; each variant's CPU time over the mean of the repeat's two calls is its ratio for the
repeat, then the median of {repeats} repeats (range in brackets). The variant without
batches is not timed: it is one call plus the distiller's checks of the output. Peak memory
is measured in a separate run with `tracemalloc`, which sees numpy's allocations: the most
memory allocated at once during the call above what was in use before, outputs included.

{table}

{" ".join(reading)}
"""
