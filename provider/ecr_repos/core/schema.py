"""The properties schemas (schema/ecr-repos.schema.json, schema/ecr-registry.schema.json): loading,
CloudFormation coercion, problems.

A schema is the single description of one resource type's properties; every function takes the
schema file (``SCHEMA_FILE``, Custom::EcrRepos's, by default; ``REGISTRY_SCHEMA_FILE``). A ``$ref``
into another schema file (``ecr-repos.schema.json#/definitions/AccountId``) is resolved at load: the
definition it names (and those it refers to) joins the loading schema's ``definitions`` under the same
name, so each fact is written once, in one file. This module coerces the strings that
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
REGISTRY_SCHEMA_FILE = "ecr-registry.schema.json"
SCHEMA_FILES = {"Custom::EcrRepos": SCHEMA_FILE, "Custom::EcrRegistry": REGISTRY_SCHEMA_FILE}
_INT_TEXT = re.compile(r"^[+-]?[0-9]+$")


def schema_path(name: str = SCHEMA_FILE) -> Path:
    """Schema ``name``: Custom::EcrRepos's is ``$ECR_REPOS_SCHEMA`` when set (the others beside it),
    else the copy an installed wheel carries (``ecr_repos/_schema/``, mapped
    from ``schema/`` by pyproject.toml), else ``schema/`` of the checkout (two folders above the
    package: an editable install, the tests, the Lambda zip)."""
    override = os.environ.get("ECR_REPOS_SCHEMA")
    if override and name == SCHEMA_FILE:
        return Path(override)
    if override and (Path(override).parent / name).is_file():
        return Path(override).parent / name  # the other schemas beside it, when there
    package = Path(__file__).resolve().parent.parent
    packaged = package / "_schema" / name
    return packaged if packaged.is_file() else package.parent.parent / "schema" / name


@lru_cache(maxsize=None)
def load_schema(name: str = SCHEMA_FILE) -> dict[str, Any]:
    with open(schema_path(name), encoding="utf-8") as fh:
        schema = json.load(fh)
    _inline_refs(schema, schema.setdefault("definitions", {}), name)
    return schema


def _inline_refs(node: Any, definitions: dict[str, Any], name: str) -> None:
    """Rewrite each ``other.json#/definitions/X`` of ``node`` to ``#/definitions/X``, copying X (and
    what X refers to, from its own file) into ``definitions``; a different X already there is an error."""
    if isinstance(node, list):
        for item in node:
            _inline_refs(item, definitions, name)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        file, _, pointer = ref.partition("#")
        key = pointer.rsplit("/", 1)[-1]
        if not pointer.startswith("/definitions/") or file == name:
            raise ValueError(f"{name}: unsupported $ref {ref!r}")
        other = load_schema(file)["definitions"]
        for def_name in _closure(other, key):
            if def_name in definitions and definitions[def_name] != other[def_name]:
                raise ValueError(f"{name}: definition {def_name!r} differs from {file}'s")
            definitions[def_name] = other[def_name]
        node["$ref"] = f"#/definitions/{key}"
    for key, value in list(node.items()):  # a snapshot: definitions grows while it is walked
        if key != "$ref":
            _inline_refs(value, definitions, name)


def _closure(definitions: dict[str, Any], key: str) -> list[str]:
    """``key`` and every definition it refers to, locally (the file's own, already inlined, refs)."""
    found: list[str] = []
    todo = [key]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        text = json.dumps(definitions[current])
        todo.extend(re.findall(r'"#/definitions/([^"]+)"', text))
    return found


@lru_cache(maxsize=None)
def _validator(name: str = SCHEMA_FILE) -> Any:
    # Imported here: jsonschema is the largest import of the package and only validation needs it.
    from jsonschema import Draft7Validator, ValidationError, validators

    def pattern(validator: Any, text: str, instance: Any, schema: dict[str, Any]) -> Any:
        if validator.is_type(instance, "string") and not compile_pattern(text).search(instance):
            yield ValidationError(f"{instance!r} does not match {text!r}")

    return validators.extend(Draft7Validator, {"pattern": pattern})(load_schema(name))


# --- patterns --------------------------------------------------------------------------------
# JSON Schema's ``pattern`` is an ECMA-262 regular expression, searched in the value. Python's
# ``re`` reads the same text differently in ways that matter for validation: its ``$`` also matches
# before a trailing newline ("bad\n" passes ``^[a-z]+$``), its ``.`` matches "\r", and its ``\d`` and
# ``\w`` match any Unicode digit or letter. Every consumer of the schema (the fast path below, the
# jsonschema validator above, the cfn-lint rule E9101) compiles a pattern here, so a ``$`` in the
# schema ends the value, whoever wrote the pattern.


def python_regex(text: str) -> str:
    r"""The ECMA-262 ``text`` as Python regex text of the same meaning (compile it with re.ASCII).

    Outside character classes an unescaped ``$`` becomes ``\Z`` (the very end) and ``.`` excludes
    every ECMA line terminator. re.ASCII keeps ``\d``, ``\w`` and ``\b`` to ASCII, as in ECMA-262
    (``\s`` then misses the non-ASCII spaces ECMA's includes; no pattern of the schema uses it).
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if text[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
        elif char == "$":
            out.append(r"\Z")
        elif char == ".":
            out.append(r"[^\n\r\u2028\u2029]")
        else:
            out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_pattern(text: str) -> re.Pattern[str]:
    """A schema ``pattern``, compiled with ECMA-262's meaning: search it (as JSON Schema does)."""
    return re.compile(python_regex(text), re.ASCII)


def resolve(node: dict[str, Any], name: str = SCHEMA_FILE) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/definitions/X``) of schema ``name``."""
    while "$ref" in node:
        target: Any = load_schema(name)
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def coerce(value: Any, node: dict[str, Any] | None = None, name: str = SCHEMA_FILE) -> Any:
    """Turn CloudFormation's string scalars into the types the schema asks for; leave the rest as is."""
    node = resolve(node if node is not None else load_schema(name), name)
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
                out[key] = coerce(item, props[key], name)
            elif isinstance(extra, dict):
                out[key] = coerce(item, extra, name)
            else:
                out[key] = item
        return out
    if kind == "array" and isinstance(value, list) and isinstance(node.get("items"), dict):
        return [coerce(item, node["items"], name) for item in value]
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
    "MutableTagPatterns": "must be 1-128 letters, digits, '.', '_', '-' or '*' (ECR's tag filter)",
    "ImmutableTagPatterns": "must be 1-128 letters, digits, '.', '_', '-' or '*' (ECR's tag filter)",
    "PrincipalArn": "must be the ARN of an IAM role, user or account root, like arn:aws:iam::123456789012:role/ci",
    "OrganizationId": "must be an AWS Organizations id, like o-a1b2c3d4e5",
    "Sid": "must be letters and digits only (IAM's Sid), not starting with EcrRegistry (the provider's own)",
    "CredentialArn": "must be the ARN of a Secrets Manager secret whose name starts with ecr-pullthroughcache/",
    "CustomRoleArn": "must be the ARN of an IAM role, like arn:aws:iam::123456789012:role/ecr-cache",
    "Region": "must be an AWS region name, like eu-west-1",
    "PullTimeUpdateExclusions": "must be the ARN of an IAM role or user, like arn:aws:iam::123456789012:role/ci",
    "RepositoryPrefixes": "must be a repository name prefix (lowercase letters, digits, '.', '_', '-', '/')",
    "RepositoryFilters": "must be lowercase letters, digits, '.', '_', '-', '/' and '*' wildcards",
    "Action": "must be an ECR action, like ecr:ReplicateImage",
    "OrganizationalUnitPath": (
        "must be an OU path with the final '/', like o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ "
        "(a whole organization: use OrganizationIds)"
    ),
}
# List properties whose items share one definition (and so one message).
_ITEM_KINDS = {
    "AdditionalPushAccountIds": "AccountId",
    "AdditionalPullAccountIds": "AccountId",
    "LambdaPullAccountIds": "AccountId",
    "PullPrincipalArns": "PrincipalArn",
    "PushPrincipalArns": "PrincipalArn",
    "PullOrganizationIds": "OrganizationId",
    "PushOrganizationIds": "OrganizationId",
    "PullOrganizationalUnitPaths": "OrganizationalUnitPath",
    "PushOrganizationalUnitPaths": "OrganizationalUnitPath",
    "ReplicationSourceAccountIds": "AccountId",
    "PullTimeUpdateExclusions": "PullTimeUpdateExclusions",
    "RepositoryPrefixes": "RepositoryPrefixes",
    "RepositoryFilters": "RepositoryFilters",
}

