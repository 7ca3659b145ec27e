"""Shared test set-up: hypothesis runs derandomized, so every run draws the same examples."""

from hypothesis import HealthCheck, settings

settings.register_profile("repo", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("repo")


import os  # noqa: E402
import tempfile  # noqa: E402

# every run starts with an empty cache of validated specs (tests/spec/test_cache.py tests it)
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="grader-test-cache-")
