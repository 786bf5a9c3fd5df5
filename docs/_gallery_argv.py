"""Command-line arguments sphinx-gallery gives the examples when it runs them for the docs."""

from pathlib import Path


def figure_path(gallery_conf, script_vars):
    """The example writes its figure beside its generated page, not into the examples folder."""
    return [str(Path(script_vars["target_file"]).with_suffix(".png"))]
