"""Issue 10: set changes cost what they change. Additions keep the physical id; a removal marks the
removed repositories and writes one ledger tag, and the cleanup Delete removes exactly what was marked.
Every CloudFormation sequence through the real Lambda entry point, against moto (with ECR's tag quota,
tests/support/ecr_fidelity.py); registries laid out by the previous release keep working."""

from __future__ import annotations

import pytest

from ecr_repos.repos import ownership
from tests.support.cfn import Resource
from tests.support.registry import push_image, recorded_calls, snapshot, without_bookkeeping
from tests.support.stack import Other, Stack

from .props import repos


def _own(tags):
    return {k: v for k, v in tags.items() if k.startswith("ecr-repos:")}


# --- rollbacks -------------------------------------------------------------------------------------


def test_a_rolled_back_removal_leaves_no_mark_that_a_later_removal_acts_on(ecr):
    stack = Stack("stale", "Repos", Other("Function"))
    assert stack.create({"Repos": repos("app/a", "app/b", "app/c")}).status == "CREATE_COMPLETE"
    images = {push_image(ecr, "app/b", "v1")}
    first_id = stack["Repos"].physical_id

    # removing app/b is rolled back by another resource: CloudFormation deletes the new id
    stack["Function"].fail = True
    outcome = stack.update({"Repos": repos("app/a", "app/c", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE" and outcome.rollback["Repos"].ok
    assert stack["Repos"].physical_id == first_id
    assert set(snapshot(ecr)) == {"app/a", "app/b", "app/c"}

    # later a different removal succeeds: its cleanup (with the old properties) removes app/c only
    stack["Function"].fail = False
    outcome = stack.update({"Repos": repos("app/a", "app/b", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    after = snapshot(ecr)
    assert set(after) == {"app/a", "app/b"}
    assert after["app/b"]["images"] == images
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_an_addition_rolled_back_in_place_leaves_nothing_after_the_stack_delete(ecr):
    stack = Stack("addback", "Repos", Other("Function"))
    assert stack.create({"Repos": repos("app/a")}).status == "CREATE_COMPLETE"
    before = snapshot(ecr)
    stack["Function"].fail = True
    outcome = stack.update({"Repos": repos("app/a", "app/new", "app/other")})
    assert outcome.responses["Repos"].physical_id == stack["Repos"].physical_id  # in place
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"  # the rollback Update kept the id
    assert snapshot(ecr) == before
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_a_removal_and_an_addition_in_one_update_succeed_together(ecr):
    stack = Stack("both", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b")}).status == "CREATE_COMPLETE"
    with recorded_calls() as calls:
        outcome = stack.update({"Repos": repos("app/a", "app/c")})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"app/a", "app/c"}
    # create app/c (2), mark app/b, ledger on app/a; the cleanup: ledger, delete app/b
    assert sorted(calls.writes) == sorted(["CreateRepository", "PutLifecyclePolicy", "TagResource", "TagResource",
                                           "TagResource", "DeleteRepository"])
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_a_removal_and_an_addition_rolled_back_by_another_resource(ecr):
    stack = Stack("both2", "Repos", Other("Function"))
    assert stack.create({"Repos": repos("app/a", "app/b")}).status == "CREATE_COMPLETE"
    images = {push_image(ecr, "app/b", "v1")}
    before = snapshot(ecr)
    stack["Function"].fail = True
    outcome = stack.update({"Repos": repos("app/a", "app/c")})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert without_bookkeeping(snapshot(ecr)) == without_bookkeeping(before)
    assert snapshot(ecr)["app/b"]["images"] == images
    assert stack.delete().status == "DELETE_FAILED"  # app/b holds images, EmptyOnDelete off
    assert set(snapshot(ecr)) == {"app/b"}


def test_a_removal_and_an_addition_that_fail_themselves_are_rolled_back_in_place(ecr):
    from tests.support.registry import Fault, faults

    stack = Stack("both3", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", "app/d")}).status == "CREATE_COMPLETE"
    before = snapshot(ecr)
    # app/c is created, app/b marked, then app/e fails: the Update answers FAILED with the old id
    with faults(Fault("put_lifecycle_policy", error=("InvalidParameterException", "Injected"), repository="app/e")):
        outcome = stack.update({"Repos": repos("app/a", "app/c", "app/d", "app/e")})
    assert outcome.responses["Repos"].status == "FAILED"
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"  # the rollback Update kept the id
    assert snapshot(ecr) == before  # added ones gone, app/b's mark cleared
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


# --- retries of every event ----------------------------------------------------------------------


def _twice(resource, event):
    first = resource.send(event)
    state = snapshot(ecr_client())
    with recorded_calls() as calls:
        second = resource.send(event)
    assert first.ok and second.ok, (first.reason, second.reason)
    assert second.physical_id == first.physical_id
    assert snapshot(ecr_client()) == state
    assert calls.writes == []
    return first


def ecr_client():
    import boto3

    return boto3.client("ecr", region_name="us-east-1")


def test_every_event_of_a_removal_and_its_cleanup_delivered_twice(ecr):
    resource = Resource(stack_name="twice")
    resource.create(repos("app/a", "app/b", "app/c"))
    old_id, old = resource.physical_id, repos("app/a", "app/b", "app/c")
    new = repos("app/a", "app/d")
    updated = _twice(resource, resource.event("Update", new, physical_id=old_id, old_properties=old))
    assert updated.physical_id != old_id
    _twice(resource, resource.event("Delete", old, physical_id=old_id))  # the cleanup
    assert set(snapshot(ecr)) == {"app/a", "app/d"}
    _twice(resource, resource.event("Delete", new, physical_id=updated.physical_id))  # the stack's Delete
    assert snapshot(ecr) == {}


def test_every_event_of_a_rolled_back_removal_delivered_twice(ecr):
    resource = Resource(stack_name="twice2")
    resource.create(repos("app/a", "app/b"))
    old_id, old = resource.physical_id, repos("app/a", "app/b")
    new = repos("app/a", "app/c")
    updated = _twice(resource, resource.event("Update", new, physical_id=old_id, old_properties=old))
    _twice(resource, resource.event("Delete", new, physical_id=updated.physical_id))  # the rollback
    assert set(snapshot(ecr)) == {"app/a", "app/b"}
    _twice(resource, resource.event("Delete", old, physical_id=old_id))  # the stack's Delete
    assert snapshot(ecr) == {}


def test_every_event_of_an_addition_rolled_back_in_place_delivered_twice(ecr):
    resource = Resource(stack_name="twice3")
    resource.create(repos("app/a"))
    pid, old, new = resource.physical_id, repos("app/a"), repos("app/a", "app/b")
    _twice(resource, resource.event("Update", new, physical_id=pid, old_properties=old))
    _twice(resource, resource.event("Update", old, physical_id=pid, old_properties=new))  # the rollback
    assert set(snapshot(ecr)) == {"app/a"}
    _twice(resource, resource.event("Delete", old, physical_id=pid))
    assert snapshot(ecr) == {}


# --- two stacks ------------------------------------------------------------------------------------


def test_two_stacks_side_by_side_change_their_sets_without_touching_each_other(ecr):
    one, two = Stack("one", "Repos"), Stack("two", "Repos")
    assert one.create({"Repos": repos("one/a", "one/b")}).status == "CREATE_COMPLETE"
    assert two.create({"Repos": repos("two/a", "two/b")}).status == "CREATE_COMPLETE"
    theirs = {n: s for n, s in snapshot(ecr).items() if n.startswith("two/")}
    assert one.update({"Repos": repos("one/a", "one/c")}).status == "UPDATE_COMPLETE"
    # a Delete of stack one that names stack two's repositories leaves them alone
    resource = one["Repos"]
    stray = resource.event("Delete", repos("one/a", "one/c", "two/a", "two/b", EmptyOnDelete=True),
                           physical_id=resource.physical_id)
    assert resource.send(stray).ok
    assert {n: s for n, s in snapshot(ecr).items() if n.startswith("two/")} == theirs
    assert set(snapshot(ecr)) == {"two/a", "two/b"}
    assert two.update({"Repos": repos("two/b")}).cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"two/b"}


# --- the tag quota (issue 9, item 4) ----------------------------------------------------------------

USER_TAGS = {f"tag{i:02d}": "v" for i in range(44)}  # the most a repository may declare


def test_renaming_one_of_44_user_tags_and_adding_a_repository_stays_within_50_tags(ecr):
    stack = Stack("quota", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", Tags=USER_TAGS)}).status == "CREATE_COMPLETE"
    renamed = {**{k: v for k, v in USER_TAGS.items() if k != "tag00"}, "renamed": "v"}
    outcome = stack.update({"Repos": repos("app/a", "app/b", "app/c", Tags=renamed)})
    assert outcome.status == "UPDATE_COMPLETE", outcome.responses["Repos"].reason
    # and a removal (mark + ledger) on top of 44 user tags
    outcome = stack.update({"Repos": repos("app/a", "app/c", Tags=renamed)})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert all(len(s["tags"]) <= 50 for s in snapshot(ecr).values())
    assert set(snapshot(ecr)) == {"app/a", "app/c"}


def test_the_tests_moto_enforces_the_quota(ecr):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="TooManyTagsException"):
        ecr.create_repository(repositoryName="q/a", tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    arn = ecr.create_repository(repositoryName="q/b", tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])[
        "repository"]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "k0", "Value": "again"}])  # overwriting adds nothing
    with pytest.raises(ClientError, match="TooManyTagsException"):
        ecr.tag_resource(resourceArn=arn, tags=[{"Key": "k50", "Value": "v"}])


# --- registries laid out by the previous release ---------------------------------------------------


def _legacy(ecr, names, gens_by_name):
    """Rewrite the provider's tags as the previous release wrote them: origin ``created`` and one
    ``ecr-repos:ref:<gen>: 1`` per generation holding the repository."""
    for name in names:
        arn = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryArn"]
        tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"]}
        ecr.untag_resource(resourceArn=arn, tagKeys=[k for k in tags if k in (ownership.ORIGIN, ownership.DROP,
                                                                           ownership.LEDGER)])
        ecr.tag_resource(resourceArn=arn, tags=[{"Key": ownership.ORIGIN, "Value": "created"}] + [
            {"Key": f"ecr-repos:ref:{g}", "Value": "1"} for g in gens_by_name[name]])


def _gen(resource):
    return resource.physical_id.rsplit(":", 1)[1]


def test_a_registry_of_the_previous_release_updates_and_deletes(ecr):
    stack = Stack("legacy", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", "app/c", Tags=USER_TAGS)}).status == "CREATE_COMPLETE"
    resource = stack["Repos"]
    _legacy(ecr, ["app/a", "app/b", "app/c"], {n: [_gen(resource)] for n in ("app/a", "app/b", "app/c")})
    assert {k for k in snapshot(ecr)["app/a"]["tags"] if k.startswith("ecr-repos:ref:")}
    # addition in place, then a removal with its cleanup, then the stack's Delete
    assert stack.update({"Repos": repos("app/a", "app/b", "app/c", "app/d", Tags=USER_TAGS)}).status == (
        "UPDATE_COMPLETE")
    outcome = stack.update({"Repos": repos("app/a", "app/d", Tags=USER_TAGS)})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"app/a", "app/d"}
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_a_previous_release_interrupted_cleanup_then_a_set_change_and_the_stack_delete(ecr):
    # the previous release's interrupted cleanup left a dead reference beside the live one: with 44
    # user tags that is 50 tags, no room for anything before the references go
    stack = Stack("legacy2", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", Tags=USER_TAGS)}).status == "CREATE_COMPLETE"
    resource = stack["Repos"]
    dead = "d" * 12
    _legacy(ecr, ["app/a", "app/b"], {"app/a": [dead, _gen(resource)], "app/b": [dead, _gen(resource)]})
    assert all(len(s["tags"]) == 50 for s in snapshot(ecr).values())
    outcome = stack.update({"Repos": repos("app/a", Tags=USER_TAGS)})
    assert outcome.status == "UPDATE_COMPLETE", outcome.responses["Repos"].reason
    assert outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"app/a"}
    assert stack.delete().status == "DELETE_COMPLETE"  # the previous release kept app/a here
    assert snapshot(ecr) == {}


def test_a_cleanup_of_a_replacement_the_previous_release_made(ecr):
    # the previous release answered a new id for {a, b} -> {a, c}: every declared repository got the new
    # reference; the cleanup Delete of the old id then reaches this release
    stack = Stack("legacy3", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", "app/c")}).status == "CREATE_COMPLETE"
    resource = stack["Repos"]
    old_gen, new_gen = _gen(resource), "e" * 12
    _legacy(ecr, ["app/a", "app/b", "app/c"], {"app/a": [old_gen, new_gen], "app/b": [old_gen], "app/c": [new_gen]})
    cleanup = resource.send(resource.event("Delete", repos("app/a", "app/b"), physical_id=resource.physical_id))
    assert cleanup.ok
    assert set(snapshot(ecr)) == {"app/a", "app/c"}
    final = resource.send(resource.event("Delete", repos("app/a", "app/c"),
                                         physical_id=resource.physical_id.rsplit(":", 1)[0] + ":" + new_gen))
    assert final.ok and snapshot(ecr) == {}


def test_removing_the_repository_that_holds_the_ledger_moves_it(ecr):
    stack = Stack("anchor", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", "app/c", "app/d")}).status == "CREATE_COMPLETE"
    assert stack.update({"Repos": repos("app/a", "app/b", "app/c")}).cleanup["Repos"].ok
    assert ownership.LEDGER in snapshot(ecr)["app/a"]["tags"]  # the first kept repository
    outcome = stack.update({"Repos": repos("app/b", "app/c")})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    after = snapshot(ecr)
    assert set(after) == {"app/b", "app/c"} and ownership.LEDGER in after["app/b"]["tags"]
    assert all(len(_own(s["tags"])) <= ownership.OWN_TAGS for s in after.values())
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_a_late_duplicate_of_a_rolled_back_removal_does_not_revive_it(ecr):
    resource = Resource(stack_name="late")
    resource.create(repos("app/a", "app/b"))
    old_id, old, new = resource.physical_id, repos("app/a", "app/b"), repos("app/a")
    event = resource.event("Update", new, physical_id=old_id, old_properties=old)
    updated = resource.send(event)
    assert resource.send(resource.event("Delete", new, physical_id=updated.physical_id)).ok  # the rollback
    assert resource.send(event).ok  # Lambda delivers the Update again, long after
    # the stack's Delete of the id CloudFormation kept still removes everything
    assert resource.send(resource.event("Delete", old, physical_id=old_id)).ok
    assert snapshot(ecr) == {}


def test_a_set_change_after_an_interrupted_cleanup_stays_within_50_tags(ecr):
    from tests.support.registry import Fault, faults

    stack = Stack("quota2", "Repos")
    assert stack.create({"Repos": repos("app/a", "app/b", "app/c", Tags=USER_TAGS)}).status == "CREATE_COMPLETE"
    resource = stack["Repos"]
    assert resource.update(repos("app/a", "app/b", Tags=USER_TAGS)).ok
    with faults(Fault("delete_repository", error=("InvalidParameterException", "Injected"), repository="app/c")):
        assert resource.cleanup().status == "FAILED"
    outcome = stack.update({"Repos": repos("app/a", "app/d", Tags=USER_TAGS)})
    assert outcome.status == "UPDATE_COMPLETE", outcome.responses["Repos"].reason
    assert outcome.cleanup["Repos"].ok
    assert all(len(s["tags"]) <= 50 for s in snapshot(ecr).values())
    assert set(snapshot(ecr)) == {"app/a", "app/c", "app/d"}  # app/c: its cleanup was interrupted, kept
