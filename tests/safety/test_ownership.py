"""Issue 3, outcomes 6-8: EmptyOnDelete, AdoptExisting, and two stacks declaring one repository."""

from __future__ import annotations

import os

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from ecr_repos.repos import ownership
from ecr_repos.repos.ownership import Owner
from tests.support.cfn import Resource
from tests.support.registry import push_image, recorded_calls, snapshot
from tests.support.stack import Stack

from .props import repos, with_settings

# --- 6. EmptyOnDelete ----------------------------------------------------------------------------


def test_delete_of_non_empty_repository_without_empty_on_delete_fails_naming_it_and_keeps_images(ecr):
    stack = Stack("keep", "Repos")
    stack.create({"Repos": repos("app/full", "app/empty")})
    images = {push_image(ecr, "app/full", t) for t in ("v1", "v2")}

    outcome = stack.delete()

    response = outcome.responses["Repos"]
    assert outcome.status == "DELETE_FAILED"
    assert "'app/full'" in response.reason
    assert response.reason.endswith("Empty it, set EmptyOnDelete: true, or retain the resource (DeletionPolicy: Retain).")
    assert len(response.reason) <= 256
    after = snapshot(ecr)
    assert set(after) == {"app/full"}
    assert after["app/full"]["images"] == images

    # the user empties it and CloudFormation retries the Delete: it goes
    ecr.batch_delete_image(repositoryName="app/full", imageIds=[{"imageDigest": d} for d in images])
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_resource_level_empty_on_delete_empties_and_a_repository_can_opt_out(ecr):
    props = with_settings(repos("app/a", "app/b", "app/precious", EmptyOnDelete=True), "app/precious",
                          EmptyOnDelete=False)
    stack = Stack("empty", "Repos")
    stack.create({"Repos": props})
    for name in ("app/a", "app/b", "app/precious"):
        push_image(ecr, name, "v1")
    precious = snapshot(ecr)["app/precious"]["images"]

    outcome = stack.delete()

    assert outcome.status == "DELETE_FAILED"
    assert "'app/precious'" in outcome.responses["Repos"].reason
    after = snapshot(ecr)
    assert set(after) == {"app/precious"} and after["app/precious"]["images"] == precious


def test_per_repository_empty_on_delete_without_the_resource_level_one(ecr):
    stack = Stack("empty2", "Repos")
    stack.create({"Repos": with_settings(repos("app/a", "app/b"), "app/a", EmptyOnDelete=True)})
    push_image(ecr, "app/a", "v1")
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


# --- 7. AdoptExisting ----------------------------------------------------------------------------------


def _unowned(ecr, name):
    ecr.create_repository(repositoryName=name, imageTagMutability="MUTABLE")
    return {push_image(ecr, name, t) for t in ("v1", "v2")}


def test_create_without_adopt_existing_fails_before_any_write(ecr):
    _unowned(ecr, "legacy/app")
    before = snapshot(ecr)
    with recorded_calls() as calls:
        response = Resource(stack_name="noadopt").create(repos("app/new", "legacy/app"))
    assert response.status == "FAILED"
    assert "'legacy/app'" in response.reason and "AdoptExisting" in response.reason
    assert calls.writes == []
    assert snapshot(ecr) == before


def test_adopt_existing_takes_over_applies_settings_keeps_images_and_delete_releases(ecr):
    images = _unowned(ecr, "legacy/app")
    stack = Stack("adopt", "Repos")
    props = with_settings(repos("legacy/app", AdoptExisting=True, EmptyOnDelete=True), "legacy/app",
                          IsImmutable=True, Tags={"team": "platform"})

    assert stack.create({"Repos": props}).status == "CREATE_COMPLETE"
    adopted = snapshot(ecr)["legacy/app"]
    assert adopted["images"] == images
    assert adopted["mutability"] == "IMMUTABLE"
    assert adopted["tags"]["ecr-repos:origin"].startswith("adopted:") and adopted["tags"]["team"] == "platform"
    assert adopted["lifecycle"] is not None

    # the stack's Delete releases it, even with EmptyOnDelete: adopted repositories are never deleted
    assert stack.delete().status == "DELETE_COMPLETE"
    released = snapshot(ecr)["legacy/app"]
    assert released["images"] == images
    assert not [k for k in released["tags"] if k.startswith("ecr-repos:")]


