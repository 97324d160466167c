"""Test configuration: hypothesis profiles.

``make test`` (and CI) use the ``ci`` profile: derandomised, so a run is reproducible and a
failure can be replayed. ``HYPOTHESIS_PROFILE=explore make test`` draws fresh random examples
(more of them) to hunt for new counterexamples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
