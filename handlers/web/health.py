"""`GET /api/health`: the app answers (for load balancers and `curl`)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

health = Blueprint("health", __name__)


@health.get("/health")
def is_healthy() -> ResponseReturnValue:
    return jsonify(status="ok")
