"""Unit tests of ecr_repos.repos.ownership: owner identity, generations and physical ids."""

from __future__ import annotations

import pytest

from ecr_repos.repos import ownership
from ecr_repos.repos.ownership import Owner

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1c2fa620-982a-11e3-aff7-50e2416294e0"


def test_owner_is_stack_and_logical_id():
    a, b = Owner(STACK, "Repos"), Owner(STACK, "Other")
    assert a.token != b.token and a.token == Owner(STACK, "Repos").token
    assert a.stack_name == "web"
    assert a.tags("created") == {
        "ecr-repos:owner": a.token, "ecr-repos:stack": "web", "ecr-repos:logical-id": "Repos", "ecr-repos:origin": "created"}


def test_generation_is_per_request_and_repeatable():
    owner = Owner(STACK, "Repos")
    assert owner.generation("r1") == owner.generation("r1") != owner.generation("r2")
    pid = owner.physical_id(owner.generation("r1"))
    assert pid.startswith("ecr-repos:web:Repos:") and ownership.generation_of(pid) == owner.generation("r1")


@pytest.mark.parametrize("pid", [None, "", "web_Repos_ABCD1234", "ecr-repos:web:Repos:XYZ", "ecr-repos:web:Repos:"])
def test_foreign_physical_ids_have_no_generation(pid):
    assert ownership.generation_of(pid) is None


def test_classify():
    owner = Owner(STACK, "Repos")
    assert ownership.classify({}, owner) == ownership.UNOWNED
    assert ownership.classify({"ecr-repos:owner": owner.token}, owner) == ownership.OURS
    assert ownership.classify({"ecr-repos:owner": "x"}, owner) == ownership.OTHER
    assert ownership.refs({"ecr-repos:ref:aaa": "1", "team": "x", "ecr-repos:ref:bbb": "1"}) == {"aaa", "bbb"}


def test_own_tags_and_user_tags_fit_ecrs_quota_together():
    import json
    from pathlib import Path

    from ecr_repos.repos import spec

    schema = json.loads((Path(__file__).resolve().parents[2] / "schema" / "ecr-repos.schema.json").read_text())
    assert spec.MAX_USER_TAGS + ownership.OWN_TAGS == ownership.MAX_TAGS == 50
    assert schema["definitions"]["Tags"]["maxProperties"] == spec.MAX_USER_TAGS


@pytest.mark.parametrize("value,expected", [
    ("created", ("created", None, None)),  # earlier releases
    ("adopted", ("adopted", None, None)),
    ("created:aaaaaaaaaaaa:", ("created", "aaaaaaaaaaaa", "")),
    ("adopted:aaaaaaaaaaaa:bbbbbbbbbbbb", ("adopted", "aaaaaaaaaaaa", "bbbbbbbbbbbb")),
])
def test_origin_of(value, expected):
    assert tuple(ownership.origin_of({ownership.ORIGIN: value})) == expected


def test_ledger_round_trip_and_garbage():
    ledger = ownership.Ledger(3, "a" * 12, "b" * 12, "", "c" * 12)
    assert ownership.ledger_of({ownership.LEDGER: ledger.value()}) == ledger
    assert ownership.ledger_of({ownership.LEDGER: "garbage"}) is None
    assert ownership.ledger_of({}) is None


def test_a_rollback_update_is_the_reverse_transition():
    before, after = {"EcrRepositories": {"a1": {}}}, {"EcrRepositories": {"a1": {}, "b1": {}}}
    assert ownership.transition(before, after) != ownership.transition(after, before)
    assert ownership.transition(before, after) == ownership.transition(dict(before), dict(after))
