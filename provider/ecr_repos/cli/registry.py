"""The ``ecr-repos`` commands for ``Custom::EcrRegistry``: validate, plan and drift of one resource.

Everything about the type is the registry package's: its schema (``core.schema`` with
``REGISTRY_SCHEMA_FILE``), its spec (``registry.spec.check``), its read calls (``registry.executor``'s
``read``: Get/Describe/List only) and its pure planner (``registry.planner.plan``). This module only
chooses the resource, finds what the resource declared before (the deployed template, as ``plan`` does
for Custom::EcrRepos), and says the planner's actions part by part: ``+`` added, ``~`` changed, ``-``
removed, ``x`` another's (refused), ``!`` over ECR's limit, ``=`` as declared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import Problem
from ..core.schema import REGISTRY_SCHEMA_FILE, coerce, is_intrinsic, schema_problems
from .template import Template, load

REGISTRY_TYPE = "Custom::EcrRegistry"
REPOS_TYPE = "Custom::EcrRepos"
_ANY_REGION = "*"  # validate knows no region: no destination is "this registry"


# --- choosing the resource -----------------------------------------------------------------------


def is_registry(path: str, logical_id: str | None) -> bool:
    """Whether plan/drift of ``path`` work on a Custom::EcrRegistry: ``logical_id`` names one, or none is
    named and the template has no Custom::EcrRepos but has a Custom::EcrRegistry."""
    template = load(path)
    if logical_id:
        resource = template.resources.get(logical_id)
        return isinstance(resource, dict) and resource.get("Type") == REGISTRY_TYPE
    return not template.custom_resources(REPOS_TYPE) and bool(template.custom_resources(REGISTRY_TYPE))


# --- validate ------------------------------------------------------------------------------------


def problems(properties: dict[str, Any], partition: str = "aws") -> list[Problem]:
    """The problems of a template's Custom::EcrRegistry properties, as the Lambda words them.

    The schema's (``describe_error``), a value that is an intrinsic function taken to be of the right
    type; then, when nothing but the ServiceToken is an intrinsic, the spec's own checks (unique Sids,
    ECR actions, an upstream's credential, a template's repository settings) for any region and account."""
    data = coerce(properties, name=REGISTRY_SCHEMA_FILE)
    found = schema_problems(data, allow_intrinsics=True, name=REGISTRY_SCHEMA_FILE)
    if found or _holds_intrinsic({k: v for k, v in data.items() if k != "ServiceToken"}):
        return found
    from ..registry import spec

    _, found = spec.check({**data, "ServiceToken": "-"}, account="", region=_ANY_REGION, partition=partition)
    return found


def _holds_intrinsic(value: Any) -> bool:
    if is_intrinsic(value):
        return True
    if isinstance(value, dict):
        return any(_holds_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_intrinsic(v) for v in value)
    return False
