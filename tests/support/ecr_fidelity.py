"""moto made to match Amazon ECR: the one place where the tests' moto is corrected to AWS's rules.

moto 5.2 lags ECR in places (older repository-name pattern, no tag quota, the pre-2025 lifecycle
grammar). The provider is written against ECR, never against moto, so where moto is older or looser
the tests teach moto ECR's rule here, with the source of each rule named beside it (botocore's ECR
service model, ``botocore/data/ecr/2015-09-21/service-2.json``, and AWS's ECR documentation).

``install()`` patches ``moto.ecr.models`` (module constants and ``ECRBackend`` methods) in this process.
``tests/conftest.py`` calls it once at import, before any test, so every in-process ``mock_aws`` and
every ``ThreadedMotoServer`` the tests start (they run in the test process) enforce the same rules.
Each section below is one rule; add a rule as a section of its own and register it in ``install()``.
"""

from __future__ import annotations

_INSTALLED = False


def install() -> None:
    """Apply every correction once per process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    # Sections register themselves here, in the order they appear below.
