"""
==================================================
Distil a neural network into an interpretable tree
==================================================

A multi-layer perceptron reads handwritten digits well, but nobody can read the perceptron. A
decision tree of depth 8 can be read, but trained on the labels it is much less accurate. Here the
tree learns from the network instead: from its probabilities on the training images and on 2,000
synthetic images drawn between pairs of them (mixup), which the network labels. Between two
digits the network says how sure it is, and the tree learns that too.

Four models are compared on held-out images, over five splits of the data (seeds 0 to 4): the
network (the teacher), the tree trained on the labels, the tree trained on the network's *hard*
labels over the same rows ("mimic", what a user can do by hand in three lines) and the distilled
tree. The script prints the medians with their range over the seeds, the first rules of a
distilled tree, and writes a figure to the file named on its command line (by default
``skdistill_demo.png`` in the current directory).
"""

# %%
# One split: the teacher and three trees of depth 8
# -------------------------------------------------
# The teacher is fitted, so the distiller uses it as it is: it is never refit. ``alpha=1`` trains
# the tree on the teacher's probabilities alone, at temperature 1; the synthetic rows come from
# :class:`~skdistill.transfer.Mixup` with the split's seed, and the mimic tree is fitted on the
# very same rows.
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, export_text

from skdistill import DistilledClassifier
from skdistill.metrics import fidelity_score
from skdistill.transfer import Mixup

SEEDS = range(5)
N_SYNTHETIC = 2_000
X, y = load_digits(return_X_y=True)


def compare(seed):
    """Accuracy, fidelity and leaves of the teacher and three trees on one split's test rows."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    teacher = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(128,), max_iter=300, random_state=seed)
    ).fit(X_train, y_train)
    tree = DecisionTreeClassifier(max_depth=8, random_state=seed)
    on_labels = clone(tree).fit(X_train, y_train)
    X_mimic = np.vstack([X_train, Mixup(random_state=seed).fit(X_train).sample(N_SYNTHETIC)])
    mimic = clone(tree).fit(X_mimic, teacher.predict(X_mimic))
    distilled = DistilledClassifier(
        teacher, tree, alpha=1.0, transfer=Mixup(random_state=seed), n_transfer=N_SYNTHETIC
    ).fit(X_train, y_train)
    trees = {
        "tree on labels": on_labels,
        "tree, mimic (hard labels)": mimic,
        "tree, distilled": distilled.student_,
    }
    row = {"teacher: MLP (128 hidden)": (teacher.score(X_test, y_test), 1.0, None)}
    for name, model in trees.items():
        row[name] = (
            model.score(X_test, y_test),
            fidelity_score(model, X_test, teacher=teacher),
            model.get_n_leaves(),
        )
    return row, distilled.student_


# %%
# Five splits, medians and ranges
# -------------------------------
# Fidelity is the share of test images on which a model predicts the network's label; it needs
# no labels. ``alpha=0`` would be exactly the tree trained on the labels, so all three trees are
# of the same kind and depth.
runs = [compare(seed) for seed in SEEDS]
rows = [row for row, _ in runs]
names = list(rows[0])


def column(name, k):
    return np.array([row[name][k] for row in rows], dtype=float)


print(f"Digits, held-out test rows; median (min-max) over {len(rows)} seeds")
print(f"{'model':<27} {'accuracy':>19} {'fidelity':>19} {'leaves':>7}")
for name in names:
    cells = []
    for k in (0, 1):
        values = column(name, k)
        cells.append(f"{np.median(values):.3f} ({values.min():.3f}-{values.max():.3f})")
    leaves = "" if rows[0][name][2] is None else f"{np.median(column(name, 2)):.0f}"
    print(f"{name:<27} {cells[0]:>19} {cells[1]:>19} {leaves:>7}")

distilled_accuracy = column("tree, distilled", 0)
print("\nAccuracy of the distilled tree minus that of the same split's other tree:")
for other, short in (("tree on labels", "tree on labels"), ("tree, mimic (hard labels)", "mimic")):
    gain = 100 * (distilled_accuracy - column(other, 0))
    print(
        f"  against {short + ':':<16} median {np.median(gain):+.1f} points "
        f"({gain.min():+.1f} to {gain.max():+.1f}); "
        f"ahead on {np.sum(gain > 0)} of {len(gain)} seeds"
    )
teacher_accuracy = column(names[0], 0)
labels_accuracy = column("tree on labels", 0)
closed = (distilled_accuracy - labels_accuracy) / (teacher_accuracy - labels_accuracy)
print(f"  share of the teacher's lead over the tree on labels closed: {np.median(closed):.0%}")
print(
    "The trees are all of depth 8; the tree on labels stops where its training rows are pure, the\n"
    "distilled one learns the teacher's probabilities on more rows and so uses more leaves."
)

# %%
# The distilled tree reads as any tree
# ------------------------------------
# ``student_`` is an ordinary ``DecisionTreeClassifier`` of the digit labels, which needs neither
# skdistill nor the network. All 256 rules would not fit a screen: its first three levels of
# splits are printed whole, and each "truncated branch" line stands for the subtree below it.
student = runs[0][1]
rules = export_text(student, feature_names=[f"x_{k}" for k in range(64)], max_depth=2)
print(
    f"\nRules of the distilled tree of seed 0 ({student.get_n_leaves()} leaves, depth "
    f"{student.get_depth()}). Pixel x_k is row k // 8, column k % 8 of the 8x8 image.\n"
    "Its first three levels of splits, whole; each 'truncated branch' line stands for the\n"
    "subtree below it:"
)
print(rules, end="")

# %%
# Accuracy and fidelity in one picture
# ------------------------------------
# Bars are medians over the seeds, dots the single seeds.
path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("skdistill_demo.png")
colors = ["tab:gray", "tab:orange", "tab:olive", "tab:blue"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
for ax, k, title in zip(axes, (0, 1), ("test accuracy", "fidelity to the teacher")):
    medians = [np.median(column(name, k)) for name in names]
    bars = ax.barh(names, medians, color=colors)
    ax.bar_label(bars, fmt="{:.3f}", label_type="center", color="white")
    for i, name in enumerate(names):
        ax.plot(column(name, k), np.full(len(rows), i), "k.", markersize=4)
    ax.set(title=f"{title} (median of {len(rows)} seeds)", xlim=(0.7, 1.02))
    ax.invert_yaxis()
axes[1].set_yticklabels([])
fig.savefig(path)
print(f"\nfigure written to {path}")

# %%
# In our run (one BLAS thread) the distilled tree was ahead of the tree trained on the labels and
# of mimic on all five seeds, over the tree on labels by a single test image on one of them: on
# the synthetic images, which lie between two digits, the network's probabilities say how sure
# it is, and its hard labels do not. It stays far from the network: a tree of depth 8 has at
# most 256 leaves, each testing one pixel at a time. docs/benchmarks.md ("Net into tree on digits
# with transfer sets") measures more synthetic rows (up to 50,000) and other generators.
#
# Without synthetic rows, distillation on the network's own training rows gains little: the
# network is sure of the images it was trained on, so its probabilities there are nearly the
# labels (see the user guide's pitfalls).
