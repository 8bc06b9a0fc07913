"""Resolve what a template's intrinsic functions say, as far as the CLI can know it.

Known: parameters (``--parameters``, else their defaults), the pseudo parameters AWS::AccountId,
AWS::Region, AWS::Partition, AWS::URLSuffix, AWS::StackName (and AWS::StackId when the stack
exists), AWS::NoValue, Mappings, and the template's Conditions. Resolved: Ref, Fn::Sub, Fn::Join,
Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Select, Fn::Split, Fn::FindInMap, Fn::Base64.
A Ref or Fn::GetAtt of a resource the stack already has (``deployed``: logical id -> physical id,
from ListStackResources) is its physical id, or the ARN built from it for the attributes whose
ARN follows from it (a KMS key's, an IAM role's or user's ``Arn``). Any other Ref or Fn::GetAtt of a
resource of the same template (also ``${Resource}`` and ``${Resource.Attribute}`` in Fn::Sub) is
known only after deploy: it becomes a placeholder of the
right shape (``known_after_deploy``; an ARN where an ARN is expected, so the provider's validation
passes), which ``KNOWN_AFTER_DEPLOY`` finds again and the plan shows as "(known after deploy)", as
terraform does. Anything else (Fn::ImportValue, a parameter without a value, ...) stays the
intrinsic it was, so callers can tell what they do not know.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from ..repos.outputs import partition_of

NO_VALUE = object()  # AWS::NoValue: the key or list item disappears
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")

PLACEHOLDER = "KnownAfterDeploy"
# A placeholder, whole ARN included when it is one: the text the plan replaces.
KNOWN_AFTER_DEPLOY = re.compile(r"(?:arn:[A-Za-z0-9:/+=,.@_-]*?)?" + PLACEHOLDER + r"-[A-Za-z0-9]+(?:-[A-Za-z0-9.]+)?")
SHOWN = "(known after deploy)"


class Unresolved(Exception):
    """Internal: this value depends on something unknown."""


class ParameterError(ValueError):
    """A --parameters value the template does not accept (unknown name, AllowedValues, AllowedPattern)."""


@dataclass
class Context:
    parameters: dict[str, Any] = field(default_factory=dict)  # name -> value (str or list)
    pseudo: dict[str, str] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)  # name -> condition expression
    resources: dict[str, str] = field(default_factory=dict)  # logical id -> type, known after deploy
    deployed: dict[str, str] = field(default_factory=dict)  # logical id -> physical id, in the stack now
    definitions: dict[str, Any] = field(default_factory=dict)  # logical id -> the template's resource
    _condition_values: dict[str, bool] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)


def context_for(
    template: dict[str, Any],
    overrides: dict[str, str] | None = None,
    *,
    region: str | None = None,
    account: str | None = None,
    stack_name: str | None = None,
    stack_id: str | None = None,
    deployed: dict[str, str] | None = None,
) -> Context:
    """A resolution context from a template's Parameters, Mappings and Conditions, and the
    ``deployed`` resources of the stack (logical id -> physical id).

    Raises ParameterError for an override the template does not declare or would reject.
    """
    declared = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise ParameterError(
            f"parameter {unknown[0]!r} is not declared in the template; "
            f"declared: {', '.join(sorted(declared)) or 'none'}"
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            continue
        raw = _scalar_text(raw)
        if name in overrides:
            _check_parameter(name, spec, raw)
        kind = str(spec.get("Type", "String"))
        if isinstance(raw, str) and (kind.startswith("List<") or kind == "CommaDelimitedList"):
            # As CloudFormation: one more item than commas, each trimmed, so that an empty value
            # is [""], not [] (aws-cloudformation/cfn-language-discussion#102). A template that
            # allows "no accounts" tests for it with a Condition and AWS::NoValue.
            values[name] = [item.strip() for item in raw.split(",")]
        else:
            values[name] = raw
    pseudo: dict[str, str] = {}
    if region:
        pseudo["AWS::Region"] = region
        pseudo["AWS::Partition"] = partition_of(region)
        pseudo["AWS::URLSuffix"] = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if account:
        pseudo["AWS::AccountId"] = account
    if stack_name:
        pseudo["AWS::StackName"] = stack_name
    if stack_id:
        pseudo["AWS::StackId"] = stack_id
    mappings = template.get("Mappings") if isinstance(template.get("Mappings"), dict) else {}
    conditions = template.get("Conditions") if isinstance(template.get("Conditions"), dict) else {}
    resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
    types = {str(k): str(v.get("Type", "")) for k, v in resources.items() if isinstance(v, dict)}
    return Context(values, pseudo, mappings, conditions, types, dict(deployed or {}),
                   {str(k): v for k, v in resources.items() if isinstance(v, dict)})


# Attributes whose value follows from the physical id: (type, attribute) -> ARN template.
_FROM_PHYSICAL_ID: dict[tuple[str, str], str] = {
    ("AWS::KMS::Key", "Arn"): "arn:{partition}:kms:{region}:{account}:key/{id}",
    ("AWS::KMS::Key", "KeyId"): "{id}",
    ("AWS::IAM::Role", "Arn"): "arn:{partition}:iam::{account}:role{path}{id}",
    ("AWS::IAM::User", "Arn"): "arn:{partition}:iam::{account}:user{path}{id}",
}


def _deployed_value(logical_id: str, attribute: str | None, ctx: Context) -> str | None:
    """The value of a Ref (``attribute`` None) or Fn::GetAtt of a resource the stack has, if it
    follows from its physical id."""
    physical = ctx.deployed.get(logical_id)
    if not physical:
        return None
    if attribute is None:
        return physical
    shape = _FROM_PHYSICAL_ID.get((ctx.resources.get(logical_id, ""), attribute))
    account = ctx.pseudo.get("AWS::AccountId")
    if shape is None or ("{account}" in shape and not account):
        return None
    path = "/"
    if "{path}" in shape:
        properties = ctx.definitions.get(logical_id, {}).get("Properties")
        declared = properties.get("Path") if isinstance(properties, dict) else None
        if declared is not None:
            try:
                path = _text(declared, ctx)
            except Unresolved:
                return None
    region = ctx.pseudo.get("AWS::Region", "us-east-1")
    return shape.format(partition=ctx.pseudo.get("AWS::Partition", partition_of(region)), region=region,
                        account=account, path=path, id=physical)


# Ref and Fn::GetAtt values in the shape the provider checks: (type, attribute) -> an ARN template
# or a name. Attribute None is Ref. Every other one is a bare placeholder.
_SHAPES: dict[tuple[str, str | None], str] = {
    ("AWS::IAM::Role", "Arn"): "arn:{partition}:iam::{account}:role/{name}",
    ("AWS::IAM::User", "Arn"): "arn:{partition}:iam::{account}:user/{name}",
    ("AWS::KMS::Key", "Arn"): "arn:{partition}:kms:{region}:{account}:key/{name}",
    ("AWS::KMS::Alias", None): "alias/{name}",
}


def known_after_deploy(logical_id: str, attribute: str | None, ctx: Context) -> str:
    """The placeholder of ``!Ref logical_id`` (``attribute`` None) or ``!GetAtt logical_id.attribute``."""
    name = f"{PLACEHOLDER}-{re.sub('[^A-Za-z0-9]', '', logical_id)[:40]}"
    if attribute:
        name += "-" + re.sub("[^A-Za-z0-9.]", "", attribute)[:20]
    shape = _SHAPES.get((ctx.resources.get(logical_id, ""), attribute), "{name}")
    region = ctx.pseudo.get("AWS::Region", "us-east-1")
    return shape.format(partition=ctx.pseudo.get("AWS::Partition", partition_of(region)), region=region,
                        account=ctx.pseudo.get("AWS::AccountId", "000000000000"), name=name)


def known_after_deploy_paths(value: Any, location: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The locations of the values in ``value`` that hold a placeholder."""
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in known_after_deploy_paths(v, location + (k,))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in known_after_deploy_paths(v, location + (i,))]
    return [location] if isinstance(value, str) and PLACEHOLDER in value else []


