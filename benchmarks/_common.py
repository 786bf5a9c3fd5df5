"""What the benchmarks share: timing, medians with their spread, the figures ``run.py --check``
re-measures, Markdown tables and the provenance of a run.

The small API a benchmark uses (see ``bench_quality_digits.py`` for a short example):

- ``seed_range(n)``: the seeds ``0 .. n-1``; ``deterministic()``: the context every measurement
  runs in (one thread everywhere, torch's deterministic algorithms).
- ``spread(values)``: a ``Spread`` (median, min, max, n) that formats as ``"0.59 [0.33, 0.70]"``
  with any format spec (``f"{s:.2f}"``), ``s.pct()`` as ``"59% [33, 70]"``, and compares and
  converts (``float(s)``) as its median, so sentences are built from it, not typed.
- ``Section(name, title, body, figures)`` with ``figure(key, label, values, fmt)`` for each
  headline: ``run.py`` writes them to ``results/<name>.json`` and the docs page, and
  ``run.py --check <name>`` fails when a re-run's median leaves the recorded range.
- ``provenance()``: commit, whether the tree was dirty, package versions.
"""

import json
import os
import platform
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import make_classification

import skdistill

REPO = Path(__file__).resolve().parent.parent


def seed_range(n):
    """The seeds of a benchmark with ``n`` of them: ``[0, 1, ..., n - 1]``."""
    return list(range(n))


@contextmanager
def deterministic():
    """One thread for BLAS, OpenMP and torch, and torch's deterministic algorithms, for the block.

    With one thread every sum is taken in one order, so a seeded run repeats bit for bit on one
    machine (``benchmarks/_pinned.py``, which ``run.py`` imports first, also pins the libraries'
    code paths across processors). The previous settings come back afterwards.
    """
    with ExitStack() as stack:
        stack.enter_context(single_threaded())
        torch = sys.modules.get("torch")
        if torch is None:
            try:
                import torch
            except ImportError:
                torch = None
        if torch is not None:
            threads = torch.get_num_threads()
            was = torch.are_deterministic_algorithms_enabled()
            torch.set_num_threads(1)
            torch.use_deterministic_algorithms(True)
            stack.callback(torch.set_num_threads, threads)
            stack.callback(torch.use_deterministic_algorithms, was)
        yield


@dataclass(frozen=True)
class Spread:
    """A median over seeds (or repeats) with the smallest and largest value and their number.

    Formats with any float format spec as ``median [min, max]``; compares, converts and sorts as
    its median, so code that picked a best setting by median keeps working.
    """

    median: float
    low: float
    high: float
    n: int

    def __format__(self, spec):
        if self.n <= 1 or self.low == self.high:
            return format(self.median, spec)
        return f"{self.median:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def __str__(self):
        return format(self, "g")

    def fmt(self, one):
        """``one(value)`` for the median, min and max: for formats a spec cannot say."""
        if self.n <= 1 or self.low == self.high:
            return one(self.median)
        return f"{one(self.median)} [{one(self.low)}, {one(self.high)}]"

    def pct(self, digits=0):
        """As percentages: ``59% [33, 70]``."""
        if np.isnan(self.median):
            return "n/a"
        if self.n <= 1 or self.low == self.high:
            return f"{100 * self.median:.{digits}f}%"
        return (
            f"{100 * self.median:.{digits}f}% "
            f"[{100 * self.low:.{digits}f}, {100 * self.high:.{digits}f}]"
        )

    def __float__(self):
        return float(self.median)

    def __lt__(self, other):
        return self.median < float(other)

    def __le__(self, other):
        return self.median <= float(other)

    def __gt__(self, other):
        return self.median > float(other)

    def __ge__(self, other):
        return self.median >= float(other)


