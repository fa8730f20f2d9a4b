"""`make demo`, the web tier: the demo's users, signed in through the CDN, listing the images the
demo pushed through, and the lines that let a person do the same with curl.

The photographer `demo` owns the demo's uploads (`uploads/demo/...`); `demo-reviewer` reviews. Each
run gives both a fresh password (made here, printed once, stored only as a hash).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from handlers.contract import PHOTOGRAPHER, REVIEWER
from harness.demo import DEMO_OWNER, DemoFailed
from harness.emulator.state_folder import Paths
from harness.fleet.listing import instance_rows
from harness.users import add_user, local_store, set_password

DEMO_REVIEWER = f"{DEMO_OWNER}-reviewer"
TIMEOUT = 30  # seconds for one request through the edge (a cold web function starts within it)


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    password: str


def demo_users(outputs: dict[str, Any]) -> list[DemoUser]:
    """The demo's photographer and reviewer in the stack's users table, each with a new password."""
    store = local_store(outputs)
    users = []
    for name, role in ((DEMO_OWNER, PHOTOGRAPHER), (DEMO_REVIEWER, REVIEWER)):
        password = secrets.token_urlsafe(12)
        if store.get(name) is None:
            add_user(store, name, password, role)
        else:
            set_password(store, name, password)
        users.append(DemoUser(name, role, password))
    return users


def run_web_demo(outputs: dict[str, Any], say: Callable[[str], None]) -> None:
    """Sign the photographer in at the CDN, list their images through it, fetch a thumbnail twice
    (the second from the edge's cache), and print how to do it by hand."""
    cdn = outputs["cdn_url"]
    users = demo_users(outputs)
    photographer = users[0]
    say(f"\nthe web tier, through the CDN at {cdn}:")
    with requests.Session() as http:
        signed_in = http.post(
            f"{cdn}/api/session",
            json={"username": photographer.name, "password": photographer.password},
            timeout=TIMEOUT,
        )
        if signed_in.status_code != 200:
            raise DemoFailed(
                f"{photographer.name} could not sign in at {cdn}: {signed_in.status_code} {signed_in.text}"
            )
        page = http.get(f"{cdn}/api/images", params={"limit": 100}, timeout=TIMEOUT).json()
    items = page["items"]
    say(f"  signed in as {photographer.name}: GET /api/images lists {len(items)} images, newest first")
    for item in items[:8]:
        say(f"    {item['status']:9} {item['file_name']:28} {item.get('thumbnail_url') or item.get('reason') or ''}")
    thumbnail = next((item["thumbnail_url"] for item in items if item.get("thumbnail_url")), None)
    if thumbnail:
        caches = [requests.get(thumbnail, timeout=TIMEOUT).headers.get("X-Cache", "?") for _ in range(2)]
        say(f"  a thumbnail fetched twice from the CDN: X-Cache {caches[0]!r}, then {caches[1]!r}")
    say(_how_to(cdn, users))


def _how_to(cdn: str, users: list[DemoUser]) -> str:
    accounts = "\n".join(f"  {user.name:16} {user.role:13} password {user.password}" for user in users)
    photographer = users[0]
    login = f'{{"username": "{photographer.name}", "password": "{photographer.password}"}}'
    return f"""
Sign in (the passwords are new on each `make demo`; `python -m harness users` manages users):
{accounts}

The dashboard: {cdn}/   (the demo's images are under "My images" for {photographer.name})

cdn_url: {cdn}
  curl {cdn}/api/health
  curl -c demo.cookies -H 'Content-Type: application/json' -d '{login}' {cdn}/api/session
  curl -b demo.cookies '{cdn}/api/images?limit=5'
  the API's description: {cdn}/api/openapi.json"""


def instances_how_to(stack: str, outputs: dict[str, Any], listing: dict[str, Any] | None) -> str:
    """Where to look at the instances tier of `stack`: its balancer, its fleet and their logs."""
    rows = instance_rows(listing) if listing is not None else []
    served = sum(row["requests"] for row in rows)
    home = Paths.default().root
    return f"""
The instances tier (seed 003): the web app under gunicorn on {len(rows)} instances behind the balancer
at {outputs["load_balancer_url"]} (the CDN's origin for /api/* and the pages; {served} requests served so far)
  python -m harness instances --stack {stack}        each instance: id, state, health, pid, url, requests
  instance logs: {home}/fleet/{stack}/<group>/<instance id>/service.log (its boot: .calls, .user-data)
  the balancer and the group: {home}/logs/fleet-{stack}.log"""
