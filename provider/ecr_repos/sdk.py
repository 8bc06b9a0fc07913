"""The oldest SDK the provider works with: the one home of that fact.

botocore checks every request against its own copy of the service's model before sending it, and
refuses a parameter its model does not have (``ParamValidationError``, raised in the caller's
process: the request never reaches ECR). So the provider needs a botocore whose ECR model has every
parameter the executor sends. The newest of them, ``imageTagMutabilityExclusionFilters`` of
CreateRepository and PutImageTagMutability (with the ``MUTABLE_WITH_EXCLUSION`` and
``IMMUTABLE_WITH_EXCLUSION`` values of ``imageTagMutability``), first appears in botocore 1.39.11
(1.39.10 lacks it; every other member the executor sends is older), and boto3 1.39.11 is the first
boto3 that requires that botocore.

pyproject.toml's floors (``boto3>=``, ``botocore>=``) say the same, tests/deploy/test_sdk.py checks
that they do. The Lambda zip carries a botocore at least this new (scripts/package.py); the CLI, run
with whatever boto3 its environment has, refuses to start its AWS commands with an older one
(``ecr_repos.cli``).
"""

from __future__ import annotations

MIN_BOTOCORE = "1.39.11"
MIN_BOTO3 = "1.39.11"  # boto3 x.y.z requires botocore >= x.y.z
UPGRADE = "pip install -U boto3"


def _release(version: str) -> tuple[int, ...]:
    """``"1.39.11"`` -> ``(1, 39, 11)``; anything after the numbers (``1.40.0rc1``, ``.dev0``) is ignored."""
    numbers = []
    for part in version.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) < len(part):
            break
    return tuple(numbers)


def too_old(botocore_version: str) -> bool:
    """Whether ``botocore_version`` lacks a parameter the provider sends."""
    return _release(botocore_version) < _release(MIN_BOTOCORE)


def check_botocore(botocore_version: str | None = None) -> str | None:
    """Why the botocore in use (or ``botocore_version``) cannot serve the provider, or None when it can."""
    if botocore_version is None:
        import botocore

        botocore_version = botocore.__version__
    if not too_old(botocore_version):
        return None
    return (f"botocore {botocore_version} is older than {MIN_BOTOCORE}, the first whose ECR model has every "
            f"parameter ecr-repos sends (imageTagMutabilityExclusionFilters): upgrade it with `{UPGRADE}`")
