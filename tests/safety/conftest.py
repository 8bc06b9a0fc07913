"""Speed only: crhelper builds a fresh SSL context (reading the system's CA bundle, ~35 ms) for
every response it sends. The simulator captures the PUT before any connection is made, so the
safety scenarios share one context."""

from __future__ import annotations

import ssl
from functools import lru_cache

import pytest


@pytest.fixture(autouse=True)
def _one_ssl_context(monkeypatch):
    monkeypatch.setattr("crhelper.utils.ssl.create_default_context", lru_cache(maxsize=None)(ssl.create_default_context))
