"""Issue 3, outcome 12: property documents, valid and invalid, string-typed as CloudFormation sends
them, for Create, Update and Delete.

For every document and request type: exactly one response, no exception escapes (nor reaches the
Reason as an internal error), an invalid document makes no ECR write, a valid one succeeds, and a
repository the resource does not own is never touched.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from tests.support import registry
from tests.support.cfn import Resource
from tests.support.fuzz import examples
from tests.support.registry import push_image, recorded_calls, snapshot

# --- valid documents ---------------------------------------------------------------------------------

# ECR's name components (botocore's RepositoryName): '.', '_', '__' or a run of '-' between runs
_part = st.from_regex(r"[a-z0-9]{1,6}(?:(?:\.|_|__|-{1,3})[a-z0-9]{1,4})?", fullmatch=True)
names = st.lists(_part, min_size=1, max_size=3).map("/".join).filter(lambda n: 2 <= len(n) <= 256)
accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)
booleans = st.booleans()
tag_keys = st.from_regex(r"[a-z][a-z0-9_.:/=+@-]{0,15}", fullmatch=True).filter(
    lambda k: not k.startswith(("aws:", "ecr-repos:")))
tags = st.dictionaries(tag_keys, st.from_regex(r"[a-zA-Z0-9 _.:/=+@-]{0,20}", fullmatch=True), max_size=4)
patterns = st.from_regex(r"[a-z0-9.-]{0,4}(?:\*[a-z0-9.-]{0,4}){0,4}", fullmatch=True).filter(bool)
rules = st.lists(st.fixed_dictionaries({"TagPattern": patterns, "Days": st.integers(1, 3650)}), max_size=4)


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


repository = _optional(
    IsImmutable=booleans, ExpireAllImages=booleans, ExpirationRules=rules, ScanOnPush=booleans,
    AdditionalPushAccountIds=st.lists(accounts, max_size=2, unique=True),
    AdditionalPullAccountIds=st.lists(accounts, max_size=2, unique=True),
    EmptyOnDelete=booleans, Tags=tags,
)
valid_documents = st.builds(
    lambda repos, rest: {"EcrRepositories": repos, **rest},
    st.dictionaries(names, repository, min_size=1, max_size=4),
    _optional(Tags=tags, EmptyOnDelete=booleans, AdoptExisting=booleans),
)

# --- invalid documents: one known-bad change to a valid one ---------------------------------------------

BAD_BOOLEANS = ["yes", "no", "1", "TRUE ", "", "null"]
BAD_DAYS = ["7.5", "-1", "0", "seven", "", "1e3"]
BAD_NAMES = ["UPPER/case", "a", "-lead", "trail-", "a//b", "a___b", "a..b", "a-_b", "x" * 257, "ecr-repos:x",
             "a b", "bad\n", "app/api\r\n"]
BAD_ACCOUNTS = ["12345", "1234567890123", "abcdefghijkl", "", "111111111111\n"]


def _first(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["EcrRepositories"][sorted(doc["EcrRepositories"])[0]]


def _break(doc: dict[str, Any], how: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    repo = _first(doc)
    if how == "boolean":
        repo["IsImmutable"] = value
    elif how == "resource-boolean":
        doc["EmptyOnDelete"] = value
    elif how == "days":
        repo["ExpirationRules"] = [{"TagPattern": "dev-*", "Days": value}]
    elif how == "name":
        doc["EcrRepositories"][value] = {}
    elif how == "account":
        repo["AdditionalPullAccountIds"] = [value]
    elif how == "unknown-key":
        repo[value] = "x"
    elif how == "root-key":
        doc[value] = "x"
    elif how == "rule-key":
        repo["ExpirationRules"] = [{"TagPattern": "v*", "Days": 3, value: 1}]
    elif how == "stars":
        repo["ExpirationRules"] = [{"TagPattern": "*a*b*c*d*e", "Days": 3}]
    elif how == "reserved-tag":
        repo["Tags"] = {value: "x"}
    elif how == "shape":
        doc["EcrRepositories"] = value
    elif how == "too-many-rules":
        repo["ExpirationRules"] = [{"TagPattern": f"p{i}*", "Days": 1} for i in range(value)]
    elif how == "lifecycle-text":
        repo.pop("ExpirationRules", None)
        repo.pop("ExpireAllImages", None)
        repo["LifecyclePolicyText"] = value
    elif how == "missing":
        del doc["EcrRepositories"]
    return doc


breakages = st.one_of(
    st.tuples(st.just("boolean"), st.sampled_from(BAD_BOOLEANS)),
    st.tuples(st.just("resource-boolean"), st.sampled_from(BAD_BOOLEANS)),
    st.tuples(st.just("days"), st.sampled_from(BAD_DAYS)),
    st.tuples(st.just("name"), st.sampled_from(BAD_NAMES)),
    st.tuples(st.just("account"), st.sampled_from(BAD_ACCOUNTS)),
    st.tuples(st.just("unknown-key"), st.sampled_from(["Immutable", "tags", "EmptyOnDelet", "x"])),
    st.tuples(st.just("root-key"), st.sampled_from(["Repos", "adoptExisting", "Region"])),
    st.tuples(st.just("rule-key"), st.sampled_from(["days", "Count"])),
    st.tuples(st.just("stars"), st.none()),
    st.tuples(st.just("reserved-tag"), st.sampled_from(["aws:x", "ecr-repos:owner", "ecr-repos:ref:abc"])),
    st.tuples(st.just("shape"), st.sampled_from(["app/api", [], ["app/api"], {"app/api": "x"}, {"app/api": []}])),
    # 1 built-in rule (untagged images) + 50 of these = 51 > ECR's 50, whatever the rest of the document says
    st.tuples(st.just("too-many-rules"), st.integers(50, 60)),
    st.tuples(st.just("lifecycle-text"), st.sampled_from(["{", "[]", '{"rules": []}' + " " * 100,
                                                         '{"rules": [{"rulePriority": 1}]}' + " " * 90])),
    st.tuples(st.just("missing"), st.none()),
)
invalid_documents = st.builds(lambda doc, b: _break(doc, *b), valid_documents, breakages)

# --- anything at all: random JSON in the places of the properties -----------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**13), st.floats(allow_nan=False),
                    st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)), max_leaves=12)
any_documents = st.one_of(
    st.dictionaries(st.sampled_from(["EcrRepositories", "Tags", "EmptyOnDelete", "AdoptExisting", "Other"]),
                    json_values, max_size=4),
    st.builds(lambda repos: {"EcrRepositories": repos},
              st.dictionaries(st.one_of(names, st.text(max_size=8)), json_values, max_size=3)),
)

documents = st.one_of(
    st.tuples(st.just("valid"), valid_documents),
    st.tuples(st.just("invalid"), invalid_documents),
    st.tuples(st.just("any"), any_documents),
)

BASELINE = {"EcrRepositories": {"base/app": {}}}
BYSTANDER = "bystander/app"


def _is_valid(doc: dict[str, Any]) -> bool:
    from ecr_repos.repos import spec

    _, problems = spec.check(registry_stringify({"ServiceToken": "x", **doc}))
    return not problems


def registry_stringify(doc: Any) -> Any:
    from tests.support.cfn import stringify

    return stringify(doc)


def _check(response: Any, writes: list[str], kind: str, label: str, doc: dict[str, Any]) -> None:
    assert "Internal error" not in response.reason, (kind, doc, response.reason)
    assert len(response.reason) <= 256
    valid = _is_valid(doc)
    if label == "valid":
        assert valid, doc
    if label == "invalid":
        assert not valid, doc
    if kind == "Delete":
        assert response.ok, (doc, response.reason)
        return
    if valid:
        assert response.ok, (kind, doc, response.reason)
    else:
        assert response.status == "FAILED"
        assert response.reason.startswith("Invalid properties"), response.reason
        assert writes == [], (kind, doc, writes)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_every_document_gets_one_answer_and_invalid_ones_write_nothing(case):
    label, doc = case
    with mock_aws():
        ecr = registry.client()
        ecr.create_repository(repositoryName=BYSTANDER)
        push_image(ecr, BYSTANDER, "v1")
        bystander = snapshot(ecr)[BYSTANDER]

        # Create (each send asserts exactly one response)
        fresh = Resource(stack_name="fuzz", logical_id="Fresh")
        with recorded_calls() as calls:
            created = fresh.send(fresh.event("Create", doc))
        _check(created, calls.writes, "Create", label, doc)
        # ... and the Delete CloudFormation sends after it, with the id it answered
        deleted = fresh.send(fresh.event("Delete", doc, physical_id=created.physical_id))
        _check(deleted, [], "Delete", label, doc)

        # Update of a working resource to the document, and its Delete
        resource = Resource(stack_name="fuzz", logical_id="Repos")
        resource.create(BASELINE)
        with recorded_calls() as calls:
            updated = resource.send(resource.event("Update", doc, physical_id=resource.physical_id,
                                                   old_properties=BASELINE))
        _check(updated, calls.writes, "Update", label, doc)
        new_id = updated.physical_id if updated.ok else resource.physical_id
        _check(resource.send(resource.event("Delete", doc, physical_id=new_id)), [], "Delete", label, doc)

        assert snapshot(ecr)[BYSTANDER] == bystander
