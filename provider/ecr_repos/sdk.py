"""The oldest SDK the provider works with: the one home of that fact.

botocore checks every request against its own copy of the service's model before sending it, and
refuses a parameter its model does not have (``ParamValidationError``, raised in the caller's
process: the request never reaches ECR); an operation its model does not have is no method of the
client at all. So the provider needs a botocore whose ECR model has every operation and parameter
its executors send, and (so that the model describes every request as ECR takes it) every enum
value they send, though botocore passes an enum value its model lacks through unchecked.

Per resource type, from botocore's own wheels (tests/deploy/test_sdk.py, the last release without,
the first with):

- Custom::EcrRepos (``repos.executor``): 1.39.11, for ``imageTagMutabilityExclusionFilters`` of
  CreateRepository and PutImageTagMutability and the ``MUTABLE_WITH_EXCLUSION`` and
  ``IMMUTABLE_WITH_EXCLUSION`` values of ``imageTagMutability`` (1.39.10 lacks them).
- Custom::EcrRegistry (``registry.executor``): 1.42.67, for the ``chainguard`` value of
  CreatePullThroughCacheRule's ``upstreamRegistry`` (1.42.66 lacks it). Older, in the order they
  came: the creation templates' ``imageTagMutabilityExclusionFilters`` and ``*_WITH_EXCLUSION``
  values (1.39.11), the operations Register/Deregister/ListPullTimeUpdateExclusion(s) (1.41.0;
  1.40.76 has no method for them: ``registry.errors.SdkTooOld``), the ``CREATE_ON_PUSH`` value of
  a template's ``appliedFor`` (1.42.13). Every other operation, member and value is older.

``FLOORS`` holds both; the provider's floor, ``MIN_BOTOCORE``, is the newer; boto3 1.42.67 is the first boto3
that requires that botocore. pyproject.toml's floors (``boto3>=``, ``botocore>=``) say the same,
tests/deploy/test_sdk.py checks that they do. The Lambda zip carries a botocore at least this new
(scripts/package.py); the CLI, run with whatever boto3 its environment has, refuses to start its
AWS commands with an older one (``ecr_repos.cli``).
"""

from __future__ import annotations

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


# Per resource type: the first botocore whose ECR model has everything its executor sends, and the
# newest of those things (the module docstring says how each was found).
FLOORS = {
    "Custom::EcrRepos": ("1.39.11", "imageTagMutabilityExclusionFilters"),
    "Custom::EcrRegistry": ("1.42.67", "the chainguard upstream of pull-through cache rules"),
}
MIN_BOTOCORE, NEWEST = max(FLOORS.values(), key=lambda floor: _release(floor[0]))  # the provider's: both types
MIN_BOTO3 = MIN_BOTOCORE  # boto3 x.y.z requires botocore >= x.y.z


def floor(resource_type: str | None = None) -> str:
    """The oldest botocore that serves ``resource_type`` (None: every type, the provider's floor)."""
    return FLOORS[resource_type][0] if resource_type else MIN_BOTOCORE


def too_old(botocore_version: str, resource_type: str | None = None) -> bool:
    """Whether ``botocore_version`` lacks an operation or parameter the provider (or one type) sends."""
    return _release(botocore_version) < _release(floor(resource_type))


def check_botocore(botocore_version: str | None = None) -> str | None:
    """Why the botocore in use (or ``botocore_version``) cannot serve the provider, or None when it can."""
    if botocore_version is None:
        import botocore

        botocore_version = botocore.__version__
    if not too_old(botocore_version):
        return None
    return (f"botocore {botocore_version} is older than {MIN_BOTOCORE}, the first whose ECR model has every "
            f"operation and parameter ecr-repos sends ({NEWEST}): upgrade it with `{UPGRADE}`")
