"""The benchmarks' shared machinery: spreads over seeds, recorded ranges and ``run.py --check``."""

import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def common():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _common

        yield _common
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_spread_prints_median_and_range_with_any_format(common):
    s = common.spread([0.33, 0.55, 0.70])
    assert (s.median, s.low, s.high, s.n) == (0.55, 0.33, 0.70, 3)
    assert f"{s:.2f}" == "0.55 [0.33, 0.70]"
    assert s.pct() == "55% [33, 70]"
    # compares and converts as its median, so sentences and best-of choices use the median
    assert s > 0.5 and s < 0.6 and float(s) == 0.55
    # one value, or all equal: just the value
    assert f"{common.spread([37, 37]):g}" == "37"


def test_spread_leaves_out_undefined_values(common):
    s = common.spread([float("nan"), 0.2, 0.4])
    assert s.n == 2 and math.isclose(s.median, 0.3)
    assert math.isnan(common.spread([float("nan")]).median)
    assert common.spread([]).pct() == "n/a"


def test_deterministic_sets_one_thread_and_restores(common):
    torch = pytest.importorskip("torch")
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    torch.set_num_threads(2)
    try:
        with common.deterministic():
            assert torch.get_num_threads() == 1
            assert torch.are_deterministic_algorithms_enabled()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1])


def _fake_benchmark(common, values):
    module = types.SimpleNamespace(NAME="fake", TITLE="A fake benchmark")

    def run(quick=False):
        figure = common.figure("share", "share of the gap closed", values(), "%")
        return common.Section("fake", "A fake benchmark", "Body.", [figure])

    module.run = run
    return module


def test_check_fails_when_a_rerun_leaves_the_recorded_range(common, tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        run = pytest.importorskip("run")
    finally:
        sys.path.remove(str(BENCHMARKS))
    measured = [0.50, 0.60, 0.70, 0.55, 0.65]
    values = iter([measured, [0.62, 0.58, 0.66], [0.80, 0.90, 0.95]])
    fake = _fake_benchmark(common, lambda: next(values))
    monkeypatch.setattr(run, "BENCHMARKS", {"fake": fake})
    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    page = tmp_path / "benchmarks.md"
    assert run.main(["fake", "--output", str(page)]) == 0
    recorded = json.loads((tmp_path / "results" / "fake.json").read_text())
    share = recorded["figures"]["share"]
    assert (share["low"], share["median"], share["high"]) == (0.50, 0.60, 0.70)
    assert "commit" in recorded["provenance"] and "versions" in recorded["provenance"]
    # the page shows the same range the check uses, and where it was measured
    text = page.read_text()
    assert "| share of the gap closed | 60% | 50% to 70% | 5 |" in text
    assert "_Measured at commit" in text
    assert run.main(["--check", "fake"]) == 0  # median 0.62: inside
    assert run.main(["--check", "fake"]) == 1  # median 0.90: outside


def test_check_without_recorded_figures_fails(common, tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        run = pytest.importorskip("run")
    finally:
        sys.path.remove(str(BENCHMARKS))
    fake = _fake_benchmark(common, lambda: [0.5])
    monkeypatch.setattr(run, "BENCHMARKS", {"fake": fake})
    monkeypatch.setattr(run, "RESULTS", tmp_path)
    assert run.main(["--check", "fake"]) == 1


def test_a_timing_figure_is_checked_with_its_slack(common, tmp_path, monkeypatch):
    """Repeats of a CPU-time ratio in one run vary less than two runs do: a re-run's median just
    beside the recorded repeats passes within the slack, and a real change still fails."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        run = pytest.importorskip("run")
    finally:
        sys.path.remove(str(BENCHMARKS))
    ratios = iter([[0.370, 0.371, 0.372], [0.3734] * 3, [0.45] * 3])
    fake = types.SimpleNamespace(NAME="fake", TITLE="A fake benchmark")

    def measure(quick=False):
        figure = common.figure("ratio", "CPU ratio", next(ratios), ".3f", common.TIMING_SLACK)
        return common.Section("fake", "A fake benchmark", "Body.", [figure])

    fake.run = measure
    monkeypatch.setattr(run, "BENCHMARKS", {"fake": fake})
    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    assert run.main(["fake", "--output", str(tmp_path / "benchmarks.md")]) == 0
    recorded = json.loads((tmp_path / "results" / "fake.json").read_text())["figures"]["ratio"]
    # widened by 5% of the median (0.371) on either side
    assert recorded["low"] == pytest.approx(0.370 - 0.05 * 0.371)
    assert recorded["high"] == pytest.approx(0.372 + 0.05 * 0.371)
    assert run.main(["--check", "fake"]) == 0  # 0.3734: beside [0.370, 0.372], inside the slack
    assert run.main(["--check", "fake"]) == 1  # 0.45: a change


def test_every_recorded_figure_is_shown_on_the_docs_page():
    """results/<name>.json and docs/benchmarks.md carry the same ranges."""
    page = (BENCHMARKS.parent / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    recorded = sorted((BENCHMARKS / "results").glob("*.json"))
    assert recorded, "no recorded figures: run `python benchmarks/run.py`"
    for path in recorded:
        for figure in json.loads(path.read_text(encoding="utf-8"))["figures"].values():
            assert f"| {figure['label']} |" in page, (path.name, figure["label"])
            values = np.asarray(figure["values"], dtype=float)
            finite = values[np.isfinite(values)]
            if len(finite):
                # a CPU-time ratio's range is widened by its slack (a share of the median)
                margin = figure.get("slack", 0.0) * abs(figure["median"])
                assert figure["low"] == finite.min() - margin
                assert figure["high"] == finite.max() + margin
