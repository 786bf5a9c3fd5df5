"""Without torch and skorch, everything but skdistill.torch imports and works."""

import subprocess
import sys
import textwrap


def test_the_core_works_and_the_torch_part_says_how_to_install():
    code = textwrap.dedent(
        """
        import sys

        class NotInstalled:  # as if torch and skorch were not installed
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "skorch"):
                    raise ModuleNotFoundError(f"No module named {name!r}")

        sys.meta_path.insert(0, NotInstalled())
        from sklearn.datasets import load_iris
        from sklearn.tree import DecisionTreeClassifier
        import skdistill
        from skdistill import DistilledClassifier
        from skdistill.transfer import Mixup
        X, y = load_iris(return_X_y=True)
        distiller = DistilledClassifier(
            DecisionTreeClassifier(max_depth=3), DecisionTreeClassifier(max_depth=2),
            transfer=Mixup(), n_transfer=100, random_state=0,
        ).fit(X, y)
        assert distiller.score(X, y) > 0.9
        assert "torch" not in sys.modules
        # nor the optional extras for clusters and shipping
        optional = ("dask", "distributed", "skl2onnx", "onnxruntime", "onnx", "onnxscript", "skops")
        assert not [name for name in optional if name in sys.modules], sorted(sys.modules)
        try:
            import skdistill.torch
        except ImportError as exc:
            print("IMPORT ERROR:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "skdistill[torch]"' in result.stdout
