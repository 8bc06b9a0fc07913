"""The largest map an Update event can carry, end to end through the Lambda entry point against moto.

CloudFormation invokes the provider asynchronously, and Lambda takes at most 1 MB per asynchronous
invocation; an Update carries the old and the new properties (``ecr_repos.core.limits``). This test
declares as many repositories of the perf tests' typical settings (one expiration rule, a tag, a
pull grant on every tenth) as fit the share ``limits.MAX_PROPERTIES_BYTES``, creates them, updates
one, and checks the Update event CloudFormation would send is under the limit.
"""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from ecr_repos.core import limits
from tests.perf.test_call_counts import declared
from tests.support.cfn import SERVICE_TOKEN, Resource


def largest() -> int:
    """The number of repositories of ``declared`` whose properties still fit the share."""
    n = limits.repositories_that_fit({"ServiceToken": SERVICE_TOKEN, **declared(100)}) or 0
    while limits.size_warning({"ServiceToken": SERVICE_TOKEN, **declared(n + 1)}) is None:
        n += 1
    while limits.size_warning({"ServiceToken": SERVICE_TOKEN, **declared(n)}) is not None:
        n -= 1
    return n


@pytest.mark.slow
def test_the_largest_map_that_fits_is_created_and_updated(aws):
    # given the largest map of typical settings whose Update still fits an asynchronous invocation
    n = largest()
    properties = declared(n)
    assert limits.size_warning({"ServiceToken": SERVICE_TOKEN, **declared(n + 1)}) is not None
    resource = Resource()

    # when CloudFormation creates it, then updates one repository's rule
    created = resource.create(properties)
    assert created.ok, created.reason
    changed = copy.deepcopy(properties)
    changed["EcrRepositories"]["perf/r03"]["ExpirationRules"][0]["Days"] = 30
    event = resource.event("Update", changed, physical_id=resource.physical_id, old_properties=properties)
    updated = resource.update(changed)

    # then both succeed, every repository exists, and the Update event was under Lambda's limit
    assert updated.ok, updated.reason
    assert len(json.dumps(event).encode()) <= limits.ASYNC_PAYLOAD_BYTES - limits.ENVELOPE_BYTES // 2
    client = boto3.client("ecr", region_name="us-east-1")
    names = [r["repositoryName"] for page in client.get_paginator("describe_repositories").paginate()
             for r in page["repositories"]]
    assert len(names) == n
    rules = json.loads(client.get_lifecycle_policy(repositoryName="perf/r03")["lifecyclePolicyText"])["rules"]
    assert 30 in [r["selection"].get("countNumber") for r in rules]
