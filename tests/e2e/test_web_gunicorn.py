"""The web app under gunicorn, as the 3-tier option's instances run it: the deployed function's code
and environment, with the web role's credentials (the instance profile holds exactly its grants), so
the IAM check (tests/stack_fixtures.py) judges every call it makes as AWS would."""

from __future__ import annotations

import io

import requests

from harness.bench.served_app import app_environment, deployed_app, served_app
from harness.emulator.state_folder import REPO_ROOT as ROOT
from tests.e2e.web_users import WebUser

PNG = "image/png"


def test_the_web_app_under_gunicorn_does_its_work_with_the_web_roles_grants(stack, web_user, upload):
    target, web_function = stack.target, stack.outputs["web_function"]
    app = deployed_app(target, web_function, ROOT / "build" / "bench")
    credentials = target.role_environment(app.role, f"{web_function}-gunicorn")  # as an instance profile's
    environment = app_environment(app.environment, target, credentials)
    at_cdn = web_user("gunicorn-1")
    with served_app(app.code, environment) as base:
        user = WebUser(at_cdn.name, at_cdn.password, at_cdn.role, base)
        assert user.sign_in().status_code == 200
        assert user.get("/api/me").json()["user"]["username"] == user.name
        assert user.get("/api/images").status_code == 200
        form = user.call("POST", "/api/uploads", json={"file_name": "a.png", "content_type": PNG})
        assert form.status_code == 200, form.text
        posted = requests.post(
            form.json()["url"], data=form.json()["fields"], files={"file": ("a.png", io.BytesIO(b"not a png"), PNG)}
        )
        assert posted.status_code in (200, 201, 204), posted.text
        upload.adopt(form.json()["key"])  # not an image: rejected, removed, its record deleted afterwards
        upload.wait_for(form.json()["key"], "rejected")
        assert user.call("DELETE", "/api/session").status_code in (200, 204)
        assert user.get("/api/me").status_code == 401
