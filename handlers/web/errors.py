"""Errors the API answers with: a short stable `error`, a `detail` a person can act on, a status."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as JSON `{"error", "detail"}` with `status`."""

    status = 400
    error = "bad-request"
    headers: dict[str, str] = {}  # noqa: RUF012 (never mutated: an instance sets its own)

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


class NoSuchImage(NotFound):
    """No image of the caller's has this id (another owner's image is as if there were none); the
    detail quotes at most `QUOTED` characters of what was asked for."""

    QUOTED = 80

    def __init__(self, image_id: str) -> None:
        shown = image_id if len(image_id) <= self.QUOTED else f"{image_id[: self.QUOTED]}…"
        super().__init__(f"there is no image {shown}")


class BadCredentials(ApiError):
    """The one answer for an unknown user and a wrong password."""

    status, error = 401, "bad-credentials"

    def __init__(self) -> None:
        super().__init__("the user name or the password is wrong")


class UnsupportedMediaType(ApiError):
    status, error = 415, "unsupported-media-type"


class TooManyAttempts(ApiError):
    """Sign-in attempts for a name come too fast or the name is locked: try again in `retry_after`
    seconds (the `Retry-After` header)."""

    status, error = 429, "too-many-attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins for this user name: try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
