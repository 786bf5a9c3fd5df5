"""The README runs as a reader runs it, shows what it prints, and says what is true.

Its python blocks run in order in one namespace, as a reader pastes them into one session: a later
block must not rebind a name an earlier one made (the quickstart's objects stay what it showed),
and a block followed by a ```text block must print that text.
"""

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
HAS_TORCH = all(importlib.util.find_spec(name) for name in ("torch", "skorch"))
# Printed figures are compared to those shown to 0.01: the network's probabilities round
# differently with other BLAS builds and thread counts, which can tip a split of the distilled
# tree (two threads instead of one moved one seed's accuracy by 0.007).
TOLERANCE = 0.01


def python_blocks(text):
    """(block, shown output or None) for each ```python block; the output is a ```text block
    that follows it before the next python block."""
    parts = re.split(r"```python\n(.*?)```", text, flags=re.S)
    pairs = []
    for block, after in zip(parts[1::2], parts[2::2]):
        shown = re.search(r"```text\n(.*?)```", after, flags=re.S)
        pairs.append((block, shown.group(1) if shown else None))
    return pairs


def needs_torch(block):
    return re.search(r"^\s*(from|import) (torch|skorch|skdistill\.torch)\b", block, re.M)


def numbers_and_words(text):
    """The text split into its numbers (floats) and everything else (words, spacing collapsed)."""
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+", text)]
    words = " ".join(re.sub(r"-?\d+\.\d+", "#", text).split())
    return numbers, words


@pytest.fixture(scope="module")
def readme_run():
    """Run every block in order in one namespace; the torch blocks only where torch is."""
    namespace, printed, rebound = {}, {}, []
    # one BLAS thread: the figures the README shows were made so, and it is faster on 2 cores
    with threadpool_limits(1):
        for number, (block, _) in enumerate(python_blocks(README)):
            if needs_torch(block) and not HAS_TORCH:
                continue
            before = dict(namespace)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block, f"README.md python block {number}", "exec"), namespace)
            printed[number] = out.getvalue()
            rebound += [
                f"{name!r} (block {number})"
                for name in before
                if name != "__builtins__" and namespace[name] is not before[name]
            ]
    return namespace, printed, rebound


def test_readme_has_no_duplicated_section():
    blocks = [block for block, _ in python_blocks(README)]
    assert len(set(blocks)) == len(blocks), "a python block of the README appears twice"
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", README)]
    long = [p for p in paragraphs if len(p) > 60]
    repeated = {p[:70] for p in long if long.count(p) > 1}
    assert not repeated, f"paragraphs that appear twice in the README: {sorted(repeated)}"
    headings = re.findall(r"^#+ .*$", README, flags=re.M)
    assert len(set(headings)) == len(headings)


def test_readme_blocks_do_not_rebind_names_of_earlier_blocks(readme_run):
    _, _, rebound = readme_run
    assert not rebound, (
        f"README blocks rebind names made by an earlier block: {rebound}; a reader running them "
        "in order loses the earlier object. Give the later block its own names."
    )


def test_readme_prints_what_it_shows(readme_run):
    _, printed, _ = readme_run
    shown_blocks = [n for n, (_, shown) in enumerate(python_blocks(README)) if shown is not None]
    assert 0 in shown_blocks, "the quickstart must show what it prints"
    for number in shown_blocks:
        if number not in printed:  # a torch block where torch is not installed
            continue
        shown = python_blocks(README)[number][1]
        got_numbers, got_words = numbers_and_words(printed[number])
        want_numbers, want_words = numbers_and_words(shown)
        assert got_words == want_words, f"block {number} printed:\n{printed[number]}"
        np.testing.assert_allclose(
            got_numbers,
            want_numbers,
            atol=TOLERANCE,
            err_msg=f"block {number} printed other figures than the README shows:\n"
            f"{printed[number]}",
        )


def test_quickstart_distilled_tree_beats_labels_and_mimic_in_the_median(readme_run):
    namespace, _, _ = readme_run
    scores = namespace["scores"]
    assert len(scores) == 5  # the README says five seeds

    def median(name):
        return np.median([score[name] for score in scores])

    # held-out accuracy, as the README's text says: the distilled tree is ahead of both trees
    assert median("tree, distilled") > median("tree, mimic") > median("tree on labels")
    assert median("teacher: MLP") > median("tree, distilled")


def test_readme_later_blocks_ship_a_plain_tree_and_fit_a_net(readme_run):
    namespace, _, _ = readme_run
    student = namespace["student"]
    assert type(student).__module__.startswith("sklearn.tree")
    assert set(student.classes_) == set(range(10))
    if not HAS_TORCH:
        pytest.skip("the neural block needs torch and skorch (the torch extra)")
    net, X_test = namespace["net"], namespace["X_test"]
    assert net.student_method_ == "native"
    assert set(np.unique(net.predict(X_test))) <= set(range(10))


def _load_test_module(name):
    spec = importlib.util.spec_from_file_location(f"_readme_{name}", ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_counts_the_expected_failures_of_the_estimator_checks():
    pytest.importorskip("skorch")  # both files check neural estimators
    common = _load_test_module("test_common")
    distillers = sum(len(common.expected_failed_checks(e)) for e in common.ESTIMATORS)
    mlp = len(_load_test_module("test_torch_mlp").EXPECTED_FAILED_CHECKS)
    claimed = re.search(
        r"estimator checks with (\d+) expected failures for the distillers and (\d+) for "
        r"`skdistill.torch.MLPStudent`",
        " ".join(README.split()),
    )
    assert claimed, "the README must say how many estimator checks are expected to fail"
    assert (int(claimed.group(1)), int(claimed.group(2))) == (distillers, mlp), (
        f"the README says {claimed.group(1)} and {claimed.group(2)} expected failures, "
        f"tests/test_common.py lists {distillers} and tests/test_torch_mlp.py {mlp}: update "
        "the README"
    )


def test_readme_names_the_extras_and_the_torch_pin():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = set(pyproject["project"]["optional-dependencies"])
    text = " ".join(README.split())
    paragraph = re.search(r"The extras are (.*?)\. Several combine", text)
    assert paragraph, "the README lists the extras in one sentence"
    assert set(re.findall(r"`(\w+)` \(", paragraph.group(1))) == extras
    pin = re.search(r"^torch==(\S+)", (ROOT / "constraints.txt").read_text(), flags=re.M)
    assert f"torch=={pin.group(1)}" in README
    assert "pip install skdistill" not in text, "skdistill is not on the package index yet"
