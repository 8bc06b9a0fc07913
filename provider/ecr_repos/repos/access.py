"""Repository policies: the statements the provider grants, merged with everyone else's.

Least privilege, a deliberate departure from the reference Terraform module: pull grants may only
read images; push grants may also upload them. Nobody gets delete, policy, lifecycle or tag actions,
no statement allows ``*`` without a condition, and the Lambda service principal only ever comes
with a source-ARN condition.

Ownership is per statement, not per policy: the provider owns exactly the statements whose Sid
starts with ``EcrRepos`` (the Sids ``EcrReposPull``/``EcrReposPush`` of earlier releases included).
A template's own PolicyStatements (the escape hatch: any statement, Deny included) carry such a Sid
too, so they are the provider's like the generated ones: written after them, and removed when the
template drops them; least privilege is then the template's choice.
Every other statement (AWS Lambda's ``LambdaECRImageRetrievalPolicy`` above all) is foreign: it is
kept, in its order, by every write; the policy is deleted only when no foreign statement remains.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..core.schema import is_intrinsic

SID_PREFIX = "EcrRepos"
MAX_POLICY_CHARS = 10240  # ECR's limit on policyText (botocore: RepositoryPolicyText max 10240)
VERSION = "2012-10-17"

PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:ListImages",
)
PUSH_ACTIONS = (
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# What Lambda needs to fetch an image, for the service and for the account creating the function
# (Lambda docs, "Cross-account permissions" of container images).
LAMBDA_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
LAMBDA_SERVICE = "lambda.amazonaws.com"

_ARN_PARTITION = re.compile(r"^arn:([^:]*):")
# Every Sid build_statements writes: a PolicyStatements item may not take one.
GENERATED_SIDS = ("EcrReposPull", "EcrReposPush", "EcrReposPullOrg", "EcrReposPushOrg", "EcrReposPullOrgPath",
                  "EcrReposPushOrgPath", "EcrReposLambdaPull", "EcrReposLambdaAccount")
PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")
_ACTION = re.compile(r"^(?:\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")


@dataclass(frozen=True)
class Grants:
    """Who may pull and who may push one repository (push implies pull)."""

    pull_accounts: tuple[str, ...] = ()
    push_accounts: tuple[str, ...] = ()
    pull_principals: tuple[str, ...] = ()
    push_principals: tuple[str, ...] = ()
    pull_orgs: tuple[str, ...] = ()
    push_orgs: tuple[str, ...] = ()
    pull_org_paths: tuple[str, ...] = ()
    push_org_paths: tuple[str, ...] = ()
    lambda_accounts: tuple[str, ...] = ()


def principal(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def partition_of_arn(arn: str) -> str | None:
    match = _ARN_PARTITION.match(arn)
    return match.group(1) if match else None


def _union(*lists: tuple[str, ...]) -> list[str]:
    return sorted(set().union(*lists))


def build_statements(partition: str, region: str, grants: Grants) -> list[dict[str, Any]]:
    """The provider's own statements for ``grants``, in a fixed order (empty: no access granted)."""
    out: list[dict[str, Any]] = []

    def add(sid: str, who: Any, actions: tuple[str, ...], condition: dict[str, Any] | None = None) -> None:
        statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": who, "Action": list(actions)}
        if condition:
            statement["Condition"] = condition
        out.append(statement)

    # Account roots first, then principal ARNs; an account root given both ways is named once.
    pullers = list(dict.fromkeys([principal(partition, a) for a in _union(grants.pull_accounts, grants.push_accounts)]
                                 + _union(grants.pull_principals, grants.push_principals)))
    pushers = list(dict.fromkeys([principal(partition, a) for a in _union(grants.push_accounts)]
                                 + _union(grants.push_principals)))
    if pullers:
        add("EcrReposPull", {"AWS": pullers}, PULL_ACTIONS)
    if pushers:
        add("EcrReposPush", {"AWS": pushers}, PUSH_ACTIONS)
    orgs = _union(grants.pull_orgs, grants.push_orgs)
    if orgs:
        add("EcrReposPullOrg", "*", PULL_ACTIONS, {"StringEquals": {"aws:PrincipalOrgID": orgs}})
    if grants.push_orgs:
        add("EcrReposPushOrg", "*", PUSH_ACTIONS, {"StringEquals": {"aws:PrincipalOrgID": _union(grants.push_orgs)}})
    paths = _union(grants.pull_org_paths, grants.push_org_paths)
    if paths:
        add("EcrReposPullOrgPath", "*", PULL_ACTIONS,
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [p + "*" for p in paths]}})
    if grants.push_org_paths:
        add("EcrReposPushOrgPath", "*", PUSH_ACTIONS,
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [p + "*" for p in _union(grants.push_org_paths)]}})
    lambdas = _union(grants.lambda_accounts)
    if lambdas:
        add("EcrReposLambdaPull", {"Service": LAMBDA_SERVICE}, LAMBDA_ACTIONS,
            {"StringLike": {"aws:sourceArn": [f"arn:{partition}:lambda:{region}:{a}:function:*" for a in lambdas]}})
        add("EcrReposLambdaAccount", {"AWS": [principal(partition, a) for a in lambdas]}, LAMBDA_ACTIONS)
    return out


