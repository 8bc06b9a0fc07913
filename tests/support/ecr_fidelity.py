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

from functools import lru_cache

_INSTALLED = False


def install() -> None:
    """Apply every correction once per process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    # Sections register themselves here, in the order they appear below.
    _install_repository_name_rule()
    _install_lifecycle_grammar()
    _install_policy_size()
    _install_tag_quota()
    _install_dsse_regions()
    _install_request_rate()


# --- repository names ------------------------------------------------------------------------------
# Source: botocore's ECR service model, shape ``RepositoryName`` (min 2, max 256, pattern
# ``[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*``), read from the installed
# botocore, never copied. moto 5.2's ``ECR_REPOSITORY_NAME_PATTERN`` is ECR's older rule (single
# ``.``, ``_`` or ``-`` between components), so CreateRepository refused ``team/base__image`` and
# ``a--b``, which ECR accepts. moto matches the constant with ``re.fullmatch`` at each call, so
# replacing the module constant is enough; botocore itself checks only the length.


@lru_cache(maxsize=1)
def repository_name_pattern() -> str:
    """botocore's ``RepositoryName`` pattern, as ECR's service model states it."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("ecr").shape_for("RepositoryName")
    return str(shape.metadata["pattern"])


def _install_repository_name_rule() -> None:
    import moto.ecr.models as models

    models.ECR_REPOSITORY_NAME_PATTERN = repository_name_pattern()


# --- Lifecycle policy grammar (ECR since November 2025) ---------------------------------------------
# moto 5.2's EcrLifecyclePolicyValidator (moto/ecr/policy_validation.py) knows the pre-2025 grammar
# only: action "expire", countType imageCountMoreThan|sinceImagePushed, no storageClass, and it accepts
# what ECR rejects (duplicate priorities, an "any" rule that is not last, "tagged" without a tag list,
# a missing countUnit). This validator replaces it, rule for rule from ECR's documentation:
# - lifecycle_policy_parameters / lifecycle_policy_examples (docs.aws.amazon.com/AmazonECR/latest/
#   userguide/): the policy template with selection.storageClass "standard"|"archive", countType
#   imageCountMoreThan|sinceImagePushed|sinceImagePulled|sinceImageTransitioned, countUnit "days"
#   for the three time-based types and none for imageCountMoreThan, action type "expire"|"transition"
#   with targetStorageClass "archive"; unique rulePriority values; the one "any" rule has the highest
#   priority; "tagged" needs tagPrefixList or tagPatternList, "untagged"/"any" neither; at most four
#   '*' per tag pattern; one "untagged" rule at most.
# - sinceImageTransitioned selects archived images only (storageClass "archive"), the other count types
#   standard ones (Pulumi's AWS docs, ecr LifecyclePolicySelection.storageClass, say so explicitly).
# - archive-image: archived images have a 90-day minimum storage duration and "you cannot configure
#   lifecycle policies that delete images that have been in archive for less than 90 days".
# - At most 50 rules per policy (ECR's quotas); the text's 100-30,720 characters are botocore's
#   LifecyclePolicyText shape, enforced client-side by botocore itself.

_LIFECYCLE_PREFIX = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "
_COUNT_TYPES = {"imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"}
_RULE_KEYS = {"rulePriority", "description", "selection", "action"}
_SELECTION_KEYS = {"tagStatus", "tagPatternList", "tagPrefixList", "storageClass", "countType", "countUnit", "countNumber"}


