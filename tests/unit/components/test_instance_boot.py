"""An instance's boot script, run here with stand-ins on the PATH for what needs EC2 (the package
manager, the CLI's copy from S3, systemd, the user database) under a root folder of its own: it
installs the bundle, writes the environment and the unit, and starts the service."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from components.instance_boot import (
    APP_DIR,
    ENVIRONMENT_FILE,
    SERVICE,
    UNIT_FILE,
    BootSpec,
    environment_file,
    systemd_unit,
    user_data,
)
from harness.fleet import local_instance

SPEC = BootSpec(
    "imagepipe-dev-images",
    "bundles/web-1a2b3c.zip",
    {"IMAGES_TABLE": "imagepipe-dev-images", "IMAGES_BASE_URL": "https://d1.cloudfront.net", "ODD": 'a "b" \\ $c'},
)
# The harness's stand-ins (harness/fleet/local_instance.py), an S3 copy from a local file, and this Python.
STANDINS = {
    **local_instance.STANDINS,
    "aws": 'echo "aws $*" >> "$IMAGEPIPE_CALLS"; cp "$IMAGEPIPE_BUNDLE" "$4"',
    "python3.11": f'exec {sys.executable} "$@"',
}


@pytest.fixture
def booted(tmp_path: Path) -> tuple[Path, list[str]]:
    """The script run under `tmp_path/root` with the stand-ins; the root and the commands called."""
    bin_dir, root, calls = tmp_path / "bin", tmp_path / "root", tmp_path / "calls"
    bin_dir.mkdir()
    for name, body in STANDINS.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("handlers/web/environment.py", "# the app\n")
    script = tmp_path / "user-data"
    script.write_text(user_data(SPEC))
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "IMAGEPIPE_ROOT": str(root),
        "IMAGEPIPE_CALLS": str(calls),
        "IMAGEPIPE_BUNDLE": str(bundle),
    }
    subprocess.run(["bash", str(script)], env=environment, check=True, capture_output=True, text=True)
    return root, calls.read_text().splitlines()


def test_the_script_installs_the_bundle_and_starts_the_service(booted):
    root, calls = booted
    assert (root / APP_DIR.lstrip("/") / "app/handlers/web/environment.py").read_text() == "# the app\n"
    assert (root / ENVIRONMENT_FILE.lstrip("/")).read_text() == environment_file(SPEC)
    assert (root / UNIT_FILE.lstrip("/")).read_text() == systemd_unit(SPEC)
    assert calls[0] == "dnf install -y python3.11 python3.11-pip"
    assert calls[1].startswith("useradd --system")
    assert calls[2].startswith("aws s3 cp s3://imagepipe-dev-images/bundles/web-1a2b3c.zip ")
    assert calls[3:] == ["systemctl daemon-reload", f"systemctl enable --now {SERVICE}"]


def test_the_environment_file_quotes_each_value_as_systemd_reads_it():
    assert environment_file(SPEC).splitlines() == [
        'IMAGES_BASE_URL="https://d1.cloudfront.net"',
        'IMAGES_TABLE="imagepipe-dev-images"',
        'ODD="a \\"b\\" \\\\ $c"',
    ]


def test_the_unit_runs_the_app_under_gunicorn_unprivileged_and_restarts_it():
    unit = systemd_unit(SPEC)
    assert "ExecStart=/usr/bin/python3.11 -m gunicorn --bind 0.0.0.0:8000 --workers 2" in unit
    assert "'handlers.web.environment:app_from_environment()'" in unit
    assert "User=imagepipe" in unit and "Restart=always" in unit and f"EnvironmentFile={ENVIRONMENT_FILE}" in unit


@pytest.mark.parametrize(
    ("environment", "said"),
    [({"lower": "x"}, "is not NAME_LIKE_THIS"), ({"NAME": "two\nlines"}, "holds a line break")],
)
def test_what_an_environment_file_cannot_hold_is_refused(environment, said):
    with pytest.raises(ValueError, match=said):
        BootSpec("bucket", "key", environment)