def shown(text: str) -> str:
    """``text`` with every placeholder (and the ARN around it) written "(known after deploy)"."""
    return KNOWN_AFTER_DEPLOY.sub(SHOWN, text) if PLACEHOLDER in text else text


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _check_parameter(name: str, spec: dict[str, Any], value: Any) -> None:
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and value not in [_scalar_text(a) for a in allowed]:
        raise ParameterError(f"parameter {name!r}: {value!r} is not one of AllowedValues {allowed}")
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str) and isinstance(value, str) and not re.fullmatch(pattern, value):
        raise ParameterError(f"parameter {name!r}: {value!r} does not match AllowedPattern {pattern!r}")


def resolve(value: Any, ctx: Context) -> Any:
    """``value`` with every intrinsic the context can answer replaced by its result."""
    out = _walk(value, ctx)
    return None if out is NO_VALUE else out


def condition(name: str, ctx: Context) -> bool | None:
    """The value of the template's condition ``name``; ``None`` when it cannot be known."""
    try:
        return _condition(name, ctx)
    except Unresolved:
        return None


def _walk(value: Any, ctx: Context) -> Any:
    if isinstance(value, dict):
        if _is_function(value):
            try:
                return _function(value, ctx)
            except Unresolved:
                return _partial(value, ctx)
        out = {}
        for key, item in value.items():
            resolved = _walk(item, ctx)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out
    if isinstance(value, list):
        return [r for r in (_walk(v, ctx) for v in value) if r is not NO_VALUE]
    return value


