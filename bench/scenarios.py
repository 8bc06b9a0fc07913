"""The benchmark's workloads: the provider through its Lambda entry point, and bare boto3 doing the
minimal ECR calls of the same job, both against moto in-process with simulated latency.

Call ``setup_environment()`` before anything imports boto3 or crhelper.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .hooks import EcrCalls, install

LATENCY = 0.025  # simulated seconds per ECR API call
BARE_THREADS = 32
REGION = "us-east-1"
POLICY_EVERY = 10  # every 10th repository has an additional pull account: 3 writes on Create instead of 2


def setup_environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
        os.environ.pop(var, None)


def properties(n: int) -> dict[str, Any]:
    """``n`` repositories with typical settings: tags, one expiration rule, some cross-account pulls."""
    repos: dict[str, Any] = {}
    for i in range(n):
        settings: dict[str, Any] = {
            "IsImmutable": i % 2 == 0,
            "ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}],
            "Tags": {"component": f"c{i % 7}"},
        }
        if i % POLICY_EVERY == 0:
            settings["AdditionalPullAccountIds"] = ["210987654321"]
        repos[f"bench/app-{i:04d}"] = settings
    return {"Tags": {"team": "platform"}, "EcrRepositories": repos}


def one_changed(props: dict[str, Any]) -> dict[str, Any]:
    """The same properties with one repository's expiration rule changed (one lifecycle write)."""
    changed = copy.deepcopy(props)
    first = sorted(changed["EcrRepositories"])[0]
    changed["EcrRepositories"][first]["ExpirationRules"][0]["Days"] = 30
    return changed


@dataclass
class Measure:
    seconds: float
    reads: int
    writes: int
    ok: bool = True
    detail: str = ""


@contextmanager
def simulated_ecr(latency: float = LATENCY) -> Iterator[EcrCalls]:
    """A fresh moto registry; every boto3 client made inside is counted and slowed by ``latency``."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        yield install(boto3.DEFAULT_SESSION, latency=latency)
        boto3.DEFAULT_SESSION = None


def timed(calls: EcrCalls, fn: Callable[[], Any]) -> tuple[Measure, Any]:
    calls.reset()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return Measure(seconds, calls.reads, calls.writes), result


# --- the provider, through CloudFormation's lifecycle ------------------------------------------


def provider_run(n: int, calls: EcrCalls) -> dict[str, Measure]:
    from tests.support.cfn import Resource

    props = properties(n)
    resource = Resource(stack_name=f"bench-{n}")
    out: dict[str, Measure] = {}

    def step(label: str, fn: Callable[[], Any]) -> None:
        measure, response = timed(calls, fn)
        if response is not None and not response.ok:
            measure.ok, measure.detail = False, response.reason
        out[label] = measure

    step("Create", lambda: resource.create(props))
    step("Update, unchanged", lambda: resource.update(props))
    step("Update, one repo", lambda: resource.update(one_changed(props)))
    step("Delete", lambda: resource.delete())
    return out


# --- bare boto3: the minimal calls, from 32 threads --------------------------------------------


def _bare_client() -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=BARE_THREADS)
    return boto3.client("ecr", region_name=REGION, config=config)


def _in_threads(fn: Callable[[Any], Any], items: list[Any]) -> None:
    with ThreadPoolExecutor(max_workers=BARE_THREADS) as pool:
        list(pool.map(fn, items))


def bare_run(n: int, calls: EcrCalls) -> dict[str, Measure]:
    """The same job with nothing but the writes it needs: no reads, no ownership, no planning."""
    from ecr_repos.repos import spec

    token = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:bench"}
    desired = spec.parse({**token, **properties(n)})
    owner_tags = {"ecr-repos:owner": "0" * 32, "ecr-repos:origin": "created", "ecr-repos:ref:000000000000": "1"}
    client = _bare_client()
    changed = spec.parse({**token, **one_changed(properties(n))})
    first = desired.names[0]

    def create(name: str) -> None:
        repo = desired.repos[name]
        client.create_repository(
            repositoryName=name,
            imageTagMutability=repo.mutability,
            imageScanningConfiguration={"scanOnPush": repo.scan_on_push},
            tags=[{"Key": k, "Value": v} for k, v in sorted({**repo.tag_map, **owner_tags}.items())],
        )
        client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=repo.lifecycle_policy)
        if repo.repository_policy:
            client.set_repository_policy(repositoryName=name, policyText=repo.repository_policy)

    out: dict[str, Measure] = {}
    out["Create"], _ = timed(calls, lambda: _in_threads(create, desired.names))
    out["Update, unchanged"], _ = timed(calls, lambda: None)
    out["Update, one repo"], _ = timed(calls, lambda: client.put_lifecycle_policy(
        repositoryName=first, lifecyclePolicyText=changed.repos[first].lifecycle_policy))
    out["Delete"], _ = timed(calls, lambda: _in_threads(
        lambda name: client.delete_repository(repositoryName=name), desired.names))
    return out


# --- set changes: one repository added to, or removed from, a map of N ---------------------------

SET_ROWS = ("add 1 of N", "remove 1 of N, with its cleanup")


def _sum(a: Measure, b: Measure) -> Measure:
    return Measure(a.seconds + b.seconds, a.reads + b.reads, a.writes + b.writes, a.ok and b.ok,
                   a.detail or b.detail)


def sets_provider_run(n: int, calls: EcrCalls) -> dict[str, Measure]:
    """A resource of ``n`` repositories (created untimed); one added (an in-place Update), then one
    removed: the Update and CloudFormation's cleanup Delete of the old id, timed together."""
    from tests.support.cfn import Resource

    props = properties(n)
    resource = Resource(stack_name=f"sets-{n}")
    created = resource.create(props)
    assert created.ok, created.reason
    grown = copy.deepcopy(props)
    extra = f"bench/app-{n:04d}"
    grown["EcrRepositories"][extra] = copy.deepcopy(props["EcrRepositories"][sorted(props["EcrRepositories"])[0]])

    def checked(measure: Measure, response: Any) -> Measure:
        if response is not None and not response.ok:
            measure.ok, measure.detail = False, response.reason
        return measure

    out: dict[str, Measure] = {}
    added, response = timed(calls, lambda: resource.update(grown))
    out[SET_ROWS[0]] = checked(added, response)
    # then one of the N created at first is removed (N stay declared)
    shrunk = copy.deepcopy(grown)
    shrunk["EcrRepositories"].pop(sorted(props["EcrRepositories"])[-1])
    updated, response = timed(calls, lambda: resource.update(shrunk))
    out_update = checked(updated, response)
    cleanup, response = timed(calls, resource.cleanup)
    out[SET_ROWS[1]] = _sum(out_update, checked(cleanup, response))
    return out


