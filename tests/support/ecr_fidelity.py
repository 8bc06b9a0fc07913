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
    _install_policy_size()


# --- repository policy size ------------------------------------------------------------------------
# botocore's service model: shape RepositoryPolicyText has "max": 10240 (botocore itself checks only
# minimums client-side, so the service refuses a longer text); FACTS.md: "at most 10,240 characters".
# moto 5.2 stores any length. ECR answers such a text with its standard validation error.

POLICY_TEXT_MAX = 10240


def _install_policy_size() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.ecr.models import ECRBackend

    original = ECRBackend.set_repository_policy

    def set_repository_policy(self, registry_id, repository_name, policy_text):  # type: ignore[no-untyped-def]
        if len(policy_text) > POLICY_TEXT_MAX:
            raise JsonRESTError(
                "ValidationException",
                "1 validation error detected: Value at 'policyText' failed to satisfy constraint: "
                f"Member must have length less than or equal to {POLICY_TEXT_MAX}",
            )
        return original(self, registry_id, repository_name, policy_text)

    ECRBackend.set_repository_policy = set_repository_policy  # type: ignore[method-assign]