_MINIMUM_WORDS = {
    "ExpireArchivedAfterDays": "must be at least 90, ECR's minimum archive duration",
    "KeepUntagged": "must be at least 1 (ECR keeps 1 or more)",
}

# A setting that one beside it in the same object rules out (schema: ``then: {not: {required: [key]}}``).
_EXCLUDED_WORDS = {
    "MutableTagPatterns": "keeps tags mutable in an immutable repository, but IsImmutable is false; "
                          "use ImmutableTagPatterns, or set IsImmutable: true",
    "ImmutableTagPatterns": "makes tags immutable in a mutable repository, but IsImmutable is true; "
                            "use MutableTagPatterns, or set IsImmutable: false",
    "KmsKey": "needs Encryption: KMS or KMS_DSSE beside it; set Encryption, or remove KmsKey",
}

# Keywords for which describe_error may return nothing: the problem is another error's (a missing
# TagPattern or an unknown key also breaks a rule's min/maxProperties).
COVERED_KEYWORDS = frozenset({"minProperties", "maxProperties"})

# Rules that take exactly one count key besides TagPattern (schema: min/maxProperties 2).
_RULE_COUNTS = {
    "ExpirationRules": ("Days", "DaysSincePull", "KeepLast"),
    "ArchiveRules": ("Days", "DaysSincePull"),
}

