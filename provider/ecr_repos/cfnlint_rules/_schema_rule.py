"""The machinery of the schema rules (E9101 Custom::EcrRepos, E9103 Custom::EcrRegistry): a resource
type's properties checked against its JSON schema in ``schema/`` by cfn-lint's validator.

Plain cfn-lint validates any ``Custom::*`` type as a generic custom resource and looks at nothing
but ``ServiceToken``. ``SchemaProperties`` plugs a schema of ours (read at load time, never copied)
into cfn-lint's validator, which already understands intrinsic functions, conditions and
string-typed scalars. Every error is reported, each with its own line.

The messages are the provider's own: ``ecr_repos/core/schema.py``'s ``describe_error`` writes them
for the Lambda's Reason, ``ecr-repos validate`` and these rules alike, as ``<path>: <message>``.

Not a rule file: cfn-lint's folder loader skips names starting with ``_``. The rule modules
(``ecr_repos_properties.py``, ``ecr_registry_properties.py``) import this module and subclass
``SchemaProperties``. The schemas are those ``ecr_repos.core.schema.schema_path`` names; set
``ECR_REPOS_SCHEMA`` to use another copy (the registry's schema is read beside it).
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
from collections import deque
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

# Import the module, not the class: cfn-lint instantiates every rule class it
# finds in a plugin module's namespace, and CfnLintJsonSchema itself is one.
import cfnlint.jsonschema as _jsonschema
import cfnlint.rules.jsonschema as _jsonschema_rules
from cfnlint.jsonschema._keywords_cfn import cfn_type as _cfn_type

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # provider/: the folder that holds ecr_repos


def _core_schema() -> ModuleType:
    """``ecr_repos.core.schema``, the module that writes the Lambda's and the CLI's messages.

    Imported as installed beside cfn-lint; when this rule's folder is passed to a cfn-lint of
    another environment (``--append-rules DIR``), the source root that holds it is searched last.
    """
    try:
        return importlib.import_module("ecr_repos.core.schema")
    except ImportError:
        sys.path.append(str(SOURCE_ROOT))
        return importlib.import_module("ecr_repos.core.schema")


_schema = _core_schema()


def schema_path(name: str | None = None) -> Path:
    """Where a properties schema lives: ``$ECR_REPOS_SCHEMA`` (or beside it) or the repository's ``schema/``."""
    return _schema.schema_path(name or _schema.SCHEMA_FILE)


def load_schema(name: str | None = None) -> dict[str, Any]:
    """The schema ``name`` as the provider loads it (refs into the other schema file inlined), as cfn-lint takes it."""
    # Read afresh (not the provider's cached copy): a changed $ECR_REPOS_SCHEMA counts from the next rule.
    fresh = getattr(_schema.load_schema, "__wrapped__", _schema.load_schema)
    schema = copy.deepcopy(fresh(name or _schema.SCHEMA_FILE))
    # The draft-07 meta-schema URI and our $id are not resolvable by cfn-lint's
    # resolver and carry no rules; "#/definitions/..." refs resolve against the
    # document itself.
    schema.pop("$schema", None)
    schema.pop("$id", None)
    _inline_property_names(schema, schema.get("definitions", {}))
    return schema


def _inline_property_names(node: Any, definitions: dict[str, Any]) -> None:
    """Replace each ``propertyNames: {$ref: "#/definitions/X"}`` with X itself: cfn-lint resolves a
    ``$ref`` met while checking a key against the key, not the schema ("Unresolvable JSON pointer")."""
    if isinstance(node, list):
        for item in node:
            _inline_property_names(item, definitions)
        return
    if not isinstance(node, dict):
        return
    names = node.get("propertyNames")
    while isinstance(names, dict) and isinstance(names.get("$ref"), str) and names["$ref"].startswith("#/definitions/"):
        rest = {k: v for k, v in names.items() if k != "$ref"}
        names = {**definitions[names["$ref"].rsplit("/", 1)[-1]], **rest}
        node["propertyNames"] = names
    for value in node.values():
        _inline_property_names(value, definitions)


class SchemaProperties(_jsonschema_rules.CfnLintJsonSchema):
    """The properties of every resource of ``resource_type`` checked against its schema ``schema_file``.

    A rule per type subclasses it with its own metadata (``id``, ``shortdesc``, ``description``,
    ``source_url``) and these two attributes; this class itself is never a rule (its module's name
    starts with ``_``, which cfn-lint's folder loader skips, and rule modules import the module, not
    the class).
    """

    resource_type = ""
    schema_file = ""
    tags = ["resources", "custom", "ecr"]

    def __init__(self) -> None:
        super().__init__(
            keywords=[f"Resources/{self.resource_type}/Properties"],
            all_matches=True,
        )
        self._schema = load_schema(self.schema_file)
        self._use_schema_arg = False

    def extend_validator(self, validator, schema, context, validators=None):
        # cfn-lint searches a pattern with Python's re, whose "$" also matches before a trailing
        # newline; provider/ecr_repos/core/schema.py compiles the schema's patterns with their ECMA-262 meaning.
        # Its "integer" takes anything int() takes (7.5 passes, "7.0" fails): whole numbers are
        # decided as the Lambda decides them (core/schema.py's whole_number).
        return super().extend_validator(validator, schema, context,
                                        {**(validators or {}), "pattern": _pattern, "type": _type})

    def _iter_errors(self, validator, instance):
        seen: set[tuple[str, tuple[Any, ...]]] = set()
        found = []
        for err in super()._iter_errors(validator, instance):
            # cfn-lint reports each missing key of an object as an error of its own, at the
            # object's path, while describe_error lists them all from the first one: one match
            # per (message, path), each at the line of the error's path.
            path = tuple(err.path)
            fresh = [m for m in messages(err) if (m, path) not in seen]
            seen.update((m, path) for m in fresh)
            found.extend(_with_message(err, message) for message in fresh)
        # In line order, as `ecr-repos validate` lists them (cfn-lint's command line sorts its
        # output anyway; its API, lint_file, keeps the order rules yield).
        yield from sorted(found, key=lambda err: _position(instance, err.path))


