"""Fit overhead of a neural student: ``DistilledClassifier`` with an ``MLPStudent``, against the
same net trained on the labels and against a hand-written PyTorch loop.

Distilling into a neural student costs one teacher pass over the training rows and a slightly
larger loss per batch; the rest (the net, the epochs, the batches) is the training the student
would get on the labels anyway. The first ratio divides the distiller's fit by exactly that: the
same ``MLPStudent`` trained on the labels for the same epochs, plus one teacher pass. The target
is at most 1.10. The second ratio divides it by a plain PyTorch loop that does the distiller's
work (same module, data, batch size, optimizer, epochs and Hinton loss) without skorch, so that
what skorch's fit loop costs per batch shows.
"""

import numpy as np
import torch
import torch.nn.functional as F
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
from scipy.special import softmax
from skorch import NeuralNetClassifier

from skdistill import DistilledClassifier
from skdistill.torch import MLPStudent
from skdistill.torch._skorch import SliceLoader

NAME = "torch_overhead"
TITLE = "Fit overhead of a neural student"
TARGET = 1.10
N_TRAIN, N_TEST, N_FEATURES, N_CLASSES = 10_000, 2_000, 50, 10
HIDDEN, TEACHER_HIDDEN = (256, 256), (512, 512)
EPOCHS, BATCH_SIZE, LR = 10, 128, 1e-3
TEMPERATURE, ALPHA = 4.0, 0.9
REPEATS, QUICK_REPEATS = 9, 2
QUICK_EPOCHS = 3


def _student(epochs):
    return MLPStudent(HIDDEN, max_epochs=epochs, batch_size=BATCH_SIZE, lr=LR, random_state=0)


def _teacher_logits(teacher, X):
    return np.asarray(teacher.decision_function(X), dtype=np.float64)


def distilled(teacher, X, y, epochs):
    """The measured call: a fitted teacher, its outputs not cached, the student trained on them."""
    distiller = DistilledClassifier(
        teacher,
        _student(epochs),
        temperature=TEMPERATURE,
        alpha=ALPHA,
        memory=False,
        random_state=0,
    )
    return distiller.fit(X, y)


def _teacher_pass(teacher, X):
    """The teacher's tempered distribution on X, as the distiller computes it."""
    return softmax(_teacher_logits(teacher, X) / TEMPERATURE, axis=1)


def on_labels(teacher, X, y, epochs):
    """Baseline 1: one teacher pass (its result unused), then the student on the labels."""
    _teacher_pass(teacher, X)
    return _student(epochs).fit(X, y)


class _MLP(torch.nn.Module):
    """The architecture MLPStudent builds: linear layers with ReLU between them, logits out."""

    def __init__(self, n_features=N_FEATURES):
        super().__init__()
        layers, width = [], n_features
        for size in HIDDEN:
            layers += [torch.nn.Linear(width, size), torch.nn.ReLU()]
            width = size
        layers.append(torch.nn.Linear(width, N_CLASSES))
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, X):
        return self.layers(X)


def skorch_on_labels(teacher, X, y, epochs):
    """Baseline 2: one teacher pass, then a plain skorch net (same module) on the labels."""
    _teacher_pass(teacher, X)
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        _MLP,
        module__n_features=X.shape[1],
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X, np.searchsorted(teacher.classes_, y))


def by_hand(teacher, X, y, epochs, alpha=ALPHA):
    """Baselines 3 and 4: the distiller's work as a plain PyTorch loop (``alpha=0``: on the labels).

    The teacher pass, tempering, then for each epoch a random order of the rows in batches, the
    loss ``alpha * T**2 * KL(p_T || q_T) + (1 - alpha) * CE(z, y)`` and one Adam step.
    """
    torch.manual_seed(0)
    X_t = torch.as_tensor(X, dtype=torch.float32)
    y_t = torch.as_tensor(np.searchsorted(teacher.classes_, y))
    soft = torch.as_tensor(_teacher_pass(teacher, X), dtype=torch.float32)
    module = _MLP(X.shape[1])
    optimizer = torch.optim.Adam(module.parameters(), lr=LR)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            logits = module(X_t[rows])
            loss = (1 - alpha) * F.cross_entropy(logits, y_t[rows])
            if alpha > 0:
                log_q = F.log_softmax(logits / TEMPERATURE, dim=1)
                kl = F.kl_div(log_q, soft[rows], reduction="batchmean")
                loss = loss + alpha * TEMPERATURE**2 * kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    module.eval()
    return module


