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
