"""How many examples a property-based test draws: its own number under `make test`, ten times that under
HYPOTHESIS_PROFILE=fuzz (the profiles are registered in tests/conftest.py)."""

from __future__ import annotations

import os

SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 1


def examples(n: int) -> int:
    return n * SCALE
