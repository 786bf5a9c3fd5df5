"""Run a benchmark's (table, seed) units over ``BENCH_JOBS`` processes (default 1)."""

import os
import sys
import warnings

from _common import deterministic


def run_units(one, units, names):
    """``{(table, seed): one(table, seed, names)}``, each unit in its own seeded, one-threaded
    context; over ``BENCH_JOBS`` processes (default 1), as every unit seeds all it draws, so the
    figures do not depend on the number of processes."""
    from joblib import Parallel, delayed

    jobs = int(os.environ.get("BENCH_JOBS", "1"))
    values = Parallel(n_jobs=jobs)(delayed(_quiet)(one, t, s, names) for t, s in units)
    results = {}
    for (table, seed), value in zip(units, values):
        results[table, seed] = value
        print(f"# {table} seed {seed}: {value}", file=sys.stderr, flush=True)
    return results


def _quiet(one, table, seed, names):
    with warnings.catch_warnings(), deterministic():
        warnings.simplefilter("ignore")
        return one(table, seed, names)
