"""Hypothesis profiles for followupd's property tests.

* ``ci`` (the default): deterministic (``derandomize=True``, so a run never fails on one machine
  and passes on another), no example database written into the checkout, no deadline (a loaded
  2-core runner must not turn a slow example into a failure). Every property states its own
  example count through :func:`examples`, sized so the whole property suite stays fast.
* ``long``: random, twenty times the examples, for local fuzzing::

      HYPOTHESIS_PROFILE=long python3 -m pytest -q -p no:cacheprovider tests/test_properties.py

  ``bench/fuzz.py`` goes further: it runs the same properties for a fixed time.

``tests/conftest.py`` calls :func:`register` before collection, so the decorators see the
profile chosen by ``HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI = "ci"
LONG = "long"
ENV = "HYPOTHESIS_PROFILE"
_CI_EXAMPLES = 100
_LONG_FACTOR = 20


def register() -> str:
    """Register both profiles and load the one ``HYPOTHESIS_PROFILE`` names (default ``ci``)."""
    settings.register_profile(
        CI,
        derandomize=True,
        max_examples=_CI_EXAMPLES,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        LONG,
        derandomize=False,
        max_examples=_CI_EXAMPLES * _LONG_FACTOR,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    name = os.environ.get(ENV, CI)
    settings.load_profile(name)
    return name


def examples(ci: int) -> int:
    """The example count of a property that runs ``ci`` examples in the ci profile.

    Scaled by the loaded profile's ``max_examples``, so ``long`` (or any profile registered
    elsewhere) multiplies every property alike, cheap and expensive ones.
    """
    return max(1, round(ci * settings.default.max_examples / _CI_EXAMPLES))
