"""What the provisioners' tests share: the CloudFront policies a distribution names."""

from __future__ import annotations

import pytest

from tests.unit.harness.deploy.provisioners.cloudfront_inputs import (
    ACCESS,
    CACHE,
    REQUESTS,
    access_inputs,
    cache_inputs,
    request_policy_inputs,
)


@pytest.fixture
def cdn_policies(provisioned, unique) -> dict[str, str]:
    """An origin access control, a cache policy and an origin request policy: their ids."""
    return {
        "access": provisioned.apply(ACCESS, "access", access_inputs(unique("oac"))).id,
        "cache": provisioned.apply(CACHE, "cache", cache_inputs(unique("cache"))).id,
        "requests": provisioned.apply(REQUESTS, "requests", request_policy_inputs(unique("requests"))).id,
    }
