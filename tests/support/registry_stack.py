"""A Custom::EcrRegistry resource driven through CloudFormation's lifecycle (tests' helper).

The simulator of ``tests/support/cfn.py`` with ``ResourceType: Custom::EcrRegistry`` in its events, and
readers of the registry's parts as ECR returns them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tests.support.cfn import Resource

REGISTRY_TYPE = "Custom::EcrRegistry"


@dataclass
class RegistryResource(Resource):
    logical_id: str = "Registry"

    def event(self, kind: str, properties: dict[str, Any], **kw: Any) -> dict[str, Any]:
        event = super().event(kind, properties, **kw)
        event["ResourceType"] = REGISTRY_TYPE
        # CloudFormation's ResponseURL is presigned with SigV4: it carries the request's time.
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        event["ResponseURL"] = event["ResponseURL"].replace("?", f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}"
                                                                 "&X-Amz-Expires=7200&", 1)
        return event


def policy_sids(ecr: Any) -> dict[str, dict[str, Any]]:
    try:
        text = ecr.get_registry_policy()["policyText"]
    except ecr.exceptions.RegistryPolicyNotFoundException:
        return {}
    return {s.get("Sid", ""): s for s in json.loads(text)["Statement"]}


def replication_rules(ecr: Any) -> list[dict[str, Any]]:
    return ecr.describe_registry()["replicationConfiguration"]["rules"]


def cache_rules(ecr: Any) -> dict[str, dict[str, Any]]:
    return {r["ecrRepositoryPrefix"]: r for r in ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]}


def templates(ecr: Any) -> dict[str, dict[str, Any]]:
    return {t["prefix"]: t for t in ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]}


def exclusions(ecr: Any) -> list[str]:
    return sorted(ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"])


def scanning(ecr: Any) -> dict[str, Any]:
    return ecr.get_registry_scanning_configuration()["scanningConfiguration"]
