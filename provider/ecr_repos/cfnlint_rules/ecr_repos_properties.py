"""cfn-lint rule E9101: check the properties of every ``Custom::EcrRepos`` resource.

The properties are checked against ``schema/ecr-repos.schema.json`` with the provider's own
messages, by the machinery ``_schema_rule.py`` shares with E9103 (``Custom::EcrRegistry``).

Load it from any folder with ``--append-rules ecr_repos.cfnlint_rules.ecr_repos_properties``
(a module: cfn-lint imports it wherever ecr-repos is installed beside cfn-lint, as the
repository's ``.cfnlintrc`` does) or with ``--append-rules DIR`` where DIR is this folder
(``ecr-repos cfn-lint-rules`` prints it; the folder also works when cfn-lint lives in another
environment). It reads the schema ``ecr_repos.core.schema.schema_path`` names; set
``ECR_REPOS_SCHEMA`` to use another copy.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # provider/: the folder that holds ecr_repos


def _shared() -> ModuleType:
    """``ecr_repos.cfnlint_rules._schema_rule``, as installed beside cfn-lint, else from the source
    root that holds this folder (``--append-rules DIR`` given to a cfn-lint of another environment)."""
    try:
        return importlib.import_module("ecr_repos.cfnlint_rules._schema_rule")
    except ImportError:
        sys.path.append(str(SOURCE_ROOT))
        return importlib.import_module("ecr_repos.cfnlint_rules._schema_rule")


# The module, not its class: cfn-lint instantiates every rule class in a plugin module's namespace.
_rule = _shared()
field_path = _rule.field_path
messages = _rule.messages
property_location = _rule.property_location
schema_path = _rule.schema_path
load_schema = _rule.load_schema

RESOURCE_TYPE = "Custom::EcrRepos"


class EcrReposProperties(_rule.SchemaProperties):
    """Validate Custom::EcrRepos properties against schema/ecr-repos.schema.json."""

    id = "E9101"
    shortdesc = "Custom::EcrRepos properties match the ecr-repos schema"
    description = (
        "Checks every property of a Custom::EcrRepos resource (unknown keys, types, "
        "account ids, repository names, expiration rules) against schema/ecr-repos.schema.json"
    )
    # The section that documents this rule, relative to the repository root.
    source_url = "docs/cli.md#cfn-lint-rule-e9101"
    resource_type = RESOURCE_TYPE
    schema_file = "ecr-repos.schema.json"
