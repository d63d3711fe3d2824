import os

from hypothesis import HealthCheck, settings

# `ci`: deterministic and moderate, for .ci/run; `thorough`: many examples, for a local deep run.
# max_examples is the per-op property tests' budget (test_rules, test_array_rules: one test per op and
# order, so it multiplies by the number of ops). The fuzzers (test_fuzz_*.py) set their own budget with
# minigrad.testing.fuzz.examples(n): n examples under `ci`, scaled by max_examples / 25 under the
# others (`thorough`: 12x). Under `ci` the fuzzers take ~15 s of the suite's budget (~5 min on 2 cores).
# print_blob: a CI failure prints the @reproduce_failure line that replays it locally.
settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _registries_left_as_found():
    """Tests that register rules, primitives or test data leave the registries as they found them:
    a leaked rule without test data would fail later checks of every registered rule (the report's)."""
    from minigrad import rules
    from minigrad.testing import CASES, SPECS
    saved = (dict(rules._registry), dict(rules._reads), set(rules._for_others), dict(rules._array_twins),
             dict(rules.presets), dict(SPECS), dict(CASES))
    yield
    for live, old in zip((rules._registry, rules._reads, rules._for_others, rules._array_twins, rules.presets,
                          SPECS, CASES), saved):
        live.clear()
        live.update(old)
