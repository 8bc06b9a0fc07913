"""The limits docs/safety.md (Limits that remain) describes, pinned so that the document stays true.

None of them loses an image or touches another stack's repository; each leaves a setting or a
repository behind that the user may have to tidy.
"""

from __future__ import annotations

from tests.support.registry import push_image, snapshot
from tests.support.stack import Other, Stack

from .props import repos, with_settings


def test_settings_changed_in_place_stay_changed_when_a_replacing_update_is_rolled_back(ecr):
    # the forward Update removes a repository (new id) and changes a kept one in place; another
    # resource fails; CloudFormation's rollback is the Delete of the new id, which carries only
    # the new properties: the removed repository stays, the kept one keeps its new settings
    stack = Stack("limit1", "Repos", Other("Function"))
    stack.create({"Repos": repos("app/kept", "app/gone")})
    images = {push_image(ecr, "app/kept", "v1")}
    stack["Function"].fail = True
    outcome = stack.update({"Repos": with_settings(repos("app/kept"), "app/kept", IsImmutable=False)})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    after = snapshot(ecr)
    assert set(after) == {"app/kept", "app/gone"}
    assert after["app/kept"]["mutability"] == "MUTABLE"  # not restored
    assert after["app/kept"]["images"] == images


def test_settings_changed_beside_an_addition_are_restored_by_the_in_place_rollback(ecr):
    # an addition keeps the id, so its rollback is an Update with the old properties: it restores
    # the kept repository's settings and removes the added one
    stack = Stack("limit1b", "Repos", Other("Function"))
    stack.create({"Repos": repos("app/kept")})
    before = snapshot(ecr)
    stack["Function"].fail = True
    outcome = stack.update({"Repos": with_settings(repos("app/kept", "app/added"), "app/kept", IsImmutable=False)})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert snapshot(ecr) == before


def test_released_repository_keeps_the_settings_applied_at_adoption(ecr):
    ecr.create_repository(repositoryName="legacy/app", imageTagMutability="MUTABLE")
    stack = Stack("limit2", "Repos")
    stack.create({"Repos": repos("legacy/app", AdoptExisting=True)})
    stack.delete()
    released = snapshot(ecr)["legacy/app"]
    assert not [k for k in released["tags"] if k.startswith("ecr-repos:")]
    assert released["mutability"] == "IMMUTABLE" and released["lifecycle"] is not None


def test_retained_repository_of_a_deleted_stack_is_another_stacks_for_a_new_stack_of_the_same_name(ecr):
    old = Stack("same-name", "Repos")
    old.create({"Repos": repos("app/a")})
    push_image(ecr, "app/a", "v1")
    assert old.delete().status == "DELETE_FAILED"  # the user then deletes the stack retaining the resource

    new = Stack("same-name", "Repos")
    new["Repos"].stack_uuid = "00000000-0000-4000-8000-000000000001"  # a new stack has a new id
    outcome = new.create({"Repos": repos("app/a", AdoptExisting=True)})
    assert outcome.responses["Repos"].status == "FAILED"
    assert "owned by stack 'same-name'" in outcome.responses["Repos"].reason

    # the documented way out: remove the provider's tags, then adopt
    arn = ecr.describe_repositories(repositoryNames=["app/a"])["repositories"][0]["repositoryArn"]
    keys = [t["Key"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"] if t["Key"].startswith("ecr-repos:")]
    ecr.untag_resource(resourceArn=arn, tagKeys=keys)
    new = Stack("same-name", "Repos")
    new["Repos"].stack_uuid = "00000000-0000-4000-8000-000000000002"
    assert new.create({"Repos": repos("app/a", AdoptExisting=True)}).status == "CREATE_COMPLETE"
    assert len(snapshot(ecr)["app/a"]["images"]) == 1


def test_empty_on_delete_set_in_the_update_that_removes_a_repository_does_not_reach_the_cleanup(ecr):
    # the cleanup Delete carries the OLD properties: EmptyOnDelete must be in place beforehand
    stack = Stack("limit4", "Repos")
    stack.create({"Repos": repos("app/a", "app/b")})
    push_image(ecr, "app/b", "v1")
    outcome = stack.update({"Repos": repos("app/a", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_COMPLETE"
    assert outcome.cleanup["Repos"].status == "FAILED"
    assert set(snapshot(ecr)) == {"app/a", "app/b"}


def test_a_cleanup_interrupted_before_its_first_write_keeps_the_kept_repositories_at_stack_delete(ecr):
    from tests.support.registry import Fault, faults

    stack = Stack("limit5", "Repos")
    stack.create({"Repos": repos("app/a", "app/b")})
    # the cleanup Delete of the old id fails on its first write, the ledger on app/a (not a throttle:
    # no retry); CloudFormation only records it
    resource = stack["Repos"]
    assert resource.update(repos("app/a")).ok
    with faults(Fault("tag_resource", error=("InvalidParameterException", "Injected"), repository="app/a")):
        assert resource.cleanup().status == "FAILED"
    # the ledger still shows the new id as pending: the stack's Delete of that id cannot tell itself
    # from a rollback, and keeps what the old id held (kept, never wrongly deleted); app/b, dropped
    # and never reached, stays too
    assert stack.delete().status == "DELETE_COMPLETE"
    assert set(snapshot(ecr)) == {"app/a", "app/b"}


def test_an_update_after_an_interrupted_cleanup_repairs_the_ledger(ecr):
    from tests.support.registry import Fault, faults

    stack = Stack("limit6", "Repos")
    stack.create({"Repos": repos("app/a", "app/b", "app/c")})
    resource = stack["Repos"]
    assert resource.update(repos("app/a", "app/c")).ok
    with faults(Fault("tag_resource", error=("InvalidParameterException", "Injected"), repository="app/a")):
        assert resource.cleanup().status == "FAILED"
    # a later removal reads the ledger: an Update of the new id proves CloudFormation holds it
    outcome = stack.update({"Repos": repos("app/a")})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"app/a", "app/b"}  # app/b: dropped by the interrupted cleanup's removal
    assert stack.delete().status == "DELETE_COMPLETE"
    assert set(snapshot(ecr)) == {"app/b"}
