"""The deployment package: handlers plus wheels for the target, reproducible and cached by content."""

from __future__ import annotations

import ast
import gzip
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from components.package import (
    PackageBuildError,
    PackageSpec,
    build_package,
    handlers_spec,
    package_names,
    prune_sdk_data,
    requirement_texts,
)
from handlers.contract import INSTANCE_BUNDLE, PACKAGES, SDK_SERVICES

ROOT = Path(__file__).resolve().parents[3]


def _spec(source_dir: Path, requirements: Path, **overrides) -> PackageSpec:
    return PackageSpec(
        **{
            "source_dir": source_dir,
            "requirements": requirements,
            "runtime": "python3.11",
            "architecture": "x86_64",
            **overrides,
        }
    )


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    package = tmp_path / "handlers"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "entry.py").write_text("def handler(event, context):\n    return event\n")
    (package / "__pycache__" / "entry.cpython-311.pyc").write_bytes(b"stale")
    return package


CACHE = ROOT / "build" / "lambda-packages"  # the program's own: each package is built once per content
HANDLER = re.compile(r"handlers(\.\w+)*\.\w*handler")  # a function's handler, as the components name it
LIBRARIES = {"PIL/": "imaging", "zlib_ng/": "imaging", "flask/": "web", "apig_wsgi/": "web"}


KINDS = ("stage", "imaging", "web")


@pytest.mark.parametrize("name", KINDS)
def test_each_package_carries_the_handlers_the_sdk_and_only_its_own_libraries(name):
    names = zipfile.ZipFile(build_package(handlers_spec(ROOT, "python3.11", "x86_64", name), CACHE)).namelist()
    entries = {
        kind: {f"{module.replace('.', '/')}.py" for module, of in PACKAGES.items() if of == kind} for kind in KINDS
    }
    assert all(entry in names for entry in entries[name])
    assert not [entry for kind in KINDS if kind != name for entry in entries[kind] if entry in names]
    assert ("handlers/imaging/render.py" in names) == (name == "imaging")
    assert ("handlers/web/static/index.html" in names) == (name == "web")
    assert not [n for n in names if n.startswith("handlers/requirements")]
    assert "handlers/__pycache__/contract.cpython-311.pyc" in names  # bytecode shipped: no compiling at cold start
    assert any(n.startswith("aws_lambda_powertools/__pycache__/") for n in names)
    assert "boto3/__init__.py" in names
    for prefix, owner in LIBRARIES.items():
        assert any(n.startswith(prefix) for n in names) == (owner == name), prefix
    if name == "imaging":
        assert any(n.startswith("PIL/") and n.endswith(".cpython-311-x86_64-linux-gnu.so") for n in names)


def test_every_function_the_program_deploys_is_named_a_package_that_exists():
    deployed = set()
    for path in (ROOT / "components").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and HANDLER.fullmatch(node.value):
                deployed.add(node.value.rpartition(".")[0])
    assert deployed == set(PACKAGES)
    assert package_names() == ["imaging", "stage", "web"]
    with pytest.raises(PackageBuildError, match="no package named 'video'"):
        handlers_spec(ROOT, "python3.11", "x86_64", "video")


# What the functions are given besides Lambda's own variables: enough for each handler to import.
HANDLER_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1", "IMAGES_TABLE": "images", "IDEMPOTENCY_TABLE": "idempotency",
    "USERS_TABLE": "users", "SESSION_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:key",
    "IMAGES_BUCKET": "images", "IMAGES_BASE_URL": "https://cdn.example", "MAX_UPLOAD_BYTES": "1000",
    "ENHANCE_QUEUE_URL": "https://sqs.example/enhance", "NOTIFICATIONS_TOPIC_ARN": "arn:aws:sns:us-east-1:0:n",
    "COMMAND_REJECTIONS_URL": "https://sqs.example/rejections", "FINGERPRINTS_TABLE": "fingerprints",
    "SENDER_EMAIL": "mail@example.com", "MAIL_OUTBOX_TABLE": "outbox",
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(PACKAGES))
def test_each_handler_imports_from_its_package_alone(module, tmp_path):
    """In an interpreter without site-packages (`-S`): the package is all it has besides the stdlib."""
    archive = build_package(handlers_spec(ROOT, "python3.11", "x86_64", PACKAGES[module]), CACHE)
    zipfile.ZipFile(archive).extractall(tmp_path)
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), **HANDLER_ENVIRONMENT}
    script = f"import {module}, sys; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    result = subprocess.run([sys.executable, "-S", "-c", script], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-1500:]


def _sdk_tree(root: Path, services: dict[str, str]) -> Path:
    """A botocore data folder with `services` (name → endpoint prefix) and an endpoint table."""
    data = root / "botocore" / "data"
    for name, prefix in services.items():
        version = data / name / "2020-01-01"
        version.mkdir(parents=True)
        model = {"metadata": {"endpointPrefix": prefix}, "operations": {}, "shapes": {}}
        (version / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(model).encode()))
        (version / "examples-1.json").write_text("{}")
    table = {"partitions": [{"partition": "aws", "services": {prefix: {} for prefix in services.values()}}]}
    (data / "endpoints.json").write_text(json.dumps(table))
    return data


