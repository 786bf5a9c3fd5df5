"""Pin the numeric libraries before any of them is imported: one thread, one code path.

``benchmarks/run.py`` imports this module first. Every thread pool gets one thread, so that a
process's CPU time is its own work and sums are always taken in the same order. On x86-64, MKL
(torch's BLAS) is asked for conditional numerical reproducibility on its AVX2 code path
(``MKL_CBWR``), ATen's own vector kernels for their AVX2 code (``ATEN_CPU_CAPABILITY``) and
OpenBLAS (numpy's and scipy's) for its Haswell kernels (``OPENBLAS_CORETYPE``): without that,
each library picks the widest instructions the processor has (AVX-512 on some machines of the
"same kind"), which adds floating-point numbers in another order, and a net trained for thousands
of steps drifts to other weights. A variable already set by the user is left as it is.

It also puts this checkout's root first on ``sys.path``: a benchmark measures the library beside it,
not another copy that an editable install elsewhere (a second worktree, a clone) would serve.
"""

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PINNED = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
if platform.machine().lower() in ("x86_64", "amd64"):
    PINNED |= {"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "OPENBLAS_CORETYPE": "Haswell"}
for _name, _value in PINNED.items():
    os.environ.setdefault(_name, _value)
