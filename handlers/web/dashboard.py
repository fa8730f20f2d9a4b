"""The dashboard: the page shell for the client's routes, and its assets under content-hashed names.

The dashboard is plain ES modules, CSS and an SVG icon in `handlers/web/static/`, run as they are
written (no build step, nothing from another site). What this blueprint adds is what keeps them
cacheable for ever and still fresh:

- **Assets** are served at `/assets/<stem>.<hash>.<ext>`, the hash from the bytes served, with
  `Cache-Control: public, max-age=31536000, immutable` (the CDN and browsers keep them a year; a
  changed file is a new name). A module's imports of its siblings (`from "./api.js"`) are rewritten
  to their hashed names before it is hashed, so a changed module renames every module importing it,
  up to the entry point: a page never mixes old and new modules. Every name is computed once, when
  the blueprint is registered (the app's start), into a `Manifest`; an unknown name is 404.
- **The page shell** (`index.html`, a Jinja template rendered once with the hashed names) answers
  every client route (`CLIENT_ROUTES`: the grid at `/`, `/sign-in`, `/review`, `/view/<image id>`)
  with `Cache-Control: no-cache` (revalidated each time, by its ETag), so a deployment reaches
  browsers at once. It holds no data, token or secret: the page asks `GET /api/me` at run time and
  keeps the CSRF token in memory only.
- **A strict Content-Security-Policy** on the page: scripts, styles and everything else from this
  origin only, no inline script or style attribute; images also from the CDN's origin (the
  variants, `Services.images_base_url`), and connections also to the images bucket's origin, where
  the browser POSTs an upload form (the URL the app's own S3 client presigns, learnt once; locally
  the emulator's `http://127.0.0.1:4566`, on AWS `https://<bucket>.s3.amazonaws.com`). No framing,
  no `<base>`, no form submission by the browser itself (the page's scripts send every form).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers.contract import UPLOAD_PREFIX
from handlers.web.errors import NotFound
from handlers.web.services import EXTENSION as SERVICES

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask.blueprints import BlueprintSetupState

    from handlers.web.services import Services

log = logging.getLogger(__name__)

ASSETS_DIR: Final = Path(__file__).with_name("static")
"""Where the dashboard's files are (the Lambda package carries every file of `handlers/`)."""
SHELL: Final = "index.html"
"""The page shell's template, in `ASSETS_DIR` (not an asset itself)."""
ENTRY: Final = "main.js"
"""The module the page loads; it imports the others."""
CONTENT_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
"""What is served, by extension; any other file in `ASSETS_DIR` is not."""
IMMUTABLE: Final = "public, max-age=31536000, immutable"
PAGE_CACHE: Final = "no-cache"
HASH_LENGTH: Final = 16
"""Hex digits of the SHA-256 in an asset's name (64 bits: no two versions of a file meet)."""
CLIENT_ROUTES: Final = {"/": "grid", "/sign-in": "sign_in", "/review": "review", "/view/<image_id>": "image"}
"""The paths the page's router shows (router.js), each answering the shell, and their endpoints."""
EXTENSION: Final = "imagepipe.dashboard"
"""The key of the app's `DashboardState` in `app.extensions`."""
PROBE_KEY: Final = f"{UPLOAD_PREFIX}origin-probe"
"""The key a presigned POST is made for to learn its URL's origin (it is never sent)."""

# A sibling module named where a module is imported: `from "./x.js"`, `import "./x.js"`,
# `import("./x.js")`; and any other specifier there, which the dashboard does not use.
SPECIFIER: Final = re.compile(r"""(?P<lead>\bfrom\s*|\bimport\s*\(?\s*)(?P<quote>["'])(?P<name>[^"'\n]*)(?P=quote)""")
SIBLING: Final = re.compile(r"^\./(?P<file>[A-Za-z0-9_-]+\.js)$")

dashboard = Blueprint("dashboard", __name__)


class AssetError(ValueError):
    """The dashboard's files cannot be served as they are (a module imports what is not there, or
    imports in a cycle); the message says which file and why."""


@dataclass(frozen=True)
class Asset:
    """One file as served: its hashed name, the file it comes from, its bytes and content type."""

    name: str
    source: str
    body: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return self.name


@dataclass(frozen=True)
class Manifest:
    """The dashboard's assets by hashed name, and each file's hashed name (`names`), and the page
    shell rendered with them."""

    assets: dict[str, Asset]
    names: dict[str, str]
    shell: bytes

    def url(self, source: str) -> str:
        """The URL path of the file `source` (e.g. `main.js` → `/assets/main.<hash>.js`)."""
        return f"/assets/{self.names[source]}"


