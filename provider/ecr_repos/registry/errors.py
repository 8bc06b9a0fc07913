"""Errors of Custom::EcrRegistry: parts owned elsewhere, ECR's limits on merged objects, ECR's calls.

Built on ``core.errors.EcrReposError``: ``str(error)`` is the Reason CloudFormation shows, so each
message names the property and the part, and ends with what to do.
"""

from __future__ import annotations

from ..core.errors import EcrReposError, shorten

_WORDS = {
    "PolicyStatements": "registry policy statement Sid",
    "ReplicationSourceAccountIds": "registry policy statement",
    "ReplicationRules": "replication rule",
    "PullThroughCacheRules": "pull-through cache rule",
    "RepositoryCreationTemplates": "repository creation template",
    "Scanning": "scanning configuration",
    "PullTimeUpdateExclusions": "pull-time update exclusion",
}


class PartOwnedElsewhere(EcrReposError):
    """A declared part exists and this resource did not declare it before: another resource's, or a hand-made one."""

    def __init__(self, field: str, key: str, more: int = 0):
        super().__init__(field, key, more)
        self.field = field
        self.key = key
        self.more = more

    def message(self) -> str:
        what = "the registry's scanning configuration" if self.field == "Scanning" else \
            f"{_WORDS.get(self.field, self.field)} {self.key!r}"
        extra = f" (+{self.more} more)" if self.more else ""
        return (f"{self.field}: {what}{extra} already exists and is not this resource's; nothing was changed. "
                "Remove it here or where it was made, or set AdoptExisting: true to take it over.")


class RegistryLimit(EcrReposError):
    """The declared parts and the parts others wrote would not fit in what ECR allows."""

    def __init__(self, field: str, size: int, foreign: int, limit: int):
        super().__init__(field, size, foreign, limit)
        self.field = field
        self.size = size
        self.foreign = foreign
        self.limit = limit

    def message(self) -> str:
        unit = "characters" if self.field == "PolicyStatements" else "rules"
        return (f"{self.field}: the registry would hold {self.size} {unit}, {self.foreign} of them others'; ECR allows "
                f"{self.limit}. Nothing was changed. Declare fewer, or remove others' from the registry.")


class LostUpdate(EcrReposError):
    """Another writer kept replacing the registry's one object before this resource's change could hold."""

    def __init__(self, what: str, attempts: int):
        super().__init__(what, attempts)
        self.what = what
        self.attempts = attempts

    def message(self) -> str:
        return (f"The registry's {self.what} was rewritten by another writer {self.attempts} times before this change "
                "held; what was done is safe to roll back. Retry the stack operation.")


class RegistryCallFailed(EcrReposError):
    """ECR refused a call: the operation, the part and ECR's own words."""

    def __init__(self, part: str | None, operation: str, code: str, detail: str):
        super().__init__(part, operation, code, detail)
        self.part = part
        self.operation = operation
        self.code = code
        self.detail = detail

    def message(self) -> str:
        where = f" for {self.part}" if self.part else ""
        hint = {
            "AccessDeniedException": "Grant the provider's role this ECR action.",
            "ThrottlingException": "ECR kept throttling; retry the stack operation.",
            "LimitExceededException": "Raise the ECR quota or declare fewer.",
            "SecretNotFoundException": "Create the secret (named ecr-pullthroughcache/...) or fix CredentialArn.",
            "UnableToAccessSecretException": "Let ECR read the secret (its resource policy and KMS key).",
        }.get(self.code, "Fix the cause above and retry the stack operation.")
        return f"ECR {self.operation}{where} failed: {self.code}: {shorten(self.detail, 90)}. {hint}"


class SdkTooOld(EcrReposError):
    """The Lambda runtime's botocore predates an ECR operation this resource needs."""

    def __init__(self, operation: str, version: str):
        super().__init__(operation, version)
        self.operation = operation
        self.version = version

    def message(self) -> str:
        return (f"The Lambda's botocore {self.version} has no ECR {self.operation}; nothing more was changed. Build the "
                "provider zip with scripts/package.py --with-boto3, or use a newer Python runtime.")
