"""What became of one upload at one stage."""

from __future__ import annotations

from dataclasses import dataclass

# Outcomes that write nothing: the object changed or vanished before the stage got to it (the newer
# upload's own event decides), or the record moved on (a redelivered or late message).
STALE, GONE = "stale", "gone"


@dataclass(frozen=True)
class Outcome:
    """The image's id, the status the stage left it in (or STALE/GONE), and a rejection's reason."""

    image_id: str
    status: str
    reason: str | None = None
