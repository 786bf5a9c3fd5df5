"""What a new user runs first: `make demo`, the examples, `make clean`."""

import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_example(path, figure, monkeypatch):
    """Run an example as `python path figure` does and return what it printed."""
    plt = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setattr(sys, "argv", [str(path), str(figure)])
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_writes_the_figure_it_names(path, tmp_path, monkeypatch, capsys):
    if "torch" in path.read_text():
        pytest.importorskip("skorch")
    figure = tmp_path / "figure.png"
    run_example(path, figure, monkeypatch)
    assert figure.read_bytes()[:8] == PNG_SIGNATURE
    assert f"figure written to {figure}" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_shows_the_distilled_tree_ahead_and_its_rules_whole(tmp_path, monkeypatch, capsys):
    demo = ROOT / "examples" / "plot_distill_net_into_tree.py"
    run_example(demo, tmp_path / "demo.png", monkeypatch)
    out = capsys.readouterr().out
    table = {}
    for line in out.splitlines():
        for name in ("teacher", "tree on labels", "tree, mimic", "tree, distilled"):
            if line.startswith(name):
                table[name] = float(re.search(r"(\d\.\d{3}) \(", line).group(1))
    assert "median (min-max) over 5 seeds" in out
    # the median accuracy of the distilled tree, beside the teacher and the trees it is set against
    assert table["teacher"] > table["tree, distilled"] > table["tree, mimic"]
    assert table["tree, distilled"] > table["tree on labels"]
    # the rules end on whole branches: every cut branch says so, and the last line is a leaf or one
    rules = out.split("subtree below it:\n", 1)[1].split("\n\nfigure written", 1)[0]
    rules = rules.splitlines()
    assert rules and all(line.lstrip("| ").startswith("---") for line in rules)
    assert "truncated branch" in rules[-1] or "class:" in rules[-1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_clean_removes_what_the_tools_leave(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    left_behind = [
        "docs/_build/html/index.html",
        "docs/auto_examples/index.rst",
        "docs/generated/skdistill.DistilledClassifier.rst",
        "docs/sg_execution_times.rst",
        ".pytest_cache/README.md",
        ".ruff_cache/CACHEDIR.TAG",
        "skdistill_demo.png",
    ]
    kept = ["docs/index.rst", "README.md"]
    for name in left_behind + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    # VENV points at a folder that is not there, so the test cannot touch a real environment
    subprocess.run(
        ["make", "clean", "VENV=no-such-venv"], cwd=tmp_path, check=True, capture_output=True
    )
    assert [name for name in left_behind if (tmp_path / name).exists()] == []
    assert all((tmp_path / name).exists() for name in kept)