def test_update_cannot_take_over_an_unowned_repository_without_adopt_existing(ecr):
    stack = Stack("upd", "Repos")
    stack.create({"Repos": repos("app/a")})
    _unowned(ecr, "legacy/app")
    before = snapshot(ecr)
    with recorded_calls() as calls:
        outcome = stack.update({"Repos": repos("app/a", "legacy/app")})
    assert outcome.responses["Repos"].status == "FAILED"
    assert "'legacy/app'" in outcome.responses["Repos"].reason
    assert calls.writes == []
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert snapshot(ecr) == before


def test_update_with_adopt_existing_adopts_and_a_rollback_releases(ecr):
    from tests.support.stack import Other

    stack = Stack("upd2", "Repos", Other("Function"))
    stack.create({"Repos": repos("app/a")})
    images = _unowned(ecr, "legacy/app")
    stack["Function"].fail = True
    outcome = stack.update({"Repos": repos("app/a", "legacy/app", AdoptExisting=True)})
    assert outcome.responses["Repos"].ok
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    legacy = snapshot(ecr)["legacy/app"]
    assert legacy["images"] == images
    assert not [k for k in legacy["tags"] if k.startswith("ecr-repos:")]


# --- 8. two stacks, one repository -------------------------------------------------------------------


def test_second_stack_fails_naming_the_owner_and_its_empty_on_delete_never_reaches_the_repository(ecr):
    first = Stack("first", "Repos")
    first.create({"Repos": repos("shared/app", "first/own")})
    images = {push_image(ecr, "shared/app", t) for t in ("v1", "v2")}
    before = snapshot(ecr)

    second = Stack("second", "Repos")
    outcome = second.create({"Repos": repos("second/own", "shared/app", EmptyOnDelete=True, AdoptExisting=True)})

    response = outcome.responses["Repos"]
    assert response.status == "FAILED"
    assert "'shared/app'" in response.reason and "'first'" in response.reason
    assert outcome.status == "ROLLBACK_COMPLETE"  # its Delete succeeded without touching the first stack
    assert snapshot(ecr) == before
    assert snapshot(ecr)["shared/app"]["images"] == images


def test_second_stack_update_cannot_take_over_and_its_delete_leaves_the_first_untouched(ecr):
    first = Stack("first", "Repos")
    first.create({"Repos": repos("shared/app")})
    push_image(ecr, "shared/app", "v1")
    second = Stack("second", "Repos")
    second.create({"Repos": repos("second/own", EmptyOnDelete=True)})
    shared = snapshot(ecr)["shared/app"]

    outcome = second.update({"Repos": repos("second/own", "shared/app", EmptyOnDelete=True, AdoptExisting=True)})
    assert outcome.responses["Repos"].status == "FAILED"
    assert "'first'" in outcome.responses["Repos"].reason

    # a Delete event naming the shared repository (as a hand-made or replayed one could) leaves it alone
    resource = second["Repos"]
    stray = resource.event("Delete", repos("second/own", "shared/app", EmptyOnDelete=True),
                           physical_id=resource.physical_id)
    assert resource.send(stray).ok
    assert snapshot(ecr) == {"shared/app": shared}


# --- issue 20 item 1: a Delete of a generation the registry never recorded deletes nothing ----------


def _forged(resource):
    """Physical ids a Delete could carry that this resource never answered (well-formed or not)."""
    owner = Owner(resource.stack_id, resource.logical_id)
    live = ownership.generation_of(resource.physical_id)
    return {
        "never issued": owner.physical_id("0123456789ab"),
        "future": owner.physical_id(owner.generation("a-request-that-never-came")),
        "other logical id": Owner(resource.stack_id, "Other").physical_id(live),
        "other stack": f"ecr-repos:elsewhere:{resource.logical_id}:{live}",
        "uppercase": resource.physical_id.upper().replace("ECR-REPOS:", "ecr-repos:"),
        "too short": resource.physical_id[:-1],
        "suffixed": resource.physical_id + "0",
        "no generation": resource.physical_id.rsplit(":", 1)[0] + ":",
        "not ours": f"{resource.stack_name}_{resource.logical_id}_AbCdEfGh",
    }


def _untag_ledgers(ecr):
    """A registry as 0.2.0 leaves a resource that never removed a repository: no ledger anywhere."""
    for repo in ecr.describe_repositories()["repositories"]:
        ecr.untag_resource(resourceArn=repo["repositoryArn"], tagKeys=["ecr-repos:ledger"])