def _partial(value: dict[str, Any], ctx: Context) -> Any:
    """An intrinsic that stays: resolve inside its arguments where that cannot change its meaning."""
    (key, arg), = value.items()
    if key in ("Fn::ImportValue", "Fn::Join", "Fn::Select", "Fn::Base64") and not isinstance(arg, str):
        inner = _walk(arg, ctx)
        return {key: inner}
    return value


def _is_function(value: dict[str, Any]) -> bool:
    if len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::")


def _strict(value: Any, ctx: Context) -> Any:
    """Resolve fully or raise Unresolved."""
    out = _walk(value, ctx)
    if _contains_intrinsic(out):
        raise Unresolved
    return out


def _contains_intrinsic(value: Any) -> bool:
    if isinstance(value, dict):
        return (_is_function(value) or "Condition" in value and len(value) == 1) or any(
            _contains_intrinsic(v) for v in value.values()
        )
    if isinstance(value, list):
        return any(_contains_intrinsic(v) for v in value)
    return False


def _text(value: Any, ctx: Context) -> str:
    out = _strict(value, ctx)
    if isinstance(out, bool):
        return "true" if out else "false"
    if isinstance(out, (int, float)):
        return str(out)
    if not isinstance(out, str):
        raise Unresolved
    return out


def _ref(name: Any, ctx: Context) -> Any:
    if not isinstance(name, str):
        raise Unresolved
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in ctx.pseudo:
        return ctx.pseudo[name]
    if name in ctx.parameters:
        return ctx.parameters[name]
    if name in ctx.resources:
        return _deployed_value(name, None, ctx) or known_after_deploy(name, None, ctx)
    raise Unresolved


def _get_att(arg: Any, ctx: Context) -> str:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str) or arg[0] not in ctx.resources:
        raise Unresolved
    attribute = _text(arg[1], ctx)
    return _deployed_value(arg[0], attribute, ctx) or known_after_deploy(arg[0], attribute, ctx)


