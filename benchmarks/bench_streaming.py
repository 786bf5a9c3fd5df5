"""Streamed against materialised transfer sets, at the same number of row-updates.

``stream_transfer=True`` draws ``n_transfer`` fresh rows for every epoch of a neural student and
has the teacher label them ``teacher_batch_size`` rows at a time as it trains; the materialised
transfer set draws ``n_transfer`` rows once and trains on them every epoch. Both fits do the same
row-updates, ``(n_train + n_transfer) x epochs``. Each fit reports its test accuracy and the
peak that ``tracemalloc`` sees of the memory allocated through Python and numpy during ``fit``.
Last, one streamed fit of 10 million row-updates in a process of its own, started first and
run beside the others, whose peak resident memory (``ru_maxrss``) is read at its end.
"""

import functools
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _common import Section, deterministic, figure, markdown_table, seed_range, spread
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

NAME = "streaming"
TITLE = "Streamed transfer sets: fresh rows every epoch"
HERE = Path(__file__).resolve().parent

# per data set: student width, epochs, transfer rows per epoch, student batch, teacher batch
SETTINGS = {
    "MNIST-5k": {"hidden": 64, "epochs": 4, "n_transfer": 8_000, "lr": 1e-3},
    "letter": {"hidden": 128, "epochs": 6, "n_transfer": 12_000, "lr": 3e-3},
}
N_TRAIN, STUDENT_BATCH, TEACHER_BATCH = 4_000, 128, 2_000
FULL = {"seeds": seed_range(3), "scale": 1.0, "big_rows": 1_000_000, "big_epochs": 10}
QUICK = {"seeds": [0], "scale": 0.1, "big_rows": 20_000, "big_epochs": 2}


@functools.lru_cache(maxsize=2)
def _data(name):
    if name == "MNIST-5k":
        from bench_hinton_mnist import load_mnist_5k

        X, y = load_mnist_5k()
    else:
        from bench_bucilua_letter import load_letter

        X, y = load_letter()
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return train_test_split(X, y, train_size=N_TRAIN, test_size=1_000, random_state=0, stratify=y)


def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def worker(job):
    """One fit in this process: accuracy, CPU seconds and peak memory, as a dict."""
    import torch

    from skdistill import DistilledClassifier
    from skdistill.torch import MLPStudent

    X_train, X_test, y_train, y_test = _data(job["data"])
    with open(job["teacher"], "rb") as f:
        teacher = pickle.load(f)
    student = MLPStudent(
        (job["hidden"],),
        lr=job["lr"],
        batch_size=job["batch"],
        max_epochs=job["epochs"],
        random_state=job["seed"],
    )
    distiller = DistilledClassifier(
        teacher,
        student,
        temperature=2.0,
        alpha=0.5,
        transfer="mixup",
        n_transfer=job["n_transfer"],
        stream_transfer=job["stream"],
        teacher_batch_size=job["teacher_batch"],
        memory=False,  # no outputs held between fits: each fit's peak is its own
        random_state=job["seed"],
    )
    with deterministic():
        torch.set_num_threads(1)
        before = _rss_bytes()
        tracemalloc.start() if job["trace"] else None
        start = time.process_time()
        distiller.fit(X_train, y_train)
        cpu = time.process_time() - start
        traced = tracemalloc.get_traced_memory()[1] if job["trace"] else 0
        tracemalloc.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        accuracy = float(distiller.score(X_test, y_test))
    return {
        "accuracy": accuracy,
        "cpu": cpu,
        "rss_before": before,
        "peak_above": max(0, peak - before),
        "traced_peak": traced,
        "row_updates": (len(X_train) + job["n_transfer"]) * job["epochs"],
    }


def _start_worker(job):
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE,
    )


def _result(process):
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the 10M-row worker failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def _teacher(name, X, y, folder):
    with deterministic():
        if name == "big":
            teacher = LogisticRegression(max_iter=1000).fit(X, y)
        else:
            teacher = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    path = Path(folder) / f"teacher_{name}.pkl"
    path.write_bytes(pickle.dumps(teacher))
    return teacher, str(path)


def run(quick=False):
    config = QUICK if quick else FULL
    results, teachers = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        X_train, _, y_train, _ = _data("letter")
        _, path = _teacher("big", X_train, y_train, folder)
        big_job = {
            "data": "letter",
            "teacher": path,
            "hidden": 32,
            "lr": 3e-3,
            "epochs": config["big_epochs"],
            "n_transfer": config["big_rows"],
            "batch": 1024,
            "teacher_batch": 10_000,
            "stream": True,
            "seed": 0,
            "trace": False,  # its peak is the process's ru_maxrss
        }
        big_process = _start_worker(big_job)
        for name, setting in SETTINGS.items():
            X_train, X_test, y_train, y_test = _data(name)
            teacher, path = _teacher(name, X_train, y_train, folder)
            teachers[name] = float(teacher.score(X_test, y_test))
            n_transfer = max(1_000, round(config["scale"] * setting["n_transfer"]))
            for seed in config["seeds"]:
                for stream in (False, True):
                    job = {
                        "data": name,
                        "teacher": path,
                        "hidden": setting["hidden"],
                        "lr": setting["lr"],
                        "epochs": setting["epochs"],
                        "n_transfer": n_transfer,
                        "batch": STUDENT_BATCH,
                        "teacher_batch": TEACHER_BATCH,
                        "stream": stream,
                        "seed": seed,
                        "trace": True,
                    }
                    results.setdefault((name, stream), []).append(worker(job))
        big = _result(big_process)
    return _section(results, teachers, big, big_job, config)