def _assert_forged_deletes_delete_nothing(ecr, resource, props):
    before = snapshot(ecr)
    for label, physical_id in _forged(resource).items():
        assert physical_id != resource.physical_id, label
        with recorded_calls() as calls:
            response = resource.send(resource.event("Delete", props, physical_id=physical_id))
        assert response.status == "SUCCESS", (label, response.reason)
        assert response.physical_id == physical_id, label
        assert calls.writes == [], label
        assert snapshot(ecr) == before, label


@pytest.mark.parametrize("layout", ["ledger", "no ledger (0.2.0)"])
def test_a_delete_of_a_generation_never_issued_deletes_nothing_and_answers_success(ecr, layout):
    props = repos("app/a", "app/b", "app/c", EmptyOnDelete=True)
    resource = Resource(stack_name="forged")
    assert resource.create(props).ok
    push_image(ecr, "app/b", "v1")
    if layout != "ledger":
        _untag_ledgers(ecr)

    _assert_forged_deletes_delete_nothing(ecr, resource, props)

    # the live id still deletes everything it holds
    assert resource.delete().ok
    assert snapshot(ecr) == {}


def test_forged_generations_after_a_removal_delete_nothing(ecr):
    props = repos("app/a", "app/b", "app/c", EmptyOnDelete=True)
    resource = Resource(stack_name="forged2")
    assert resource.create(props).ok
    old_id = resource.physical_id
    smaller = repos("app/a", "app/c", EmptyOnDelete=True)
    assert resource.update(smaller).ok and resource.physical_id != old_id
    assert resource.cleanup().ok
    assert set(snapshot(ecr)) == {"app/a", "app/c"}

    _assert_forged_deletes_delete_nothing(ecr, resource, smaller)
    # a forged Delete that carries the old, larger properties is no different
    _assert_forged_deletes_delete_nothing(ecr, resource, props)
    # nor one of the retired id once its cleanup is done
    with recorded_calls() as calls:
        assert resource.send(resource.event("Delete", props, physical_id=old_id)).ok
    assert calls.writes == [] and set(snapshot(ecr)) == {"app/a", "app/c"}

    assert resource.delete().ok
    assert snapshot(ecr) == {}


# --- issue 19 item 5: the ledger's holder, through removals, rollbacks and additions --------------


def _tag_reads(calls):
    return calls.names.count("ListTagsForResource")