def _lifecycle_errors(text: str) -> list[str]:
    import json

    try:
        policy = json.loads(text)
    except ValueError:
        return ["Could not map policyString into LifecyclePolicy."]
    if not isinstance(policy, dict) or not isinstance(policy.get("rules"), list) or not policy["rules"]:
        return ['object has missing required properties (["rules"])']
    if set(policy) != {"rules"}:
        return [f"object instance has properties which are not allowed by the schema: {sorted(set(policy) - {'rules'})}"]
    rules = policy["rules"]
    if len(rules) > 50:
        return ["a lifecycle policy holds at most 50 rules"]
    errors: list[str] = []
    priorities: list[int] = []
    any_priorities: list[int] = []
    untagged = 0
    for rule in rules:
        if not isinstance(rule, dict) or not {"rulePriority", "selection", "action"} <= set(rule) or set(rule) - _RULE_KEYS:
            errors.append("rule must have rulePriority, selection and action, and only description besides")
            continue
        priority, selection, action = rule["rulePriority"], rule["selection"], rule["action"]
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            errors.append("rulePriority must be an integer >= 1")
        else:
            priorities.append(priority)
        if not isinstance(selection, dict) or set(selection) - _SELECTION_KEYS:
            errors.append("selection has properties which are not allowed")
            continue
        status = selection.get("tagStatus")
        listed = [k for k in ("tagPrefixList", "tagPatternList") if selection.get(k)]
        if status == "tagged" and len(listed) != 1:
            errors.append("tagged rules need exactly one of tagPrefixList and tagPatternList")
        elif status in ("untagged", "any") and listed:
            errors.append(f"{status} rules take no tag list")
        elif status not in ("tagged", "untagged", "any"):
            errors.append(f"tagStatus {status!r} not in [tagged, untagged, any]")
        for pattern in selection.get("tagPatternList") or []:
            if not isinstance(pattern, str) or pattern.count("*") > 4:
                errors.append("a tag pattern holds at most 4 wildcards")
        if status == "any" and isinstance(priority, int):
            any_priorities.append(priority)
        untagged += status == "untagged"
        storage = selection.get("storageClass", "standard")
        count_type = selection.get("countType")
        number = selection.get("countNumber")
        if storage not in ("standard", "archive"):
            errors.append(f"storageClass {storage!r} not in [standard, archive]")
        if count_type not in _COUNT_TYPES:
            errors.append(f"countType {count_type!r} not in {sorted(_COUNT_TYPES)}")
        elif count_type == "imageCountMoreThan" and "countUnit" in selection:
            errors.append("imageCountMoreThan takes no countUnit")
        elif count_type != "imageCountMoreThan" and selection.get("countUnit") != "days":
            errors.append(f"{count_type} needs countUnit days")
        if (count_type == "sinceImageTransitioned") != (storage == "archive"):
            errors.append("sinceImageTransitioned selects storageClass archive, and only it")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors.append("countNumber must be an integer >= 1")
        kind = action.get("type") if isinstance(action, dict) else None
        extra = set(action) - {"type", "targetStorageClass"} if isinstance(action, dict) else set()
        if kind not in ("expire", "transition") or extra:
            errors.append("action type must be expire or transition")
        elif kind == "transition" and (action.get("targetStorageClass") != "archive" or storage == "archive"):
            errors.append("a transition moves standard images to targetStorageClass archive")
        elif kind == "expire" and "targetStorageClass" in action:
            errors.append("an expire action takes no targetStorageClass")
        elif kind == "expire" and storage == "archive" and isinstance(number, int) and number < 90:
            errors.append("archived images cannot be expired within 90 days of archiving")
    if len(set(priorities)) != len(priorities):
        errors.append("rulePriority values must be unique")
    if len(any_priorities) > 1 or (any_priorities and priorities and any_priorities[0] != max(priorities)):
        errors.append("the one rule with tagStatus any must have the highest rulePriority")
    if untagged > 1:
        errors.append("at most one rule may select untagged images")
    return errors


def _install_lifecycle_grammar() -> None:
    from moto.ecr import models
    from moto.ecr.exceptions import InvalidParameterException

    class EcrLifecycleGrammar:
        """Drop-in for moto's EcrLifecyclePolicyValidator (same constructor, same ``validate``)."""

        def __init__(self, policy_text: str):
            self._text = policy_text

        def validate(self) -> None:
            errors = _lifecycle_errors(self._text)
            if errors:
                raise InvalidParameterException(f"{_LIFECYCLE_PREFIX}{errors[0]}'")

    models.EcrLifecyclePolicyValidator = EcrLifecycleGrammar  # type: ignore[misc]


