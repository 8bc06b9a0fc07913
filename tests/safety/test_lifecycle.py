"""Issue 3, outcomes 1-5: retries, failed Creates and Updates, rollbacks and the cleanup phase.

Every scenario runs through the real Lambda entry point with CloudFormation-shaped events and
asserts the registry afterwards: repositories, settings, tags and image digests.
"""

from __future__ import annotations

from tests.support import registry
from tests.support.cfn import Resource
from tests.support.registry import Fault, faults, push_image, recorded_calls, snapshot, without_bookkeeping
from tests.support.stack import Other, Stack

from .props import repos, with_settings

FAIL = ("InvalidParameterException", "Injected failure")


# --- 1. retried invocation -----------------------------------------------------------------------


def test_same_create_delivered_twice_gives_same_id_and_state_without_writes(ecr):
    # given a Create that has been handled once
    resource = Resource(stack_name="retry")
    event = resource.event("Create", repos("app/api", "app/web", EmptyOnDelete=True), request_id="req-1")
    first = resource.send(event)
    before = snapshot(ecr)

    # when Lambda delivers the same request again
    with recorded_calls() as calls:
        second = resource.send(event)

    # then the same id, the same state, and nothing written the second time
    assert first.ok and second.ok
    assert second.physical_id == first.physical_id
    assert second.data == first.data
    assert snapshot(ecr) == before
    assert calls.writes == []


def test_same_replacing_update_delivered_twice_gives_the_same_new_id(ecr):
    # a removal replaces the physical id (an addition keeps it)
    resource = Resource(stack_name="retry")
    resource.create(repos("app/api", "app/web"))
    event = resource.event("Update", repos("app/api"), physical_id=resource.physical_id,
                           old_properties=repos("app/api", "app/web"), request_id="req-2")
    first = resource.send(event)
    before = snapshot(ecr)
    with recorded_calls() as calls:
        second = resource.send(event)
    assert first.ok and second.ok
    assert second.physical_id == first.physical_id != resource.physical_id
    assert snapshot(ecr) == before
    assert calls.writes == []


def test_same_delete_delivered_twice_succeeds_both_times(ecr):
    resource = Resource(stack_name="retry")
    resource.create(repos("app/api"))
    event = resource.event("Delete", repos("app/api"), physical_id=resource.physical_id, request_id="req-3")
    assert resource.send(event).ok
    assert resource.send(event).ok
    assert snapshot(ecr) == {}


# --- 2. Create fails part-way ----------------------------------------------------------------------


def test_failed_create_is_undone_by_its_delete_and_adopted_repository_keeps_images(ecr):
    # given an unowned repository with images, and a bystander nobody declares
    ecr.create_repository(repositoryName="legacy/app")
    legacy_images = {push_image(ecr, "legacy/app", t) for t in ("v1", "v2")}
    ecr.create_repository(repositoryName="bystander")
    bystander_image = push_image(ecr, "bystander", "v1")
    bystander = snapshot(ecr)["bystander"]

    # when a Create adopting it fails on one repository's lifecycle policy
    stack = Stack("broken", "Repos")
    props = repos("app/a", "app/b", "app/c", "legacy/app", AdoptExisting=True)
    with faults(Fault("put_lifecycle_policy", error=FAIL, repository="app/c")):
        outcome = stack.create({"Repos": props})

    # then FAILED naming the repository, and CloudFormation's Delete of that id succeeds ...
    created = outcome.responses["Repos"]
    assert created.status == "FAILED"
    assert "'app/c'" in created.reason and "PutLifecyclePolicy" in created.reason
    assert created.physical_id.startswith("ecr-repos:broken:Repos:")
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.rollback["Repos"].ok
    # ... having removed what the attempt created, released what it adopted, touched nothing else
    after = snapshot(ecr)
    assert set(after) == {"legacy/app", "bystander"}
    assert after["legacy/app"]["images"] == legacy_images
    assert not [k for k in after["legacy/app"]["tags"] if k.startswith("ecr-repos:")]
    assert after["bystander"] == bystander and bystander_image in after["bystander"]["images"]


def test_failed_create_before_any_write_is_deleted_without_touching_anything(ecr):
    ecr.create_repository(repositoryName="taken")
    push_image(ecr, "taken", "v1")
    before = snapshot(ecr)
    stack = Stack("conflict", "Repos")
    outcome = stack.create({"Repos": repos("new/one", "taken")})
    assert outcome.responses["Repos"].status == "FAILED"
    assert "'taken'" in outcome.responses["Repos"].reason
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert snapshot(ecr) == before


# --- 3. Update fails part-way, then the rollback Update ----------------------------------------------


def _created_with_images(ecr, stack_name, props):
    stack = Stack(stack_name, "Repos")
    assert stack.create({"Repos": props}).status == "CREATE_COMPLETE"
    images = {name: {push_image(ecr, name, t) for t in ("v1", "v2")} for name in props["EcrRepositories"]}
    return stack, images


def test_failed_settings_update_is_rolled_back_to_the_exact_registry(ecr):
    old = repos("app/a", "app/b", Tags={"team": "one"})
    stack, images = _created_with_images(ecr, "settings", old)
    before = snapshot(ecr)

    new = repos("app/a", "app/b", Tags={"team": "two", "cost": "x"})
    for name in ("app/a", "app/b"):
        new = with_settings(new, name, IsImmutable=False, ScanOnPush=False, AdditionalPullAccountIds=["111122223333"],
                            ExpirationRules=[{"TagPattern": "dev-*", "Days": 3}])
    with faults(Fault("set_repository_policy", error=FAIL, repository="app/b")):
        outcome = stack.update({"Repos": new})

    assert outcome.responses["Repos"].status == "FAILED"
    assert "'app/b'" in outcome.responses["Repos"].reason
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert snapshot(ecr) == before
    assert {n: s["images"] for n, s in snapshot(ecr).items()} == images


