"""cfn-lint rule W9102: a ``Custom::EcrRepos`` whose properties an Update event could not carry.

CloudFormation invokes the provider's Lambda asynchronously (at most 1 MB of payload) and an
Update event holds the old and the new properties: past ``ecr_repos.core.limits.MAX_PROPERTIES_BYTES``
the resource can be created but its next Update fails. The computation and the message are
``ecr_repos.core.limits``'s, the same as ``ecr-repos validate`` and ``ecr-repos plan`` print.

Loaded like E9101 (``--append-rules`` with this folder, or the module
``ecr_repos.cfnlint_rules.ecr_repos_size`` in ``.cfnlintrc``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

# The module, not the classes: cfn-lint instantiates every rule class in a plugin module's namespace.
import cfnlint.rules as _rules

RESOURCE_TYPE = "Custom::EcrRepos"
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # provider/: the folder that holds ecr_repos


def _core_limits() -> ModuleType:
    """``ecr_repos.core.limits``, as installed beside cfn-lint, else from the source root that
    holds this folder (a cfn-lint of another environment given ``--append-rules DIR``)."""
    try:
        return importlib.import_module("ecr_repos.core.limits")
    except ImportError:
        sys.path.append(str(SOURCE_ROOT))
        return importlib.import_module("ecr_repos.core.limits")


_limits = _core_limits()


class EcrReposSize(_rules.CloudFormationLintRule):
    """Warn when a Custom::EcrRepos's properties pass their share of an Update event."""

    id = "W9102"
    shortdesc = "Custom::EcrRepos properties fit an Update event"
    description = (
        "An Update event carries the old and the new properties and Lambda takes at most 1 MB per "
        "asynchronous invocation: warns when a Custom::EcrRepos's properties pass the share that fits"
    )
    source_url = "docs/cost.md#how-large-one-resource-can-be"
    tags = ["resources", "custom", "ecr", "limits"]

    def match(self, cfn):  # noqa: ANN001, ANN201 - cfn-lint's signature
        matches = []
        for logical_id, resource in cfn.get_resources([RESOURCE_TYPE]).items():
            properties = resource.get("Properties") if isinstance(resource, dict) else None
            if not isinstance(properties, dict):
                continue
            message = _limits.size_warning(properties)
            if message:
                matches.append(_rules.RuleMatch(["Resources", logical_id, "Properties"], message))
        return matches
