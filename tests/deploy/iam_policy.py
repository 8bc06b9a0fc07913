"""A small IAM evaluator for the provider role's policy, and a recorder of the AWS calls a test makes.

moto does not enforce IAM, so the deploy tests record every call the handler makes (service,
operation, the resource ARN IAM would authorise) and evaluate them against the role's statements
as written in the templates. Scope: identity-policy Allow/Deny statements with Action and Resource
(``*`` and ``?`` wildcards) and ``StringEquals`` conditions; anything else (NotAction, NotResource,
other condition operators) is refused, so that the evaluator never silently approves what it does
not understand.

The recorder also lists the calls ECR makes with the caller's rights: creating a KMS-encrypted
repository makes ECR call ``kms:DescribeKey`` and ``kms:CreateGrant`` on the key, and deleting it
``kms:RetireGrant`` (ECR user guide, "Encryption at rest"), each through ECR (``kms:ViaService``).
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from unittest import mock

import botocore.client
from cfnlint.decode import decode

# Calls IAM does not authorise (AWS documents them as needing no permission).
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}


@dataclass(frozen=True)
class Call:
    action: str  # "ecr:CreateRepository"
    resource: str  # the ARN IAM checks, or "*" when the call names no resource
    context: tuple[tuple[str, str], ...] = ()  # request context keys, e.g. (("kms:ViaService", "ecr..."),)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    string_equals: tuple[tuple[str, tuple[str, ...]], ...] = ()  # Condition StringEquals: key -> values

    def matches(self, call: Call) -> bool:
        context = dict(call.context)
        return (any(_wildcard(a, call.action, ignore_case=True) for a in self.actions)
                and any(_wildcard(r, call.resource, ignore_case=False) for r in self.resources)
                and all(context.get(key) in values for key, values in self.string_equals))


def _wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def is_allowed(statements: list[Statement], call: Call) -> bool:
    """IAM's rule for one identity policy: an explicit Deny wins, then any Allow, else denied."""
    if call.action in NO_PERMISSION_NEEDED:
        return True
    if any(s.effect == "Deny" and s.matches(call) for s in statements):
        return False
    return any(s.effect == "Allow" and s.matches(call) for s in statements)


# --- statements from a template ------------------------------------------------------------------

def load_template(path: Path) -> dict[str, Any]:
    template, matches = decode(str(path))
    assert not matches, matches
    return template


def _parameter(name: str, template: dict[str, Any], pseudo: dict[str, Any]) -> Any:
    if name in pseudo:
        return pseudo[name]
    declared = template.get("Parameters", {})[name]
    value = declared.get("Default", "")
    return value.split(",") if declared["Type"] == "CommaDelimitedList" else value


def _condition(name: str, template: dict[str, Any], pseudo: dict[str, Any]) -> bool:
    return _truth(template["Conditions"][name], template, pseudo)


def _truth(value: Any, template: dict[str, Any], pseudo: dict[str, Any]) -> bool:
    (fn, arg), = value.items()
    if fn == "Fn::Equals":
        return _resolve(arg[0], template, pseudo) == _resolve(arg[1], template, pseudo)
    if fn == "Fn::Not":
        return not _truth(arg[0], template, pseudo)
    if fn == "Condition":
        return _condition(arg, template, pseudo)
    raise AssertionError(f"the evaluator cannot decide {value!r}; extend it")


def _resolve(value: Any, template: dict[str, Any], pseudo: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::If":
            return _resolve(arg[1] if _condition(arg[0], template, pseudo) else arg[2], template, pseudo)
        if fn == "Fn::Join":
            return arg[0].join(_listed(_resolve(arg[1], template, pseudo)))
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            names = {**pseudo, **{k: _resolve(v, template, pseudo) for k, v in variables.items()}}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: names[m.group(1)], text)
        if fn == "Ref":
            return _parameter(arg, template, pseudo)
        if fn == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            kind = template["Resources"][logical]["Type"]
            if (kind, attribute) == ("AWS::Logs::LogGroup", "Arn"):
                return (f"arn:{pseudo['AWS::Partition']}:logs:{pseudo['AWS::Region']}:"
                        f"{pseudo['AWS::AccountId']}:log-group:{logical}:*")
            if (kind, attribute) == ("AWS::Lambda::Function", "Arn"):
                return function_arn(template, logical, pseudo)
    raise AssertionError(f"the evaluator cannot resolve {value!r}; extend it")


def function_arn(template: dict[str, Any], logical: str, pseudo: dict[str, Any]) -> str:
    """The ARN of the template's function ``logical``: its FunctionName, else (CloudFormation
    generates one) the logical id standing for it."""
    name = template["Resources"][logical]["Properties"].get("FunctionName", logical)
    return (f"arn:{pseudo['AWS::Partition']}:lambda:{pseudo['AWS::Region']}:{pseudo['AWS::AccountId']}:"
            f"function:{_resolve(name, template, pseudo)}")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any, template: dict[str, Any], pseudo: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for item in _listed(value):
        resolved = _resolve(item, template, pseudo)
        out += _listed(resolved)
    return tuple(out)


