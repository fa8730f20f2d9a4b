"""Missing prerequisites are clear messages (PrerequisiteError), never tracebacks: Java/JDK and npm
are simulated missing through PATH, the port as taken by a listening socket."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from harness import emulator
from harness.emulator import prerequisites
from harness.emulator.prerequisites import PrerequisiteError
from harness.emulator.state_folder import Paths


def _fake_tools(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        tool = folder / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.fixture
def bare_path(tmp_path, monkeypatch):
    """PATH holds only what the test puts in tmp_path/bin; no JAVA_HOME."""
    bin_dir = _fake_tools(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    return bin_dir


def test_missing_java_says_what_to_install(bare_path):
    with pytest.raises(PrerequisiteError) as caught:
        prerequisites.find_jdk()
    message = str(caught.value)
    assert message.startswith("Java is missing: `java`, `javac`, `jar` not found on PATH.")
    assert "apt-get install openjdk-17-jdk-headless" in message
    assert "JAVA_HOME" in message


def test_a_java_runtime_without_compiler_is_not_enough(bare_path):
    _fake_tools(bare_path, "java")
    with pytest.raises(PrerequisiteError, match=r"not a JDK: `javac`, `jar` not found"):
        prerequisites.find_jdk()


def test_java_home_is_preferred_and_links_are_followed(bare_path, tmp_path, monkeypatch):
    jdk = tmp_path / "jdk-17"
    _fake_tools(jdk / "bin", "java", "javac", "jar")
    monkeypatch.setenv("JAVA_HOME", str(jdk))
    assert prerequisites.find_jdk() == jdk.resolve()

    monkeypatch.delenv("JAVA_HOME")
    for tool in ("java", "javac", "jar"):
        (bare_path / tool).symlink_to(jdk / "bin" / tool)
    assert prerequisites.find_jdk() == jdk.resolve()


def test_an_old_jdk_is_refused(bare_path, tmp_path, monkeypatch):
    jdk = tmp_path / "jdk-11"
    _fake_tools(jdk / "bin", "java", "javac", "jar")
    (jdk / "release").write_text('JAVA_VERSION="11.0.2"\n')
    monkeypatch.setenv("JAVA_HOME", str(jdk))
    with pytest.raises(PrerequisiteError, match=r"Java 11 found .* needs Java 17 or newer"):
        prerequisites.check_java()


def test_missing_npm_says_what_to_install(bare_path):
    with pytest.raises(PrerequisiteError) as caught:
        prerequisites.check_npm()
    assert "npm is missing" in str(caught.value)
    assert "apt-get install npm" in str(caught.value)
    _fake_tools(bare_path, "npm")
    assert prerequisites.check_npm() == str(bare_path / "npm")


def test_python_must_be_3_11():
    prerequisites.check_python((3, 11, 7))
    with pytest.raises(PrerequisiteError, match=r"Python 3.11 is required, this is Python 3.12.1"):
        prerequisites.check_python((3, 12, 1, "final", 0))


def test_the_installer_checks_before_doing_anything(bare_path, tmp_path):
    layout = Paths(tmp_path / "state")
    with pytest.raises(PrerequisiteError, match="Java is missing"):
        emulator.ensure_installed(progress=lambda line: None, layout=layout)
    assert not layout.localstack_venv.exists()


@pytest.fixture
def occupied_port():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    yield listener.getsockname()[1]
    listener.close()


def test_a_port_in_use_is_named(occupied_port):
    with pytest.raises(PrerequisiteError) as caught:
        prerequisites.check_port_free(occupied_port)
    message = str(caught.value)
    assert message.startswith(f"Port {occupied_port} is in use by another program")
    assert f"--endpoint http://localhost:{occupied_port}" in message


def test_a_free_port_passes():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    prerequisites.check_port_free(port)


def test_start_refuses_a_port_someone_else_uses_without_starting_anything(occupied_port, tmp_path):
    layout = Paths(tmp_path / "state")
    with pytest.raises(PrerequisiteError, match=f"Port {occupied_port} is in use"):
        emulator.start(occupied_port, layout=layout, progress=lambda line: None)
    assert not layout.state_file(occupied_port).exists()
    assert not layout.localstack_venv.exists()