def _function(value: dict[str, Any], ctx: Context) -> Any:
    (key, arg), = value.items()
    if key == "Ref":
        return _ref(arg, ctx)
    if key == "Fn::Sub":
        return _sub(arg, ctx)
    if key == "Fn::Join":
        if not isinstance(arg, list) or len(arg) != 2:
            raise Unresolved
        delimiter = _text(arg[0], ctx)
        items = _strict(arg[1], ctx)
        if not isinstance(items, list):
            raise Unresolved
        return delimiter.join(_text(i, ctx) for i in items)
    if key == "Fn::If":
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            raise Unresolved
        chosen = arg[1] if _condition(arg[0], ctx) else arg[2]
        return _walk(chosen, ctx)
    if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
        return _boolean(value, ctx)
    if key == "Fn::Select":
        if not isinstance(arg, list) or len(arg) != 2:
            raise Unresolved
        index = _text(arg[0], ctx)
        items = _strict(arg[1], ctx)
        if not index.isdigit() or not isinstance(items, list) or int(index) >= len(items):
            raise Unresolved
        return items[int(index)]
    if key == "Fn::Split":
        if not isinstance(arg, list) or len(arg) != 2:
            raise Unresolved
        return _text(arg[1], ctx).split(_text(arg[0], ctx))
    if key == "Fn::FindInMap":
        if not isinstance(arg, list) or len(arg) < 3:
            raise Unresolved
        name, first, second = (_text(a, ctx) for a in arg[:3])
        try:
            return ctx.mappings[name][first][second]
        except (KeyError, TypeError) as exc:
            raise Unresolved from exc
    if key == "Fn::Base64":
        return base64.b64encode(_text(arg, ctx).encode()).decode()
    if key == "Fn::GetAtt":
        return _get_att(arg, ctx)
    raise Unresolved  # ImportValue, GetAZs, Cidr, ...


def _sub(arg: Any, ctx: Context) -> str:
    if isinstance(arg, str):
        template, local = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        template, local = arg[0], arg[1]
    else:
        raise Unresolved

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is written as ${Literal}
        if name in local:
            return _text(local[name], ctx)
        if "." in name and not name.startswith("AWS::"):
            return _get_att(name.split(".", 1), ctx)  # ${Resource.Attribute}
        out = _ref(name, ctx)
        if isinstance(out, list) or out is NO_VALUE:
            raise Unresolved
        return _text(out, ctx)

    return _SUB_VAR.sub(replace, template)


def _condition(name: str, ctx: Context) -> bool:
    if name in ctx._condition_values:
        return ctx._condition_values[name]
    if name not in ctx.conditions or name in ctx._evaluating:
        raise Unresolved
    ctx._evaluating.add(name)
    try:
        result = _boolean(ctx.conditions[name], ctx)
    finally:
        ctx._evaluating.discard(name)
    ctx._condition_values[name] = result
    return result


def _boolean(expr: Any, ctx: Context) -> bool:
    if isinstance(expr, bool):
        return expr
    if isinstance(expr, str) and expr.lower() in ("true", "false"):
        return expr.lower() == "true"
    if not isinstance(expr, dict) or len(expr) != 1:
        raise Unresolved
    (key, arg), = expr.items()
    if key == "Condition" and isinstance(arg, str):
        return _condition(arg, ctx)
    if key == "Fn::Equals":
        if not isinstance(arg, list) or len(arg) != 2:
            raise Unresolved
        left, right = (_strict(a, ctx) for a in arg)
        return _scalar_text(left) == _scalar_text(right)
    if key == "Fn::Not":
        if not isinstance(arg, list) or len(arg) != 1:
            raise Unresolved
        return not _boolean(arg[0], ctx)
    if key == "Fn::And":
        if not isinstance(arg, list):
            raise Unresolved
        return all([_boolean(a, ctx) for a in arg])
    if key == "Fn::Or":
        if not isinstance(arg, list):
            raise Unresolved
        return any([_boolean(a, ctx) for a in arg])
    raise Unresolved


def unresolved_paths(value: Any, location: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every intrinsic left in ``value``, with its location (outermost only)."""
    if isinstance(value, dict):
        if _is_function(value) or ("Condition" in value and len(value) == 1):
            return [(location, value)]
        return [found for k, v in value.items() for found in unresolved_paths(v, location + (k,))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in unresolved_paths(v, location + (i,))]
    return []
