"""What CloudFront does with an origin's `Set-Cookie`, by what the behaviour forwards of cookies.

From the developer guide ("Cache content based on cookies"; README.md cites the pages):

- A behaviour whose policies forward no cookie (the cache policy's cookies `none`, and no origin
  request policy, or one whose cookies are `none`): CloudFront removes the `Cookie` header from the
  origin request and every `Set-Cookie` header from the answer, so the viewer gets none and the
  cache keeps none.
- A behaviour whose cache policy or origin request policy takes any cookie (`all`, `whitelist`,
  `allExcept`): every `Set-Cookie` of the answer reaches the viewer; when the answer is cached, its
  `Set-Cookie` headers are cached with it and sent on every hit, to every viewer of that cache key,
  unless the origin says `Cache-Control: no-cache="Set-Cookie"` (then the answer is kept without
  them; caching.stored_headers) or keeps the answer out of the cache (`private`, `no-store`,
  `no-cache` at a min TTL of 0; caching.time_to_live).
"""

from __future__ import annotations

from harness.edge.exchange import OriginResponse
from harness.edge.model import CachePolicy, OriginRequestPolicy


def forwards_cookies(cache_policy: CachePolicy, request_policy: OriginRequestPolicy | None) -> bool:
    """Whether a behaviour with these policies forwards any cookie to its origin."""
    policies = (cache_policy, request_policy) if request_policy is not None else (cache_policy,)
    return any(policy.cookies.behavior != "none" for policy in policies)


def without_set_cookie(answer: OriginResponse) -> OriginResponse:
    """`answer` without its `Set-Cookie` headers (the same answer when it has none)."""
    kept = [(name, value) for name, value in answer.headers if name.lower() != "set-cookie"]
    if len(kept) == len(answer.headers):
        return answer
    return OriginResponse(answer.status, answer.reason, kept, answer.body, answer.served_by)


def passed_on(
    answer: OriginResponse, cache_policy: CachePolicy, request_policy: OriginRequestPolicy | None
) -> OriginResponse:
    """The origin's `answer` as CloudFront passes it on under these policies: without `Set-Cookie`
    when they forward no cookie, as it is otherwise."""
    return answer if forwards_cookies(cache_policy, request_policy) else without_set_cookie(answer)
