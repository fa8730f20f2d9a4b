"""How an instance of the instances tier boots: the user data its launch template carries, a shell
script that installs the web app's bundle and runs the app under gunicorn as a systemd service, with
the same environment contract as the web function (`handlers.contract.Env`).

On EC2 (Amazon Linux 2023) the script installs Python from the distribution's repositories (served
from S3, so the S3 gateway endpoint is enough: no NAT), copies the bundle from the images bucket with
the AWS CLI (under a key only the instances may read), unpacks it, writes the environment file and
the unit, and starts the service. Every path is under `$IMAGEPIPE_ROOT` (empty on EC2) and every
command is looked up on the PATH, so the harness runs this same script on one machine with stand-ins
for the package manager, the CLI's copy and systemd, and a broken script fails there first.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

APP_PORT = 8000
SERVICE = "imagepipe-web"
PYTHON = "python3.11"  # Amazon Linux 2023's package (its default python3 is 3.9)
APP_DIR = "/opt/imagepipe"
ENVIRONMENT_FILE = "/etc/imagepipe/web.env"
UNIT_FILE = f"/etc/systemd/system/{SERVICE}.service"
APP = "handlers.web.environment:app_from_environment()"
_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


@dataclass(frozen=True)
class BootSpec:
    """What an instance needs to boot: where its bundle is, the app's environment (the web
    function's, and the region: boto3 does not ask the instance's metadata for it), how it serves."""

    bundle_bucket: str
    bundle_key: str
    environment: Mapping[str, str] = field(default_factory=dict)
    port: int = APP_PORT
    workers: int = 2

    def __post_init__(self) -> None:
        for name, value in self.environment.items():
            if not _NAME.match(name):
                raise ValueError(f"environment variable name {name!r} is not NAME_LIKE_THIS")
            if "\n" in value or "\r" in value:
                raise ValueError(f"the value of {name} holds a line break, which an environment file cannot")


def environment_file(spec: BootSpec) -> str:
    """The service's environment, one `NAME="value"` a line (systemd's EnvironmentFile syntax)."""
    lines = [f"{name}={_quoted(value)}" for name, value in sorted(spec.environment.items())]
    return "".join(f"{line}\n" for line in lines)


def systemd_unit(spec: BootSpec) -> str:
    """The unit that runs the app under gunicorn, restarted when it exits, as an unprivileged user."""
    return f"""[Unit]
Description=imagepipe web app (gunicorn)
After=network-online.target
Wants=network-online.target

[Service]
User=imagepipe
WorkingDirectory={APP_DIR}/app
EnvironmentFile={ENVIRONMENT_FILE}
Environment=PYTHONPATH={APP_DIR}/app
ExecStart=/usr/bin/{PYTHON} -m gunicorn --bind 0.0.0.0:{spec.port} --workers {spec.workers} --access-logfile - '{APP}'
Restart=always
RestartSec=2
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict

[Install]
WantedBy=multi-user.target
"""


def user_data(spec: BootSpec) -> str:
    """The launch template's user data: the boot script (plain text; the template base64-encodes it)."""
    bundle = shlex.quote(f"s3://{spec.bundle_bucket}/{spec.bundle_key}")
    return f"""#!/bin/bash
# imagepipe: boot an instance of the web tier (components/instance_boot.py)
set -euo pipefail
root="${{IMAGEPIPE_ROOT:-}}"
dnf install -y {PYTHON} {PYTHON}-pip
id imagepipe >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin imagepipe
mkdir -p "$root{APP_DIR}" "$root$(dirname {ENVIRONMENT_FILE})" "$root$(dirname {UNIT_FILE})"
aws s3 cp {bundle} "$root{APP_DIR}/bundle.zip"
rm -rf "$root{APP_DIR}/app"
{PYTHON} -m zipfile -e "$root{APP_DIR}/bundle.zip" "$root{APP_DIR}/app"
cat > "$root{ENVIRONMENT_FILE}" <<'IMAGEPIPE_ENVIRONMENT'
{environment_file(spec)}IMAGEPIPE_ENVIRONMENT
chmod 0640 "$root{ENVIRONMENT_FILE}"
cat > "$root{UNIT_FILE}" <<'IMAGEPIPE_UNIT'
{systemd_unit(spec)}IMAGEPIPE_UNIT
systemctl daemon-reload
systemctl enable --now {SERVICE}
"""


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
