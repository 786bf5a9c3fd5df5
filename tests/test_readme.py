"""The README's quickstart runs as written, and the example behind `make demo` runs end to end."""

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quickstart_runs():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README has no python block"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    student = namespace["student"]
    # the shipped student is a plain scikit-learn tree of the original labels
    assert type(student).__module__.startswith("sklearn.")
    assert set(student.classes_) == {0, 1}


@pytest.mark.slow
def test_demo_example_runs(capsys):
    runpy.run_path(str(ROOT / "examples" / "plot_distill_net_into_tree.py"), run_name="__main__")
    table = capsys.readouterr().out
    assert "tree distilled (+ unlabeled pool)" in table


def test_readme_snippets_fit():
    pytest.importorskip("skorch")
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    X_train, y_train = namespace["X_train"], namespace["y_train"]
    X_test, y_test = namespace["X_test"], namespace["y_test"]
    tree = namespace["tree"].fit(X_train, y_train)
    assert tree.n_transfer_ == 20 * len(X_train)
    assert tree.score(X_test, y_test) > 0.9
    net = namespace["net"].set_params(student__max_epochs=2).fit(X_train, y_train)
    assert net.predict(X_test).shape == y_test.shape
