"""The properties schema (schema/ecr-repos.schema.json): loading, CloudFormation coercion, problems.

The schema is the single description of the properties. This module coerces the strings that
CloudFormation sends ("true", "14") to the types the schema names, then lists every problem with
a field path and a fix. ECR rules that a schema cannot express live in ``spec``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import Problem

SCHEMA_FILE = "ecr-repos.schema.json"
_INT_TEXT = re.compile(r"^[+-]?[0-9]+$")


def schema_path() -> Path:
    """``$ECR_REPOS_SCHEMA``, else the copy an installed wheel carries (``provider/_schema/``, mapped
    from ``schema/`` by pyproject.toml), else ``schema/`` beside the ``provider`` package (a checkout,
    an editable install, the Lambda zip)."""
    override = os.environ.get("ECR_REPOS_SCHEMA")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    packaged = here / "_schema" / SCHEMA_FILE
    return packaged if packaged.is_file() else here.parent / "schema" / SCHEMA_FILE


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    with open(schema_path(), encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _validator() -> Any:
    # Imported here: jsonschema is the largest import of the package and only validation needs it.
    from jsonschema import Draft7Validator

    return Draft7Validator(load_schema())


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/definitions/X``)."""
    while "$ref" in node:
        target: Any = load_schema()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def coerce(value: Any, node: dict[str, Any] | None = None) -> Any:
    """Turn CloudFormation's string scalars into the types the schema asks for; leave the rest as is."""
    node = resolve(node if node is not None else load_schema())
    kind = node.get("type")
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "integer":
        if isinstance(value, str) and _INT_TEXT.match(value.strip()):
            return int(value.strip())
        if isinstance(value, float) and value.is_integer():
            return int(value)
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind == "object" and isinstance(value, dict):
        props = node.get("properties", {})
        extra = node.get("additionalProperties")
        out = {}
        for key, item in value.items():
            if key in props:
                out[key] = coerce(item, props[key])
            elif isinstance(extra, dict):
                out[key] = coerce(item, extra)
            else:
                out[key] = item
        return out
    if kind == "array" and isinstance(value, list) and isinstance(node.get("items"), dict):
        return [coerce(item, node["items"]) for item in value]
    return value