def build_policy(partition: str, pull: list[str], push: list[str], *, region: str = "*",
                 grants: Grants | None = None, extra: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The policy of the provider's statements alone (the generated ones, then ``extra``, the
    template's PolicyStatements), or ``None`` when it has none."""
    grants = grants or Grants(pull_accounts=tuple(pull), push_accounts=tuple(push))
    statements = build_statements(partition, region, grants) + list(extra or [])
    return {"Version": VERSION, "Statement": statements} if statements else None


Path = tuple[str | int, ...]


def statement_problems(statements: list[Any], *, allow_intrinsics: bool = False) -> list[tuple[Path, str]]:
    """What ECR or IAM would refuse in a list of PolicyStatements, or what would break ownership, as
    (path within the list, message) pairs. The schema has checked the keys, Sid's form and Effect.
    ``allow_intrinsics`` (a template read by the CLI): a value that is an intrinsic function passes."""
    found: list[tuple[Path, str]] = []

    def resolved(value: Any) -> bool:
        return not (allow_intrinsics and is_intrinsic(value))

    first: dict[str, int] = {}
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            continue  # the schema's problem
        sid = statement.get("Sid")
        if sid in GENERATED_SIDS:
            found.append(((index, "Sid"), f"is the Sid of a statement the provider generates; choose another, "
                                          f"like {sid}Extra"))
        elif isinstance(sid, str) and sid in first:
            found.append(((index, "Sid"), f"repeats the Sid of PolicyStatements[{first[sid]}]; each Sid is unique "
                                          "in a repository"))
        elif isinstance(sid, str):
            first[sid] = index
        for key, other in (("Principal", "NotPrincipal"), ("Action", "NotAction")):
            given = [k for k in (key, other) if k in statement]
            if len(given) != 1:
                fix = "add one" if not given else "keep one"
                found.append(((index,), f"needs exactly one of {key} and {other}; {fix}"))
        for key in ("Principal", "NotPrincipal"):
            if key in statement and resolved(statement[key]) and not _principal_ok(statement[key], resolved):
                found.append(((index, key), f'must be "*" or a map of {", ".join(PRINCIPAL_KINDS)} to a string '
                                            "or a list of strings"))
        for key in ("Action", "NotAction"):
            if key in statement and resolved(statement[key]) and not _strings_ok(statement[key], _ACTION, resolved):
                found.append(((index, key), "must be an action like ecr:BatchGetImage (wildcards allowed), or a "
                                            "non-empty list of them"))
        condition = statement.get("Condition")
        if condition is not None and resolved(condition) and not (
                isinstance(condition, dict) and condition
                and all(isinstance(v, dict) and v or not resolved(v) for v in condition.values())):
            found.append(((index, "Condition"), "must map each operator (like StringEquals) to a map of condition "
                                                "keys to values"))
    return found


def _strings_ok(value: Any, pattern: re.Pattern[str] | None = None, resolved: Any = lambda v: True) -> bool:
    """A non-empty string or list of them (each matching ``pattern``); unresolved intrinsics pass."""
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(
        not resolved(v) or (isinstance(v, str) and v and (pattern is None or pattern.fullmatch(v))) for v in values)


def _principal_ok(value: Any, resolved: Any = lambda v: True) -> bool:
    if value == "*":
        return True
    return isinstance(value, dict) and bool(value) and all(
        kind in PRINCIPAL_KINDS and (not resolved(who) or _strings_ok(who, None, resolved))
        for kind, who in value.items())


def dump(policy: dict[str, Any]) -> str:
    """The policy text sent to ECR. Non-ASCII characters stay themselves (not ``\\uXXXX``): ECR counts
    the characters of the text, and an escape would make one character six."""
    return json.dumps(policy, separators=(",", ":"), ensure_ascii=False)


def chars(statements: list[dict[str, Any]]) -> int:
    """Characters that ``statements`` take in a policy text as the provider writes it (as ECR counts them)."""
    return len(json.dumps(statements, separators=(",", ":"), ensure_ascii=False)) - 2 if statements else 0


# --- ownership of statements -------------------------------------------------------------------


def is_ours(statement: Any) -> bool:
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    return isinstance(sid, str) and sid.startswith(SID_PREFIX)


def parse_policy(text: str | None) -> dict[str, Any] | None:
    """The policy document, its Statement always a list; ``None`` for no policy or an unreadable one."""
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    return {**doc, "Statement": statements}


def readable(text: str | None) -> bool:
    """Whether a current policy can be merged with (no policy at all counts)."""
    return text is None or parse_policy(text) is not None


def statements(text: str) -> list[Any] | None:
    """The statements of a policy text in their order (a lone statement as a list of one);
    ``None`` when the text is not a readable policy."""
    doc = parse_policy(text)
    return None if doc is None else doc["Statement"]


def merge(current: str | None, ours: str | None) -> str | None:
    """The policy to hold: ``current``'s foreign statements in order, then the provider's statements
    (``ours``, a policy text of the provider's statements, or ``None``). ``None``: no policy at all.

    The current policy's other top-level elements (Version, Id) are kept when a foreign statement is.
    """
    mine = (parse_policy(ours) or {}).get("Statement", [])
    doc = parse_policy(current)
    foreign = [s for s in doc["Statement"] if not is_ours(s)] if doc else []
    if not foreign and not mine:
        return None
    base: dict[str, Any] = {"Version": VERSION}
    if doc and foreign:
        base = {k: v for k, v in doc.items() if k != "Statement"}
        base.setdefault("Version", VERSION)
    return dump({**base, "Statement": foreign + mine})


def split(text: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(ours, foreign)`` statements of a policy text."""
    doc = parse_policy(text)
    statements = doc["Statement"] if doc else []
    return [s for s in statements if is_ours(s)], [s for s in statements if not is_ours(s)]


def named_principals(text: str) -> list[str]:
    """The IAM principals (not account roots) a policy names, for a 'Principal not found' message:
    those are the ones that can be too new for ECR to see. All AWS principals if none is specific."""
    found: list[str] = []
    for statement in (parse_policy(text) or {}).get("Statement", []):
        who = statement.get("Principal") if isinstance(statement, dict) else None
        aws = who.get("AWS", []) if isinstance(who, dict) else []
        for value in [aws] if isinstance(aws, str) else aws:
            if isinstance(value, str) and value not in found:
                found.append(value)
    specific = [p for p in found if not p.endswith(":root") and p != "*"]
    return specific or found


def _normalise(value: Any, key: str = "", depth_in_condition: int = 0) -> Any:
    if isinstance(value, dict):
        if key == "Condition":
            return {k: _normalise(v, k, 1) for k, v in value.items()}
        inner = depth_in_condition + 1 if depth_in_condition else 0
        return {k: _normalise(v, k, inner) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, str) and (key in ("AWS", "Action", "Service") or depth_in_condition == 2):
        return [value]  # IAM stores a one-element list as a plain string (condition values too)
    return value


def canonical(text: str | None) -> str | None:
    """A comparable form of a policy text, blind to list order and one-element-list collapsing."""
    if text is None:
        return None
    try:
        return json.dumps(_normalise(json.loads(text)), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return text