def test_pruning_keeps_the_named_services_and_their_endpoint_entries(tmp_path):
    data = _sdk_tree(tmp_path, {"s3": "s3", "ses": "email", "ec2": "ec2"})
    prune_sdk_data(tmp_path, ("s3", "ses"))
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == ["s3", "ses"]
    assert not list(data.glob("*/*/examples-1.json"))
    assert json.loads((data / "endpoints.json").read_text())["partitions"][0]["services"] == {"email": {}, "s3": {}}


def test_pruning_names_a_service_botocore_does_not_know_and_needs_botocore(tmp_path):
    _sdk_tree(tmp_path / "with", {"s3": "s3"})
    with pytest.raises(PackageBuildError, match="no service named s4"):
        prune_sdk_data(tmp_path / "with", ("s3", "s4"))
    with pytest.raises(PackageBuildError, match="boto3 must be in its requirements"):
        prune_sdk_data(tmp_path / "without", ("s3",))


def _client_services(path: Path) -> set[str]:
    """The services `path` makes clients for: `boto3.client("x", …)` and a stage's `clients("x")`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = ast.unparse(node.func)
            if name in ("boto3.client", "clients"):
                found.add(node.args[0].value)
    return found


def test_every_client_the_functions_make_is_of_a_service_the_package_keeps():
    made = set().union(*(_client_services(path) for path in (ROOT / "handlers").rglob("*.py")))
    assert made >= {"s3", "dynamodb", "sqs", "sns", "ses", "secretsmanager"}  # the scan finds them
    assert made <= set(SDK_SERVICES)


def test_equal_content_gives_equal_bytes_and_is_built_once(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    first = build_package(_spec(sources, requirements), tmp_path / "a")
    second = build_package(_spec(sources, requirements), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    built_at = first.stat().st_mtime_ns
    assert build_package(_spec(sources, requirements), tmp_path / "a") == first
    assert first.stat().st_mtime_ns == built_at
    archive = zipfile.ZipFile(first)
    assert archive.namelist() == [
        "handlers/__init__.py",
        "handlers/__pycache__/__init__.cpython-311.pyc",
        "handlers/__pycache__/entry.cpython-311.pyc",
        "handlers/entry.py",
    ]
    bytecode = archive.read("handlers/__pycache__/entry.cpython-311.pyc")
    assert bytecode != b"stale"  # compiled from the source, never copied from the source tree
    assert int.from_bytes(bytecode[4:8], "little") == 0b01  # hash-based, not checked against the source


def test_a_changed_source_or_target_is_a_new_package(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    before = _spec(sources, requirements).digest()
    assert _spec(sources, requirements, architecture="arm64").digest() != before
    (sources / "entry.py").write_text("def handler(event, context):\n    return None\n")
    assert _spec(sources, requirements).digest() != before


def test_targets_outside_lambda_python_are_refused(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    with pytest.raises(PackageBuildError, match="architecture 'sparc'"):
        build_package(_spec(sources, requirements, architecture="sparc"), tmp_path)
    with pytest.raises(PackageBuildError, match="only Python runtimes"):
        build_package(_spec(sources, requirements, runtime="nodejs20.x"), tmp_path)


def test_a_requirement_without_a_wheel_for_the_target_names_it(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("imagepipe-no-such-package-anywhere==1.0\n")
    with pytest.raises(PackageBuildError, match="imagepipe-no-such-package-anywhere"):
        build_package(_spec(sources, requirements), tmp_path)


def test_a_package_is_rebuilt_when_a_requirements_file_it_includes_changes(sources, tmp_path):
    base = tmp_path / "base.txt"
    base.write_text("")
    (tmp_path / "web.txt").write_text("# the web's\n-r base.txt\n")
    before = _spec(sources, tmp_path / "web.txt").digest()
    assert requirement_texts(tmp_path / "web.txt") == ["# the web's\n-r base.txt\n", ""]
    base.write_text("flask==3.1.3\n")
    assert _spec(sources, tmp_path / "web.txt").digest() != before


def test_the_instance_bundle_carries_the_web_app_and_gunicorn_and_serves_alone(tmp_path):
    """The instances tier's bundle: the web app's code and gunicorn, importable with nothing else."""
    archive = build_package(handlers_spec(ROOT, "python3.11", "x86_64", INSTANCE_BUNDLE), CACHE)
    names = zipfile.ZipFile(archive).namelist()
    assert "handlers/web/environment.py" in names and "handlers/web/static/index.html" in names
    assert any(n.startswith("gunicorn/") for n in names) and any(n.startswith("flask/") for n in names)
    assert not [n for n in names if n.startswith(("handlers/imaging", "handlers/stage_functions", "PIL/"))]
    zipfile.ZipFile(archive).extractall(tmp_path)
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), **HANDLER_ENVIRONMENT}
    script = "import gunicorn.app.wsgiapp, handlers.web.environment; print(gunicorn.__version__)"
    result = subprocess.run([sys.executable, "-S", "-c", script], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-1500:]