def build_manifest(directory: Path = ASSETS_DIR) -> Manifest:
    """Every servable file of `directory` under its content-hashed name (modules after the siblings
    they import, with those imports rewritten to the hashed names), and the shell rendered with
    them. `AssetError` when a module imports a file that is not there, anything but a sibling
    module, or in a cycle."""
    sources = {
        path.name: path.read_bytes()
        for path in sorted(directory.iterdir())
        if path.is_file() and path.suffix in CONTENT_TYPES
    }
    names: dict[str, str] = {}
    assets: dict[str, Asset] = {}

    def add(source: str, importing: tuple[str, ...]) -> str:
        if source in names:
            return names[source]
        if source in importing:
            raise AssetError(f"{' → '.join((*importing, source))}: modules import each other in a cycle")
        if source not in sources:
            raise AssetError(f"{importing[-1]} imports ./{source}, which is not a file of {directory}")
        body = sources[source]
        if source.endswith(".js"):
            body = _linked(source, body, lambda sibling: add(sibling, (*importing, source)))
        path = Path(source)
        digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
        name = f"{path.stem}.{digest}{path.suffix}"
        names[source] = name
        assets[name] = Asset(name, source, body, CONTENT_TYPES[path.suffix])
        return name

    for source in sources:
        add(source, ())
    if ENTRY not in names:
        raise AssetError(f"the dashboard's entry module {ENTRY} is not in {directory}")
    shell = _render_shell(directory, names)
    return Manifest(assets, names, shell)


def _linked(source: str, body: bytes, hashed: Callable[[str], str]) -> bytes:
    """A module's text with each sibling it imports named by its hashed name."""

    def relink(match: re.Match[str]) -> str:
        sibling = SIBLING.match(match["name"])
        if sibling is None:
            raise AssetError(
                f"{source} imports {match['name']!r}: the dashboard's modules import only their siblings, ./<name>.js"
            )
        return f"{match['lead']}{match['quote']}./{hashed(sibling['file'])}{match['quote']}"

    return SPECIFIER.sub(relink, body.decode("utf-8")).encode("utf-8")


def _render_shell(directory: Path, names: dict[str, str]) -> bytes:
    """The page shell with the assets' URLs (every module preloaded, so the browser fetches them at
    once rather than import by import)."""
    environment = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    template = environment.get_template(SHELL)
    modules = [f"/assets/{names[source]}" for source in sorted(names) if source.endswith(".js") and source != ENTRY]
    return template.render(asset=lambda source: f"/assets/{names[source]}", modules=modules).encode("utf-8")


@dataclass
class DashboardState:
    """The app's manifest, and the upload origin once learnt."""

    manifest: Manifest
    upload_origin: str | None = None
    upload_origin_known: bool = field(default=False)


@dashboard.record_once
def _build(state: BlueprintSetupState) -> None:
    state.app.extensions[EXTENSION] = DashboardState(build_manifest(ASSETS_DIR))


def dashboard_state() -> DashboardState:
    """The current app's dashboard (inside a request or an app context)."""
    found: DashboardState = current_app.extensions[EXTENSION]
    return found


@dashboard.get("/assets/<name>")
def asset(name: str) -> ResponseReturnValue:
    found = dashboard_state().manifest.assets.get(name)
    if found is None:
        raise NotFound(f"there is no asset {name} (names change with their content: reload the page)")
    response = Response(found.body, content_type=found.content_type)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(found.etag)
    return response.make_conditional(request)


def shell(image_id: str | None = None) -> ResponseReturnValue:
    """The page shell, for every client route (the page's router reads the path itself)."""
    state = dashboard_state()
    policy = content_security_policy(_images_origin(), _upload_origin(state))
    response = Response(state.manifest.shell, content_type="text/html; charset=utf-8")
    response.headers.update(
        {
            "Cache-Control": PAGE_CACHE,
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
        }
    )
    response.set_etag(hashlib.sha256(state.manifest.shell + policy.encode()).hexdigest()[:32])
    return response.make_conditional(request)


for _path, _endpoint in CLIENT_ROUTES.items():
    dashboard.add_url_rule(_path, _endpoint, shell)


def content_security_policy(images_origin: str | None, upload_origin: str | None) -> str:
    """The page's policy: everything from this origin only, nothing inline; images also from
    `images_origin` (the CDN's), connections also to `upload_origin` (the bucket's)."""
    directives: dict[str, list[str | None]] = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", images_origin],
        "connect-src": ["'self'", upload_origin],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(
        " ".join([name, *dict.fromkeys(source for source in sources if source)]) for name, sources in directives.items()
    )


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of an http(s) URL; None for anything else."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def _services() -> Services | None:
    found: Services | None = current_app.extensions.get(SERVICES)
    return found


def _images_origin() -> str | None:
    services = _services()
    return origin_of(services.images_base_url) if services is not None else None


def _upload_origin(state: DashboardState) -> str | None:
    """The origin of the URL upload forms are POSTed to: that of a presigned POST made by the app's
    own S3 client (made once; signing is local, nothing is sent; the first page made the client if
    nothing had, `Services.bucket_or_none`). None when the stack gives the app no bucket; also when
    the client cannot sign (no credentials), logged: uploads are then refused anyway, and the next
    page asks again."""
    if state.upload_origin_known:
        return state.upload_origin
    services = _services()
    bucket = services.bucket_or_none() if services is not None else None
    if bucket is None:
        state.upload_origin_known = True
        return None
    try:
        post = bucket.s3.generate_presigned_post(Bucket=bucket.name, Key=PROBE_KEY)
    except Exception:  # botocore's NoCredentialsError, or an AttributeError without credentials at all
        log.warning("the upload form's origin is unknown: the S3 client cannot presign", exc_info=True)
        return None
    state.upload_origin = origin_of(post.get("url"))
    state.upload_origin_known = True
    return state.upload_origin
