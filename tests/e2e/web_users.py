"""Users of the deployed web tier, one set per test, each with a signed-in HTTP session at the CDN.

`WebUsers` makes users in the stack's users table (as `python -m harness users add` does), signs
each in through `<cdn_url>/api/session` with a real HTTP client, and removes them afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import requests

from handlers.contract import PHOTOGRAPHER
from handlers.stores.user_store import UserStore

TIMEOUT = 30  # seconds for one request: a cold web function starts within it


@dataclass
class WebUser:
    """A signed-in user: requests through the CDN carry the session cookie and, when they change
    something, the CSRF token the sign-in answered."""

    name: str
    password: str
    role: str
    base_url: str
    http: requests.Session = field(default_factory=requests.Session)
    csrf_token: str = ""

    def sign_in(self) -> requests.Response:
        response = self.http.post(
            f"{self.base_url}/api/session", json={"username": self.name, "password": self.password}, timeout=TIMEOUT
        )
        if response.ok:
            self.csrf_token = response.json()["csrf_token"]
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-CSRF-Token": self.csrf_token, **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=TIMEOUT, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)


class WebUsers:
    """The `web_user` fixture's maker: `web_user(name, role=..., email=...)` adds the user and
    answers them signed in; `remove_all()` removes every user made."""

    def __init__(self, stack: Any) -> None:
        self.base_url = stack.outputs["cdn_url"]
        self.store = UserStore(stack.outputs["users_table"], stack.target.client("dynamodb"))
        self.ses = stack.target.client("ses") if stack.outputs.get("ses_sandbox") else None
        self.made: list[WebUser] = []

    def __call__(self, name: str, role: str = PHOTOGRAPHER, email: str | None = None) -> WebUser:
        user = WebUser(name, secrets.token_urlsafe(16), role, self.base_url)
        self.store.add(name, user.password, role, email)
        if email and self.ses is not None:
            # In the SES sandbox a user's address is mailed only once verified, as an operator does
            # on AWS (README). Kept afterwards: a late mail to it is still one SES would send.
            self.ses.verify_email_identity(EmailAddress=email)
        self.made.append(user)
        signed_in = user.sign_in()
        assert signed_in.status_code == 200, f"{name} could not sign in: {signed_in.status_code} {signed_in.text}"
        return user

    def remove_all(self) -> None:
        for user in self.made:
            self.store.remove(user.name)
            user.http.close()
