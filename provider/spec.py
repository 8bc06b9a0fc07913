"""The desired state: properties in, typed frozen specs out (or every problem at once).

The schema checks what it can express; this module adds what it cannot: the rule count per
repository (built-in rules included), a raw LifecyclePolicyText that AWS itself would accept,
the tag count after merging resource and repository tags, principal ARNs of the stack's own
partition, and the size of the repository policy the grants make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import access, lifecycle
from .errors import InvalidProperties, Problem
from .ownership import PREFIX
from .schema import coerce, schema_problems

MAX_USER_TAGS = 44  # ECR allows 50 tags; the provider keeps 6 for its own (owner, origin, references)


@dataclass(frozen=True)
class RepoSpec:
    name: str
    immutable: bool = True
    scan_on_push: bool = True
    lifecycle_policy: str = ""  # the text written to ECR
    # The provider's own statements, as a policy text (None: it grants nobody access). What ECR
    # holds is these merged with the statements others wrote (access.merge).
    repository_policy: str | None = None
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


def parse(properties: Any, partition: str = "aws", *, region: str = "*",
          allow_intrinsics: bool = False) -> ResourceSpec:
    """Validate ``properties`` and build the spec; raise InvalidProperties listing every problem.

    ``region`` is the repositories' region (the Lambda grants name functions of that region only);
    ``*`` stands for it where it is not known and no policy is written (``ecr-repos validate``)."""
    spec, problems = check(properties, partition, region=region, allow_intrinsics=allow_intrinsics)
    if problems:
        raise InvalidProperties(problems)
    assert spec is not None
    return spec


def check(
    properties: Any, partition: str = "aws", *, region: str = "*", allow_intrinsics: bool = False
) -> tuple[ResourceSpec | None, list[Problem]]:
    """The spec (when there are no problems) and the list of problems."""
    data = coerce(properties)
    problems = schema_problems(data, allow_intrinsics=allow_intrinsics)
    declared = data.get("EcrRepositories") if isinstance(data, dict) else None
    if isinstance(declared, dict):
        # Reported with the schema's problems: it reads nothing the schema must have checked first.
        partition_problems = [p for name, settings in declared.items() if isinstance(settings, dict)
                              for p in _partition_problems(("EcrRepositories", name), settings, partition)]
        if partition_problems:
            problems = sorted(problems + partition_problems, key=_path_order)
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
        policy_doc = access.build_policy(partition, [], [], region=region, grants=_grants(settings))
        if policy_doc and len(access.dump(policy_doc)) > access.MAX_POLICY_CHARS:
            problems.append(
                Problem(
                    where,
                    f"grants make a repository policy of {len(access.dump(policy_doc))} characters; ECR allows "
                    f"{access.MAX_POLICY_CHARS}: grant by organization or OU instead of many accounts or ARNs",
                )
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


def _path_order(problem: Problem) -> list[tuple[int, int, str]]:
    return [(0, x, "") if isinstance(x, int) else (1, 0, x) for x in problem.location]


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


_GRANT_FIELDS = {
    "pull_accounts": "AdditionalPullAccountIds",
    "push_accounts": "AdditionalPushAccountIds",
    "pull_principals": "PullPrincipalArns",
    "push_principals": "PushPrincipalArns",
    "pull_orgs": "PullOrganizationIds",
    "push_orgs": "PushOrganizationIds",
    "pull_org_paths": "PullOrganizationalUnitPaths",
    "push_org_paths": "PushOrganizationalUnitPaths",
    "lambda_accounts": "LambdaPullAccountIds",
}


def _grants(settings: dict[str, Any]) -> access.Grants:
    return access.Grants(**{attr: tuple(_strings(settings.get(key))) for attr, key in _GRANT_FIELDS.items()})


def _partition_problems(where: tuple[str | int, ...], settings: dict[str, Any], partition: str) -> list[Problem]:
    """Principal ARNs must be of the stack's partition: the schema accepts every partition's form,
    only the stack knows its own (ECR would refuse the policy, or the grant would name nobody)."""
    out = []
    for key in ("PullPrincipalArns", "PushPrincipalArns"):
        values = settings.get(key)
        for index, arn in enumerate(values if isinstance(values, list) else []):
            if not isinstance(arn, str):
                continue
            found = access.partition_of_arn(arn)
            if found is not None and found != partition:
                fixed = f"arn:{partition}:" + arn.split(":", 2)[2]
                out.append(Problem(where + (key, index),
                                   f"is in partition {found!r}, the stack in {partition!r}; use {fixed}"))
    return out


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
