"""The registry side of the safety scenarios: images, snapshots, fault injection, call recording.

Faults are injected into moto's own ECR backend (``moto.ecr.models.ECRBackend``), so the provider
meets them through botocore exactly as it would meet ECR's: an HTTP error with an error code,
retried by the client's retry mode where ECR's would be.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3

READ_PREFIXES = ("Describe", "List", "Get", "BatchCheck")


def client(region: str = "us-east-1") -> Any:
    return boto3.client("ecr", region_name=region)


# --- images ------------------------------------------------------------------------------------


def push_image(ecr: Any, repo: str, tag: str) -> str:
    """Put one image (a manifest unique to ``repo`` and ``tag``) into ``repo``; return its digest."""
    layer = hashlib.sha256(f"{repo}:{tag}".encode()).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                       "digest": f"sha256:{layer}"},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 11,
                        "digest": f"sha256:{layer}"}],
        }
    )
    out = ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)
    return out["image"]["imageId"]["imageDigest"]


def digests(ecr: Any, repo: str) -> set[str]:
    images = ecr.list_images(repositoryName=repo)["imageIds"]
    return {i["imageDigest"] for i in images}


# --- snapshots ---------------------------------------------------------------------------------


def snapshot(ecr: Any) -> dict[str, dict[str, Any]]:
    """Everything the provider may change, per repository, plus the images it must never lose."""
    out: dict[str, dict[str, Any]] = {}
    for repo in ecr.describe_repositories()["repositories"]:
        name = repo["repositoryName"]
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
        out[name] = {
            "mutability": repo["imageTagMutability"],
            "scan_on_push": repo["imageScanningConfiguration"]["scanOnPush"],
            "tags": {t["Key"]: t["Value"] for t in tags},
            "lifecycle": _optional(ecr.get_lifecycle_policy, name, "lifecyclePolicyText"),
            "policy": _optional(ecr.get_repository_policy, name, "policyText"),
            "images": digests(ecr, name),
        }
    return out


def _optional(method: Callable[..., Any], repo: str, key: str) -> Any:
    try:
        return method(repositoryName=repo)[key]
    except Exception as exc:  # noqa: BLE001 - the policy is simply absent
        if "NotFound" in type(exc).__name__ or "NotFound" in str(exc):
            return None
        raise


def refs(tags: dict[str, str]) -> set[str]:
    """Reference tags of releases before the ledger (``ecr-repos:ref:<gen>``)."""
    return {k.split(":", 2)[2] for k in tags if k.startswith("ecr-repos:ref:")}


BOOKKEEPING = ("ecr-repos:drop", "ecr-repos:ledger", "ecr-repos:removed")


def without_bookkeeping(snap: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A snapshot without the tags that record which physical ids hold a repository (the removal mark
    and the ledger): what a user sees. A rolled-back removal leaves those behind by design: the Delete
    of the rolled-back id cannot see the repository it dropped (docs/design.md)."""
    return {name: {**repo, "tags": {k: v for k, v in repo["tags"].items() if k not in BOOKKEEPING}}
            for name, repo in snap.items()}


# --- reading policies back ---------------------------------------------------------------------


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if not k.startswith("ecr-repos:")}


def _document(policy: str | dict[str, Any] | None) -> dict[str, Any] | None:
    return json.loads(policy) if isinstance(policy, str) else policy


def rule_summary(policy: str | dict[str, Any] | None) -> list[tuple]:
    """Lifecycle rules (text as read back, or parsed) as (priority, tagStatus, patterns, countType, countNumber)."""
    policy = _document(policy)
    if not policy:
        return []
    return [
        (r["rulePriority"], r["selection"]["tagStatus"], tuple(r["selection"].get("tagPatternList", ())),
         r["selection"]["countType"], r["selection"]["countNumber"])
        for r in policy["rules"]
    ]


def allows(policy: str | dict[str, Any] | None, account: str, action: str, partition: str = "aws") -> bool:
    """Whether a repository policy grants ``action`` to the root of ``account`` (Allow statements only;
    the provider writes no Deny)."""
    policy = _document(policy)
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


# --- fault injection ---------------------------------------------------------------------------


@dataclass
class Fault:
    """Make ``ECRBackend.<method>`` raise (or sleep) on chosen calls; count what it saw."""

    method: str
    error: tuple[str, str] | None = ("ThrottlingException", "Rate exceeded")
    first: int = 0  # fail the first N calls ...
    repository: str | None = None  # ... or every call on this repository
    latency: float = 0.0  # seconds to sleep in each call, before failing or answering
    calls: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        from moto.core.exceptions import JsonRESTError

        fault = self

        def injected(backend: Any, *args: Any, **kwargs: Any) -> Any:
            with fault._lock:
                fault.calls += 1
                number = fault.calls
            if fault.latency:
                time.sleep(fault.latency)
            names = [v for v in list(args) + list(kwargs.values()) if isinstance(v, str)]
            hit = number <= fault.first or (fault.repository is not None and any(
                n == fault.repository or n.endswith(f"repository/{fault.repository}") for n in names))
            if hit and fault.error:
                with fault._lock:
                    fault.failures += 1
                raise JsonRESTError(*fault.error)
            return original(backend, *args, **kwargs)

        return injected


@contextlib.contextmanager
def faults(*injected: Fault) -> Iterator[tuple[Fault, ...]]:
    from moto.ecr.models import ECRBackend

    with contextlib.ExitStack() as stack:
        for fault in injected:
            original = getattr(ECRBackend, fault.method)
            stack.enter_context(mock.patch.object(ECRBackend, fault.method, fault.wrap(original)))
        yield injected


@contextlib.contextmanager
def no_backoff() -> Iterator[None]:
    """The executor's retry pauses and its pacing (core/ratelimit.py) without the sleeping, so
    tests of retries stay fast (tests/safety/test_throttling.py keeps the pacing, at a real rate)."""
    with mock.patch("botocore.retries.standard.ExponentialBackoff.delay_amount", return_value=0), \
            mock.patch("ecr_repos.repos.executor._pause"), mock.patch("ecr_repos.core.ratelimit.AdaptiveRate.wait", return_value=True):
        yield


# --- call recording ----------------------------------------------------------------------------


@dataclass
class Calls:
    """ECR operations sent by clients created while recording (the provider's own client)."""

    names: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[str]:
        return [n for n in self.names if not n.startswith(READ_PREFIXES)]


@contextlib.contextmanager
def recorded_calls() -> Iterator[Calls]:
    """Record every ECR operation through a botocore ``before-call`` hook on boto3's default
    session; clients created inside the block (the executor makes one per request) carry it."""
    calls = Calls()
    lock = threading.Lock()
    active = [True]

    def hook(model: Any, **_: Any) -> None:
        if active[0]:
            with lock:
                calls.names.append(model.name)

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    events = boto3.DEFAULT_SESSION.events
    events.register("before-call.ecr", hook)
    try:
        yield calls
    finally:
        active[0] = False
        events.unregister("before-call.ecr", hook)
