"""Read-back helpers for tests: what moto's ECR holds, images, and what a repository policy allows."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from typing import Any

import boto3


def client(region: str = "us-east-1") -> Any:
    return boto3.client("ecr", region_name=region)


def snapshot(ecr: Any) -> dict[str, dict[str, Any]]:
    """Every repository with its settings, tags, policies and image digests."""
    out: dict[str, dict[str, Any]] = {}
    for repo in ecr.describe_repositories()["repositories"]:
        name = repo["repositoryName"]
        try:
            life = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        except ecr.exceptions.LifecyclePolicyNotFoundException:
            life = None
        try:
            policy = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            policy = None
        tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
        images = sorted(i["imageDigest"] for i in ecr.list_images(repositoryName=name)["imageIds"])
        out[name] = {
            "mutability": repo["imageTagMutability"],
            "scan": repo["imageScanningConfiguration"]["scanOnPush"],
            "lifecycle": life,
            "policy": policy,
            "tags": tags,
            "images": images,
        }
    return out


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if not k.startswith("ecr-repos:")}


def push_image(ecr: Any, repo: str, tag: str) -> str:
    """Put a (tiny, unique) image into ``repo``; returns its digest."""
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                       "digest": "sha256:" + hashlib.sha256(f"{repo}:{tag}:config".encode()).hexdigest()},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 11,
                        "digest": "sha256:" + hashlib.sha256(f"{repo}:{tag}:layer".encode()).hexdigest()}],
        }
    )
    image = ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)["image"]
    return image["imageId"]["imageDigest"]


def rule_summary(policy: dict[str, Any] | None) -> list[tuple]:
    """Lifecycle rules as (priority, tagStatus, patterns, countType, countNumber)."""
    if not policy:
        return []
    return [
        (r["rulePriority"], r["selection"]["tagStatus"], tuple(r["selection"].get("tagPatternList", ())),
         r["selection"]["countType"], r["selection"]["countNumber"])
        for r in policy["rules"]
    ]


def allows(policy: dict[str, Any] | None, account: str, action: str, partition: str = "aws") -> bool:
    """Whether a repository policy grants ``action`` to the root of ``account`` (Allow statements only;
    the provider writes no Deny)."""
    if not policy:
        return False
    principal = f"arn:{partition}:iam::{account}:root"
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        principals = statement.get("Principal", {})
        aws = principals.get("AWS", []) if isinstance(principals, dict) else principals
        aws = [aws] if isinstance(aws, str) else aws
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if (principal in aws or "*" in aws) and any(fnmatch.fnmatchcase(action, a) for a in actions):
            return True
    return False
