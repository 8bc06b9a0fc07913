"""cfn-lint rule E9101: check the properties of every ``Custom::EcrRepos`` resource.

Plain cfn-lint validates any ``Custom::*`` type as a generic custom resource and
looks at nothing but ``ServiceToken``. This rule plugs our own JSON schema
(``schema/ecr-repos.schema.json``, read at load time, never copied) into
cfn-lint's validator, which already understands intrinsic functions, conditions
and string-typed scalars. Every error is reported, each with its own line.

Load it with ``cfn-lint --append-rules <this directory>`` or ``append_rules:`` in
``.cfnlintrc``. The schema is looked up next to the repository layout
(``../../schema/``); set ``ECR_REPOS_SCHEMA`` to use another copy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

# Import the module, not the class: cfn-lint instantiates every rule class it
# finds in a plugin module's namespace, and CfnLintJsonSchema itself is one.
import cfnlint.rules.jsonschema as _jsonschema_rules

SCHEMA_ENV = "ECR_REPOS_SCHEMA"
RESOURCE_TYPE = "Custom::EcrRepos"


def schema_path() -> Path:
    """Where the properties schema lives: ``$ECR_REPOS_SCHEMA`` or the repository's ``schema/``."""
    override = os.environ.get(SCHEMA_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent.parent / "schema" / "ecr-repos.schema.json"


def load_schema() -> dict[str, Any]:
    with open(schema_path(), encoding="utf-8") as handle:
        schema = json.load(handle)
    # The draft-07 meta-schema URI and our $id are not resolvable by cfn-lint's
    # resolver and carry no rules; "#/definitions/..." refs resolve against the
    # document itself.
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return schema


class EcrReposProperties(_jsonschema_rules.CfnLintJsonSchema):
    """Validate Custom::EcrRepos properties against schema/ecr-repos.schema.json."""

    id = "E9101"
    shortdesc = "Custom::EcrRepos properties match the ecr-repos schema"
    description = (
        "Checks every property of a Custom::EcrRepos resource (unknown keys, types, "
        "account ids, repository names, expiration rules) against schema/ecr-repos.schema.json"
    )
    source_url = "https://github.com/ecr-repos/ecr-repos#properties"
    tags = ["resources", "custom", "ecr"]

    def __init__(self) -> None:
        super().__init__(
            keywords=[f"Resources/{RESOURCE_TYPE}/Properties"],
            all_matches=True,
        )
        self._schema = load_schema()
        self._use_schema_arg = False

    def _iter_errors(self, validator, instance):
        for err in super()._iter_errors(validator, instance):
            err.message = explain(err)
            yield err


_TYPE_HINTS = {
    "boolean": "use true or false",
    "integer": "use a whole number",
    "object": "use a map",
    "array": "use a list",
    "string": "use a string",
}


def field_path(path: Sequence[Any]) -> str:
    """``['EcrRepositories', 'app/api', 'ExpirationRules', 0, 'Days']`` -> ``EcrRepositories.app/api.ExpirationRules[0].Days``."""
    text = ""
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
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "Properties"


def explain(err: Any) -> str:
    """A message that names the property path, what is wrong, and what to use instead."""
    path = list(err.path)
    schema_path = list(err.schema_path)
    keyword = err.validator
    if keyword == "additionalProperties" and path:
        allowed = sorted(err.schema.get("properties", {}))
        where = field_path(path[:-1])
        hint = f"use one of {', '.join(allowed)}" if allowed else "remove it"
        return f"{where}: unknown property {path[-1]!r}; {hint}"
    if "propertyNames" in schema_path and len(path) >= 2:
        where, name = field_path(path[:-1]), path[-1]
        if path[-2] == "EcrRepositories":
            return (
                f"{where}: {name!r} is not a valid ECR repository name; use 2-256 lowercase letters "
                "and digits, separated by '.', '_', '-' or '/'"
            )
        if keyword == "not":
            return f"{where}: tag key {name!r} has a reserved prefix ('aws:' or 'ecr-repos:'); rename it"
        return f"{where}: key {name!r}: {err.message}"
    where = field_path(path)
    if keyword == "pattern" and schema_path[-2:] == ["items", "pattern"]:
        return f"{where}: {err.instance!r} is not an AWS account id; use 12 digits"
    if keyword == "pattern" and path and path[-1] == "TagPattern":
        return f"{where}: {err.instance!r} has more than 4 '*' wildcards; ECR allows at most 4"
    if keyword == "type" and err.validator_value in _TYPE_HINTS:
        return f"{where}: {err.message}; {_TYPE_HINTS[err.validator_value]}"
    if keyword == "uniqueItems":
        return f"{where}: {err.instance!r} repeats an account id; list each account once"
    if keyword == "required":
        return f"{where}: {err.message}; add it"
    return f"{where}: {err.message}"