def _mib(n_bytes):
    return n_bytes / 2**20


def _section(results, teachers, big, big_job, config):
    rows, figures, reading = [], [], []
    for name in SETTINGS:
        for stream in (False, True):
            runs = results[name, stream]
            accuracy = spread([r["accuracy"] for r in runs])
            traced = spread([_mib(r["traced_peak"]) for r in runs])
            cpu = spread([r["cpu"] for r in runs])
            label = "streamed" if stream else "materialised"
            rows.append(
                [
                    name if not stream else "",
                    label,
                    f"{runs[0]['row_updates']:,}",
                    f"{accuracy:.3f}",
                    traced.fmt(lambda v: f"{v:,.0f}"),
                    cpu.fmt(lambda v: f"{v:.0f}"),
                ]
            )
            key = f"{name.split('-')[0].lower()}_{label}"
            figures += [
                figure(f"{key}_accuracy", f"{name}, {label}: test accuracy", accuracy_values(runs)),
                figure(
                    f"{key}_peak_mib",
                    f"{name}, {label}: peak MiB traced during fit",
                    [_mib(r["traced_peak"]) for r in runs],
                    ".0f",
                ),
            ]
        materialised, streamed = results[name, False], results[name, True]
        gain = spread([s["accuracy"] - m["accuracy"] for s, m in zip(streamed, materialised)])
        reading.append(
            f"{name} (teacher {teachers[name]:.3f}): streamed minus materialised accuracy "
            f"{gain:+.3f} per seed; peak memory traced during fit "
            f"{spread([_mib(r['traced_peak']) for r in streamed]).fmt(lambda v: f'{v:,.0f}')} "
            f"MiB streamed against "
            f"{spread([_mib(r['traced_peak']) for r in materialised]).fmt(lambda v: f'{v:,.0f}')}"
            " MiB materialised."
        )
    table = markdown_table(
        [
            "data",
            "transfer set",
            "row-updates",
            "test accuracy",
            "peak MiB (tracemalloc)",
            "CPU s",
        ],
        rows,
        align=["l", "l", "r", "r", "r", "r"],
    )
    n_big = big_job["n_transfer"] * big_job["epochs"]
    materialised_bytes = n_big * 16 * 8
    figures.append(
        figure("big_peak_mib", "10M streamed row-updates: peak MiB", [_mib(big["peak_above"])])
    )
    seeds = len(config["seeds"])
    return Section(
        NAME,
        TITLE,
        f"""
The teacher is a random forest (100 trees) fitted on {N_TRAIN:,} training rows; the student an
`MLPStudent` (one hidden layer: {SETTINGS["MNIST-5k"]["hidden"]} units on MNIST-5k,
{SETTINGS["letter"]["hidden"]} on letter; batches of {STUDENT_BATCH}) distilled at T=2, alpha=0.5
with `transfer="mixup"`. "materialised" draws `n_transfer` rows once and trains
on them with the training rows every epoch; "streamed" (`stream_transfer=True`) draws
`n_transfer` fresh rows for every epoch, labelled {TEACHER_BATCH:,} at a time
(`teacher_batch_size`). Both do the same row-updates, `memory=False` (no teacher outputs kept
between fits). Test accuracy on 1,000 held-out rows; median over {seeds} seeds [min, max]. "peak
MiB (tracemalloc)" is the peak of the memory allocated through Python and numpy during `fit`
above what was in use before (the transfer rows, their targets, the packed arrays the student
is trained from; torch's own activations, the same in both, are not traced). One thread.

{table}

{" ".join(reading)}

One streamed fit of {n_big + N_TRAIN * big_job["epochs"]:,} row-updates on letter
({big_job["n_transfer"]:,} fresh rows per epoch, {big_job["epochs"]} epochs, a logistic-regression
teacher, a 32-unit `MLPStudent`, batches of 1,024, `teacher_batch_size=10,000`): peak memory
{_mib(big["peak_above"]):,.0f} MiB above the start of fit (resident before fit
{_mib(big["rss_before"]):,.0f} MiB), {big["cpu"]:.0f} CPU s, test accuracy
{big["accuracy"]:.3f}. The same rows drawn at once would take
{materialised_bytes / 2**30:,.1f} GiB for X alone (float64), before their targets.
""",
        figures,
    )


def accuracy_values(runs):
    return [r["accuracy"] for r in runs]


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--worker":
    sys.path[:0] = [str(HERE.parent), str(HERE)]  # this checkout's skdistill, and _common
    print(json.dumps(worker(json.loads(sys.argv[2]))))