def _loader_cpu(student, X, y, epochs, iterator):
    """CPU seconds that ``iterator`` (skorch's default ``DataLoader``, or the ``SliceLoader``
    MLPStudent trains with) takes to hand out ``epochs`` epochs of the fitted student's batches."""
    net = student.net_
    dataset = net.get_dataset(X, np.searchsorted(student.classes_, y))
    with clock() as timed:
        for _ in range(epochs):
            for _ in iterator(dataset, batch_size=BATCH_SIZE, shuffle=True):
                pass
    return timed.cpu


def _accuracy(model, X, y, classes):
    if isinstance(model, NeuralNetClassifier):
        return float(np.mean(classes[model.predict(X)] == y))
    if isinstance(model, torch.nn.Module):
        with torch.no_grad():
            logits = model(torch.as_tensor(X, dtype=torch.float32)).numpy()
        return float(np.mean(classes[np.argmax(logits, axis=1)] == y))
    return float(model.score(X, y))


FIT_NAMES = {
    "distiller": "`DistilledClassifier(teacher, MLPStudent(...))`",
    "labels": "`MLPStudent(...)` on the labels",
    "skorch_labels": "skorch `NeuralNetClassifier`, same module, on the labels",
    "hand": "hand-written PyTorch loop, Hinton loss",
    "hand_labels": "hand-written PyTorch loop, on the labels (cross-entropy)",
}
# (numerator, denominator, what the ratio says)
RATIOS = {
    "labels": ("distiller", "labels", "distilled / same MLPStudent on the labels (the target)"),
    "hand": ("distiller", "hand", "distilled / hand-written loop doing the same work"),
    "mlp": ("labels", "skorch_labels", "on labels: MLPStudent / plain skorch net"),
    "skorch": ("skorch_labels", "hand_labels", "on labels: plain skorch net / hand-written loop"),
}
WAYS = {
    "distiller": distilled,
    "labels": on_labels,
    "skorch_labels": skorch_on_labels,
    "hand": by_hand,
    "hand_labels": lambda teacher, X, y, epochs: by_hand(teacher, X, y, epochs, alpha=0.0),
}


