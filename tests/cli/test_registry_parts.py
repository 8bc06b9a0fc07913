"""cli/registry.py's parts: the registry planner's actions (pure, no AWS) said part by part, as plan and
drift print them. One table row per kind of change the planner makes."""

from __future__ import annotations

import json

import pytest

from ecr_repos.cli.registry import _TAKEN_OVER, CONFLICT, CREATE, KEEP, LIMIT, REMOVE, UPDATE, Part, parts
from ecr_repos.registry import planner
from ecr_repos.registry.planner import RegistryState
from ecr_repos.registry.spec import CacheRule, RegistrySpec, Scanning, Statement, Template

MINE = "EcrRegistry0000abcd"
CI = "arn:aws:iam::123456789012:role/ci"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub-AbCdEf"
HUB = CacheRule("hub", "docker-hub", "registry-1.docker.io", SECRET)
QUAY = CacheRule("quay", "quay", "quay.io")
BASIC = Scanning("BASIC", (("SCAN_ON_PUSH", ("app/*",)),))
APP = Template("app/", ("REPLICATION",), description="app")


def statement(name: str, action: str = "ecr:ReplicateImage") -> Statement:
    sid = MINE + name
    return Statement(sid, json.dumps({"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": [action]},
                                     separators=(",", ":"), sort_keys=True), name)


def spec(**kw) -> RegistrySpec:
    return RegistrySpec(sid_prefix=MINE, **kw)


def text(statement: Statement) -> str:
    """A statement as plan prints it: one line, without its Sid."""
    return json.dumps({k: v for k, v in statement.document.items() if k != "Sid"}, sort_keys=True)


def policy(*statements: Statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [s.document for s in statements]})


PULL = statement("Pull")


@pytest.mark.parametrize("desired, old, state, expected", [
    # a statement changed in place, one no longer declared removed (by its Sid prefix)
    (spec(statements=(statement("Pull", "ecr:BatchGetImage"),)), spec(statements=(PULL, statement("Old"))),
     RegistryState(policy=policy(PULL, statement("Old"))),
     [Part(UPDATE, "PolicyStatements", "Pull", ('- {"Action": ["ecr:ReplicateImage"], "Effect": "Allow", "Principal": "*"}',
                                                 '+ {"Action": ["ecr:BatchGetImage"], "Effect": "Allow", "Principal": "*"}')),
      Part(REMOVE, "PolicyStatements", "Old", (text(statement("Old")),))]),
    # a cache rule's credential changes in place; another's upstream only by delete and create
    (spec(cache_rules={"hub": HUB, "quay": CacheRule("quay", "k8s", "registry.k8s.io")}),
     spec(cache_rules={"hub": CacheRule("hub", "docker-hub", "registry-1.docker.io", SECRET + "x"), "quay": QUAY}),
     RegistryState(cache_rules={"hub": CacheRule("hub", "docker-hub", "registry-1.docker.io", SECRET + "x").api(),
                                "quay": QUAY.api()}),
     [Part(UPDATE, "PullThroughCacheRules", "hub", (f"credential: {SECRET}x -> {SECRET}",)),
      Part(UPDATE, "PullThroughCacheRules", "quay", (
          "replaced (deleted and created: ECR cannot change this in place)", "upstream: quay -> k8s",
          "url: quay.io -> registry.k8s.io"))]),
    # a template's description changes; scanning no longer declared goes back to ECR's default
    (spec(templates={"app/": Template("app/", ("REPLICATION",), description="apps")}),
     spec(templates={"app/": APP}, scanning=BASIC), RegistryState(templates={"app/": APP.api()}, scanning=BASIC),
     [Part(UPDATE, "RepositoryCreationTemplates", "app/", ("description: app -> apps",)),
      Part(REMOVE, "Scanning", "configuration", ("BASIC (SCAN_ON_PUSH app/*) -> BASIC (no rules) (ECR's default)",))]),
    # exclusions by ARN: one kept, one deregistered
    (spec(exclusions=(CI,)), spec(exclusions=(CI, CI + "2")), RegistryState(exclusions=(CI, CI + "2")),
     [Part(KEEP, "PullTimeUpdateExclusions", CI), Part(REMOVE, "PullTimeUpdateExclusions", CI + "2")]),
    # a Create finding a declared prefix: refused, nothing else said
    (spec(cache_rules={"quay": QUAY}, exclusions=(CI,)), None, RegistryState(cache_rules={"quay": QUAY.api()}),
     [Part(CONFLICT, "PullThroughCacheRules", "quay", ("exists and is not this resource's: remove it, or set "
                                                       "AdoptExisting: true to take it over",))]),
    # AdoptExisting: a declared prefix that exists is taken over, which the plan says
    (spec(cache_rules={"quay": QUAY}, scanning=BASIC, adopt_existing=True), None,
     RegistryState(cache_rules={"quay": QUAY.api()}, scanning=BASIC),
     [Part(KEEP, "PullThroughCacheRules", "quay", (_TAKEN_OVER,)),
      Part(KEEP, "Scanning", "configuration", ("BASIC (SCAN_ON_PUSH app/*)", _TAKEN_OVER))]),
    # over ECR's 50 cache rules: refused with the figures
    (spec(cache_rules={"quay": QUAY}), None,
     RegistryState(cache_rules={f"p{i}": CacheRule(f"p{i}", "quay", "quay.io").api() for i in range(50)}),
     [Part(LIMIT, "PullThroughCacheRules", "", ("would hold 51 (50 of them others'); ECR allows 50",))]),
    # a Create of a new part of each kind
    (spec(statements=(PULL,), cache_rules={"quay": QUAY}, scanning=BASIC), None, RegistryState(),
     [Part(CREATE, "PolicyStatements", "Pull", (text(PULL),)),
      Part(CREATE, "PullThroughCacheRules", "quay", ("upstream: quay", "url: quay.io")),
      Part(CREATE, "Scanning", "configuration", ("BASIC (no rules) -> BASIC (SCAN_ON_PUSH app/*)",))]),
])
def test_parts(desired, old, state, expected):
    assert parts(desired, old, state, planner.plan(desired, old, state)) == expected