def test_failed_update_adding_and_changing_repositories_is_rolled_back_to_the_exact_registry(ecr):
    ecr.create_repository(repositoryName="legacy/app")
    legacy = push_image(ecr, "legacy/app", "v1")
    old = repos("app/a", "app/b", "app/gone", AdoptExisting=True)
    stack, images = _created_with_images(ecr, "grow", old)
    before = snapshot(ecr)
    old_id = stack["Repos"].physical_id

    # adds three (one adopted), drops one, changes one; the new repository app/d fails
    new = with_settings(repos("app/a", "app/b", "app/c", "app/d", "legacy/app", AdoptExisting=True), "app/a",
                        IsImmutable=False)
    with faults(Fault("put_lifecycle_policy", error=FAIL, repository="app/d")):
        outcome = stack.update({"Repos": new})

    assert outcome.responses["Repos"].status == "FAILED"
    assert "'app/d'" in outcome.responses["Repos"].reason
    # the rollback Update keeps the id CloudFormation holds and leaves the registry as it was
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert outcome.rollback["Repos"].physical_id == old_id
    after = snapshot(ecr)
    assert set(after) == set(before)
    for name in ("app/a", "app/b", "app/gone"):
        assert after[name] == before[name], name
    assert after["legacy/app"]["images"] == {legacy}
    assert not [k for k in after["legacy/app"]["tags"] if k.startswith("ecr-repos:")]
    assert {n: after[n]["images"] for n in images} == images


def test_after_a_rolled_back_update_the_stack_delete_removes_every_repository(ecr):
    # no reference of the failed attempt may linger and keep a repository alive
    stack = Stack("lingering", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", EmptyOnDelete=True)}).status == "CREATE_COMPLETE"
    with faults(Fault("create_repository", error=FAIL, repository="app/c")):
        assert stack.update({"Repos": repos("app/a", "app/b", "app/c", EmptyOnDelete=True)}).status == (
            "UPDATE_ROLLBACK_COMPLETE")
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


# --- 4. removal while another resource fails ---------------------------------------------------------


def test_removed_repository_survives_when_another_resource_fails_the_stack_update(ecr):
    stack = Stack("other", "Repos", Other("Function"))
    assert stack.create({"Repos": repos("app/a", "app/b")}).status == "CREATE_COMPLETE"
    images = {push_image(ecr, "app/b", t) for t in ("v1", "v2", "v3")}
    before = snapshot(ecr)

    stack["Function"].fail = True
    outcome = stack.update({"Repos": repos("app/a", "app/new")})

    # our Update succeeded with a new id (a replacement) and deleted nothing ...
    forward = outcome.responses["Repos"]
    assert forward.ok and forward.physical_id != stack["Repos"].physical_id
    # ... the rollback deleted the new id: the added repository went, the removed one stayed
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert without_bookkeeping(snapshot(ecr)) == without_bookkeeping(before)
    assert snapshot(ecr)["app/b"]["images"] == images
    assert stack.delete().status == "DELETE_FAILED"  # app/b holds images and EmptyOnDelete is off
    assert set(snapshot(ecr)) == {"app/b"}


def test_update_does_not_delete_during_the_update_itself(ecr):
    stack = Stack("deferred", "Repos")
    stack.create({"Repos": repos("app/a", "app/b")})
    resource = stack["Repos"]
    with recorded_calls() as calls:
        response = resource.update(repos("app/a"))
    assert response.ok
    assert "DeleteRepository" not in calls.names
    assert set(snapshot(ecr)) == {"app/a", "app/b"}


# --- 5. the same update succeeds: the cleanup Delete ---------------------------------------------------


def test_cleanup_delete_removes_empty_and_emptiable_repositories_and_keeps_images(ecr):
    old = with_settings(repos("app/keep", "app/empty", "app/full", "app/scratch"), "app/scratch", EmptyOnDelete=True)
    stack = Stack("cleanup", "Repos")
    assert stack.create({"Repos": old}).status == "CREATE_COMPLETE"
    full = {push_image(ecr, "app/full", t) for t in ("v1", "v2")}
    push_image(ecr, "app/scratch", "v1")
    kept = {push_image(ecr, "app/keep", "v1")}

    outcome = stack.update({"Repos": repos("app/keep")})

    assert outcome.status == "UPDATE_COMPLETE"
    cleanup = outcome.cleanup["Repos"]
    assert cleanup.status == "FAILED"  # only recorded by CloudFormation
    assert "'app/full'" in cleanup.reason and "EmptyOnDelete" in cleanup.reason
    after = snapshot(ecr)
    assert set(after) == {"app/keep", "app/full"}
    assert after["app/full"]["images"] == full
    assert after["app/keep"]["images"] == kept
    # the kept repository was never written for the set change: no mark, no reference tags
    assert "ecr-repos:drop" not in after["app/keep"]["tags"] and not registry.refs(after["app/keep"]["tags"])


def test_cleanup_delete_of_a_successful_update_removes_the_dropped_empty_repository(ecr):
    stack = Stack("cleanup2", "Repos")
    stack.create({"Repos": repos("app/a", "app/b")})
    outcome = stack.update({"Repos": repos("app/a")})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"app/a"}
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}
