"""Errors the API answers with: a short stable `error`, a `detail` a person can act on, a status."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as JSON `{"error", "detail"}` with `status`."""

    status = 400
    error = "bad-request"

    def __init__(self, detail: str, *, status: int | None = None, error: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if error is not None:
            self.error = error


class BadInput(ApiError):
    """A field of the request is wrong; `detail` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class NotSignedIn(ApiError):
    status, error = 401, "not-signed-in"


class Forbidden(ApiError):
    status, error = 403, "forbidden"


class NotFound(ApiError):
    status, error = 404, "not-found"
