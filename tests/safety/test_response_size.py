"""Issue 3, outcome 11: the whole response body stays within CloudFormation's 4096 bytes.

At 1,000 repositories the names alone take about 30 KB, so ``Repos`` cannot hold them all:
it then holds the longest sorted prefix of whole names that fits, ``ReposComplete`` is "false"
and ``RepoCount`` the full count. Long stack names, logical ids and Reasons are covered too.
"""

from __future__ import annotations

import json

from tests.support.cfn import Resource
from tests.support.registry import snapshot

from .props import repos

LIMIT = 4096
LONG_STACK = ("stack-" * 22)[:127] + "z"  # 128 characters, CloudFormation's longest stack name
LONG_LOGICAL = "Repos" + "X" * 250  # 255 characters


def _names(count: int) -> list[str]:
    return [f"platform/team-{i % 7}/service-component-{i:04d}" for i in range(count)]


def test_a_thousand_repositories_fit_the_response_with_a_prefix_of_names(ecr):
    names = _names(1000)
    resource = Resource(stack_name=LONG_STACK, logical_id=LONG_LOGICAL)

    created = resource.create(repos(*names))

    assert created.ok, created.reason
    assert created.size <= LIMIT
    assert len(json.dumps(created.body).encode()) <= LIMIT
    data = created.data
    assert data["RepoCount"] == "1000"
    assert data["ReposComplete"] == "false"
    listed = data["Repos"].split(",")
    assert listed == sorted(names)[: len(listed)]  # whole names, a sorted prefix
    assert len(listed) >= 50
    assert all(isinstance(v, str) for v in data.values())
    assert {"AccountId", "Region", "Registry"} <= set(data)
    assert len(snapshot(ecr)) == 1000

    deleted = resource.delete()
    assert deleted.ok and deleted.size <= LIMIT
    assert ecr.describe_repositories()["repositories"] == []


def test_a_small_map_lists_every_name(ecr):
    response = Resource(stack_name=LONG_STACK, logical_id=LONG_LOGICAL).create(repos("app/a", "app/b"))
    assert response.ok and response.size <= LIMIT
    assert response.data["Repos"] == "app/a,app/b"
    assert response.data["ReposComplete"] == "true" and response.data["RepoCount"] == "2"


def test_failed_answers_with_the_longest_reasons_fit(ecr):
    long_name = ("a" * 60 + "/") * 4 + "b" * 12  # 256 characters, a valid name
    ecr.create_repository(repositoryName=long_name)
    resource = Resource(stack_name=LONG_STACK, logical_id=LONG_LOGICAL)

    conflict = resource.create(repos(*_names(1000), long_name))
    invalid = resource.create({"EcrRepositories": {n: {"ExpirationRules": [{"TagPattern": "*" * 300, "Days": "x"}]}
                                                   for n in _names(1000)}})
    unknown = resource.create({"EcrRepositories": {long_name: {"X" * 1000: "y" * 5000}}})

    for response in (conflict, invalid, unknown):
        assert response.status == "FAILED"
        assert response.size <= LIMIT
        assert 0 < len(response.reason) <= 256
    assert long_name[:40] in conflict.reason
    assert "AdoptExisting" in conflict.reason  # the fix survives the shortening
