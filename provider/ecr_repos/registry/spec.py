"""Custom::EcrRegistry's desired state: properties in, typed frozen parts out (or every problem at once).

The schema (schema/ecr-registry.schema.json) checks what it can express; this module adds what it
cannot: Sids unique in the resource, the actions of a real ECR API and of the registry's policy scope,
a replication destination that is not this registry, the upstream URL a pull-through cache rule implies
and the credential or role its upstream needs, and a creation template's repository settings, built into
its lifecycle policy and repository policy by Custom::EcrRepos's own code (``repos.spec``).

Each part has a key the provider finds it by in ECR (a statement's Sid, a replication rule's content, a
cache or template prefix, an exclusion's ARN) and an ``api()`` form as ECR takes and returns it, so
that desired and actual compare as equals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..core.errors import InvalidProperties, Problem
from ..core.schema import REGISTRY_SCHEMA_FILE, coerce, schema_problems
from ..repos import spec as repos_spec

SID_PREFIX = "EcrRegistry"  # the provider's own Sids; a declared Sid may not start with it
REPLICATION_SID = "ReplicateFrom"  # + the source account id, after the owner's prefix: one statement per account
REPLICATION_ACTIONS = ("ecr:CreateRepository", "ecr:ReplicateImage")
# ECR user guide, "Private registry permissions": what registry policy scope V1 enforces (V2: every action).
V1_ACTIONS = frozenset({"ecr:ReplicateImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"})
# IAM's ECR actions that are no API operation (Service Authorization Reference, "Actions defined by
# Amazon Elastic Container Registry": permission only).
PERMISSION_ONLY = frozenset({"ecr:ReplicateImage", "ecr:BatchImportUpstreamImage"})
MAX_POLICY_CHARS = 10240  # botocore: RegistryPolicyText max 10240
MAX_REPLICATION_RULES = 25  # botocore: ReplicationRuleList max 25
MAX_CACHE_RULES = 50  # ECR quota: pull through cache rules per registry

# ECR user guide, "Pull through cache rules": the host of each upstream, where it is fixed.
UPSTREAM_URLS = {
    "docker-hub": "registry-1.docker.io",
    "ecr-public": "public.ecr.aws",
    "quay": "quay.io",
    "k8s": "registry.k8s.io",
    "github-container-registry": "ghcr.io",
    "gitlab-container-registry": "registry.gitlab.com",
    "chainguard": "cgr.dev",
}
NEEDS_CREDENTIAL = frozenset({"docker-hub", "github-container-registry", "gitlab-container-registry",
                              "azure-container-registry", "chainguard"})
_TEMPLATE_ONLY_REPOSITORY = "template"  # the name a template's settings are checked under by repos.spec


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Statement:
    sid: str  # as written: the owner's prefix (ownership.sid_prefix) + the declared Sid
    text: str  # the statement as written (compact JSON)
    declared: str | None = None  # the Sid of PolicyStatements (None: a replication source's statement)

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.text)


@dataclass(frozen=True)
class ReplicationRule:
    destinations: tuple[tuple[str, str], ...]  # sorted (region, account)
    prefixes: tuple[str, ...] = ()  # sorted; () = every repository

    def api(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"destinations": [{"region": r, "registryId": a} for r, a in self.destinations]}
        if self.prefixes:
            rule["repositoryFilters"] = [{"filter": p, "filterType": "PREFIX_MATCH"} for p in self.prefixes]
        return rule

    def describe(self) -> str:
        where = ", ".join(f"{a}/{r}" for r, a in self.destinations)
        return f"to {where}" + (f" for {', '.join(self.prefixes)}" if self.prefixes else "")


def replication_rule_of(api: dict[str, Any]) -> ReplicationRule:
    """A rule as DescribeRegistry returns it (its deleteReplication flag is not compared)."""
    return ReplicationRule(
        destinations=tuple(sorted((d.get("region", ""), d.get("registryId", "")) for d in api.get("destinations") or [])),
        prefixes=tuple(sorted(f.get("filter", "") for f in api.get("repositoryFilters") or [])),
    )


@dataclass(frozen=True)
class CacheRule:
    prefix: str
    upstream: str
    url: str
    credential: str | None = None
    role: str | None = None
    upstream_prefix: str | None = None

    def api(self) -> dict[str, Any]:
        out = {"ecrRepositoryPrefix": self.prefix, "upstreamRegistry": self.upstream, "upstreamRegistryUrl": self.url}
        for key, value in (("credentialArn", self.credential), ("customRoleArn", self.role),
                           ("upstreamRepositoryPrefix", self.upstream_prefix)):
            if value:
                out[key] = value
        return out

    def fixed(self) -> tuple[Any, ...]:
        """What only a delete and create can change (UpdatePullThroughCacheRule takes the rest)."""
        return (self.upstream, self.url, self.upstream_prefix)


def cache_rule_of(api: dict[str, Any]) -> CacheRule:
    return CacheRule(prefix=api.get("ecrRepositoryPrefix", ""), upstream=api.get("upstreamRegistry", ""),
                     url=api.get("upstreamRegistryUrl", ""), credential=api.get("credentialArn") or None,
                     role=api.get("customRoleArn") or None, upstream_prefix=api.get("upstreamRepositoryPrefix") or None)


@dataclass(frozen=True)
class Template:
    prefix: str
    applied_for: tuple[str, ...]
    role: str | None = None
    description: str = ""
    mutability: str = "IMMUTABLE"
    exclusions: tuple[str, ...] = ()
    encryption: str = "AES256"
    kms_key: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    repository_policy: str = ""
    lifecycle_policy: str = ""

    def api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "prefix": self.prefix,
            "description": self.description,
            "appliedFor": list(self.applied_for),
            "imageTagMutability": self.mutability,
            "encryptionConfiguration": {"encryptionType": self.encryption, **({"kmsKey": self.kms_key} if self.kms_key else {})},
            "resourceTags": [{"Key": k, "Value": v} for k, v in self.tags],
            "repositoryPolicy": self.repository_policy,
            "lifecyclePolicy": self.lifecycle_policy,
        }
        if self.exclusions:
            out["imageTagMutabilityExclusionFilters"] = [{"filterType": "WILDCARD", "filter": f} for f in self.exclusions]
        if self.role:
            out["customRoleArn"] = self.role
        return out


def template_of(api: dict[str, Any]) -> Template:
    encryption = api.get("encryptionConfiguration") or {}
    return Template(
        prefix=api.get("prefix", ""),
        applied_for=tuple(sorted(api.get("appliedFor") or [])),
        role=api.get("customRoleArn") or None,
        description=api.get("description") or "",
        mutability=api.get("imageTagMutability") or "MUTABLE",
        exclusions=tuple(sorted(f.get("filter", "") for f in api.get("imageTagMutabilityExclusionFilters") or [])),
        encryption=encryption.get("encryptionType") or "AES256",
        kms_key=encryption.get("kmsKey") or None,
        tags=tuple(sorted((t.get("Key", ""), t.get("Value", "")) for t in api.get("resourceTags") or [])),
        repository_policy=_policy_form(api.get("repositoryPolicy") or ""),
        lifecycle_policy=_policy_form(api.get("lifecyclePolicy") or ""),
    )


def _policy_form(text: str) -> str:
    """A policy text in one comparable form (ECR may return it reformatted)."""
    try:
        return _canonical(json.loads(text)) if text else ""
    except ValueError:
        return text


@dataclass(frozen=True)
class Scanning:
    scan_type: str = "BASIC"
    rules: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (frequency, sorted filters), sorted

    def api(self) -> dict[str, Any]:
        return {"scanType": self.scan_type,
                "rules": [{"scanFrequency": f, "repositoryFilters": [{"filter": x, "filterType": "WILDCARD"} for x in fs]}
                          for f, fs in self.rules]}


DEFAULT_SCANNING = Scanning()  # ECR's configuration of a registry nobody configured


def scanning_of(api: dict[str, Any] | None) -> Scanning:
    api = api or {}
    return Scanning(api.get("scanType") or "BASIC",
                    tuple(sorted((r.get("scanFrequency", ""), tuple(sorted(f.get("filter", "") for f in r.get("repositoryFilters") or [])))
                                 for r in api.get("rules") or [] if r.get("repositoryFilters"))))


@dataclass(frozen=True)
class RegistrySpec:
    statements: tuple[Statement, ...] = ()  # declared PolicyStatements, then the replication sources' statements
    replication_rules: tuple[ReplicationRule, ...] = ()
    cache_rules: dict[str, CacheRule] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    scanning: Scanning | None = None
    exclusions: tuple[str, ...] = ()
    adopt_existing: bool = False
    sid_prefix: str = SID_PREFIX
    exact: bool = True  # False: rebuilt from old properties today's rules reject (keys known, contents not)

    @property
    def sids(self) -> dict[str, Statement]:
        return {s.sid: s for s in self.statements}

    def cache_prefixes(self) -> list[str]:
        return sorted(self.cache_rules)


def parse(properties: Any, *, account: str, region: str, partition: str = "aws",
          sid_prefix: str = SID_PREFIX) -> RegistrySpec:
    """Validate ``properties`` and build the spec; raise InvalidProperties listing every problem.

    ``sid_prefix`` (``ownership.sid_prefix``) starts the Sid of every statement the resource writes."""
    spec, problems = check(properties, account=account, region=region, partition=partition, sid_prefix=sid_prefix)
    if problems:
        raise InvalidProperties(problems)
    assert spec is not None
    return spec


def check(properties: Any, *, account: str, region: str, partition: str = "aws", sid_prefix: str = SID_PREFIX
          ) -> tuple[RegistrySpec | None, list[Problem]]:
    data = coerce(properties, name=REGISTRY_SCHEMA_FILE)
    problems = schema_problems(data, name=REGISTRY_SCHEMA_FILE)
    if problems:
        return None, problems
    repository_arns = f"arn:{partition}:ecr:{region}:{account}:repository/*"

    statements: list[Statement] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data.get("PolicyStatements") or []):
        where = ("PolicyStatements", index)
        sid = item["Sid"]
        if sid in seen:
            problems.append(Problem(where + ("Sid",), f"repeats the Sid of PolicyStatements[{seen[sid]}]; "
                                                      "give each statement its own Sid"))
            continue
        seen[sid] = index
        actions = [item["Action"]] if isinstance(item["Action"], str) else list(item["Action"])
        for action in actions:
            if action != "ecr:*" and action not in ecr_actions():
                problems.append(Problem(where + ("Action",), f"{action!r} is not an ECR action; use one of the ECR "
                                                             "API's, like ecr:ReplicateImage"))
        statement: dict[str, Any] = {"Sid": sid_prefix + sid, "Effect": item.get("Effect", "Allow"), "Principal": item["Principal"],
                                     "Action": actions, "Resource": item.get("Resource", repository_arns)}
        if item.get("Condition"):
            statement["Condition"] = item["Condition"]
        statements.append(Statement(sid_prefix + sid, _canonical(statement), sid))
    for source in data.get("ReplicationSourceAccountIds") or []:
        written = f"{sid_prefix}{REPLICATION_SID}{source}"
        statements.append(Statement(written, _canonical({
            "Sid": written, "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{source}:root"},
            "Action": list(REPLICATION_ACTIONS), "Resource": repository_arns})))
    own_chars = len(_canonical([s.document for s in statements])) if statements else 0
    if own_chars > MAX_POLICY_CHARS:
        problems.append(Problem(("PolicyStatements",), f"make a registry policy of {own_chars} characters; ECR allows "
                                                      f"{MAX_POLICY_CHARS}: merge statements or grant by organization"))

    rules: list[ReplicationRule] = []
    for index, item in enumerate(data.get("ReplicationRules") or []):
        where = ("ReplicationRules", index)
        destinations = []
        for d_index, destination in enumerate(item["Destinations"]):
            target = (destination["Region"], destination.get("AccountId", account))
            if target == (region, account):
                problems.append(Problem(where + ("Destinations", d_index),
                                        f"is this registry itself ({account} in {region}); replicate to another region "
                                        "or account"))
            destinations.append(target)
        if len(set(destinations)) != len(destinations):
            problems.append(Problem(where + ("Destinations",), "lists the same region and account twice; remove one"))
        rule = ReplicationRule(tuple(sorted(set(destinations))), tuple(sorted(item.get("RepositoryPrefixes") or [])))
        if rule in rules:
            problems.append(Problem(where, f"repeats ReplicationRules[{rules.index(rule)}]; remove one"))
            continue
        rules.append(rule)

    cache: dict[str, CacheRule] = {}
    for prefix, item in (data.get("PullThroughCacheRules") or {}).items():
        where = ("PullThroughCacheRules", prefix)
        upstream = item["Upstream"]
        url = item.get("UpstreamUrl") or UPSTREAM_URLS.get(upstream)
        if not url:
            example = "<name>.azurecr.io" if upstream == "azure-container-registry" else \
                "<account>.dkr.ecr.<region>.amazonaws.com"
            problems.append(Problem(where + ("UpstreamUrl",), f"is required for upstream {upstream}; add it, like "
                                                              f"{example}"))
        if upstream in NEEDS_CREDENTIAL and not item.get("CredentialArn"):
            problems.append(Problem(where + ("CredentialArn",), f"is required for upstream {upstream}: add the ARN of a "
                                                                "Secrets Manager secret named ecr-pullthroughcache/..."))
        credential = item.get("CredentialArn")
        if credential and credential.split(":")[3:5] != [region, account]:
            # ECR user guide, "Creating a pull through cache rule": the secret's account and Region must match.
            problems.append(Problem(where + ("CredentialArn",), f"is a secret of {':'.join(credential.split(':')[3:5])}; "
                                                                f"ECR reads only secrets of this account and region "
                                                                f"({region}:{account}): create it here"))
        if upstream == "ecr":
            if not item.get("CustomRoleArn"):
                problems.append(Problem(where + ("CustomRoleArn",), "is required for upstream ecr: add the role ECR "
                                                                    "assumes to pull from the upstream registry"))
            if item.get("CredentialArn"):
                problems.append(Problem(where + ("CredentialArn",), "does not apply to upstream ecr (it uses "
                                                                    "CustomRoleArn); remove it"))
        elif item.get("UpstreamRepositoryPrefix"):
            problems.append(Problem(where + ("UpstreamRepositoryPrefix",), "applies to upstream ecr only; remove it"))
        cache[prefix] = CacheRule(prefix, upstream, url or "", item.get("CredentialArn"), item.get("CustomRoleArn"),
                                  item.get("UpstreamRepositoryPrefix"))

    templates: dict[str, Template] = {}
    for prefix, item in (data.get("RepositoryCreationTemplates") or {}).items():
        template, found = _template(prefix, item, partition, region)
        problems.extend(found)
        if template is not None:
            templates[prefix] = template

    scanning = None
    if data.get("Scanning") is not None:
        scan = data["Scanning"]
        for index, rule in enumerate(scan.get("Rules") or []):
            if scan["ScanType"] == "BASIC" and rule["Frequency"] == "CONTINUOUS_SCAN":
                problems.append(Problem(("Scanning", "Rules", index, "Frequency"),
                                        "CONTINUOUS_SCAN needs ScanType ENHANCED (Amazon Inspector); use SCAN_ON_PUSH "
                                        "or set ScanType: ENHANCED"))
        scanning = Scanning(scan["ScanType"], tuple(sorted((r["Frequency"], tuple(sorted(r["RepositoryFilters"])))
                                                           for r in scan.get("Rules") or [])))
    if problems:
        return None, sorted(problems, key=_path_order)
    return RegistrySpec(
        statements=tuple(statements),
        replication_rules=tuple(rules),
        cache_rules=cache,
        templates=templates,
        scanning=scanning,
        exclusions=tuple(sorted(data.get("PullTimeUpdateExclusions") or [])),
        adopt_existing=data.get("AdoptExisting", False) is True,
        sid_prefix=sid_prefix,
    ), []


def _template(prefix: str, item: dict[str, Any], partition: str, region: str) -> tuple[Template | None, list[Problem]]:
    """A creation template, its repository settings checked and built by Custom::EcrRepos's spec."""
    where = ("RepositoryCreationTemplates", prefix)
    settings = dict(item.get("RepositorySettings") or {})
    problems = [Problem(where + ("RepositorySettings", key), "does not apply to a creation template (ECR's templates "
                                                             "carry no scanning or deletion setting); remove it")
                for key in ("ScanOnPush", "EmptyOnDelete") if key in settings]
    inner = (where + ("RepositorySettings",))
    repo, found = repos_spec.check({"ServiceToken": "-", "EcrRepositories": {_TEMPLATE_ONLY_REPOSITORY: settings}},
                                   partition, region=region)
    for problem in found:
        location = problem.location
        if location[:2] == ("EcrRepositories", _TEMPLATE_ONLY_REPOSITORY):
            location = inner + location[2:]
        problems.append(Problem(location, problem.message))
    if problems or repo is None:
        return None, problems
    built = repo.repos[_TEMPLATE_ONLY_REPOSITORY]
    if built.kms_key and not built.kms_key.startswith("arn:"):
        problems.append(Problem(inner + ("KmsKey",), "must be a key ARN in a creation template (ECR's templates take no "
                                                     "alias or key id); use arn:aws:kms:<region>:<account>:key/<id>"))
    role = item.get("CustomRoleArn")
    if not role and (built.tags or built.encryption != repos_spec.AES256):
        need = "Tags" if built.tags else "KMS encryption"
        problems.append(Problem(where + ("CustomRoleArn",), f"is required for {need} in a template (ECR creates the "
                                                            "repository with that role); add it"))
    if problems:
        return None, problems
    return Template(
        prefix=prefix,
        applied_for=tuple(sorted(item["AppliedFor"])),
        role=role,
        description=item.get("Description", ""),
        mutability=built.mutability,
        exclusions=built.tag_exclusions,
        encryption=built.encryption,
        kms_key=built.kms_key,
        tags=built.tags,
        repository_policy=_policy_form(built.repository_policy or ""),
        lifecycle_policy=_policy_form(built.lifecycle_policy),
    ), []


