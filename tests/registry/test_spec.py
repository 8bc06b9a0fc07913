"""Custom::EcrRegistry's spec: CloudFormation's strings in, typed parts out; what the schema cannot check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr_repos.core.errors import InvalidProperties
from ecr_repos.core.schema import REGISTRY_SCHEMA_FILE, load_schema
from ecr_repos.registry import spec
from ecr_repos.registry.ownership import created_at, owns_nothing, physical_id, sid_prefix, unwritten

ACCOUNT, REGION = "123456789012", "us-east-1"


def parse(properties):
    return spec.parse({"ServiceToken": "arn", **properties}, account=ACCOUNT, region=REGION, sid_prefix="EcrRegistryX")


def test_the_registry_schema_refers_to_the_repos_schema_instead_of_copying():
    raw = json.loads((Path(__file__).resolve().parents[2] / "schema" / REGISTRY_SCHEMA_FILE).read_text())
    assert "Repository" not in raw["definitions"] and "AccountId" not in raw["definitions"]
    loaded = load_schema(REGISTRY_SCHEMA_FILE)
    assert loaded["definitions"]["Repository"] == load_schema()["definitions"]["Repository"]
    assert loaded["definitions"]["AccountId"] == load_schema()["definitions"]["AccountId"]


def test_strings_from_cloudformation_are_coerced():
    parsed = parse({"AdoptExisting": "true", "Scanning": {"ScanType": "BASIC"},
                    "RepositoryCreationTemplates": {"ROOT": {"AppliedFor": ["REPLICATION"],
                                                             "RepositorySettings": {"IsImmutable": "false",
                                                                                    "KeepUntagged": "5"}}}})
    assert parsed.adopt_existing is True
    template = parsed.templates["ROOT"]
    assert template.mutability == "MUTABLE"
    assert json.loads(template.lifecycle_policy)["rules"][0]["selection"]["countNumber"] == 5


def test_statements_get_the_owners_prefix_and_the_registry_as_resource():
    parsed = parse({"PolicyStatements": [{"Sid": "Pull", "Principal": "*", "Action": "ecr:CreateRepository"}],
                    "ReplicationSourceAccountIds": ["111111111111"]})
    assert [s.sid for s in parsed.statements] == ["EcrRegistryXPull", "EcrRegistryXReplicateFrom111111111111"]
    assert parsed.statements[0].document["Resource"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"
    assert parsed.statements[1].document["Action"] == ["ecr:CreateRepository", "ecr:ReplicateImage"]


def test_replication_destinations_default_to_this_account_and_sort():
    parsed = parse({"ReplicationRules": [{"Destinations": [{"Region": "us-west-2"}, {"Region": "eu-west-1",
                                                                                     "AccountId": "999999999999"}]}]})
    assert parsed.replication_rules[0].destinations == (("eu-west-1", "999999999999"), ("us-west-2", ACCOUNT))


@pytest.mark.parametrize("properties, first", [
    ({"ReplicationRules": [{"Destinations": [{"Region": "eu-west-1"}]}, {"Destinations": [{"Region": "eu-west-1"}]}]},
     "ReplicationRules[1]: repeats ReplicationRules[0]; remove one"),
    ({"PullThroughCacheRules": {"up": {"Upstream": "quay", "UpstreamRepositoryPrefix": "x1"}}},
     "PullThroughCacheRules.up.UpstreamRepositoryPrefix: applies to upstream ecr only; remove it"),
    ({"RepositoryCreationTemplates": {"a/": {"AppliedFor": ["REPLICATION"],
                                             "RepositorySettings": {"IsImmutable": False,
                                                                    "MutableTagPatterns": ["x"]}}}},
     "RepositoryCreationTemplates.a/.RepositorySettings.MutableTagPatterns: keeps tags mutable in an immutable "
     "repository, but IsImmutable is false; use ImmutableTagPatterns, or set IsImmutable: true"),
])
def test_problems_name_the_field_and_the_fix(properties, first):
    with pytest.raises(InvalidProperties) as caught:
        parse(properties)
    assert str(caught.value.problems[0]) == first


def test_scope_v1_allows_three_actions():
    parsed = parse({"PolicyStatements": [{"Sid": "A", "Principal": "*", "Action": ["ecr:ReplicateImage"]},
                                         {"Sid": "B", "Principal": "*", "Action": ["ecr:BatchGetImage"]}]})
    assert spec.scope_problems(parsed, "V2") == []
    assert [p.path for p in spec.scope_problems(parsed, "V1")] == ["PolicyStatements[1].Action"]


def test_previous_keeps_the_keys_of_properties_todays_rules_reject():
    old = spec.previous({"PullThroughCacheRules": {"hub": {"Upstream": "nowhere"}}, "Scanning": {"ScanType": "X"},
                         "PullTimeUpdateExclusions": ["arn:aws:iam::123456789012:role/ci"]},
                        account=ACCOUNT, region=REGION)
    assert (sorted(old.cache_rules), old.scanning is not None, old.exclusions, old.exact) == \
        (["hub"], True, ("arn:aws:iam::123456789012:role/ci",), False)


def test_physical_ids_and_sid_prefixes():
    stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/0688dedf-86d1-5e5b-a106-56db6e80eff1"
    physical = physical_id(stack, "Registry", 1_800_000_000.5)
    assert physical == "ecr-registry:demo:Registry:1800000000500"
    assert created_at(physical) == 1_800_000_000.5 and created_at(unwritten(physical)) == 1_800_000_000.5
    assert owns_nothing(unwritten(physical)) and owns_nothing("other") and not owns_nothing(physical)
    assert sid_prefix(stack, "Registry") != sid_prefix(stack, "Other")
    assert len(sid_prefix(stack, "Registry")) == len("EcrRegistry") + 8