# --- repository policy size ------------------------------------------------------------------------
# botocore's service model: shape RepositoryPolicyText has "max": 10240 (botocore itself checks only
# minimums client-side, so the service refuses a longer text); FACTS.md: "at most 10,240 characters".
# moto 5.2 stores any length. ECR answers such a text with its standard validation error.
# ECR counts characters of the policy text, as the shape's length constraint does: a non-ASCII
# character is one, however the request's JSON escapes it on the wire (botocore sends "\u00e9" for
# "é"). moto hands over the text decoded from the request, so ``len`` counts what ECR counts; a text
# that itself holds the six characters ``\u00e9`` (a sender's json.dumps with ensure_ascii) counts six.

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


# --- dual-layer encryption (KMS_DSSE) in the AWS GovCloud (US) Regions only --------------------------
# Source: ECR user guide, "Encryption at rest": "Dual-layer server-side encryption with AWS KMS (DSSE-KMS)
# is only available in the AWS GovCloud (US) Regions". botocore's EncryptionType enum lists KMS_DSSE for
# every region, and moto 5.2 stores it anywhere. The exact error ECR returns elsewhere is not documented;
# this fixture answers with ECR's generic parameter error naming the field (the provider must never get
# this far: it refuses KMS_DSSE outside GovCloud before any write).


def dsse_offered(region: str) -> bool:
    return region.startswith("us-gov-")


def _install_dsse_regions() -> None:
    from moto.ecr import models
    from moto.ecr.exceptions import InvalidParameterException

    create_repository = models.ECRBackend.create_repository

    def create_where_offered(self, repository_name, registry_id, encryption_config, *args, **kwargs):  # type: ignore[no-untyped-def]
        if (encryption_config or {}).get("encryptionType") == "KMS_DSSE" and not dsse_offered(self.region_name):
            raise InvalidParameterException(
                "Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: "
                f"'KMS_DSSE is not supported in {self.region_name}'")
        return create_repository(self, repository_name, registry_id, encryption_config, *args, **kwargs)

    models.ECRBackend.create_repository = create_where_offered


# --- the tag quota: at most 50 tags per repository -----------------------------------------------
# Source: botocore's ECR model, shape TooManyTagsException ("The list of tags on the repository is
# over the limit. The maximum number of tags that can be applied to a repository is 50."), raised by
# CreateRepository and TagResource; AWS docs, ECR service quotas ("Tags per repository: 50"). ECR
# counts the tags a repository has after the call: a TagResource that overwrites existing keys adds
# nothing. moto 5.2 accepts any number.

MAX_TAGS_PER_REPOSITORY = 50


def _too_many(count: int) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("TooManyTagsException",
                         f"The list of tags on the repository is over the limit ({count} tags). The maximum number "
                         f"of tags that can be applied to a repository is {MAX_TAGS_PER_REPOSITORY}.")


def _install_tag_quota() -> None:
    from moto.ecr import models

    create_repository = models.ECRBackend.create_repository
    tag_resource = models.ECRBackend.tag_resource

    def create_with_quota(self, repository_name, registry_id, encryption_config, image_scan_config,  # type: ignore[no-untyped-def]
                          image_tag_mutability, tags, *args, **kwargs):
        count = len({t["Key"] for t in tags or []})
        if count > MAX_TAGS_PER_REPOSITORY:
            raise _too_many(count)
        return create_repository(self, repository_name, registry_id, encryption_config, image_scan_config,
                                 image_tag_mutability, tags, *args, **kwargs)

    def tag_with_quota(self, arn, tags):  # type: ignore[no-untyped-def]
        current = {t["Key"] for t in self.list_tags_for_resource(arn)["tags"]}
        count = len(current | {t["Key"] for t in tags})
        if count > MAX_TAGS_PER_REPOSITORY:
            raise _too_many(count)
        return tag_resource(self, arn, tags)

    models.ECRBackend.create_repository = create_with_quota
    models.ECRBackend.tag_resource = tag_with_quota


