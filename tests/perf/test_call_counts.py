"""ECR call counts per request type, through the Lambda entry point against moto.

Counts are deterministic (unlike timings, which belong to ``make bench``): a botocore
``before-parameter-build`` hook on the default boto3 session, from which the provider builds its
client, records every ECR operation and its parameters. See docs/performance.md.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import boto3
import pytest

from bench.hooks import EcrCalls, install
from tests.support.cfn import Resource

POLICY_EVERY = 10


def declared(n: int) -> dict[str, Any]:
    repos: dict[str, Any] = {}
    for i in range(n):
        settings: dict[str, Any] = {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}], "Tags": {"i": str(i)}}
        if i % POLICY_EVERY == 0:
            settings["AdditionalPullAccountIds"] = ["210987654321"]
        repos[f"perf/r{i:02d}"] = settings
    return {"Tags": {"team": "platform"}, "EcrRepositories": repos}


def with_policies(n: int) -> int:
    return len(range(0, n, POLICY_EVERY))


@pytest.fixture
def calls(aws):
    """Counts the provider's ECR calls; test read-backs use ``plain`` (another session) and are not counted."""
    boto3.setup_default_session(region_name="us-east-1")
    yield install(boto3.DEFAULT_SESSION)
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def plain(calls):
    return boto3.session.Session(region_name="us-east-1").client("ecr")


def writes(calls: EcrCalls) -> Counter[str]:
    return Counter({op: n for op, n in calls.counts.items() if op in _WRITES})


def reads(calls: EcrCalls) -> Counter[str]:
    return Counter({op: n for op, n in calls.counts.items() if op not in _WRITES})


_WRITES = {
    "CreateRepository", "PutLifecyclePolicy", "SetRepositoryPolicy", "DeleteRepositoryPolicy",
    "PutImageTagMutability", "PutImageScanningConfiguration", "TagResource", "UntagResource",
    "DeleteRepository", "DeleteLifecyclePolicy",
}


@pytest.mark.parametrize("n", [1, 20])
def test_create_writes_at_most_three_calls_per_repository(calls, n):
    response = Resource().create(declared(n))

    assert response.ok, response.reason
    assert writes(calls) == Counter(
        {"CreateRepository": n, "PutLifecyclePolicy": n, "SetRepositoryPolicy": with_policies(n)}
    )
    assert max(calls.writes_by_repo().values()) <= 3
    assert reads(calls) == Counter({"DescribeRepositories": 1})  # an empty registry: nothing to inspect


def test_create_carries_tags_mutability_and_scanning_in_create_repository(calls):
    Resource().create({"EcrRepositories": {"perf/one": {"IsImmutable": False, "ScanOnPush": False}}})

    create = next(params for op, params in calls.calls if op == "CreateRepository")
    assert create["imageTagMutability"] == "MUTABLE"
    assert create["imageScanningConfiguration"] == {"scanOnPush": False}
    assert {t["Key"] for t in create["tags"]} >= {"ecr-repos:owner", "ecr-repos:origin"}
    assert "TagResource" not in calls.counts and "PutImageTagMutability" not in calls.counts


def test_update_with_unchanged_properties_writes_nothing_and_reads_only_the_registry(calls):
    resource = Resource()
    resource.create(declared(20))
    calls.reset()

    response = resource.update(declared(20))

    assert response.ok, response.reason
    assert writes(calls) == Counter()
    assert reads(calls) == Counter({"DescribeRepositories": 1})


def test_update_of_one_repository_writes_to_that_one_only(calls):
    resource = Resource()
    resource.create(declared(20))
    changed = copy.deepcopy(declared(20))
    changed["EcrRepositories"]["perf/r03"]["ExpirationRules"][0]["Days"] = 30
    calls.reset()

    response = resource.update(changed)

    assert response.ok, response.reason
    assert response.physical_id == resource.history[0][1].physical_id  # settings only: same id
    assert writes(calls) == Counter({"PutLifecyclePolicy": 1})
    assert calls.writes_by_repo() == Counter({"perf/r03": 1})
    # Drift and ownership are read for the changed repository alone.
    assert reads(calls) == Counter(
        {"DescribeRepositories": 1, "ListTagsForResource": 1, "GetLifecyclePolicy": 1, "GetRepositoryPolicy": 1}
    )