def role_statements(template: dict[str, Any], *, partition: str, region: str, account: str,
                    parameters: dict[str, Any] | None = None) -> list[Statement]:
    """Every statement of every inline policy of every AWS::IAM::Role, and of every
    AWS::IAM::RolePolicy attached to one, with pseudo parameters resolved and the template's
    parameters at ``parameters`` or else their defaults."""
    pseudo = {"AWS::Partition": partition, "AWS::Region": region, "AWS::AccountId": account, **(parameters or {})}
    statements = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::RolePolicy":
            role = resource["Properties"]["RoleName"]
            assert isinstance(role, dict) and template["Resources"][role["Ref"]]["Type"] == "AWS::IAM::Role"
            policies = [resource["Properties"]]
        elif resource["Type"] == "AWS::IAM::Role":
            assert "ManagedPolicyArns" not in resource["Properties"], "managed policies cannot be evaluated here"
            policies = resource["Properties"].get("Policies", [])
        else:
            continue
        for policy in policies:
            for raw in _listed(policy["PolicyDocument"]["Statement"]):
                unsupported = set(raw) - {"Sid", "Effect", "Action", "Resource", "Condition"}
                assert not unsupported, f"the evaluator does not understand {sorted(unsupported)}"
                condition = raw.get("Condition", {})
                assert set(condition) <= {"StringEquals"}, f"the evaluator does not understand {sorted(condition)}"
                statements.append(Statement(
                    effect=raw["Effect"],
                    actions=_strings(raw["Action"], template, pseudo),
                    resources=_strings(raw["Resource"], template, pseudo),
                    string_equals=tuple((key, _strings(values, template, pseudo))
                                        for key, values in condition.get("StringEquals", {}).items()),
                ))
    return statements


# --- recording the calls -----------------------------------------------------------------------

def _repository_arn(client: Any, params: dict[str, Any], name: str, account: str) -> str:
    meta = client.meta
    partition = meta.partition if getattr(meta, "partition", None) else "aws"
    return f"arn:{partition}:ecr:{meta.region_name}:{params.get('registryId', account)}:repository/{name}"


# The KMS key of each KMS-encrypted repository created while recording, by repository ARN: deleting
# it makes ECR retire its grants on that key.
_KEYS: dict[str, str] = {}


def _key_arn(key: str, region: str, account: str, partition: str) -> str:
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return f"arn:{partition}:kms:{region}:{account}:{key}"
    return f"arn:{partition}:kms:{region}:{account}:key/{key}"


def _on_behalf(client: Any, operation: str, params: dict[str, Any], repository: str, account: str) -> list[Call]:
    """The KMS calls ECR makes with the caller's rights for this call (ECR user guide)."""
    meta = client.meta
    partition = meta.partition if getattr(meta, "partition", None) else "aws"
    via = (("kms:ViaService", f"ecr.{meta.region_name}.amazonaws.com"),)
    if operation == "CreateRepository":
        encryption = params.get("encryptionConfiguration") or {}
        if encryption.get("encryptionType") not in ("KMS", "KMS_DSSE"):
            return []
        if not encryption.get("kmsKey"):
            # ECR's AWS managed key aws/ecr: its key policy lets the account's principals use it through
            # ECR, so the caller's identity policy needs nothing.
            return []
        key = _key_arn(encryption["kmsKey"], meta.region_name, account, partition)
        _KEYS[repository] = key
        return [Call("kms:DescribeKey", key, via), Call("kms:CreateGrant", key, via)]
    if operation == "DeleteRepository" and repository in _KEYS:
        return [Call("kms:RetireGrant", _KEYS.pop(repository), via)]
    return []


def _calls_of(client: Any, operation: str, params: dict[str, Any], account: str) -> list[Call]:
    service = client.meta.service_model.signing_name
    action = f"{service}:{operation}"
    if (service, operation) == ("lambda", "Invoke"):
        return [Call("lambda:InvokeFunction", params["FunctionName"])]  # the IAM action of Invoke
    if service != "ecr":
        return [Call(action, "*")]
    if "resourceArn" in params:
        return [Call(action, params["resourceArn"])]
    if operation == "DescribeRepositories" and not params.get("repositoryNames"):
        # A registry-wide listing is authorised against every repository of the registry.
        return [Call(action, _repository_arn(client, params, "*", account))]
    names = params.get("repositoryNames") or ([params["repositoryName"]] if "repositoryName" in params else [])
    if not names:
        return [Call(action, "*")]
    calls = [Call(action, _repository_arn(client, params, n, account)) for n in names]
    if operation == "CreateRepository" and params.get("tags"):
        # Creating with tags is also authorised as ecr:TagResource on the new repository.
        calls += [Call("ecr:TagResource", c.resource) for c in calls]
    if operation in ("CreateRepository", "DeleteRepository"):
        calls += [k for c in list(calls) if c.action == f"ecr:{operation}"
                  for k in _on_behalf(client, operation, params, c.resource, account)]
    return calls


@contextmanager
def record_calls(account: str) -> Iterator[list[Call]]:
    """Record every AWS API call made by any botocore client (any thread) inside the block."""
    calls: list[Call] = []
    lock = threading.Lock()
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        with lock:
            calls.extend(_calls_of(client, operation_name, api_params, account))
        return original(client, operation_name, api_params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", recording):
        yield calls
