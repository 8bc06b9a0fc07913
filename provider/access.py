"""Repository policies for cross-account access.

Least privilege, a deliberate departure from the reference Terraform module: pull accounts may
only read images; push accounts may also upload them. No other account may delete the repository,
its images or its policies.
"""

from __future__ import annotations

import json
from typing import Any

PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:ListImages",
)
PUSH_ACTIONS = (
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


def principal(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def build_policy(partition: str, pull: list[str], push: list[str]) -> dict[str, Any] | None:
    """The repository policy, or ``None`` when no other account has access (no policy at all)."""
    pullers = sorted(set(pull) | set(push))
    if not pullers:
        return None
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EcrReposPull",
            "Effect": "Allow",
            "Principal": {"AWS": [principal(partition, a) for a in pullers]},
            "Action": list(PULL_ACTIONS),
        }
    ]
    if push:
        statements.append(
            {
                "Sid": "EcrReposPush",
                "Effect": "Allow",
                "Principal": {"AWS": [principal(partition, a) for a in sorted(set(push))]},
                "Action": list(PUSH_ACTIONS),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def dump(policy: dict[str, Any]) -> str:
    return json.dumps(policy, separators=(",", ":"))


def _normalise(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, str) and key in ("AWS", "Action", "Service"):
        return [value]  # IAM stores a one-element list as a plain string
    return value


def canonical(text: str | None) -> str | None:
    """A comparable form of a policy text, blind to list order and one-element-list collapsing."""
    if text is None:
        return None
    try:
        return json.dumps(_normalise(json.loads(text)), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return text
