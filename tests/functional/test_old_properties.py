"""Issue 9, item 5: property documents of earlier releases. ``tests/fixtures/properties/`` holds documents
as CloudFormation sends them today (every scalar a string): every later release must accept them, as
new properties and as old ones. Old properties that do not validate never fail a request nor replace the
physical id by themselves; their names and tags are still used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr_repos.repos import spec
from tests.support.cfn import Resource
from tests.support.registry import snapshot

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "properties").glob("*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_todays_documents_stay_valid(path):
    _, problems = spec.check(_load(path))
    assert problems == []


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_todays_documents_create_update_and_delete_through_the_lambda(path, ecr):
    props = {k: v for k, v in _load(path).items() if k != "ServiceToken"}
    resource = Resource(stack_name=f"fixture-{path.stem}")
    assert resource.create(props).ok
    changed = json.loads(json.dumps(props))
    changed["EcrRepositories"]["app/added"] = {}
    updated = resource.update(changed)  # today's document as OldResourceProperties
    assert updated.ok, updated.reason
    assert updated.physical_id == resource.history[0][1].physical_id
    assert resource.delete().ok
    assert snapshot(ecr) == {}


def _update_from(resource: Resource, old: dict, new: dict):
    event = resource.event("Update", new, physical_id=resource.physical_id, old_properties=old)
    return resource.send(event)


@pytest.mark.parametrize("bad", [
    {"LegacyKey": "1"},  # a key today's schema does not know
    {"EmptyOnDelete": "maybe"},  # a value it rejects
])
def test_invalid_old_properties_neither_fail_nor_replace_and_their_tags_still_count(ecr, bad):
    resource = Resource(stack_name="oldprops")
    declared = {"Tags": {"team": "a", "gone": "x"}, "EcrRepositories": {"app/a": {}, "app/b": {}}}
    assert resource.create(declared).ok
    old = {**declared, **bad}
    new = {"Tags": {"team": "a"}, "EcrRepositories": {"app/a": {}, "app/b": {}}}
    response = _update_from(resource, old, new)
    assert response.ok, response.reason
    assert response.physical_id == resource.physical_id  # no replacement
    after = snapshot(ecr)
    assert all("gone" not in s["tags"] and s["tags"]["team"] == "a" for s in after.values())


def test_invalid_old_properties_with_a_removal_still_defer_it_to_the_cleanup(ecr):
    resource = Resource(stack_name="oldprops2")
    assert resource.create({"EcrRepositories": {"app/a": {}, "app/b": {}}}).ok
    old = {"EcrRepositories": {"app/a": {}, "app/b": {"Unknown": "x"}}}
    response = _update_from(resource, old, {"EcrRepositories": {"app/a": {}}})
    assert response.ok and response.physical_id != resource.physical_id
    assert set(snapshot(ecr)) == {"app/a", "app/b"}
    cleanup = resource.send(resource.event("Delete", old, physical_id=resource.physical_id))
    assert cleanup.ok
    assert set(snapshot(ecr)) == {"app/a"}
