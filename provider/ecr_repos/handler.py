"""The Lambda entry point: ``ecr_repos.handler.handler(event, context)``.

One function serves every resource type of the project; ``core.protocol`` answers CloudFormation
and dispatches each request on its ``ResourceType`` to the type's package.
"""

from __future__ import annotations

from typing import Any

from .core import protocol
from .repos import resource as repos

protocol.register("Custom::EcrRepos", create=repos.create_or_update, update=repos.create_or_update,
                  delete=repos.delete)


def _registry(name: str) -> protocol.Operation:
    """Custom::EcrRegistry's operation, imported on its first request: a cold start serving only
    Custom::EcrRepos skips its modules (about 25 ms of frozen dataclasses, measured with -X importtime)."""

    def run(event: dict[str, Any], context: Any) -> str:
        from .registry import resource

        return getattr(resource, name)(event, context)

    return run


protocol.register("Custom::EcrRegistry", create=_registry("create_or_update"), update=_registry("create_or_update"),
                  delete=_registry("delete"))


def handler(event: dict[str, Any], context: Any) -> None:
    """The Lambda entry point. Accepts CloudFormation's event directly or wrapped in SNS."""
    protocol.handle(event, context)
