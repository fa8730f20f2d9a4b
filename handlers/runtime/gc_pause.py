"""Python's cyclic garbage collector during a function's cold start: paused, then told to leave
what the init made alone.

A function's init makes some hundred thousand objects that live as long as its execution environment:
modules, classes, functions, botocore's service models and clients, the web app. The collector,
triggered by the count of allocations, passes over them again and again while they are being made
(the web function's import alone ran one full pass and dozens of younger ones), and a full pass over
them later costs tens of milliseconds, in the middle of some invocation. Yet the init leaves
almost no garbage (docs/benchmarks.md, "Design figures").

So, in a Lambda execution environment (`AWS_LAMBDA_FUNCTION_NAME` set), importing `handlers` pauses
the collector (:func:`pause`, called from `handlers/__init__.py`, before any other import of the
function's), and once the first call's setup is done (a stage's `prepare()`, the web app built)
:func:`resume` freezes everything made so far (`gc.freeze()`: moved to a generation no pass scans)
and turns the collector back on for what the invocations make. Anywhere else (tests, tools, the web
app under gunicorn) the collector is left as it is.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping

LAMBDA_ENVIRONMENT = "AWS_LAMBDA_FUNCTION_NAME"
"""Set by Lambda (and by the harness's executor and the cold start bench) in a function's process."""

_paused = False


def pause(environ: Mapping[str, str] = os.environ) -> bool:
    """Turn the collector off if this is a Lambda function's process and it is on; whether it did."""
    global _paused
    if _paused or LAMBDA_ENVIRONMENT not in environ or not gc.isenabled():
        return False
    gc.disable()
    _paused = True
    return True


def resume() -> bool:
    """After the first call's setup: freeze what exists and turn the collector back on, if
    :func:`pause` turned it off (else nothing); whether it did."""
    global _paused
    if not _paused:
        return False
    _paused = False
    gc.freeze()
    gc.enable()
    return True
