"""The dashboard's page shell and assets (handlers/web/dashboard.py): the shell for every client
route, uncached, under a strict Content-Security-Policy, with nothing of the session in it; the
assets under content-hashed names, cached for good, a changed file renamed with every module that
imports it; and the modules themselves: imports that resolve, valid syntax, no HTML strings, no
storage. What they do in a browser is tests/browser's."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError
from flask import Flask
from flask.testing import FlaskClient

from handlers.web import WebSettings, create_app, dashboard
from handlers.web.dashboard import (
    ASSETS_DIR,
    CONTENT_TYPES,
    ENTRY,
    EXTENSION,
    IMMUTABLE,
    SHELL,
    AssetError,
    Manifest,
    build_manifest,
    content_security_policy,
    origin_of,
)
from handlers.web.services import DEFAULT_MAX_UPLOAD_BYTES, Services
from tests.unit.handlers.web.conftest import MAX_UPLOAD_BYTES, PASSWORD, SECRET_KEY, Factory, csrf, sign_in

CLIENT_PATHS = ("/", "/sign-in", "/review", "/view/0123456789abcdef01234567")
IMPORT = re.compile(r"""\b(?:from|import)\s*\(?\s*["']([^"']+)["']""")
HASHED = re.compile(r"^(?P<stem>[A-Za-z0-9_-]+)\.(?P<digest>[0-9a-f]{16})(?P<suffix>\.[a-z]+)$")


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and the text inside each <script>/<style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open and data.strip():
            self.inline.append((self._open, data))


def parsed(html: bytes) -> Tags:
    tags = Tags()
    tags.feed(html.decode())
    return tags


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def asset_urls(html: bytes) -> list[str]:
    """The /assets/ URLs a page names (scripts, stylesheets, preloads, icons, images)."""
    urls = []
    for _, attributes in parsed(html).tags:
        for name in ("src", "href"):
            value = attributes.get(name)
            if value and value.startswith("/assets/"):
                urls.append(value)
    return urls


def manifest_of(app: Flask) -> Manifest:
    found: Manifest = app.extensions[EXTENSION].manifest
    return found


# The page shell


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_every_client_route_answers_the_shell_uncached(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.mimetype) == (200, "text/html")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data() == client.get("/").get_data()
    assert b'<main id="main"' in response.get_data()


@pytest.mark.parametrize("path", ["/nowhere", "/view", "/view/a/b", "/review/x", "/index.html", "/assets/"])
def test_other_paths_are_not_found(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_shell_is_the_same_for_everyone_and_holds_no_token_or_secret(client: FlaskClient) -> None:
    signed_out = client.get("/").get_data()
    token = sign_in(client).get_json()["csrf_token"]
    cookie = client.get_cookie("session")
    assert cookie is not None
    page = client.get("/").get_data()
    assert page == signed_out  # nothing of the session, the user or their images: the page asks /api/me
    for secret in (token, cookie.value, PASSWORD, SECRET_KEY.decode(), "alice"):
        assert secret.encode() not in page
    assert b"csrf" not in page.lower()


def test_the_shell_has_no_inline_script_style_or_handler(client: FlaskClient) -> None:
    tags = parsed(client.get("/").get_data())
    assert tags.inline == []
    scripts = [attributes for tag, attributes in tags.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": manifest_of(client.application).url(ENTRY)}]
    for tag, attributes in tags.tags:
        assert tag != "style"
        assert not [name for name in attributes if name.startswith("on") or name == "style"], tag


def test_the_shell_names_the_hashed_assets_and_preloads_every_module(client: FlaskClient) -> None:
    manifest = manifest_of(client.application)
    urls = asset_urls(client.get("/").get_data())
    assert manifest.url("app.css") in urls
    assert manifest.url("icon.svg") in urls
    modules = {manifest.url(source) for source in manifest.names if source.endswith(".js")}
    assert modules <= set(urls)
    for url in urls:
        assert HASHED.match(url.removeprefix("/assets/")), url


def test_the_shell_revalidates_by_its_etag(client: FlaskClient) -> None:
    first = client.get("/")
    assert first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


# The Content-Security-Policy


def test_the_policy_allows_this_origin_only_and_nothing_inline(client: FlaskClient) -> None:
    directives = policy(client.get("/").headers["Content-Security-Policy"])
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["img-src"][0] == "'self'"
    assert directives["connect-src"][0] == "'self'"
    everything = " ".join(source for sources in directives.values() for source in sources)
    assert "unsafe" not in everything and "*" not in everything and "data:" not in everything


def test_the_policy_lets_the_page_post_to_the_upload_forms_origin(client: FlaskClient) -> None:
    asked = {"file_name": "cat.jpg", "content_type": "image/jpeg"}
    form = client.post("/api/uploads", json=asked, headers=csrf(client))
    assert form.status_code == 200, form.get_json()
    directives = policy(client.get("/").headers["Content-Security-Policy"])
    assert directives["connect-src"] == ["'self'", origin_of(form.get_json()["url"])]
    assert directives["connect-src"][1].startswith("https://")


def test_the_first_page_makes_the_s3_client_once_for_its_policy(lazy_app: Flask, s3_factory: Factory) -> None:
    client = lazy_app.test_client()
    assert client.get("/api/health").status_code == 200 and s3_factory.calls == 0
    first = policy(client.get("/").headers["Content-Security-Policy"])
    assert first["connect-src"] == ["'self'", "https://images.s3.amazonaws.com"]
    assert s3_factory.calls == 1
    asked = {"file_name": "cat.jpg", "content_type": "image/jpeg"}
    form = client.post("/api/uploads", json=asked, headers=csrf(client))
    assert form.status_code == 200 and origin_of(form.get_json()["url"]) == first["connect-src"][1]
    assert policy(client.get("/review").headers["Content-Security-Policy"]) == first
    assert s3_factory.calls == 1


def test_the_policy_lets_the_page_show_the_cdns_images(settings: WebSettings, services: Services) -> None:
    app = create_app(settings, replace(services, images_base_url="https://d111.cloudfront.example/"))
    directives = policy(app.test_client().get("/").headers["Content-Security-Policy"])
    assert directives["img-src"] == ["'self'", "https://d111.cloudfront.example"]


def test_without_a_bucket_or_a_cdn_the_policy_is_this_origin_only(settings: WebSettings, services: Services) -> None:
    app = create_app(settings, replace(services, s3=None, images_bucket=None, images_base_url=None))
    directives = policy(app.test_client().get("/").headers["Content-Security-Policy"])
    assert (directives["img-src"], directives["connect-src"]) == (["'self'"], ["'self'"])
    bare = create_app(WebSettings(secret_key=b"k" * 32), services=None)  # type: ignore[arg-type]
    assert policy(bare.test_client().get("/").headers["Content-Security-Policy"])["connect-src"] == ["'self'"]


def test_an_s3_client_that_cannot_sign_yet_is_asked_again(
    client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_credentials(**_: Any) -> dict[str, Any]:
        raise NoCredentialsError()

    with monkeypatch.context() as patched:
        patched.setattr(services.s3, "generate_presigned_post", no_credentials)
        first = client.get("/")
    assert first.status_code == 200
    assert policy(first.headers["Content-Security-Policy"])["connect-src"] == ["'self'"]
    assert len(policy(client.get("/").headers["Content-Security-Policy"])["connect-src"]) == 2


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:4566/images", "http://127.0.0.1:4566"),
        ("https://images.s3.amazonaws.com/", "https://images.s3.amazonaws.com"),
        ("https://s3.eu-west-1.amazonaws.com/my.bucket", "https://s3.eu-west-1.amazonaws.com"),
        ("https://CDN.example.org:443/x", "https://cdn.example.org"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("ftp://example.org/", None),
        ("/relative", None),
        ("http://example.org:99999/", None),
        (None, None),
    ],
)
def test_origins_of_urls(url: str | None, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_a_policy_lists_each_source_once() -> None:
    text = content_security_policy("http://127.0.0.1:4580", "http://127.0.0.1:4580")
    assert policy(text)["img-src"] == ["'self'", "http://127.0.0.1:4580"]


# The assets


def test_every_asset_is_served_immutable_with_its_content_type(client: FlaskClient) -> None:
    manifest = manifest_of(client.application)
    sources = {path.name for path in ASSETS_DIR.iterdir() if path.suffix in CONTENT_TYPES}
    assert set(manifest.names) == sources and {"main.js", "app.css", "icon.svg"} <= sources
    for name, asset in manifest.assets.items():
        response = client.get(f"/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable" == IMMUTABLE
        assert response.headers["Content-Type"] == CONTENT_TYPES[Path(name).suffix]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_data() == asset.body
        revalidated = client.get(f"/assets/{name}", headers={"If-None-Match": response.headers["ETag"]})
        assert revalidated.status_code == 304


def test_content_types_are_the_browsers(client: FlaskClient) -> None:
    manifest = manifest_of(client.application)
    kinds = {Path(name).suffix: client.get(f"/assets/{name}").mimetype for name in manifest.assets}
    assert kinds == {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def test_an_asset_is_named_by_the_hash_of_what_is_served(client: FlaskClient) -> None:
    for name, asset in manifest_of(client.application).assets.items():
        match = HASHED.match(name)
        assert match, name
        assert match["digest"] == hashlib.sha256(asset.body).hexdigest()[:16]
        assert f"{match['stem']}{match['suffix']}" == asset.source


@pytest.mark.parametrize(
    "path",
    [
        "/assets/main.js",  # the file's own name: only hashed names are served
        "/assets/main.0000000000000000.js",
        "/assets/index.html",
        f"/assets/{SHELL}",
        "/assets/..%2Fdashboard.py",
        "/assets/../dashboard.py",
        "/assets/dashboard.py",
    ],
)
def test_unknown_assets_are_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_modules_import_siblings_by_their_served_names_only(client: FlaskClient) -> None:
    manifest = manifest_of(client.application)
    served = set(manifest.assets)
    imported: set[str] = set()
    for asset in manifest.assets.values():
        if not asset.source.endswith(".js"):
            continue
        for specifier in IMPORT.findall(asset.body.decode()):
            assert specifier.startswith("./"), f"{asset.source} imports {specifier}"
            assert specifier[2:] in served, f"{asset.source} imports {specifier}, which is not served"
            imported.add(manifest.assets[specifier[2:]].source)
    modules = {source for source in manifest.names if source.endswith(".js")}
    assert modules - imported == {ENTRY}, "modules no other imports (dead code) or the entry imported"


def test_served_assets_are_the_files_with_only_their_imports_renamed(client: FlaskClient) -> None:
    manifest = manifest_of(client.application)
    for asset in manifest.assets.values():
        text = asset.body.decode()
        for source, name in manifest.names.items():
            text = text.replace(f"./{name}", f"./{source}")
        assert text.encode() == (ASSETS_DIR / asset.source).read_bytes(), asset.source


# A changed file


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A copy of the dashboard's files to change."""
    directory = tmp_path / "dashboard"
    shutil.copytree(ASSETS_DIR, directory)
    return directory


def test_a_changed_file_gets_a_new_name_and_so_does_every_module_importing_it(copied: Path) -> None:
    before = build_manifest(copied)
    with (copied / "format.js").open("a") as module:
        module.write("\n// changed\n")
    after = build_manifest(copied)
    renamed = {source for source in before.names if before.names[source] != after.names[source]}
    importers = {"format.js", "grid.js", "image.js", "review.js", "upload.js", "main.js"}
    assert importers <= renamed  # main.js imports format.js through the others
    assert {"dom.js", "api.js", "app.css", "icon.svg"}.isdisjoint(renamed)
    assert before.shell != after.shell


def test_a_changed_stylesheet_renames_it_and_the_shell_only(copied: Path) -> None:
    before = build_manifest(copied)
    (copied / "app.css").write_text((copied / "app.css").read_text() + "\nbody { margin: 1px; }\n")
    after = build_manifest(copied)
    assert [s for s in before.names if before.names[s] != after.names[s]] == ["app.css"]
    assert before.names["app.css"].encode() not in after.shell and after.names["app.css"].encode() in after.shell


def test_an_app_serves_the_new_name_and_not_the_old(
    copied: Path, settings: WebSettings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "ASSETS_DIR", copied)
    old = create_app(settings, services).test_client()
    old_url = manifest_of(old.application).url("signin.js")
    (copied / "signin.js").write_text((copied / "signin.js").read_text().replace("Sign in", "Log in"))
    new = create_app(settings, services).test_client()
    new_url = manifest_of(new.application).url("signin.js")
    assert new_url != old_url
    assert new_url in asset_urls(new.get("/").get_data())
    assert b"Log in" in new.get(new_url).get_data()
    assert new.get(old_url).status_code == 404
    assert old.get(old_url).status_code == 200  # an app keeps the names it started with


@pytest.mark.parametrize(
    ("module", "problem"),
    [
        ('import { x } from "./missing.js";\n', r"imports \./missing\.js, which is not a file"),
        ('import { x } from "https://cdn.example/x.js";\n', "import only their siblings"),
        ('import { x } from "../x.js";\n', "import only their siblings"),
        ('export { x } from "/assets/x.js";\n', "import only their siblings"),
        ('const lazy = import("lodash");\n', "import only their siblings"),
        ('import { h } from "./cycle.js";\n', "cycle"),
    ],
)
def test_a_module_the_page_could_not_load_stops_the_app_starting(copied: Path, module: str, problem: str) -> None:
    (copied / "cycle.js").write_text('import { x } from "./extra.js";\nexport const h = 1;\n')
    (copied / "extra.js").write_text(module + "export const x = 1;\n")
    with pytest.raises(AssetError, match=problem):
        build_manifest(copied)


def test_files_of_other_kinds_are_not_served(copied: Path) -> None:
    (copied / "notes.md").write_text("# notes\n")
    (copied / ".hidden.js~").write_text("x")
    assert "notes.md" not in build_manifest(copied).names
    assert set(build_manifest(copied).names) == set(build_manifest(ASSETS_DIR).names)


def test_without_the_entry_module_nothing_is_served(copied: Path) -> None:
    (copied / ENTRY).unlink()
    with pytest.raises(AssetError, match=ENTRY):
        build_manifest(copied)


# The modules' own text


def modules() -> list[Path]:
    return sorted(ASSETS_DIR.glob("*.js"))


def node() -> str:
    """The machine's node (every machine of this kind has one): a test that needs it fails without it,
    rather than passing unseen."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: the dashboard's modules are checked with it")
    return found


@pytest.mark.parametrize("module", modules(), ids=lambda path: path.name)
def test_modules_parse_as_es_modules(module: Path) -> None:
    checked = subprocess.run(
        [node(), "--experimental-default-type=module", "--check", str(module)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_the_syntax_check_fails_on_a_broken_module(tmp_path: Path) -> None:
    broken = tmp_path / "broken.js"
    broken.write_text('import { a } from "./a.js";\nexport const b = a +;\n')
    checked = subprocess.run(
        [node(), "--experimental-default-type=module", "--check", str(broken)], capture_output=True
    )
    assert checked.returncode != 0


def run_modules(script: str) -> Any:
    """Run `script`, an ES module importing the dashboard's modules as ./<name>.js, in node; what it
    prints, as JSON (the modules that touch the page need a browser: tests/browser)."""
    ran = subprocess.run(
        [node(), "--experimental-default-type=module", "--no-warnings", "--input-type=module", "-e", script],
        cwd=ASSETS_DIR,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


@pytest.mark.parametrize(
    ("next_path", "goes_to"),
    [
        ("/view/abc?x=1", "/view/abc?x=1"),
        ("/?status=pending", "/?status=pending"),
        ("/review", "/review"),
        ("//evil.example/", "/"),  # another site, by a scheme-relative URL
        ("/\\evil.example/", "/"),  # browsers read a backslash as a slash
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/sign-in?next=/review", "/"),
        ("", "/"),
    ],
)
def test_after_signing_in_the_page_goes_back_to_a_path_of_its_own_only(next_path: str, goes_to: str) -> None:
    script = (
        f'import {{ safeNext }} from "./router.js"; console.log(JSON.stringify(safeNext({json.dumps(next_path)})));'
    )
    assert run_modules(script) == goes_to


@pytest.mark.parametrize(
    ("file", "refused"),
    [
        ({"name": "cat.jpg", "type": "image/jpeg", "size": 10}, None),
        ({"name": "cat.png", "type": "image/png", "size": 10}, None),
        ({"name": "CAT.JPEG", "type": "", "size": 10}, None),  # no type given: the extension says
        ({"name": "invoice.pdf", "type": "application/pdf", "size": 10}, "not a JPEG or PNG"),
        ({"name": "anim.gif", "type": "image/gif", "size": 10}, "not a JPEG or PNG"),
        ({"name": "photo.jpg", "type": "image/webp", "size": 10}, "not a JPEG or PNG"),  # the type says
        ({"name": "notes", "type": "", "size": 10}, "not a JPEG or PNG"),
        ({"name": "empty.jpg", "type": "image/jpeg", "size": 0}, "an empty file"),
        ({"name": "big.jpg", "type": "image/jpeg", "size": 25 * 1024 * 1024}, None),
        ({"name": "big.jpg", "type": "image/jpeg", "size": 25 * 1024 * 1024 + 1}, "over the 25 MB limit"),
    ],
)
def test_the_page_refuses_what_the_pipeline_would(file: dict[str, Any], refused: str | None) -> None:
    limit = DEFAULT_MAX_UPLOAD_BYTES
    script = (
        f'import {{ refusal }} from "./files.js"; console.log(JSON.stringify(refusal({json.dumps(file)}, {limit})));'
    )
    assert run_modules(script) == refused


@pytest.mark.parametrize(
    ("limit", "said"),
    [
        (25 * 1024 * 1024, "25 MB"),
        (1536 * 1024, "1.5 MB"),
        (1_000_000, "976.56 KB"),
        (512 * 1024, "512 KB"),
        (1000, "1000 bytes"),
    ],
)
def test_limits_read_as_people_say_them(limit: int, said: str) -> None:
    assert run_modules(f'import {{ limit }} from "./format.js"; console.log(JSON.stringify(limit({limit})));') == said


FORBIDDEN = {
    "innerHTML": "markup from strings (the page builds elements: dom.js)",
    "outerHTML": "markup from strings",
    "insertAdjacentHTML": "markup from strings",
    "document.write": "markup from strings",
    "eval(": "code from strings",
    "new Function": "code from strings",
    "localStorage": "storage (the CSRF token stays in memory)",
    "sessionStorage": "storage",
    "indexedDB": "storage",
    "document.cookie": "the session cookie is HttpOnly; nothing else is kept",
    "://": "another site (no script, font or style from the internet)",
}


@pytest.mark.parametrize("path", sorted([*ASSETS_DIR.glob("*.js"), *ASSETS_DIR.glob("*.css")]), ids=lambda p: p.name)
def test_assets_build_no_markup_from_strings_store_nothing_and_load_nothing_from_elsewhere(path: Path) -> None:
    text = path.read_text()
    found = {word: why for word, why in FORBIDDEN.items() if word in text}
    assert found == {}


def test_the_shell_loads_nothing_from_elsewhere() -> None:
    text = (ASSETS_DIR / SHELL).read_text()
    assert "://" not in text and "<script>" not in text and "style=" not in text


# What the page asks of the API


def test_the_page_learns_the_upload_limit_from_the_session(client: FlaskClient) -> None:
    sign_in(client)
    assert client.get("/api/me").get_json()["max_upload_bytes"] == MAX_UPLOAD_BYTES
