"""The installer's bookkeeping: what is outdated is decided by hashes of its inputs, so a second run
is a no-op and a change to the executor plugin's sources reinstalls just that part."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from harness.emulator import install
from harness.emulator.state_folder import Paths


@pytest.fixture
def fake_install(tmp_path, monkeypatch):
    """A state folder whose parts look installed, and a copy of the executor's sources."""
    source = tmp_path / "lambda_executor"
    shutil.copytree(install.EXECUTOR_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(install, "EXECUTOR_SOURCE", source)
    jdk = tmp_path / "jdk"
    (jdk / "bin").mkdir(parents=True)
    for tool in ("java", "javac", "jar"):
        (jdk / "bin" / tool).write_text("")
    layout = Paths(tmp_path / "state")
    for python in (layout.localstack_python, layout.runtime_python("python3.11")):
        python.parent.mkdir(parents=True)
        python.write_text("")
    site = layout.localstack_venv / "lib" / "python3.11" / "site-packages"
    (site / "imagepipe_lambda_executor-0.1.0.dist-info").mkdir(parents=True)
    layout.dynamodb_local.mkdir(parents=True)
    (layout.dynamodb_local / "DynamoDBLocal.jar").write_text("")
    (layout.dynamodb_local / install.DDB_AGENT_JAR).write_text("")
    layout.java_home_link.parent.mkdir(parents=True)
    layout.java_home_link.symlink_to(jdk)
    return layout, jdk, source


def test_nothing_installed_means_every_part_is_outdated(tmp_path, fake_install):
    _, jdk, _ = fake_install
    assert install.outdated_parts(Paths(tmp_path / "empty"), jdk) == [
        "localstack",
        "executor",
        "dynamodb",
        "runtime:python3.11",
    ]


def test_an_up_to_date_install_is_a_quick_no_op(fake_install, monkeypatch):
    layout, jdk, _ = fake_install
    layout.stamp_file.write_text(json.dumps(install.wanted_stamp(jdk)))
    assert install.outdated_parts(layout, jdk) == []

    monkeypatch.setattr(install, "check_install_prerequisites", lambda need_npm=True: jdk)
    monkeypatch.setattr(install, "_Runner", None)  # any install step would fail
    lines: list[str] = []
    started = time.monotonic()
    assert install.ensure_installed(lines.append, layout) is layout
    assert time.monotonic() - started < 1 and lines == []


def test_changed_executor_sources_reinstall_only_the_executor(fake_install):
    layout, jdk, source = fake_install
    layout.stamp_file.write_text(json.dumps(install.wanted_stamp(jdk)))
    supervisor = source / "imagepipe_lambda_executor" / "supervisor.py"
    supervisor.write_text(supervisor.read_text() + "\n# changed\n")
    assert install.outdated_parts(layout, jdk) == ["executor"]
    (source / "imagepipe_lambda_executor" / "__pycache__").mkdir()
    (source / "imagepipe_lambda_executor" / "__pycache__" / "x.pyc").write_bytes(b"ignored")
    assert install.outdated_parts(layout, jdk) == ["executor"]


def test_a_deleted_part_or_another_jdk_is_redone(fake_install, tmp_path):
    layout, jdk, _ = fake_install
    layout.stamp_file.write_text(json.dumps(install.wanted_stamp(jdk)))
    layout.runtime_python("python3.11").unlink()
    assert install.outdated_parts(layout, jdk) == ["runtime:python3.11"]
    assert install.outdated_parts(layout, tmp_path / "another-jdk") == ["dynamodb", "runtime:python3.11"]
