"""What a distiller says while it fits (``verbose``): a line per step, with the time elapsed.

The steps live in several modules (the teacher's batches are asked in ``_teacher``), so the
distiller's fit sets the current log in a context variable and each step calls :func:`say`, which
prints nothing outside a verbose fit. A distiller nested in another (as its teacher) sets its own
log, so a quiet inner distiller stays quiet under a verbose outer one.
"""

import contextvars
import functools
import time

_LOG = contextvars.ContextVar("skdistill_log", default=None)


class _Log:
    def __init__(self, owner):
        self.owner = owner
        self.start = time.perf_counter()

    def __call__(self, message):
        elapsed = time.perf_counter() - self.start
        print(f"[{self.owner}] {message} ({elapsed:.1f}s elapsed)", flush=True)


def say(message):
    """Print ``message`` when a verbose distiller is fitting; else nothing."""
    log = _LOG.get()
    if log is not None:
        log(message)


def logged_fit(fit):
    """Decorate a distiller's ``fit``: its steps print when ``self.verbose`` is set."""

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        token = _LOG.set(_Log(type(self).__name__) if self.verbose else None)
        try:
            result = fit(self, *args, **kwargs)
            say("fit done")
            return result
        finally:
            _LOG.reset(token)

    return wrapper
