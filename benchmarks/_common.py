"""What the benchmarks share: timing, medians, Markdown tables and the environment line."""

import os
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy
import sklearn
from sklearn.datasets import make_classification

import skdistill


@dataclass
class Section:
    """One benchmark's part of docs/benchmarks.md: a ``##`` heading and the Markdown below it."""

    name: str
    title: str
    body: str

    def markdown(self):
        return f"## {self.title}\n\n{self.body.strip()}\n"


def classification_data(n_rows, n_features, n_classes):
    """The synthetic table the timing benchmarks share: half of the features informative or
    redundant, `random_state=0`."""
    return make_classification(
        n_samples=n_rows,
        n_features=n_features,
        n_informative=10,
        n_redundant=5,
        n_classes=n_classes,
        random_state=0,
    )


@dataclass
class Clock:
    """Wall and CPU seconds of one timed block (filled in when the block ends)."""

    wall: float = float("nan")
    cpu: float = float("nan")


@contextmanager
def clock():
    """Time a block by the wall clock and by this process's CPU time.

    The machine the benchmarks run on is shared with other jobs. With the thread pools limited to
    one thread (see ``single_threaded``), the process's CPU time is the work it did, whatever else
    runs beside it; the wall time also counts the waits for a core.
    """
    result = Clock()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.wall = time.perf_counter() - wall
        result.cpu = time.process_time() - cpu


def single_threaded():
    """Limit BLAS and OpenMP to one thread, so that CPU time and wall time measure the same work."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def median(values):
    return float(np.median(np.asarray(values, dtype=np.float64)))


def markdown_table(header, rows, align=None):
    """A GitHub-flavoured Markdown table; ``align`` holds 'l' or 'r' per column (default 'r')."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = [header, rule] + [[str(cell) for cell in row] for row in rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def fmt_seconds(seconds):
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_share(value):
    """A share in [0, 1] as a percentage with one decimal."""
    return f"{100 * value:.1f}%"


def environment():
    """One line naming the machine and the versions the figures were measured with."""
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, skdistill {skdistill.__version__}; "
        f"{os.cpu_count()} CPU cores ({platform.machine()}, {sys.platform}), no GPU"
    )


# Frosst & Hinton (2017), "Distilling a Neural Network Into a Soft Decision Tree", MNIST test
# accuracy of a depth-8 soft tree on labels and distilled, and of the teacher net
FROSST_HINTON = {"labels": 0.9445, "distilled": 0.9676, "teacher": 0.9921}


def frosst_hinton_table():
    """The published net-into-tree result and how this setting differs from it (markdown), and
    the share of the gap closed it reports."""
    p, tree = FROSST_HINTON, "soft decision tree (depth 8)"
    closed = (p["distilled"] - p["labels"]) / (p["teacher"] - p["labels"])
    table = markdown_table(
        ["Frosst & Hinton 2017, MNIST", "test accuracy", "share of gap closed"],
        [
            [f"{tree}, labels", fmt_share(p["labels"]), "0"],
            [f"{tree}, distilled", fmt_share(p["distilled"]), f"{closed:+.2f}"],
            ["neural net teacher", fmt_share(p["teacher"]), ""],
        ],
    )
    text = (
        "The setting differs from the published one (8x8 digits with 1,347 training images "
        "instead of\nMNIST's 60,000 at 28x28; ordinary trees instead of soft trees trained by "
        "gradient descent), so\nwhat compares is the share of the gap closed, not the "
        f"accuracies.\n\nPublished reference:\n\n{table}"
    )
    return text, closed
