"""The desired state: properties in, typed frozen specs out (or every problem at once).

The schema checks what it can express; this module adds what it cannot: RepositoryDefaults merged
into each repository, the rule count per repository (built-in rules included), a raw
LifecyclePolicyText that AWS itself would accept, settings that only clash once merged (tag
exclusions against the mutability), the tag count after merging the levels of tags, principal
ARNs of the stack's own partition, encryption the region offers (KMS_DSSE: GovCloud only), and
the size of the repository policy the grants make.

Merging (docs/retention.md): a repository's own setting replaces the default, lists included. Three
groups count as one setting each: the lifecycle (LifecyclePolicyText replaces the generated rules'
keys and the other way round), the encryption (Encryption with its KmsKey), and the tag exclusions
(a default MutableTagPatterns applies to the immutable repositories only, ImmutableTagPatterns to
the mutable ones). Tags merge: resource Tags < RepositoryDefaults.Tags < the repository's Tags.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from . import access, lifecycle
from ..core.errors import InvalidProperties, Problem
from .ownership import PREFIX
from ..core.schema import coerce, compile_pattern, load_schema, schema_problems

MAX_NAME = 256  # botocore's RepositoryName: 2-256 characters
MAX_USER_TAGS = 44  # ECR allows 50 tags; the provider keeps at most 6 (ownership.OWN_TAGS) for its own


AES256 = "AES256"
KMS_TYPES = ("KMS", "KMS_DSSE")
DSSE = "KMS_DSSE"


def dsse_offered(region: str) -> bool:
    """Whether ECR offers dual-layer KMS encryption in ``region`` (ECR user guide, "Encryption at rest":
    the AWS GovCloud (US) Regions only). ``*`` (the region is not known) passes: nothing is written."""
    return region == "*" or region.startswith("us-gov-")


def tag_mutability(immutable: bool, exclusions: Collection[str] = ()) -> str:
    """ECR's imageTagMutability, one of its four values: IMMUTABLE or MUTABLE, with
    ``_WITH_EXCLUSION`` when some tags (``exclusions``' filters) have the opposite setting."""
    base = "IMMUTABLE" if immutable else "MUTABLE"
    return f"{base}_WITH_EXCLUSION" if exclusions else base


_GENERATED = ("ExpirationRules", "ExpireAllImages", "KeepUntagged", "ArchiveRules", "ExpireArchivedAfterDays")


@dataclass(frozen=True)
class RepoSpec:
    """One repository as declared. EmptyOnDelete is not here: only a Delete reads it, from its own
    possibly invalid properties (``empty_on_delete_of``)."""

    name: str
    immutable: bool = True
    scan_on_push: bool = True
    lifecycle_policy: str = ""  # the text written to ECR
    # The provider's own statements, as a policy text (None: it grants nobody access). What ECR
    # holds is these merged with the statements others wrote (access.merge).
    repository_policy: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    tag_exclusions: tuple[str, ...] = ()  # sorted; tags with the opposite of ``immutable``
    encryption: str = AES256
    kms_key: str | None = None  # None with KMS: the AWS managed key (or any key, for adoption)

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def mutability(self) -> str:
        """ECR's imageTagMutability: one of the four values."""
        return tag_mutability(self.immutable, self.tag_exclusions)


def encryption_text(kind: str, key: str | None) -> str:
    """An encryption in one line: ``AES256``, ``KMS``, ``KMS arn:aws:kms:...``."""
    return f"{kind} {key}" if key else kind


def encryption_matches(want_type: str, want_key: str | None, have_type: str, have_key: str | None) -> bool:
    """Whether a repository encrypted ``have_type``/``have_key`` is what is declared.

    ECR returns the key as an ARN. A declared ARN must equal it, a declared key id must be its last
    part; a declared alias cannot be resolved without KMS, and no key declared (ECR's managed key
    aws/ecr on creation) accepts any key: both then compare the type only."""
    if want_type != have_type:
        return False
    if want_type not in KMS_TYPES or not want_key or not have_key or want_key == have_key:
        return True
    if "alias/" in want_key:
        return True
    if want_key.startswith("arn:"):
        return False
    return have_key.endswith(f":key/{want_key}")


@dataclass(frozen=True)
class ResourceSpec:
    repos: dict[str, RepoSpec] = field(default_factory=dict)
    adopt_existing: bool = False
    reconcile_token: str = ""  # a change asks the Update to repair by hand changes (a full read)
    name_prefix: str = ""  # put before every key of EcrRepositories: ``repos`` is keyed by the full names

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
    """The spec (when there are no problems) and the list of problems: the schema's, then each
    repository's, one ``_check_*`` function per rule, in the order they are reported."""
    data = coerce(properties)
    problems = _schema_problems(data, partition, allow_intrinsics)
    if problems:
        return None, problems
    defaults = data.get("RepositoryDefaults") or {}
    context = _Context(partition, region, allow_intrinsics, data.get("Tags") or {},
                       defaults if isinstance(defaults, dict) else {})  # not a dict: an intrinsic, for the CLI
    prefix = name_prefix(data)
    repos: dict[str, RepoSpec] = {}
    for name, own in (data.get("EcrRepositories") or {}).items():
        if allow_intrinsics and not isinstance(own, dict):
            continue
        repos[prefix + name] = _check_repository(context, prefix, name, own)
    if context.problems:
        return None, context.problems
    return (
        ResourceSpec(
            repos=repos,
            adopt_existing=data.get("AdoptExisting", False) is True,
            reconcile_token=data.get("ReconcileToken") if isinstance(data.get("ReconcileToken"), str) else "",
            name_prefix=prefix,
        ),
        [],
    )


def _schema_problems(data: Any, partition: str, allow_intrinsics: bool) -> list[Problem]:
    """The schema's problems, with the principal ARNs of another partition among them (that check
    reads nothing the schema must have checked first), in the order of their paths."""
    problems = schema_problems(data, allow_intrinsics=allow_intrinsics)
    declared = data.get("EcrRepositories") if isinstance(data, dict) else None
    if not isinstance(declared, dict):
        return problems
    partition_problems = [p for name, settings in declared.items() if isinstance(settings, dict)
                          for p in _partition_problems(("EcrRepositories", name), settings, partition)]
    return sorted(problems + partition_problems, key=_path_order) if partition_problems else problems


class _Context:
    """What every repository's checks share: the request, and the problems found so far. (Plain
    classes, not dataclasses: cheaper to define at the Lambda's cold start.)"""

    __slots__ = ("partition", "region", "allow_intrinsics", "base_tags", "defaults", "problems", "reported", "texts")

    def __init__(self, partition: str, region: str, allow_intrinsics: bool, base_tags: dict[str, Any],
                 defaults: dict[str, Any]) -> None:
        self.partition = partition
        self.region = region
        self.allow_intrinsics = allow_intrinsics
        self.base_tags = base_tags  # the resource's Tags
        self.defaults = defaults  # RepositoryDefaults
        self.problems: list[Problem] = []
        self.reported: set[tuple[Any, ...]] = set()  # (location, message) of the settings' problems
        self.texts: dict[str, tuple[str, list[str]]] = {}  # LifecyclePolicyText -> (what is written, problems)


class _Report:
    """Where one repository's problems go. A setting's problem is reported where the setting is
    written: at RepositoryDefaults when it came from there, once, not once per repository."""

    __slots__ = ("context", "where", "origin")

    def __init__(self, context: _Context, where: tuple[str | int, ...], origin: dict[str, str]) -> None:
        self.context = context
        self.where = where  # ("EcrRepositories", key)
        self.origin = origin  # setting -> "own" or "defaults"

    def setting(self, key: str, message: str, path: tuple[str | int, ...] = ()) -> None:
        base = ("RepositoryDefaults", key) if self.origin.get(key) == "defaults" else self.where + (key,)
        location = base + path
        if (location, message) not in self.context.reported:
            self.context.reported.add((location, message))
            self.context.problems.append(Problem(location, message))

    def repository(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        self.context.problems.append(Problem(self.where + path, message))


def _check_repository(context: _Context, prefix: str, name: str, own: dict[str, Any]) -> RepoSpec:
    """One repository's spec; its problems go to ``context``."""
    settings, origin = _merge(context.defaults, own)
    report = _Report(context, ("EcrRepositories", name), origin)
    full = prefix + name
    if prefix:
        found = _full_name_problem(prefix, full)
        if found:
            report.repository(found)
    immutable, exclusions = _check_mutability(settings, origin, report)
    encryption, kms_key = _check_encryption(settings, context.region, report)
    lifecycle_text = _check_lifecycle(settings, context.texts, report)
    tags = _check_tags(context, own, report)
    policy = _check_policy(settings, context, report)
    return RepoSpec(
        name=full,
        immutable=immutable,
        scan_on_push=settings.get("ScanOnPush", True) is not False,
        lifecycle_policy=lifecycle_text,
        repository_policy=policy,
        tags=tuple(sorted((k, v) for k, v in tags.items() if isinstance(v, str))),
        tag_exclusions=exclusions,
        encryption=encryption,
        kms_key=kms_key,
    )


def _check_mutability(settings: dict[str, Any], origin: dict[str, str],
                      report: _Report) -> tuple[bool, tuple[str, ...]]:
    """IsImmutable and its tag exclusions: only the patterns of the opposite setting apply."""
    immutable = settings.get("IsImmutable", True) is not False
    own_key, other_key = ("MutableTagPatterns", "ImmutableTagPatterns") if immutable else \
        ("ImmutableTagPatterns", "MutableTagPatterns")
    if origin.get(other_key) == "own":
        report.setting(other_key, f"does not apply: IsImmutable is {'true' if immutable else 'false'}"
                                  f"{' (from RepositoryDefaults)' if origin.get('IsImmutable') == 'defaults' else ''}; "
                                  f"use {own_key}, or set IsImmutable: {'false' if immutable else 'true'}")
    return immutable, tuple(sorted(set(_strings(settings.get(own_key)))))


def _check_encryption(settings: dict[str, Any], region: str, report: _Report) -> tuple[str, str | None]:
    """Encryption and its KmsKey (kept for the KMS types only), of a kind the region offers."""
    encryption = settings.get("Encryption", AES256)
    kms_key = settings.get("KmsKey")
    if not isinstance(encryption, str):
        encryption = AES256  # an intrinsic, accepted by the CLI
    if not isinstance(kms_key, str):
        kms_key = None
    if encryption == DSSE and not dsse_offered(region):
        report.setting("Encryption", f"KMS_DSSE (dual-layer) is offered only in the AWS GovCloud (US) Regions, "
                                     f"not in {region}; use KMS, or deploy the stack in us-gov-west-1 or us-gov-east-1")
    return encryption, kms_key if encryption in KMS_TYPES else None


def _check_lifecycle(settings: dict[str, Any], texts: dict[str, tuple[str, list[str]]], report: _Report) -> str:
    """The lifecycle policy text written to ECR: LifecyclePolicyText as ECR would take it, or the
    generated rules; either within ECR's size limits."""
    text = settings.get("LifecyclePolicyText")
    if not isinstance(text, str):
        text = None  # none, or an intrinsic accepted by the CLI: the generated policy
    archive = _rules(settings.get("ArchiveRules"))
    if text is not None:
        written = _raw_lifecycle(text, settings, texts, report)
        key = "LifecyclePolicyText"
    else:
        written = _generated_lifecycle(settings, archive, report)
        key = "ArchiveRules" if archive else "ExpirationRules"
    if written and not lifecycle.MIN_CHARS <= len(written) <= lifecycle.MAX_CHARS:
        report.setting(key, f"makes a lifecycle policy of {len(written)} characters as written to ECR; ECR "
                            f"allows {lifecycle.MIN_CHARS}-{lifecycle.MAX_CHARS}: "
                            f"{'shorten the rules' if len(written) > lifecycle.MAX_CHARS else 'add a description'}")
    return written


def _raw_lifecycle(text: str, settings: dict[str, Any], texts: dict[str, tuple[str, list[str]]],
                   report: _Report) -> str:
    """LifecyclePolicyText, alone (no generated keys beside it) and as AWS would accept it; each
    distinct text is parsed once (``texts``)."""
    expire_all = settings.get("ExpireAllImages", False) is True
    clash = [k for k in _GENERATED if k in settings and not (k == "ExpireAllImages" and not expire_all)]
    if clash:
        report.setting("LifecyclePolicyText", f"replaces the generated policy; remove {' and '.join(clash)}, "
                                              "or the text")
    if text not in texts:
        policy, found = lifecycle.parse_text(text)
        texts[text] = (lifecycle.dump(policy) if policy is not None and not found else "", found)
    written, found = texts[text]
    for message in found:
        report.setting("LifecyclePolicyText", message)
    return written


def _generated_lifecycle(settings: dict[str, Any], archive: list[lifecycle.Rule], report: _Report) -> str:
    """The policy the generated keys make, within ECR's rule count (built-in rules included)."""
    expire_all = settings.get("ExpireAllImages", False) is True
    rules = _rules(settings.get("ExpirationRules"))
    keep_untagged = settings.get("KeepUntagged", lifecycle.UNTAGGED_KEEP)
    if not isinstance(keep_untagged, int):
        keep_untagged = lifecycle.UNTAGGED_KEEP
    archived = settings.get("ExpireArchivedAfterDays")
    if not isinstance(archived, int) or isinstance(archived, bool):
        archived = None
    count = lifecycle.rule_count(len(rules), expire_all, len(archive), archived is not None)
    if count > lifecycle.MAX_RULES:
        report.setting("ArchiveRules" if archive else "ExpirationRules",
                       f"makes {count} lifecycle rules with the built-in ones; ECR allows {lifecycle.MAX_RULES}")
    return lifecycle.dump(lifecycle.build_policy(
        rules, expire_all, keep_untagged=keep_untagged, archive=archive, expire_archived_after=archived))


def _check_tags(context: _Context, own: dict[str, Any], report: _Report) -> dict[str, Any]:
    """The merged user tags (resource < RepositoryDefaults < the repository), at most MAX_USER_TAGS."""
    from_defaults = context.defaults.get("Tags") or {}
    tags = {**context.base_tags, **from_defaults, **(own.get("Tags") or {})}
    if len(tags) > MAX_USER_TAGS:
        report.repository(f"makes {len(tags)} tags with the resource's"
                          f"{' and RepositoryDefaults' if from_defaults else ''} Tags; at most {MAX_USER_TAGS}",
                          ("Tags",))
    return tags


def _check_policy(settings: dict[str, Any], context: _Context, report: _Report) -> str | None:
    """The provider's repository policy text (None: no grants), from the grants and PolicyStatements,
    within ECR's policy size."""
    statements = settings.get("PolicyStatements")
    statements = statements if isinstance(statements, list) else []  # an intrinsic, accepted by the CLI
    for path, message in access.statement_problems(statements, allow_intrinsics=context.allow_intrinsics):
        report.setting("PolicyStatements", message, path)
    extra = [s for s in statements if isinstance(s, dict)]
    doc = access.build_policy(context.partition, [], [], region=context.region, grants=_grants(settings), extra=extra)
    if not doc:
        return None
    text = access.dump(doc)
    if len(text) > access.MAX_POLICY_CHARS:
        makers = "grants and PolicyStatements make" if extra else "grants make"
        report.repository(f"{makers} a repository policy of {len(text)} characters; ECR allows "
                          f"{access.MAX_POLICY_CHARS}: grant by organization or OU instead of many accounts or ARNs"
                          f"{', or shorten PolicyStatements' if extra else ''}")
    return text


def name_prefix(properties: Any) -> str:
    """NamePrefix, or ``""`` (none declared, or an intrinsic the CLI cannot resolve)."""
    value = properties.get("NamePrefix") if isinstance(properties, dict) else None
    return value if isinstance(value, str) else ""


def _full_name_problem(prefix: str, full: str) -> str | None:
    """What ECR would refuse in a repository's full name (NamePrefix + key); the key alone is the
    schema's to check."""
    if len(full) > MAX_NAME:
        return (f"with NamePrefix ({len(prefix)} characters) the repository name is {len(full)} characters; ECR "
                f"allows {MAX_NAME}: shorten the prefix or the key")
    rule = load_schema()["properties"]["EcrRepositories"]["propertyNames"]["pattern"]
    if not compile_pattern(rule).search(full):
        return (f"with NamePrefix {prefix!r} makes {full!r}, not a valid ECR repository name; end the prefix with "
                "'/', '.', '_', '__' or '-', or a lowercase letter or digit")
    return None


def _merge(defaults: dict[str, Any], own: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A repository's settings with RepositoryDefaults filled in, and where each came from
    (``"own"`` or ``"defaults"``); Tags are merged by the caller."""
    taken = dict(defaults)
    if "LifecyclePolicyText" in own:
        for key in _GENERATED:
            taken.pop(key, None)
    if any(key in own for key in _GENERATED):
        taken.pop("LifecyclePolicyText", None)
    if "Encryption" in own:
        taken.pop("KmsKey", None)
    immutable = own.get("IsImmutable", defaults.get("IsImmutable", True)) is not False
    taken.pop("ImmutableTagPatterns" if immutable else "MutableTagPatterns", None)  # defaults apply where they fit
    origin = {key: "defaults" for key in taken}
    origin.update({key: "own" for key in own})
    return {**taken, **own}, origin


def _rules(value: Any) -> list[lifecycle.Rule]:
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("TagPattern"), str):
            continue
        kind = next((k for k in lifecycle.COUNT_TYPES if isinstance(item.get(k), int)), None)
        if kind is not None:
            out.append(lifecycle.Rule(item["TagPattern"], kind, item[kind]))
    return out


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
    """Best-effort full repository names (NamePrefix + key) of possibly invalid properties (for a
    Delete, which must not fail on them)."""
    return sorted(declared_keys(properties))


def declared_keys(properties: Any) -> dict[str, str]:
    """Full repository name -> its key in EcrRepositories, best effort, as ``declared_names``."""
    repos = properties.get("EcrRepositories") if isinstance(properties, dict) else None
    if not isinstance(repos, dict):
        return {}
    prefix = name_prefix(properties)
    return {prefix + n: n for n in repos if isinstance(n, str) and 2 <= len(prefix + n) <= MAX_NAME
            and not (prefix + n).startswith(PREFIX)}


def empty_on_delete_of(properties: Any, name: str) -> bool:
    """EmptyOnDelete for one repository of possibly invalid properties; false unless clearly true."""
    def truthy(value: Any) -> bool:
        return value is True or (isinstance(value, str) and value.lower() == "true")

    if not isinstance(properties, dict):
        return False
    name = declared_keys(properties).get(name, name)  # ``name`` is the full name
    settings = (properties.get("EcrRepositories") or {}).get(name) if isinstance(properties.get("EcrRepositories"), dict) else None
    if isinstance(settings, dict) and "EmptyOnDelete" in settings:
        return truthy(settings["EmptyOnDelete"])
    defaults = properties.get("RepositoryDefaults")
    if isinstance(defaults, dict) and "EmptyOnDelete" in defaults:
        return truthy(defaults["EmptyOnDelete"])
    return truthy(properties.get("EmptyOnDelete"))


def previous(properties: Any, partition: str = "aws", *, region: str = "*") -> ResourceSpec:
    """The previous properties of an Update (``OldResourceProperties``), which an earlier release may
    have written with keys or values today's schema rejects: never an error, never a reason by itself
    to replace the physical id. Valid ones parse as usual; otherwise what can be read is kept (the
    names, and each repository's merged user tags, so tags the template dropped are still removed),
    and every other setting counts as unknown (the repository is read and compared in full)."""
    spec, problems = check(properties, partition, region=region)
    if spec is not None and not problems:
        return spec

    def tag_map(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    repos_raw = properties.get("EcrRepositories") if isinstance(properties, dict) else None
    base = tag_map(properties.get("Tags")) if isinstance(properties, dict) else {}
    repos: dict[str, RepoSpec] = {}
    for name, key in sorted(declared_keys(properties).items()):
        settings = repos_raw.get(key) if isinstance(repos_raw, dict) else None
        own = tag_map(settings.get("Tags")) if isinstance(settings, dict) else {}
        # lifecycle_policy None never equals a parsed spec's text: the repository is compared in full
        repos[name] = RepoSpec(name=name, lifecycle_policy=None, tags=tuple(sorted({**base, **own}.items())))  # type: ignore[arg-type]
    return ResourceSpec(repos=repos, name_prefix=name_prefix(properties))