def is_intrinsic(value: Any) -> bool:
    """A CloudFormation intrinsic function or condition, such as ``{"Ref": "X"}`` or ``{"Fn::If": [...]}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or key == "Condition" or key.startswith("Fn::")


def _under_intrinsic(instance: Any, location: tuple[str | int, ...]) -> bool:
    node = instance
    if is_intrinsic(node):
        return True
    for part in location:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
        if is_intrinsic(node):
            return True
    return False


_TYPE_WORDS = {
    "boolean": "true or false",
    "integer": "a whole number",
    "string": "a string",
    "object": "a map of keys to values",
    "array": "a list",
}

_PATTERN_WORDS = {
    "AccountId": "must be a 12-digit AWS account id",
    "TagPattern": "may hold at most 4 '*' wildcards",
}

_NAME_FIX = (
    "is not a valid ECR repository name; use lowercase letters and digits, "
    "separated by single '.', '_', '-' or '/'"
)


def describe_error(error: Any, location: tuple[str | int, ...]) -> list[Problem]:
    """Turn one schema error into problems with an actionable message.

    The one writer of the schema messages: the Lambda's Reason, ``ecr-repos validate`` and the
    cfn-lint rule E9101 (provider/cfnlint_rules) all show what this returns. ``error`` is a
    jsonschema ``ValidationError`` or anything with the same attributes, such as cfn-lint's
    ``cfnlint.jsonschema.ValidationError``: ``validator``, ``validator_value``, ``instance``,
    ``schema``, ``schema_path`` and ``message``.

    ``location`` is the property path of the object or value the failing keyword looked at: for
    ``propertyNames`` the object whose key ``error.instance`` is, for ``additionalProperties`` and
    ``required`` the object with the unknown or missing keys (one problem per such key, each at
    ``location + (key,)``), otherwise the failing value itself.
    """
    keyword = error.validator
    value = error.instance
    schema_path = list(error.schema_path)
    if "propertyNames" in schema_path:
        key = value
        where = location + (key,)
        if "Tags" in location or (location and location[-1] == "Tags"):
            if keyword == "not":
                return [Problem(where, "tag keys starting with 'aws:' or 'ecr-repos:' are reserved; rename the tag")]
            return [Problem(where, f"tag keys must be 1-128 characters (got {len(key)})")]
        if keyword in ("minLength", "maxLength"):
            return [Problem(where, f"repository names must be 2-256 characters (got {len(key)})")]
        return [Problem(where, _NAME_FIX)]
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        problems = []
        for key in value:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            problems.append(Problem(location + (key,), f"unknown key; {fix}"))
        return problems
    if keyword == "required":
        return [
            Problem(location + (key,), "is required; add it")
            for key in error.validator_value
            if isinstance(value, dict) and key not in value
        ]
    if keyword == "type":
        want = error.validator_value
        words = _TYPE_WORDS.get(want, want) if isinstance(want, str) else " or ".join(want)
        return [Problem(location, f"must be {words}, got {value!r}")]
    if keyword == "minimum":
        return [Problem(location, f"must be at least {error.validator_value}, got {value!r}")]
    if keyword == "maximum":
        return [Problem(location, f"must be at most {error.validator_value}, got {value!r}")]
    if keyword == "pattern":
        field = next((str(p) for p in reversed(location) if isinstance(p, str)), "")
        if any(part in ("AdditionalPushAccountIds", "AdditionalPullAccountIds") for part in location):
            field = "AccountId"
        words = _PATTERN_WORDS.get(field, f"must match {error.validator_value}")
        return [Problem(location, f"{words}, got {value!r}")]
    if keyword == "minLength":
        if error.validator_value == 1:
            return [Problem(location, "must not be empty")]
        return [Problem(location, f"must be at least {error.validator_value} characters (got {len(value)})")]
    if keyword == "maxLength":
        return [Problem(location, f"must be at most {error.validator_value} characters (got {len(value)})")]
    if keyword == "maxItems":
        return [Problem(location, f"holds {len(value)} items; at most {error.validator_value} are allowed")]
    if keyword == "maxProperties":
        return [Problem(location, f"holds {len(value)} entries; at most {error.validator_value} are allowed")]
    if keyword == "uniqueItems":
        return [Problem(location, "lists the same value twice; remove the duplicate")]
    return [Problem(location, error.message)]


# --- a validity fast path --------------------------------------------------------------------
# Importing jsonschema and building its first validator costs about 60 ms of every cold start,
# more than all other provider work. Valid properties (nearly every request) only need a yes, so
# this small interpreter of the Draft 7 keywords the schema uses answers "valid" first; anything
# else, including a keyword it does not know, goes to jsonschema, which alone writes the messages.
# tests/provider/test_schema.py checks with hypothesis that it never accepts what jsonschema rejects.

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "definitions"})
_KNOWN = _ANNOTATIONS | {
    "$ref", "type", "properties", "additionalProperties", "required", "propertyNames", "pattern",
    "minLength", "maxLength", "minimum", "maximum", "items", "maxItems", "uniqueItems", "maxProperties", "not",
}


class _Unsure(Exception):
    """The fast path cannot decide; jsonschema will."""


def _is_type(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    raise _Unsure(kind)


def _valid(value: Any, node: dict[str, Any]) -> bool:
    if not _KNOWN.issuperset(node):
        raise _Unsure(sorted(set(node) - _KNOWN))
    if "$ref" in node:
        return _valid(value, resolve(node))
    kind = node.get("type")
    if kind is not None and (not isinstance(kind, str) or not _is_type(value, kind)):
        if not isinstance(kind, str):
            raise _Unsure(kind)
        return False
    if "not" in node and _valid(value, node["not"]):
        return False
    if isinstance(value, str):
        if len(value) < node.get("minLength", 0) or len(value) > node.get("maxLength", len(value)):
            return False
        if "pattern" in node and not _pattern(node["pattern"]).search(value):
            return False
    if isinstance(value, int) and not isinstance(value, bool):
        if value < node.get("minimum", value) or value > node.get("maximum", value):
            return False
    if isinstance(value, list):
        if len(value) > node.get("maxItems", len(value)):
            return False
        if node.get("uniqueItems"):
            if not all(isinstance(v, str) for v in value):
                raise _Unsure("uniqueItems on non-strings")
            if len(set(value)) != len(value):
                return False
        if "items" in node and not all(_valid(v, node["items"]) for v in value):
            return False
    if isinstance(value, dict):
        props = node.get("properties", {})
        if len(value) > node.get("maxProperties", len(value)):
            return False
        if any(key not in value for key in node.get("required", ())):
            return False
        if "propertyNames" in node and not all(_valid(k, node["propertyNames"]) for k in value):
            return False
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                if not _valid(item, props[key]):
                    return False
            elif extra is False:
                return False
            elif isinstance(extra, dict) and not _valid(item, extra):
                return False
    return True


@lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def surely_valid(properties: Any) -> bool:
    """True only when ``properties`` certainly satisfies the schema (no jsonschema needed)."""
    try:
        return _valid(properties, load_schema())
    except (_Unsure, re.error, TypeError):
        return False


def schema_problems(properties: Any, *, allow_intrinsics: bool = False) -> list[Problem]:
    """Every schema problem of already-coerced ``properties``, sorted by path.

    ``allow_intrinsics`` (for templates read by the CLI): a value that is an intrinsic function,
    or lies under one, is taken to be of the right type.
    """
    if surely_valid(properties):
        return []
    problems: list[Problem] = []
    for error in _validator().iter_errors(properties):
        location = tuple(error.absolute_path)
        if allow_intrinsics and _under_intrinsic(properties, location):
            continue
        problems.extend(describe_error(error, location))
    unique = {(p.location, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: [(0, x, "") if isinstance(x, int) else (1, 0, x) for x in p.location])