@pytest.mark.parametrize(
    "setting,value,operation",
    [
        ("IsImmutable", False, "PutImageTagMutability"),
        ("ScanOnPush", False, "PutImageScanningConfiguration"),
        ("AdditionalPullAccountIds", ["111111111111"], "SetRepositoryPolicy"),
        ("Tags", {"i": "changed"}, "TagResource"),
    ],
)
def test_one_setting_of_one_repository_is_one_write(calls, setting, value, operation):
    resource = Resource()
    resource.create(declared(5))
    changed = copy.deepcopy(declared(5))
    changed["EcrRepositories"]["perf/r01"][setting] = value
    calls.reset()

    response = resource.update(changed)

    assert response.ok, response.reason
    assert writes(calls) == Counter({operation: 1})
    assert calls.writes_by_repo() == Counter({"perf/r01": 1})


def test_update_adding_a_repository_keeps_the_id_and_writes_only_the_new_one(calls):
    resource = Resource()
    resource.create(declared(20))
    calls.reset()

    response = resource.update(declared(21))

    assert response.ok, response.reason
    assert response.physical_id == resource.history[0][1].physical_id  # no replacement, no cleanup Delete
    assert calls.writes_by_repo() == Counter({"perf/r20": 3})  # CreateRepository, PutLifecyclePolicy, SetRepositoryPolicy
    assert reads(calls) == Counter({"DescribeRepositories": 1})  # the new name does not exist: nothing to inspect