# --- request rate ----------------------------------------------------------------------------------
# Source: ECR's service quotas ("Amazon ECR service quotas" in the ECR user guide: a rate per API
# action, most control-plane ones not published) and its error model: too many requests get HTTP 400
# ``ThrottlingException`` (botocore's service model lists it for the ECR operations). moto answers
# every request at once. With ``rate_limit(rate, burst)`` each ECR API gets a token bucket of its own
# (``burst`` tokens, refilled at ``rate`` per second, as AWS's quotas behave), and a call that finds
# its bucket empty is refused the way ECR refuses it. Off unless a test turns it on.

import threading as _threading
import time as _time
from contextlib import contextmanager as _contextmanager

# ECRBackend methods that serve an ECR API action (moto's responses.py calls one per request).
_RATED_METHODS = (
    "create_repository", "delete_repository", "describe_repositories", "put_image_tag_mutability",
    "put_image_scanning_configuration", "get_lifecycle_policy", "put_lifecycle_policy",
    "delete_lifecycle_policy", "get_repository_policy", "set_repository_policy", "delete_repository_policy",
    "list_tags_for_resource", "tag_resource", "untag_resource", "list_images", "batch_get_image",
    "put_image", "batch_delete_image", "describe_images",
)


class RequestRate:
    """Token buckets per ECR API; ``refused`` and ``served`` count per API while on, and
    ``served_for[api][repository]`` per repository (the call's repository name, when it has one)."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self.refused: dict[str, int] = {}
        self.served: dict[str, int] = {}
        self.served_for: dict[str, dict[str, int]] = {}
        self._tokens: dict[str, tuple[float, float]] = {}
        self._lock = _threading.Lock()

    def take(self, api: str, repository: str | None = None) -> bool:
        with self._lock:
            now = _time.monotonic()
            tokens, at = self._tokens.get(api, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._tokens[api] = (tokens, now)
                self.refused[api] = self.refused.get(api, 0) + 1
                return False
            self._tokens[api] = (tokens - 1.0, now)
            self.served[api] = self.served.get(api, 0) + 1
            if repository is not None:
                per = self.served_for.setdefault(api, {})
                per[repository] = per.get(repository, 0) + 1
            return True


_RATE: list[RequestRate | None] = [None]


@_contextmanager
def rate_limit(rate: float, burst: int = 10):
    """ECR throttles each API beyond ``rate`` requests per second (bursts of ``burst``) inside the block."""
    limiter = RequestRate(rate, burst)
    _RATE[0] = limiter
    try:
        yield limiter
    finally:
        _RATE[0] = None


def _install_request_rate() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.ecr.models import ECRBackend

    nested = _threading.local()

    def rated(name: str, original):
        def call(self, *args, **kwargs):
            # One request, one token: a backend method that calls another (the tag quota's check
            # reads the tags) is inside the request already admitted, as in ECR.
            if getattr(nested, "depth", 0):
                return original(self, *args, **kwargs)
            limiter = _RATE[0]
            repository = kwargs.get("repository_name")
            if repository is None and args and isinstance(args[0], str):
                # moto passes some positionally: delete_repository's name, the tag APIs' ARN
                repository = args[0].split(":repository/", 1)[-1]
            if limiter is not None and not limiter.take(name, repository if isinstance(repository, str) else None):
                raise JsonRESTError("ThrottlingException", "Rate exceeded")
            nested.depth = 1
            try:
                return original(self, *args, **kwargs)
            finally:
                nested.depth = 0

        call.__name__ = name
        call.__wrapped__ = original
        return call

    for name in _RATED_METHODS:
        original = getattr(ECRBackend, name, None)
        if original is not None:
            setattr(ECRBackend, name, rated(name, original))
