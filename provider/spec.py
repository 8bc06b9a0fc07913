"""The desired state: properties in, typed frozen specs out (or every problem at once).

The schema checks what it can express; this module adds what it cannot: the rule count per
repository (built-in rules included), a raw LifecyclePolicyText that AWS itself would accept,
and the tag count after merging resource and repository tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import access, lifecycle
from .errors import InvalidProperties, Problem
from .ownership import PREFIX
from .schema import coerce, schema_problems

MAX_USER_TAGS = 44  # ECR allows 50 tags; the provider keeps at most 6 (ownership.OWN_TAGS) for its own


@dataclass(frozen=True)
class RepoSpec:
    name: str
    immutable: bool = True
    scan_on_push: bool = True
    lifecycle_policy: str = ""  # the text written to ECR
    repository_policy: str | None = None  # None: no repository policy at all
    tags: tuple[tuple[str, str], ...] = ()
    empty_on_delete: bool = False

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def mutability(self) -> str:
        return "IMMUTABLE" if self.immutable else "MUTABLE"


@dataclass(frozen=True)
class ResourceSpec:
    repos: dict[str, RepoSpec] = field(default_factory=dict)
    adopt_existing: bool = False
    empty_on_delete: bool = False

    @property
    def names(self) -> list[str]:
        return sorted(self.repos)


def parse(properties: Any, partition: str = "aws", *, allow_intrinsics: bool = False) -> ResourceSpec:
    """Validate ``properties`` and build the spec; raise InvalidProperties listing every problem."""
    spec, problems = check(properties, partition, allow_intrinsics=allow_intrinsics)
    if problems:
        raise InvalidProperties(problems)
    assert spec is not None
    return spec


def check(
    properties: Any, partition: str = "aws", *, allow_intrinsics: bool = False
) -> tuple[ResourceSpec | None, list[Problem]]:
    """The spec (when there are no problems) and the list of problems."""
    data = coerce(properties)
    problems = schema_problems(data, allow_intrinsics=allow_intrinsics)
    if problems:
        return None, problems
    repos: dict[str, RepoSpec] = {}
    base_tags = data.get("Tags") or {}
    resource_empty = data.get("EmptyOnDelete", False)
    for name, settings in (data.get("EcrRepositories") or {}).items():
        if allow_intrinsics and not isinstance(settings, dict):
            continue
        where: tuple[str | int, ...] = ("EcrRepositories", name)
        rules = [(r["TagPattern"], r["Days"]) for r in settings.get("ExpirationRules", []) if isinstance(r, dict)]
        expire_all = settings.get("ExpireAllImages", False)
        text = settings.get("LifecyclePolicyText")
        if text is not None and not isinstance(text, str):
            text = None  # an intrinsic, accepted by the CLI; nothing to check
        elif text is not None:
            if rules or expire_all is True:
                problems.append(
                    Problem(
                        where + ("LifecyclePolicyText",),
                        "replaces the generated policy; remove ExpirationRules and ExpireAllImages, or the text",
                    )
                )
            policy, found = lifecycle.parse_text(text)
            problems.extend(Problem(where + ("LifecyclePolicyText",), f"{m}") for m in found)
            lifecycle_text = lifecycle.dump(policy) if policy is not None and not found else ""
        if text is None:
            count = lifecycle.rule_count(len(rules), expire_all is True)
            if count > lifecycle.MAX_RULES:
                problems.append(
                    Problem(
                        where + ("ExpirationRules",),
                        f"makes {count} lifecycle rules with the built-in ones; ECR allows {lifecycle.MAX_RULES}",
                    )
                )
            lifecycle_text = lifecycle.dump(lifecycle.build_policy(rules, expire_all is True))
        tags = {**base_tags, **(settings.get("Tags") or {})}
        if len(tags) > MAX_USER_TAGS:
            problems.append(
                Problem(where + ("Tags",), f"makes {len(tags)} tags with the resource's Tags; at most {MAX_USER_TAGS}")
            )
        policy_doc = access.build_policy(
            partition,
            pull=_strings(settings.get("AdditionalPullAccountIds")),
            push=_strings(settings.get("AdditionalPushAccountIds")),
        )
        repos[name] = RepoSpec(
            name=name,
            immutable=settings.get("IsImmutable", True) is not False,
            scan_on_push=settings.get("ScanOnPush", True) is not False,
            lifecycle_policy=lifecycle_text,
            repository_policy=access.dump(policy_doc) if policy_doc else None,
            tags=tuple(sorted((k, v) for k, v in tags.items() if isinstance(v, str))),
            empty_on_delete=settings.get("EmptyOnDelete", resource_empty) is True,
        )
    if problems:
        return None, problems
    return (
        ResourceSpec(
            repos=repos,
            adopt_existing=data.get("AdoptExisting", False) is True,
            empty_on_delete=resource_empty is True,
        ),
        [],
    )


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def declared_names(properties: Any) -> list[str]:
    """Best-effort repository names of possibly invalid properties (for a Delete, which must not fail on them)."""
    repos = properties.get("EcrRepositories") if isinstance(properties, dict) else None
    if not isinstance(repos, dict):
        return []
    return sorted(n for n in repos if isinstance(n, str) and 2 <= len(n) <= 256 and not n.startswith(PREFIX))


def empty_on_delete_of(properties: Any, name: str) -> bool:
    """EmptyOnDelete for one repository of possibly invalid properties; false unless clearly true."""
    def truthy(value: Any) -> bool:
        return value is True or (isinstance(value, str) and value.lower() == "true")

    if not isinstance(properties, dict):
        return False
    settings = (properties.get("EcrRepositories") or {}).get(name) if isinstance(properties.get("EcrRepositories"), dict) else None
    if isinstance(settings, dict) and "EmptyOnDelete" in settings:
        return truthy(settings["EmptyOnDelete"])
    return truthy(properties.get("EmptyOnDelete"))


def previous(properties: Any, partition: str = "aws") -> ResourceSpec:
    """The previous properties of an Update (``OldResourceProperties``), which an earlier release may
    have written with keys or values today's schema rejects: never an error, never a reason by itself
    to replace the physical id. Valid ones parse as usual; otherwise what can be read is kept (the
    names, and each repository's merged user tags, so tags the template dropped are still removed),
    and every other setting counts as unknown (the repository is read and compared in full)."""
    spec, problems = check(properties, partition)
    if spec is not None and not problems:
        return spec

    def tag_map(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    repos_raw = properties.get("EcrRepositories") if isinstance(properties, dict) else None
    base = tag_map(properties.get("Tags")) if isinstance(properties, dict) else {}
    repos: dict[str, RepoSpec] = {}
    for name in declared_names(properties):
        settings = repos_raw.get(name) if isinstance(repos_raw, dict) else None
        own = tag_map(settings.get("Tags")) if isinstance(settings, dict) else {}
        # lifecycle_policy None never equals a parsed spec's text: the repository is compared in full
        repos[name] = RepoSpec(name=name, lifecycle_policy=None, tags=tuple(sorted({**base, **own}.items())))  # type: ignore[arg-type]
    return ResourceSpec(repos=repos)