def test_the_holder_moves_when_removed_and_a_rolled_back_removal_stays_inert(ecr):
    from tests.support.stack import Other, Stack

    stack = Stack("holder", "Repos", Other("Function"))
    assert stack.create({"Repos": repos("app/a", "app/b", "app/c", "app/d", EmptyOnDelete=True)}).status == \
        "CREATE_COMPLETE"
    kept_images = {name: {push_image(ecr, name, "v1")} for name in ("app/b", "app/c", "app/d")}
    assert ownership.is_placed(ownership.ledger_of(snapshot(ecr)["app/a"]["tags"]))

    # the holder itself is removed: the ledger moves to the next kept repository
    with recorded_calls() as calls:
        outcome = stack.update({"Repos": repos("app/b", "app/c", "app/d", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"app/b", "app/c", "app/d"}
    assert _tag_reads(calls) == 4
    holder = ownership.ledger_of(snapshot(ecr)["app/b"]["tags"])
    assert holder is not None and holder.live == ownership.generation_of(stack["Repos"].physical_id)

    # removing app/c is rolled back by another resource: the Delete of the new id removes nothing
    stack["Function"].fail = True
    outcome = stack.update({"Repos": repos("app/b", "app/d", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE" and outcome.rollback["Repos"].ok
    assert {n: r["images"] for n, r in snapshot(ecr).items()} == kept_images

    # a later removal of app/d acts on app/d only: app/c's mark names the rolled-back id
    stack["Function"].fail = False
    with recorded_calls() as calls:
        outcome = stack.update({"Repos": repos("app/b", "app/c", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert {n: r["images"] for n, r in snapshot(ecr).items()} == {n: kept_images[n] for n in ("app/b", "app/c")}
    assert _tag_reads(calls) == 4

    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_a_repository_added_before_the_holder_takes_the_ledger_at_the_next_removal(ecr):
    resource = Resource(stack_name="before")
    assert resource.create(repos("app/b", "app/c")).ok
    assert resource.update(repos("app/a", "app/b", "app/c")).ok  # in place: app/a has no ledger
    with recorded_calls() as calls:
        assert resource.update(repos("app/a", "app/b")).ok
        assert resource.cleanup().ok
    after = snapshot(ecr)
    assert set(after) == {"app/a", "app/b"}
    moved = ownership.ledger_of(after["app/a"]["tags"])
    stale = ownership.ledger_of(after["app/b"]["tags"])
    assert moved is not None and stale is not None and moved.count > stale.count
    assert moved.live == ownership.generation_of(resource.physical_id)
    assert ownership.REMOVED not in after["app/b"]["tags"]

    # the next removal finds it by name again, and removing the new holder moves it on
    with recorded_calls() as calls:
        assert resource.update(repos("app/b")).ok
        assert resource.cleanup().ok
    assert set(snapshot(ecr)) == {"app/b"} and _tag_reads(calls) == 4
    assert resource.delete().ok and snapshot(ecr) == {}


def test_a_registry_laid_out_by_0_2_0_is_read_in_full_once_then_by_name(ecr):
    """0.2.0 put its ledger (counted from 1) on any kept repository and none on a Create."""
    resource = Resource(stack_name="upgrade")
    props = repos("app/a", "app/b", "app/c", "app/d")
    assert resource.create(props).ok
    live = ownership.generation_of(resource.physical_id)
    arns = {r["repositoryName"]: r["repositoryArn"] for r in ecr.describe_repositories()["repositories"]}
    ecr.untag_resource(resourceArn=arns["app/a"], tagKeys=[ownership.LEDGER])
    ecr.tag_resource(resourceArn=arns["app/c"], tags=[{"Key": ownership.LEDGER, "Value": f"2:{live}::0123456789ab:"}])

    with recorded_calls() as calls:
        assert resource.update(repos("app/a", "app/c", "app/d")).ok
    assert _tag_reads(calls) == 4  # app/b, then every kept one: the holder held no ledger
    with recorded_calls() as calls:
        assert resource.cleanup().ok
    assert _tag_reads(calls) == 2  # the holder (now app/a) and app/b, which it lists
    after = snapshot(ecr)
    assert set(after) == {"app/a", "app/c", "app/d"}
    ledger = ownership.ledger_of(after["app/a"]["tags"])
    assert ownership.is_placed(ledger) and ledger.live == ownership.generation_of(resource.physical_id)
    assert ledger.retired == live

    assert resource.delete().ok and snapshot(ecr) == {}


# --- model check: random set changes, rollbacks, duplicate deliveries and forged Deletes ------------

_UNIVERSE = ("m/a", "m/b", "m/c", "m/d", "m/e")


class _Twice(Resource):
    """Every event delivered twice (Lambda's at-least-once delivery): the same answer both times."""

    twice = False

    def send(self, event, context=None):
        first = super().send(event, context)
        if not self.twice:
            return first
        again = super().send(event, context)
        assert (again.status, again.physical_id) == (first.status, first.physical_id), event["RequestType"]
        return again


def _existing(ecr):
    return {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}


@settings(max_examples=int(os.environ.get("MODEL_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sets(st.sampled_from(_UNIVERSE), min_size=1),
       steps=st.lists(st.tuples(st.sets(st.sampled_from(_UNIVERSE), min_size=1), st.booleans(), st.booleans()),
                      min_size=1, max_size=5))
def test_random_set_changes_keep_exactly_the_declared_repositories(first, steps):
    from tests.support.stack import Other, Stack

    with mock_aws():
        ecr = boto3.client("ecr", region_name="us-east-1")
        stack = Stack("model", Other("Function"))
        resource = _Twice(stack_name="model", logical_id="Repos")
        stack.members.insert(0, resource)
        declared = set(first)
        assert stack.create({"Repos": repos(*sorted(declared))}).status == "CREATE_COMPLETE"
        for names, other_fails, twice in steps:
            resource.twice = twice
            stack["Function"].fail = other_fails
            outcome = stack.update({"Repos": repos(*sorted(names))})
            if outcome.status == "UPDATE_COMPLETE":
                declared = set(names)
            else:
                assert outcome.status == "UPDATE_ROLLBACK_COMPLETE", outcome
            assert _existing(ecr) == declared, (names, other_fails, twice)
            before = snapshot(ecr)
            forged = resource.send(resource.event("Delete", repos(*_UNIVERSE),
                                                  physical_id=Owner(resource.stack_id, "Repos").physical_id("0" * 12)))
            assert forged.ok and snapshot(ecr) == before
        resource.twice = False
        assert stack.delete().status == "DELETE_COMPLETE"
        assert _existing(ecr) == set()