def _position(instance: Any, path: Sequence[Any]) -> tuple[float, float]:
    """(line, column) of the deepest node along ``path`` that cfn-lint's decoder marked (its
    nodes carry ``start_mark``); the key itself for a key that is the path's last step."""
    best: tuple[float, float] = (float("inf"), float("inf"))
    node = instance
    for part in [None, *path]:
        if part is not None:
            if isinstance(node, dict):
                key = next((k for k in node if k == part), None)
                mark = getattr(key, "start_mark", None)
                if mark is not None:
                    best = (mark.line, mark.column)
                if part not in node:
                    break
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
        mark = getattr(node, "start_mark", None)
        if mark is not None:
            best = (mark.line, mark.column)
    return best


def _pattern(validator: Any, text: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """cfn-lint's ``pattern`` keyword (scalars other than strings are matched as their JSON text),
    with the pattern compiled by ``provider/ecr_repos/core/schema.py``."""
    if not isinstance(instance, (str, int, float, bool)) or not isinstance(text, str):
        return
    value = instance if isinstance(instance, str) else json.dumps(instance)
    if not _schema.compile_pattern(text).search(value):
        yield _jsonschema.ValidationError(f"{value!r} does not match {text!r}")


def _type(validator: Any, kinds: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """cfn-lint's ``type`` keyword, with ``integer`` meaning what the provider coerces to one."""
    if kinds == "integer" and isinstance(instance, (str, int, float, bool)):
        if _schema.whole_number(instance) is None:
            yield _jsonschema.ValidationError(f"{instance!r} is not of type 'integer'")
        return
    yield from _cfn_type(validator, kinds, instance, schema)


def _with_message(err: Any, message: str) -> Any:
    """A copy of ``err`` saying ``message``, with paths of its own (cfn-lint extends them in place)."""
    out = copy.copy(err)
    out.message = message
    out.path = out.relative_path = deque(err.path)
    out.schema_path = out.relative_schema_path = deque(err.schema_path)
    out.path_override = deque(getattr(err, "path_override", ()))
    return out


def property_location(path: Sequence[Any]) -> tuple[str | int, ...]:
    """A cfn-lint error path as the provider's property path: ``Fn::If`` and its branch index dropped.

    ``['EcrRepositories', 'app/api', 'Fn::If', 1, 'IsImmutable']`` -> ``('EcrRepositories', 'app/api', 'IsImmutable')``.
    """
    out: list[str | int] = []
    in_function = False
    for part in path:
        # Fn::If and friends are not part of the property path the provider reports.
        if isinstance(part, str) and part.startswith("Fn::"):
            in_function = True
            continue
        if in_function and isinstance(part, int):
            in_function = False
            continue
        in_function = False
        out.append(part)
    return tuple(out)


def field_path(path: Sequence[Any]) -> str:
    """``['EcrRepositories', 'app/api', 'ExpirationRules', 0, 'Days']`` -> ``EcrRepositories.app/api.ExpirationRules[0].Days``."""
    return _schema.Problem(property_location(path), "").path or "Properties"


def messages(err: Any) -> list[str]:
    """The provider's ``<path>: <message>`` lines for one cfn-lint error (usually one line).

    cfn-lint's paths differ from jsonschema's in one way that matters here: for
    ``additionalProperties`` and ``propertyNames`` they go on to the offending key, while
    ``describe_error`` takes the object's path and adds the key itself. The object's path is given
    and only the problem of this error's key kept (describe_error lists every unknown key of the
    object, and cfn-lint reports each with its own line).
    """
    location = property_location(err.path)
    keyed = err.validator == "additionalProperties" or "propertyNames" in list(err.schema_path)
    if keyed and location:
        problems = [p for p in _schema.describe_error(err, location[:-1]) if p.location == location]
    else:
        problems = _schema.describe_error(err, location)
    if not problems and err.validator in _schema.COVERED_KEYWORDS:
        return []  # describe_error leaves this one to the other errors of the same object
    return [f"{p.path or 'Properties'}: {p.message}" for p in problems] or [f"{field_path(err.path)}: {err.message}"]