def run(quick=False):
    repeats = QUICK_REPEATS if quick else REPEATS
    epochs = QUICK_EPOCHS if quick else EPOCHS
    X, y = classification_data(N_TRAIN + N_TEST, N_FEATURES, N_CLASSES)
    X = X.astype(np.float32)
    X_train, X_test, y_train, y_test = X[:N_TRAIN], X[N_TRAIN:], y[:N_TRAIN], y[N_TRAIN:]
    with deterministic():
        teacher = MLPStudent(TEACHER_HIDDEN, max_epochs=epochs, random_state=0)
        teacher.fit(X_train, y_train)
        with clock() as teacher_pass:
            _teacher_logits(teacher, X_train)
        # one untimed run of each, which also checks that they learn alike
        accuracy = {
            way: _accuracy(fit(teacher, X_train, y_train, epochs), X_test, y_test, teacher.classes_)
            for way, fit in WAYS.items()
        }
        times = {way: [] for way in WAYS}
        ways = list(WAYS)
        for repeat in range(repeats):
            # rotate the order, so that a drift in the machine's load favours none of them
            for way in ways[repeat % len(ways) :] + ways[: repeat % len(ways)]:
                with clock() as timed:
                    WAYS[way](teacher, X_train, y_train, epochs)
                times[way].append(timed)
        fitted = _student(epochs).fit(X_train, y_train)
        loader = {
            name: median([_loader_cpu(fitted, X_train, y_train, epochs, it) for _ in range(3)])
            for name, it in (("torch", torch.utils.data.DataLoader), ("slice", SliceLoader))
        }

    def ratio(num, den, kind="cpu"):
        pairs = [getattr(n, kind) / getattr(d, kind) for n, d in zip(times[num], times[den])]
        return median(pairs), min(pairs), max(pairs)

    teacher_accuracy = float(teacher.score(X_test, y_test))
    fits = markdown_table(
        ["fit", "CPU s (median)", "wall s (median)", "test accuracy"],
        [
            [
                text,
                fmt_seconds(median([c.cpu for c in times[way]])),
                fmt_seconds(median([c.wall for c in times[way]])),
                f"{100 * accuracy[way]:.1f}%",
            ]
            for way, text in FIT_NAMES.items()
        ],
    )
    ratios = {key: ratio(num, den) for key, (num, den, _) in RATIOS.items()}
    table = markdown_table(
        ["ratio", "median (CPU)", "paired ratios, range", "median (wall)"],
        [
            [
                text,
                f"**{ratios[key][0]:.3f}**",
                f"{ratios[key][1]:.2f} to {ratios[key][2]:.2f}",
                f"{ratio(num, den, 'wall')[0]:.3f}",
            ]
            for key, (num, den, text) in RATIOS.items()
        ],
    )
    figures = [
        figure(
            f"{key}_ratio",
            f"CPU time ratio: {text}",
            [n.cpu / d.cpu for n, d in zip(times[num], times[den])],
            ".3f",
        )
        for key, (num, den, text) in RATIOS.items()
    ]
    headline = ratios["labels"][0]
    verdict = (
        f"Distilled fit / the same `MLPStudent` on the labels: **{headline:.3f}**, "
        + (
            f"within the target of {TARGET:.2f}."
            if headline <= TARGET
            else f"over the target of {TARGET:.2f}."
        )
        + f" Against a hand-written PyTorch loop doing the same work: **{ratios['hand'][0]:.3f}**."
        " On the labels alone, `MLPStudent` costs"
        f" {ratios['mlp'][0]:.3f} times a plain skorch net with the same module, and the plain"
        f" skorch net {ratios['skorch'][0]:.3f} times the hand-written loop. Drawing the batches"
        f" explains much of the latter: {epochs} epochs of batches from skorch's default training"
        f" `DataLoader` take {fmt_seconds(loader['torch'])} CPU s (median of 3 passes), because it"
        " takes each batch from skorch's `Dataset` one row at a time and collates the rows;"
        " `MLPStudent` trains with skdistill's `SliceLoader`, which slices each batch out of whole"
        f" tensors as the loop does, in {fmt_seconds(loader['slice'])} s. What remains of the"
        f" difference to the loop is skorch's per-batch bookkeeping (callbacks, history) and, for"
        " the distiller, the loss hook unpacking the teacher's columns."
    )
    body = f"""
Fit time of `DistilledClassifier(teacher, MLPStudent(hidden_layer_sizes={HIDDEN},
max_epochs={epochs}, batch_size={BATCH_SIZE}), temperature={TEMPERATURE:g}, alpha={ALPHA:g},
memory=False)` with an already fitted teacher (an `MLPStudent{TEACHER_HIDDEN}`; one pass over the
training rows takes {fmt_seconds(teacher_pass.cpu)} CPU s), against four fits that run the same
{epochs} epochs of Adam (lr {LR:g}) in batches of {BATCH_SIZE} on the same rows and the same
module: the same `MLPStudent` on the labels (the target is a ratio of at most {TARGET:.2f}); a
plain skorch `NeuralNetClassifier` on the labels; a hand-written PyTorch loop with the same Hinton
loss; and that loop on the labels (cross-entropy). Each of the four also makes one teacher pass
and tempers it, as the distiller does, so that every ratio compares the training alone. Data:
`make_classification` with {N_TRAIN:,} training and {N_TEST:,} test rows, {N_FEATURES} features,
{N_CLASSES} classes (`random_state=0`). Times are medians of {repeats} runs of each, in rotating
order after one untimed run of each, in CPU seconds of the benchmark process (torch and BLAS on one
thread); each ratio is the median of the {repeats} paired ratios of one round. Test accuracies
come from the untimed runs and check that the fits learn alike (teacher:
{100 * teacher_accuracy:.1f}%).

{fits}

{table}

{verdict}
"""
    return Section(NAME, TITLE, body, figures)
