"""Shared fixtures: every test starts from the same seeds."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed numpy's global RNG and, when installed, torch, before every test."""
    np.random.seed(0)  # noqa: NPY002 (code under test may draw from the global RNG)
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.manual_seed(0)
        # the nets here are tiny: one thread is faster than two fighting over a small machine
        torch.set_num_threads(1)
    yield
