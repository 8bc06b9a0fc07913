"""The provider's error hierarchy.

``str(error)`` is what CloudFormation shows as the Reason, so every message names the repository or
field, ends with what to do, and stays under CloudFormation's 256 characters (crhelper keeps only
the last 240 characters of a longer one, so the fix goes last).
"""

from __future__ import annotations

from dataclasses import dataclass

REASON_LIMIT = 256


def shorten(text: str, limit: int = REASON_LIMIT) -> str:
    """Cut ``text`` to ``limit`` characters, dropping the middle so that the start and the fix survive."""
    if len(text) <= limit:
        return text
    keep_end = limit // 2
    keep_start = limit - keep_end - 3
    return text[:keep_start] + "..." + text[-keep_end:]


class EcrReposError(Exception):
    """Base class: anything the provider reports to CloudFormation as a FAILED Reason."""

    def __str__(self) -> str:
        return shorten(self.message())

    def message(self) -> str:  # pragma: no cover - every subclass overrides
        return super().__str__()


@dataclass(frozen=True)
class Problem:
    """One invalid value: ``path`` is a tuple of keys/indexes from the properties' root."""

    location: tuple[str | int, ...]
    message: str

    @property
    def path(self) -> str:
        return format_path(self.location)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.location else self.message


def format_path(location: tuple[str | int, ...]) -> str:
    """``("EcrRepositories", "app/api", "ExpirationRules", 0, "Days")`` -> ``EcrRepositories.app/api.ExpirationRules[0].Days``."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if not part.isprintable():  # a key holding a newline or other control character: show it escaped
            part = repr(part)
        out += f".{part}" if out else part
    return out


class InvalidProperties(EcrReposError):
    """The resource's properties break the schema or an ECR rule; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems

    def message(self) -> str:
        first = str(self.problems[0])
        more = len(self.problems) - 1
        tail = f" (+{more} more problem{'s' if more > 1 else ''})" if more else ""
        # The first problem carries its own fix; keep it whole even if the path is long.
        return shorten(f"Invalid properties: {first}{tail}")


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


class OutOfTime(EcrReposError):
    """The time ran out (the Lambda's, or CloudFormation's ServiceTimeout) before all actions finished.

    ``total`` None: it ran out while the registry was still being read, before any change.
    ``in_flight``: the answer went out while an ECR call was still running (the timer's answer).
    """

    def __init__(self, done: int = 0, total: int | None = None, *, service_timeout: int | None = None,
                 in_flight: bool = False):
        super().__init__(done, total, service_timeout, in_flight)
        self.done = done
        self.total = total
        self.service_timeout = service_timeout
        self.in_flight = in_flight

    def message(self) -> str:
        if self.service_timeout is not None:
            limit = f"CloudFormation's ServiceTimeout ({self.service_timeout} s) ran out"
            fix = "Raise ServiceTimeout or split the resource."
        else:
            limit = "the Lambda timed out"
            fix = "Raise the provider's Timeout or split the resource."
        if self.in_flight:
            return f"Stopped before {limit}, while an ECR call was still running; what was done is safe to roll back. {fix}"
        if self.total is None:
            return f"Stopped before {limit}, while reading the registry; nothing was changed. {fix}"
        return (
            f"Stopped before {limit} after {self.done} of {self.total} changes; "
            f"what was done is safe to roll back. {fix}"
        )


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