def scope_problems(spec: RegistrySpec, scope: str) -> list[Problem]:
    """Actions the registry's policy scope (GetAccountSetting REGISTRY_POLICY_SCOPE) does not allow."""
    if scope != "V1":
        return []
    problems = []
    for index, statement in enumerate(s for s in spec.statements if s.declared is not None):
        refused = [a for a in statement.document["Action"] if a not in V1_ACTIONS and a != "ecr:*"]
        if refused:
            problems.append(Problem(("PolicyStatements", index, "Action"),
                                    f"{', '.join(refused)} not allowed: the registry's policy scope is V1 (only "
                                    "ecr:ReplicateImage, ecr:BatchImportUpstreamImage, ecr:CreateRepository); switch "
                                    "it to V2 (PutAccountSetting REGISTRY_POLICY_SCOPE) or remove them"))
    return problems


@lru_cache(maxsize=1)
def ecr_actions() -> frozenset[str]:
    """Every ECR API action, as IAM names it: ``ecr:`` + an operation of botocore's ECR model."""
    import botocore.session

    operations = botocore.session.get_session().get_service_model("ecr").operation_names
    return frozenset("ecr:" + op for op in operations) | PERMISSION_ONLY


def _path_order(problem: Problem) -> list[tuple[int, int, str]]:
    return [(0, x, "") if isinstance(x, int) else (1, 0, x) for x in problem.location]


