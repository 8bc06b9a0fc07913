"""Errors of Custom::EcrRepos: ownership, ECR's calls and its policy limits.

Built on ``core.errors.EcrReposError``: ``str(error)`` is the Reason CloudFormation shows, so each
message names the repository and ends with what to do.
"""

from __future__ import annotations

from ..core.errors import EcrReposError, shorten

class OwnershipConflict(EcrReposError):
    """A declared repository exists and belongs to someone else."""

    def __init__(self, repository: str, owner_stack: str | None):
        super().__init__(repository, owner_stack)
        self.repository = repository
        self.owner_stack = owner_stack

    def message(self) -> str:
        if self.owner_stack:
            return (
                f"Repository {self.repository!r} is owned by stack {self.owner_stack!r}; nothing was changed. "
                "Remove it from EcrRepositories here or from that stack."
            )
        return (
            f"Repository {self.repository!r} already exists and no stack owns it; nothing was changed. "
            "Set AdoptExisting: true to take it over (images are kept), or rename it."
        )

class EncryptionConflict(EcrReposError):
    """A declared repository exists with another encryption; ECR fixes it at creation."""

    def __init__(self, repository: str, actual: str, declared: str):
        super().__init__(repository, actual, declared)
        self.repository = repository
        self.actual = actual
        self.declared = declared

    def message(self) -> str:
        return (
            f"Repository {self.repository!r} is encrypted {self.actual}, not {self.declared}, and ECR cannot "
            "change it; nothing was changed. Declare Encryption/KmsKey as it has, or use a new repository name."
        )

def conflict_error(repository: str, owner_stack: str | None, encryption: tuple[str, str] | None) -> EcrReposError:
    """The error of a plan's first conflict (planner.Conflict's fields)."""
    if encryption is not None:
        return EncryptionConflict(repository, *encryption)
    return OwnershipConflict(repository, owner_stack)

class RepositoriesNotEmpty(EcrReposError):
    """A Delete found repositories that still hold images and may not empty them."""

    def __init__(self, repositories: list[str]):
        super().__init__(repositories)
        self.repositories = sorted(repositories)

    def message(self) -> str:
        names = ", ".join(repr(r) for r in self.repositories[:3])
        if len(self.repositories) > 3:
            names += f" and {len(self.repositories) - 3} more"
        return (
            f"Repository {names} still holds images and was kept. "
            "Empty it, set EmptyOnDelete: true, or retain the resource (DeletionPolicy: Retain)."
        )

class AwsCallFailed(EcrReposError):
    """ECR refused a call; the message carries the repository, the operation and ECR's own words."""

    def __init__(self, repository: str | None, operation: str, code: str, detail: str):
        super().__init__(repository, operation, code, detail)
        self.repository = repository
        self.operation = operation
        self.code = code
        self.detail = detail

    def message(self) -> str:
        where = f" on repository {self.repository!r}" if self.repository else ""
        hint = {
            "AccessDeniedException": "Grant the provider's role this ECR action.",
            "ThrottlingException": "ECR kept throttling; retry the stack operation.",
            "LimitExceededException": "Raise the ECR quota or declare fewer repositories.",
        }.get(self.code, "Fix the cause above and retry the stack operation.")
        detail = shorten(self.detail, 90)
        return f"ECR {self.operation}{where} failed: {self.code}: {detail}. {hint}"

class SdkTooOld(EcrReposError):
    """botocore refused a parameter the provider sends because it predates it (``ecr_repos.sdk``): the
    Lambda runs with an SDK other than the zip's (the runtime's, or a layer's)."""

    def __init__(self, repository: str | None, operation: str, version: str, minimum: str):
        super().__init__(repository, operation, version, minimum)
        self.repository = repository
        self.operation = operation
        self.version = version
        self.minimum = minimum

    def message(self) -> str:
        where = f" on repository {self.repository!r}" if self.repository else ""
        return (f"ECR {self.operation}{where} not sent: this Lambda's botocore {self.version} predates parameters "
                f"the provider sends (it needs {self.minimum} or later). Deploy the zip of `make package`: it "
                "carries its own SDK.")


class RepositoryPolicyTooLarge(EcrReposError):
    """The declared grants and the statements others wrote would not fit in one repository policy."""

    def __init__(self, repository: str, length: int, foreign_length: int, limit: int):
        super().__init__(repository, length, foreign_length, limit)
        self.repository = repository
        self.length = length
        self.foreign_length = foreign_length
        self.limit = limit

    def message(self) -> str:
        return (
            f"Repository {self.repository!r}: its policy would be {self.length} characters, {self.foreign_length} "
            f"of them statements others wrote; ECR allows {self.limit}. Nothing was changed. Grant by organization "
            "or OU instead of many accounts or ARNs, or remove foreign statements."
        )

class PrincipalNotFound(EcrReposError):
    """ECR kept refusing a repository policy because it does not know a principal it names."""

    def __init__(self, repository: str, principals: list[str], waited: float):
        super().__init__(repository, principals, waited)
        self.repository = repository
        self.principals = principals
        self.waited = waited

    def message(self) -> str:
        names = ", ".join(self.principals[:2]) or "?"
        if len(self.principals) > 2:
            names += f" (+{len(self.principals) - 2} more)"
        return (
            f"Repository {self.repository!r}: ECR does not know principal {names} (retried {self.waited:.0f} s "
            "for IAM to propagate). Check that it exists (a new role is fine: retry), or remove it from the grants."
        )
