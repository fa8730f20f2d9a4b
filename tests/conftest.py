"""Test-wide settings: hypothesis profiles, chosen by HYPOTHESIS_PROFILE.

`dev` (the default) is quick for the edit-test loop; `ci` is thorough and is what `.ci/run` uses.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