def previous(properties: Any, *, account: str, region: str, partition: str = "aws",
             sid_prefix: str = SID_PREFIX) -> RegistrySpec:
    """The spec of an Update's OldResourceProperties (or a Delete's properties): what this resource owns.

    Never an error: properties today's rules reject keep what can be read (Sids, prefixes, ARNs, whether
    Scanning was declared) with ``exact=False``, so their parts are removed by key, not compared."""
    spec, problems = check(properties, account=account, region=region, partition=partition, sid_prefix=sid_prefix)
    if spec is not None and not problems:
        return spec
    data = properties if isinstance(properties, dict) else {}

    def strings(value: Any) -> list[str]:
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    cache = data.get("PullThroughCacheRules")
    templates = data.get("RepositoryCreationTemplates")
    # Statements need no old properties: the Sid prefix says which are this resource's.
    return RegistrySpec(
        sid_prefix=sid_prefix,
        cache_rules={p: CacheRule(p, "", "") for p in cache if isinstance(p, str)} if isinstance(cache, dict) else {},
        templates={p: Template(p, ()) for p in templates if isinstance(p, str)} if isinstance(templates, dict) else {},
        scanning=Scanning("?") if data.get("Scanning") is not None else None,
        exclusions=tuple(sorted(strings(data.get("PullTimeUpdateExclusions")))),
        exact=False,
    )