def without(props: dict[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(props)
    del changed["EcrRepositories"][name]
    return changed


@pytest.mark.parametrize("n", [5, 30])
@pytest.mark.parametrize("removed", ["perf/r00", "perf/r02", "last"])
def test_removing_one_costs_four_reads_and_four_writes_with_its_cleanup_whatever_n(calls, n, removed):
    removed = f"perf/r{n - 1:02d}" if removed == "last" else removed
    resource = Resource()
    resource.create(declared(n))
    calls.reset()

    response = resource.update(without(declared(n), removed))
    assert response.ok, response.reason
    update_writes = writes(calls)
    update_reads = reads(calls)
    calls.reset()
    cleanup = resource.cleanup()

    assert cleanup is not None and cleanup.ok, cleanup
    # the Update marks the removed repository and writes the ledger, with the removed name, on the
    # first kept one; the cleanup Delete updates the ledger and deletes the marked one
    assert update_writes == Counter({"TagResource": 2})
    assert writes(calls) == Counter({"TagResource": 1, "DeleteRepository": 1})
    # by name: the removed repository's tags and the ledger's holder's (the first repository, or,
    # when that one is removed, the next), whatever N
    assert update_reads == Counter({"DescribeRepositories": 1, "ListTagsForResource": 2})
    assert reads(calls) == Counter({"DescribeRepositories": 1, "ListTagsForResource": 2})


# --- issue 19 item 5: counted as HTTP requests sent -------------------------------------------------

_TARGET = "AmazonEC2ContainerRegistry_V20150921."


class Sent:
    """ECR requests as they leave botocore for moto: a ``before-send`` hook registered first, so it
    sees every HTTP attempt (retries included) before moto answers it."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        self.counts[target[len(_TARGET):] if target.startswith(_TARGET) else target] += 1

    def split(self) -> tuple[int, int]:
        """(reads besides DescribeRepositories, writes)."""
        counted = {op: n for op, n in self.counts.items() if op != "DescribeRepositories"}
        return (sum(n for op, n in counted.items() if op not in _WRITES),
                sum(n for op, n in counted.items() if op in _WRITES))


@pytest.fixture
def sent(aws):
    boto3.setup_default_session(region_name="us-east-1")
    tally = Sent()
    boto3.DEFAULT_SESSION.events.register_first("before-send.ecr", tally)
    yield tally
    boto3.DEFAULT_SESSION = None


def test_removing_1_of_300_sends_at_most_10_reads_and_5_writes_with_its_cleanup(sent):
    n = 300
    props = {"EcrRepositories": {f"perf/r{i:03d}": {} for i in range(n)}}
    resource = Resource(stack_name="remove-one")
    assert resource.create(props).ok
    sent.counts.clear()

    update = resource.update(without(props, "perf/r150"))
    cleanup = resource.cleanup()

    assert update.ok and cleanup is not None and cleanup.ok, (update.reason, cleanup)
    reads_sent, writes_sent = sent.split()
    assert reads_sent <= 10 and writes_sent <= 5, sent.counts
    assert sent.counts["ListTagsForResource"] == 4 and writes_sent == 4, sent.counts
    plain = boto3.session.Session(region_name="us-east-1").client("ecr")
    names = {r["repositoryName"] for page in plain.get_paginator("describe_repositories").paginate()
             for r in page["repositories"]}
    assert names == set(without(props, "perf/r150")["EcrRepositories"])


def test_delete_reads_each_repositorys_tags_once_and_deletes_each_once(calls, plain):
    resource = Resource()
    resource.create(declared(20))
    calls.reset()

    response = resource.delete()

    assert response.ok, response.reason
    assert writes(calls) == Counter({"DeleteRepository": 20})
    # Ownership and references decide every deletion: one ListTagsForResource per repository.
    assert reads(calls) == Counter({"DescribeRepositories": 1, "ListTagsForResource": 20})
    assert plain.describe_repositories()["repositories"] == []


def describe_calls(calls: EcrCalls) -> list[dict[str, Any]]:
    return [params for op, params in calls.calls if op == "DescribeRepositories"]


def test_update_and_delete_of_up_to_100_repositories_look_them_up_by_name(calls):
    resource = Resource()
    resource.create(declared(20))
    calls.reset()

    resource.update(declared(20))
    resource.delete()

    names = [f"perf/r{i:02d}" for i in range(20)]
    assert describe_calls(calls) == [{"repositoryNames": names}, {"repositoryNames": names}]


def test_create_pages_the_registry_as_its_names_are_expected_to_be_new(calls):
    Resource().create(declared(3))

    assert describe_calls(calls) == [{"maxResults": 1000}]


def test_a_repository_gone_out_of_band_makes_the_lookup_by_name_fall_back_to_the_registry(calls, plain):
    resource = Resource()
    resource.create(declared(5))
    plain.delete_repository(repositoryName="perf/r02")
    calls.reset()

    response = resource.delete()

    assert response.ok, response.reason
    assert [sorted(p) for p in describe_calls(calls)] == [["repositoryNames"], ["maxResults"]]
    assert writes(calls) == Counter({"DeleteRepository": 4})
    assert plain.describe_repositories()["repositories"] == []


def test_more_than_100_repositories_page_the_registry(calls, plain):
    resource = Resource()
    resource.create(declared(101))
    calls.reset()

    response = resource.delete()

    assert response.ok, response.reason
    assert describe_calls(calls) == [{"maxResults": 1000}]
    assert reads(calls) == Counter({"DescribeRepositories": 1, "ListTagsForResource": 101})


# --- issue 12: retention, exclusions, encryption, RepositoryDefaults --------------------------------

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def retention(n: int) -> dict[str, Any]:
    """Every new setting, most of it shared through RepositoryDefaults."""
    repos: dict[str, Any] = {f"perf/r{i:02d}": {"Tags": {"i": str(i)}} for i in range(n)}
    repos["perf/r00"].update({"IsImmutable": False, "ImmutableTagPatterns": ["v*", "release-*"]})
    return {
        "RepositoryDefaults": {
            "KeepUntagged": 2,
            "ExpirationRules": [{"TagPattern": "release-*", "KeepLast": 20}, {"TagPattern": "pr-*", "DaysSincePull": 5}],
            "ArchiveRules": [{"TagPattern": "release-*", "Days": 180}],
            "ExpireArchivedAfterDays": 400,
            "MutableTagPatterns": ["latest", "dev-*"],
            "Encryption": "KMS",
            "KmsKey": KEY,
        },
        "EcrRepositories": repos,
    }


def test_create_with_every_new_setting_still_writes_two_calls_per_repository(calls):
    response = Resource().create(retention(10))

    assert response.ok, response.reason
    # mutability, exclusions and encryption all travel in CreateRepository
    assert writes(calls) == Counter({"CreateRepository": 10, "PutLifecyclePolicy": 10})


def test_unchanged_resend_with_every_new_setting_writes_nothing(calls):
    resource = Resource()
    resource.create(retention(10))
    calls.reset()

    again = resource.send(resource.history[0][0])  # the same Create again: everything is read and compared
    update = resource.update(retention(10))

    assert again.ok and update.ok, (again.reason, update.reason)
    assert writes(calls) == Counter()


@pytest.mark.parametrize(
    "change,operation",
    [
        (lambda s: s["RepositoryDefaults"].update(KeepUntagged=4), "PutLifecyclePolicy"),
        (lambda s: s["RepositoryDefaults"]["ArchiveRules"][0].update(Days=90), "PutLifecyclePolicy"),
        (lambda s: s["RepositoryDefaults"].update(MutableTagPatterns=["dev-*", "latest", "main"]), "PutImageTagMutability"),
    ],
)
def test_a_changed_default_writes_only_that_setting_to_each_repository_it_reaches(calls, change, operation):
    resource = Resource()
    resource.create(retention(5))
    changed = copy.deepcopy(retention(5))
    change(changed)
    calls.reset()

    response = resource.update(changed)

    assert response.ok, response.reason
    reached = 4 if operation == "PutImageTagMutability" else 5  # perf/r00 is mutable: MutableTagPatterns skip it
    assert writes(calls) == Counter({operation: reached})
    assert set(calls.writes_by_repo().values()) == {1}


def test_one_repositorys_exclusions_changed_is_one_write(calls):
    resource = Resource()
    resource.create(retention(5))
    changed = copy.deepcopy(retention(5))
    changed["EcrRepositories"]["perf/r00"]["ImmutableTagPatterns"] = ["release-*"]
    calls.reset()

    response = resource.update(changed)

    assert response.ok, response.reason
    assert writes(calls) == Counter({"PutImageTagMutability": 1})
    assert calls.writes_by_repo() == Counter({"perf/r00": 1})


def test_policies_others_extended_cost_no_write_on_a_tag_change_and_one_read_each(calls, plain):
    """Issue 11: every repository whose policy may be written has it read (once); a resource-level
    tag change rewrites none of the policies another service extended."""
    n = 20
    stack = Resource()
    assert stack.create(declared(n)).ok
    lambda_statement = ('{"Sid":"LambdaECRImageRetrievalPolicy","Effect":"Allow","Principal":{"Service":'
                        '"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}')
    for i in range(0, n, 2):
        name = f"perf/r{i:02d}"
        try:
            doc = plain.get_repository_policy(repositoryName=name)["policyText"]
            text = doc[:-2] + "," + lambda_statement + "]}"
        except plain.exceptions.RepositoryPolicyNotFoundException:
            text = '{"Version":"2012-10-17","Statement":[' + lambda_statement + "]}"
        plain.set_repository_policy(repositoryName=name, policyText=text)
    calls.calls.clear()
    calls.counts.clear()

    changed = copy.deepcopy(declared(n))
    changed["Tags"]["team"] = "data"
    assert stack.update(changed).ok

    assert writes(calls) == Counter({"TagResource": n})
    assert reads(calls)["GetRepositoryPolicy"] == n


def test_reconcile_token_update_reads_every_repository_once_and_repairs_only_the_drift(calls, plain):
    """The repair's cost: one full read per declared repository; writes only where a hand change is."""
    resource = Resource()
    resource.create(declared(20))
    plain.put_image_tag_mutability(repositoryName="perf/r04", imageTagMutability="MUTABLE")
    plain.delete_lifecycle_policy(repositoryName="perf/r07")
    calls.reset()

    response = resource.update({**declared(20), "ReconcileToken": "1"})

    assert response.ok, response.reason
    assert response.physical_id == resource.history[0][1].physical_id  # not a set change: same id
    assert writes(calls) == Counter({"PutImageTagMutability": 1, "PutLifecyclePolicy": 1})
    assert calls.writes_by_repo() == Counter({"perf/r04": 1, "perf/r07": 1})
    assert reads(calls) == Counter(
        {"DescribeRepositories": 1, "ListTagsForResource": 20, "GetLifecyclePolicy": 20, "GetRepositoryPolicy": 20}
    )


def test_an_update_with_the_same_token_keeps_the_cheap_path(calls, plain):
    resource = Resource()
    resource.create({**declared(20), "ReconcileToken": "1"})
    plain.delete_lifecycle_policy(repositoryName="perf/r07")
    calls.reset()

    changed = {**declared(20), "ReconcileToken": "1"}
    changed["EcrRepositories"]["perf/r03"]["ScanOnPush"] = False
    response = resource.update(changed)

    assert response.ok, response.reason
    assert writes(calls) == Counter({"PutImageScanningConfiguration": 1})  # perf/r07's hand change waits
    assert reads(calls) == Counter(
        {"DescribeRepositories": 1, "ListTagsForResource": 1, "GetLifecyclePolicy": 1, "GetRepositoryPolicy": 1}
    )