def spread(values):
    """``Spread`` of the finite values (NaN where there are none)."""
    values = np.asarray([float(v) for v in values], dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return Spread(float("nan"), float("nan"), float("nan"), 0)
    return Spread(float(np.median(values)), float(values.min()), float(values.max()), len(values))


@dataclass
class Figure:
    """A headline figure: its per-seed (or per-repeat) values and how to print one of them.

    ``run.py --check`` re-runs the benchmark and fails when the new median falls outside
    ``[min, max]`` of the values recorded here: with five or more seeds, the median of an
    independent re-run lands inside the range of the recorded seeds unless something changed.

    A ratio of CPU times is different: its repeats run back to back in one process, so they
    vary less than two runs do (on a quiet machine the paired ratios of one run span 1%, and
    the next run's median can land just beside them). ``slack`` widens the checked range by
    that share of the median on either side; the docs page shows the widened range.
    """

    key: str
    label: str
    values: list
    fmt: str = ".3g"  # a format spec, or "%" for a percentage
    slack: float = 0.0  # share of the median added to either end of the checked range

    @property
    def spread(self):
        s = spread(self.values)
        if not self.slack:
            return s
        margin = self.slack * abs(s.median)
        return type(s)(s.median, s.low - margin, s.high + margin, s.n)

    def show(self, value):
        if np.isnan(value):
            return "n/a"
        return f"{100 * value:.0f}%" if self.fmt == "%" else format(value, self.fmt)

    def as_dict(self):
        s = self.spread
        return {
            "label": self.label,
            "median": s.median,
            "low": s.low,
            "high": s.high,
            "n": s.n,
            "values": [float(v) for v in self.values],
            "fmt": self.fmt,
            "slack": self.slack,
        }


def figure(key, label, values, fmt=".3g", slack=0.0):
    """A headline figure of a section (see ``Figure``)."""
    return Figure(key, label, [float(v) for v in values], fmt, slack)


# the slack of a CPU-time ratio's checked range (see ``Figure``): two runs on a quiet machine
# differed by up to 0.3% beyond one run's range (overhead, 2026-12-02)
TIMING_SLACK = 0.05


@dataclass
class Section:
    """One benchmark's part of docs/benchmarks.md: a ``##`` heading, the Markdown below it, and
    the headline figures that ``run.py --check`` re-measures."""

    name: str
    title: str
    body: str
    figures: list = field(default_factory=list)

    def markdown(self):
        return f"## {self.title}\n\n{self.body.strip()}\n"

    def figures_table(self):
        """The checked figures as Markdown: what ``results/<name>.json`` records."""
        rows = []
        for f in self.figures:
            s = f.spread
            rows.append(
                [f.label, f.show(s.median), f"{f.show(s.low)} to {f.show(s.high)}", str(s.n)]
            )
        return markdown_table(
            ["headline figure", "median", "range (checked)", "seeds or repeats"], rows
        )


def check_figures(recorded, section):
    """(key, new median, recorded low, high, inside) for each recorded figure of ``section``."""
    new = {f.key: f for f in section.figures}
    report = []
    for key, old in recorded["figures"].items():
        value = new[key].spread.median if key in new else float("nan")
        low, high = old["low"], old["high"]
        # a figure that is NaN in both is undefined alike (e.g. no gap to close)
        inside = (np.isnan(value) and np.isnan(old["median"])) or (low <= value <= high)
        report.append((key, value, low, high, bool(inside)))
    return report


def _git(*args):
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def provenance():
    """Commit, dirty tree, the content hash of the library, and the package versions."""
    versions = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "sklearn", "torch", "skorch", "threadpoolctl", "skdistill"):
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name)
            except ImportError:
                continue
        versions[name] = getattr(module, "__version__", "?")
    # results and the docs page are written by the runs themselves: not counted as dirty
    status = _git(
        "status", "--porcelain", "--", ".", ":!benchmarks/results", ":!docs/benchmarks.md"
    )
    library = Path(skdistill.__file__).resolve().parent
    if library != REPO / "skdistill":
        raise RuntimeError(
            f"skdistill was imported from {library}, not from this checkout "
            f"({REPO}): the figures would not be this commit's. Run the benchmark "
            "through benchmarks/run.py, or put the checkout first with PYTHONPATH=<checkout>."
        )
    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(status) if status is not None else None,
        "library_tree": _git("rev-parse", "--short", "HEAD:skdistill"),
        "versions": versions,
        "pinned": {
            k: os.environ.get(k)
            for k in ("OMP_NUM_THREADS", "MKL_CBWR", "ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE")
        },
        "machine": f"{os.cpu_count()} CPU cores ({platform.machine()}, {sys.platform})",
        "cpu": _cpu(),
    }


def _cpu():
    """The processor and the widest vector instructions torch uses on it: the per-seed values of
    neural students depend on them (see ``_pinned.py``)."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            fields = dict(
                line.split(":", 1)
                for line in info.read().split("\n\n")[0].splitlines()
                if ":" in line
            )
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        name = (
            f"{fields.get('model name', name)}, family {fields.get('cpu family', '?')} "
            f"model {fields.get('model', '?')}"
            + (", AVX-512" if "avx512f" in fields.get("flags", "").split() else "")
        )
    except OSError:
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        name += f"; torch kernels {torch.backends.cpu.get_cpu_capability()}"
    return name


def provenance_line(p):
    """One Markdown line of a section: where and with what its figures were measured."""
    commit = p["commit"] or "unknown"
    dirty = " with uncommitted changes" if p["dirty"] else ""
    versions = ", ".join(f"{k} {v}" for k, v in p["versions"].items())
    return (
        f"_Measured at commit `{commit}`{dirty} (library tree `{p['library_tree']}`), "
        f"{versions}; {p['machine']}, {p.get('cpu', 'processor not recorded')}._"
    )


def read_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


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
