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


try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; without it the property tests are skipped
    pass
else:
    # `make test` runs the short, derandomized profile (the same examples on every run);
    # `make test-slow` passes --hypothesis-profile=long for many more, freshly drawn ones.
    _common = dict(
        deadline=None,
        database=None,
        print_blob=True,
        # the seeding fixture above is harmless to share between examples
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    settings.register_profile("fast", max_examples=100, derandomize=True, **_common)
    settings.register_profile("long", max_examples=1000, **_common)
    settings.load_profile("fast")