def sets_bare_run(n: int, calls: EcrCalls) -> dict[str, Measure]:
    """The minimal calls of the same two changes: CreateRepository + PutLifecyclePolicy (+
    SetRepositoryPolicy) of the new repository; one DeleteRepository."""
    from ecr_repos.repos import spec

    token = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:bench"}
    desired = spec.parse({**token, **properties(n)})
    client = _bare_client()
    owner_tags = {"ecr-repos:owner": "0" * 32, "ecr-repos:origin": "created"}

    def create(name: str, repo: Any) -> None:
        client.create_repository(
            repositoryName=name, imageTagMutability=repo.mutability,
            imageScanningConfiguration={"scanOnPush": repo.scan_on_push},
            tags=[{"Key": k, "Value": v} for k, v in sorted({**repo.tag_map, **owner_tags}.items())])
        client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=repo.lifecycle_policy)
        if repo.repository_policy:
            client.set_repository_policy(repositoryName=name, policyText=repo.repository_policy)

    _in_threads(lambda name: create(name, desired.repos[name]), desired.names)
    first = desired.repos[desired.names[0]]  # the added one has the first one's settings (a policy too)
    extra = f"bench/app-{n:04d}"
    out: dict[str, Measure] = {}
    out[SET_ROWS[0]], _ = timed(calls, lambda: create(extra, first))
    out[SET_ROWS[1]], _ = timed(calls, lambda: client.delete_repository(repositoryName=extra))
    return out


# --- throttling: ECR refusing calls beyond a rate per API (tests/support/ecr_fidelity.rate_limit) ---

THROTTLE_BURST = 10


def throttled_create(n: int, rate: float) -> tuple[Measure, dict[str, int], dict[str, int]]:
    """Create of ``n`` repositories while ECR serves each API at ``rate`` requests per second (bursts
    of 10): the measure, and the calls ECR served and refused per API."""
    from tests.support import ecr_fidelity
    from tests.support.cfn import Resource

    ecr_fidelity.install()
    props = properties(n)
    resource = Resource(stack_name=f"throttled-{n}")
    with simulated_ecr() as calls, ecr_fidelity.rate_limit(rate, burst=THROTTLE_BURST) as ecr_rate:
        measure, response = timed(calls, lambda: resource.create(props))
        if response is not None and not response.ok:
            measure.ok, measure.detail = False, response.reason
    return measure, dict(ecr_rate.served), dict(ecr_rate.refused)
