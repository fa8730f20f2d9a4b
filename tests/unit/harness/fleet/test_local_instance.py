"""A local instance boots from the launch template's own user data, with the instances tier's own
bundle from S3 (a moto server here), and serves the web app under gunicorn from the bundle alone;
a broken user data or a bundle that is not there fails the boot, saying why."""

from __future__ import annotations

import sys
import urllib.request

import pytest

from components.instance_boot import BootSpec, user_data
from handlers.contract import Env
from harness.fleet.local_instance import BootFailed, boot, service_of, start
from harness.polling import wait_until
from tests.unit.conftest import free_port


def test_an_instance_boots_from_its_user_data_and_serves_the_app_from_the_bundle_alone(
    tmp_path, bundle_key, app_environment, reach, processes
):
    script = user_data(BootSpec("fleet-bundles", bundle_key, app_environment))
    service = boot(script, tmp_path / "i-1", sys.executable, reach)
    assert service.cwd == tmp_path / "i-1/opt/imagepipe/app" and service.command[1:3] == ["-m", "gunicorn"]
    assert service.environment[Env.SESSION_SECRET_ARN] == app_environment[Env.SESSION_SECRET_ARN]
    port = free_port()
    process = start(service, port, tmp_path / "i-1.log", reach)
    processes.append(process.pid)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            assert process.poll() is None, (tmp_path / "i-1.log").read_text()[-2000:]
            return False

    wait_until(healthy, timeout=60, what="the instance's /api/health")


def test_a_bundle_that_is_not_there_fails_the_boot_saying_so(tmp_path, app_environment, reach):
    script = user_data(BootSpec("fleet-bundles", "bundles/missing.zip", app_environment))
    with pytest.raises(BootFailed, match=r"the user data exited 1: .*(Not Found|404)"):
        boot(script, tmp_path / "i-2", sys.executable, reach)


def test_a_user_data_that_enables_no_service_is_refused(tmp_path, reach):
    with pytest.raises(BootFailed, match="enabled no service"):
        boot("#!/bin/bash\ntrue\n", tmp_path / "i-3", sys.executable, reach)


def test_a_unit_is_read_as_systemd_reads_it(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/app.env").write_text('# comment\nA="x \\"y\\" \\\\ z"\nB=plain\n\n')
    unit = "[Service]\nEnvironmentFile=/etc/app.env\nEnvironment=PYTHONPATH=/opt/app\nWorkingDirectory=/opt/app\n"
    service = service_of(
        unit + "ExecStart=/usr/bin/python3.11 -m gunicorn --bind 0.0.0.0:8000 'm:app()'\n", tmp_path, "py"
    )
    assert service.command == ["py", "-m", "gunicorn", "--bind", "0.0.0.0:8000", "m:app()"]
    assert service.environment == {"A": 'x "y" \\ z', "B": "plain", "PYTHONPATH": str(tmp_path / "opt/app")}
    assert service.cwd == tmp_path / "opt/app"
    with pytest.raises(BootFailed, match="no ExecStart"):
        service_of("[Service]\nUser=x\n", tmp_path, "py")
