"""The embedded emulator: LocalStack community as a host process, with Lambda functions run by our
host-process executor (harness/lambda_executor), its state in one folder (`paths`).

    from harness import emulator

    emu = emulator.start()            # installs on first use, returns once healthy
    emu.client("s3").list_buckets()
    emulator.stop()                   # or emu.stop()

    emu = emulator.attach("http://localhost:4566")   # --endpoint: someone else's emulator

Errors meant for people (missing Java/npm, port taken, not healthy) are `EmulatorError`s
(`PrerequisiteError`, `InstallError`); print their message, not a traceback.
"""

from .install import ensure_installed
from .prerequisites import EmulatorError
from .process import Emulator, attach, running, start, stop
from .state_folder import DEFAULT_PORT, Paths, layout

__all__ = [
    "DEFAULT_PORT",
    "Emulator",
    "EmulatorError",
    "Paths",
    "attach",
    "ensure_installed",
    "layout",
    "running",
    "start",
    "stop",
]