# Maps keyed by a repository prefix (Custom::EcrRegistry): what the key must be.
_PREFIX_MAPS = {
    "PullThroughCacheRules": "a pull-through cache prefix must be ROOT or 2-30 characters of the repository-name "
                             "grammar (lowercase letters and digits separated by '.', '_', '-' or '/')",
    "RepositoryCreationTemplates": "a template prefix must be ROOT or 1-256 characters of the repository-name "
                                   "grammar (lowercase letters and digits separated by '.', '_', '-' or '/')",
}

_NAME_FIX = (
    "is not a valid ECR repository name; use lowercase letters and digits, "
    "separated by '.', '_', '__', '-' (one or more) or '/'"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _control_char(value: Any) -> str | None:
    """The first control character of a value that fails its pattern (the likely cause), if any."""
    found = _CONTROL.search(value) if isinstance(value, str) else None
    return found.group() if found else None


def describe_error(error: Any, location: tuple[str | int, ...]) -> list[Problem]:
    """Turn one schema error into problems with an actionable message.

    The one writer of the schema messages: the Lambda's Reason, ``ecr-repos validate`` and the
    cfn-lint rule E9101 (provider/ecr_repos/cfnlint_rules) all show what this returns. ``error`` is a
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
            if keyword == "pattern":
                return [Problem(where, f"holds the control character {_control_char(key)!r}; remove it")]
            return [Problem(where, f"tag keys must be 1-128 characters (got {len(key)})")]
        if location and location[-1] in _PREFIX_MAPS:
            words = _PREFIX_MAPS[str(location[-1])]
            if keyword in ("minLength", "maxLength"):
                return [Problem(where, f"{words} (got {len(key)} characters)")]
            return [Problem(where, f"{words}, got {key!r}")]
        if keyword in ("minLength", "maxLength"):
            return [Problem(where, f"repository names must be 2-256 characters (got {len(key)})")]
        char = _control_char(key)
        return [Problem(where, f"holds the control character {char!r}; remove it" if char else _NAME_FIX)]
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
        field = location[-1] if location and isinstance(location[-1], str) else ""
        words = _MINIMUM_WORDS.get(field, f"must be at least {error.validator_value}")
        return [Problem(location, f"{words}, got {value!r}")]
    if keyword == "enum":
        return [Problem(location, f"must be one of {', '.join(map(str, error.validator_value))}, got {value!r}")]
    if keyword == "not" and isinstance(error.validator_value, dict) and list(error.validator_value) == ["pattern"]:
        return [Problem(location, f"Sids starting with EcrRegistry are the provider's own, got {value!r}; rename it")]
    if keyword == "not" and isinstance(error.validator_value, dict) and list(error.validator_value) == ["required"]:
        return [Problem(location + (key,), _EXCLUDED_WORDS.get(key, "is not allowed here; remove it"))
                for key in error.validator_value["required"]]
    if keyword in ("minProperties", "maxProperties") and len(location) >= 2 and location[-2] in _RULE_COUNTS:
        counts = _RULE_COUNTS[str(location[-2])]
        given = [k for k in counts if isinstance(value, dict) and k in value]
        names = ", ".join(counts[:-1]) + f" or {counts[-1]}"
        if keyword == "minProperties" and not given:
            return [Problem(location, f"needs one of {names}; add one")]
        if keyword == "maxProperties" and len(given) > 1:
            return [Problem(location, f"takes only one of {names}, got {' and '.join(given)}; keep one")]
        return []  # a missing TagPattern or an unknown key: reported by their own keywords
    if keyword == "maximum":
        return [Problem(location, f"must be at most {error.validator_value}, got {value!r}")]
    if keyword == "pattern":
        field = next((str(p) for p in reversed(location) if isinstance(p, str)), "")
        kind = next((_ITEM_KINDS[part] for part in location if isinstance(part, str) and part in _ITEM_KINDS), None)
        if kind:
            field = kind
        char = _control_char(value)
        if char:
            return [Problem(location, f"holds the control character {char!r}, got {value!r}; remove it")]
        words = _PATTERN_WORDS.get(field, f"must match {error.validator_value}")
        return [Problem(location, f"{words}, got {value!r}")]
    if keyword == "minLength":
        if error.validator_value == 1:
            return [Problem(location, "must not be empty")]
        return [Problem(location, f"must be at least {error.validator_value} characters (got {len(value)})")]
    if keyword == "maxLength":
        return [Problem(location, f"must be at most {error.validator_value} characters (got {len(value)})")]
    if keyword == "minItems":
        return [Problem(location, f"must list at least {error.validator_value}; add one or remove the key")]
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
# tests/core/test_schema.py checks with hypothesis that it never accepts what jsonschema rejects.

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "definitions"})
_KNOWN = _ANNOTATIONS | {
    "$ref", "type", "properties", "additionalProperties", "required", "propertyNames", "pattern",
    "minLength", "maxLength", "minimum", "maximum", "items", "maxItems", "uniqueItems", "maxProperties", "not",
    "minItems", "minProperties", "enum", "const", "allOf", "if", "then", "else",
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


def _valid(value: Any, node: dict[str, Any], name: str = SCHEMA_FILE) -> bool:
    if not _KNOWN.issuperset(node):
        raise _Unsure(sorted(set(node) - _KNOWN))
    if "$ref" in node:
        return _valid(value, resolve(node, name), name)
    kind = node.get("type")
    if kind is not None and (not isinstance(kind, str) or not _is_type(value, kind)):
        if not isinstance(kind, str):
            raise _Unsure(kind)
        return False
    if "not" in node and _valid(value, node["not"], name):
        return False
    if "const" in node and not _same(value, node["const"]):
        return False
    if "enum" in node and not any(_same(value, v) for v in node["enum"]):
        return False
    if not all(_valid(value, sub, name) for sub in node.get("allOf", ())):
        return False
    if "if" in node:
        branch = node.get("then") if _valid(value, node["if"], name) else node.get("else")
        if branch is not None and not _valid(value, branch, name):
            return False
    if isinstance(value, str):
        if len(value) < node.get("minLength", 0) or len(value) > node.get("maxLength", len(value)):
            return False
        if "pattern" in node and not compile_pattern(node["pattern"]).search(value):
            return False
    if isinstance(value, int) and not isinstance(value, bool):
        if value < node.get("minimum", value) or value > node.get("maximum", value):
            return False
    if isinstance(value, list):
        if not node.get("minItems", 0) <= len(value) <= node.get("maxItems", len(value)):
            return False
        if node.get("uniqueItems"):
            if not all(isinstance(v, str) for v in value):
                raise _Unsure("uniqueItems on non-strings")
            if len(set(value)) != len(value):
                return False
        if "items" in node and not all(_valid(v, node["items"], name) for v in value):
            return False
    if isinstance(value, dict):
        props = node.get("properties", {})
        if not node.get("minProperties", 0) <= len(value) <= node.get("maxProperties", len(value)):
            return False
        if any(key not in value for key in node.get("required", ())):
            return False
        if "propertyNames" in node and not all(_valid(k, node["propertyNames"], name) for k in value):
            return False
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                if not _valid(item, props[key], name):
                    return False
            elif extra is False:
                return False
            elif isinstance(extra, dict) and not _valid(item, extra, name):
                return False
    return True


def _same(value: Any, want: Any) -> bool:
    """JSON equality for scalars: ``false`` is not ``0`` (Python says it is)."""
    if isinstance(want, (bool, str)) or isinstance(value, (bool, str)):
        return type(value) is type(want) and value == want
    if isinstance(want, (int, float)) and isinstance(value, (int, float)):
        return value == want
    raise _Unsure("const/enum of a non-scalar")


def surely_valid(properties: Any, name: str = SCHEMA_FILE) -> bool:
    """True only when ``properties`` certainly satisfies the schema (no jsonschema needed)."""
    try:
        return _valid(properties, load_schema(name), name)
    except (_Unsure, re.error, TypeError):
        return False


def schema_problems(properties: Any, *, allow_intrinsics: bool = False, name: str = SCHEMA_FILE) -> list[Problem]:
    """Every schema problem of already-coerced ``properties``, sorted by path.

    ``allow_intrinsics`` (for templates read by the CLI): a value that is an intrinsic function,
    or lies under one, is taken to be of the right type.
    """
    if surely_valid(properties, name):
        return []
    problems: list[Problem] = []
    for error in _validator(name).iter_errors(properties):
        location = tuple(error.absolute_path)
        if allow_intrinsics and _under_intrinsic(properties, location):
            continue
        problems.extend(describe_error(error, location))
    unique = {(p.location, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: [(0, x, "") if isinstance(x, int) else (1, 0, x) for x in p.location])
