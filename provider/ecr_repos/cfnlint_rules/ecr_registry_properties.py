"""cfn-lint rule E9103: check the properties of every ``Custom::EcrRegistry`` resource.

The properties are checked against ``schema/ecr-registry.schema.json`` (its definitions shared
with ecr-repos.schema.json inlined, as the provider loads it) with the provider's own messages,
by the machinery ``_schema_rule.py`` shares with E9101 (``Custom::EcrRepos``). What the schema
cannot express (Sids unique in the resource, the policy scope, an upstream's credential) is the
Lambda's and ``ecr-repos plan``'s to check.

Load it like E9101: ``--append-rules ecr_repos.cfnlint_rules.ecr_registry_properties`` (the
repository's ``.cfnlintrc``) or ``--append-rules DIR`` with this folder (``ecr-repos cfn-lint-rules``).
Its id is E9103, not E9102: W9102 is the size warning of Custom::EcrRepos.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # provider/: the folder that holds ecr_repos


def _shared() -> ModuleType:
    """``ecr_repos.cfnlint_rules._schema_rule``, as installed beside cfn-lint, else from the source root."""
    try:
        return importlib.import_module("ecr_repos.cfnlint_rules._schema_rule")
    except ImportError:
        sys.path.append(str(SOURCE_ROOT))
        return importlib.import_module("ecr_repos.cfnlint_rules._schema_rule")


# The module, not its class: cfn-lint instantiates every rule class in a plugin module's namespace.
_rule = _shared()

RESOURCE_TYPE = "Custom::EcrRegistry"


class EcrRegistryProperties(_rule.SchemaProperties):
    """Validate Custom::EcrRegistry properties against schema/ecr-registry.schema.json."""

    id = "E9103"
    shortdesc = "Custom::EcrRegistry properties match the ecr-registry schema"
    description = (
        "Checks every property of a Custom::EcrRegistry resource (unknown keys, types, Sids, account ids, "
        "regions, cache and template prefixes, scanning rules) against schema/ecr-registry.schema.json"
    )
    source_url = "docs/cli.md#cfn-lint-rule-e9103"
    resource_type = RESOURCE_TYPE
    schema_file = "ecr-registry.schema.json"
