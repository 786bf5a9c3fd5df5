"""Sphinx configuration for the skdistill documentation."""

import os
import sys

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, os.path.abspath(".."))
# _gallery_argv, named by the gallery configuration below, is imported from here
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import skdistill

project = "skdistill"
author = "skdistill developers"
copyright = "skdistill developers"
version = skdistill.__version__
release = skdistill.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
# `name` in a docstring is code, as in scikit-learn (`n_features_in_` would otherwise be a link).
default_role = "literal"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# There is no network at build time: intersphinx is loaded but given nothing to fetch.
intersphinx_mapping = {}

autosummary_generate = True
autodoc_default_options = {"members": True}

# autosummary lists the members; numpydoc listing them again gives duplicate-object warnings.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "plot_",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "reset_modules": ("matplotlib", "seaborn"),
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skdistill",),
    "backreferences_dir": "generated/backreferences",
    # each example saves its figure to the path given as its first argument (else in the
    # current directory, which for the gallery would be the examples folder)
    "reset_argv": "_gallery_argv.figure_path",
}

html_theme = "alabaster"
html_title = f"skdistill {release}"
html_static_path = []
