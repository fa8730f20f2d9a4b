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

from .install import InstallError, ensure_installed, is_installed
from .paths import DEFAULT_PORT, Paths, home, layout
from .prerequisites import (
    EmulatorError,
    PrerequisiteError,
    check_install_prerequisites,
    check_port_free,
    check_start_prerequisites,
)
from .process import DEFAULT_REGION, SERVICES, Emulator, attach, health, running, start, status, stop

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_REGION",
    "SERVICES",
    "Emulator",
    "EmulatorError",
    "InstallError",
    "Paths",
    "PrerequisiteError",
    "attach",
    "check_install_prerequisites",
    "check_port_free",
    "check_start_prerequisites",
    "ensure_installed",
    "health",
    "home",
    "is_installed",
    "layout",
    "running",
    "start",
    "status",
    "stop",
]
