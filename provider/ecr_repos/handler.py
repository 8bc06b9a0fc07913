"""The Lambda entry point: ``ecr_repos.handler.handler(event, context)``.

One function serves every resource type of the project; ``core.protocol`` answers CloudFormation
and dispatches each request on its ``ResourceType`` to the type's package.
"""

from __future__ import annotations

from typing import Any

from .core import protocol
from .registry import resource as registry
from .repos import resource as repos

protocol.register("Custom::EcrRepos", create=repos.create_or_update, update=repos.create_or_update,
                  delete=repos.delete)
protocol.register("Custom::EcrRegistry", create=registry.create_or_update, update=registry.create_or_update,
                  delete=registry.delete)


def handler(event: dict[str, Any], context: Any) -> None:
    """The Lambda entry point. Accepts CloudFormation's event directly or wrapped in SNS."""
    protocol.handle(event, context)
