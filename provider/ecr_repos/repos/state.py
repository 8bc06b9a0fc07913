"""What ECR holds for one repository (``RepoState``): the executor reads it, the planner plans from it.

Also the immutable record both build on (``Record``): slotted classes with value equality, cheaper to
define at import than frozen dataclasses (the Lambda's cold start).
"""

from __future__ import annotations

from typing import Any


class Record:
    """An immutable record: fields from ``__slots__`` (defaults in ``_defaults``), compared by value."""

    __slots__: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        slots = self.__slots__
        if len(args) > len(slots):
            raise TypeError(f"{type(self).__name__} takes {len(slots)} fields")
        values = dict(zip(slots, args))
        for key, value in kwargs.items():
            if key not in slots or key in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {key!r}")
            values[key] = value
        for key in slots:
            if key not in values:
                if key not in self._defaults:
                    raise TypeError(f"{type(self).__name__}: missing field {key!r}")
                values[key] = self._defaults[key]
            object.__setattr__(self, key, values[key])

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied (``dataclasses.replace`` for these records)."""
        values = {k: getattr(self, k) for k in self.__slots__}
        values.update(changes)
        return type(self)(**values)

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._fields() == self._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._fields()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"


class RepoState(Record):
    """What ECR holds for one repository. ``tags`` is ``None`` when details were not read;
    ``policies_read``: lifecycle_policy and repository_policy hold what ECR has."""

    __slots__ = ("name", "immutable", "scan_on_push", "arn", "tags", "lifecycle_policy", "repository_policy",
                 "policies_read", "tag_exclusions", "encryption", "kms_key")
    _defaults = {"arn": "", "tags": None, "lifecycle_policy": None, "repository_policy": None,
                 "policies_read": False, "tag_exclusions": frozenset(), "encryption": "AES256", "kms_key": None}
    name: str
    immutable: bool
    scan_on_push: bool
    arn: str
    tags: dict[str, str] | None
    lifecycle_policy: str | None
    repository_policy: str | None
    policies_read: bool
    # From DescribeRepositories, like immutable and scan_on_push: free with every read.
    tag_exclusions: frozenset[str]  # imageTagMutabilityExclusionFilters' filters
    encryption: str
    kms_key: str | None

    def __hash__(self) -> int:  # tags is a dict
        return hash((self.name, self.arn))

    @property
    def inspected(self) -> bool:
        return self.tags is not None
