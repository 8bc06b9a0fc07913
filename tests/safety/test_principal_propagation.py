"""Issue 11, outcome 3: a role created moments earlier is not yet visible to ECR.

ECR refuses the policy as InvalidParameterException "... 'Principal not found'" until IAM has
propagated the role (hashicorp/terraform-provider-aws#39064). The error is injected into moto's
``ECRBackend.set_repository_policy``, so the provider meets it through botocore as it would ECR's.
"""

from __future__ import annotations

from unittest import mock

from tests.support.policy_eval import Caller, allowed
from tests.support.registry import Fault, faults, no_backoff, snapshot
from tests.support.stack import Stack

from .props import repos, with_settings

NOT_FOUND = ("InvalidParameterException",
             "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'")
NEW_ROLE = "arn:aws:iam::444444444444:role/created-just-now"


def _props() -> dict:
    return with_settings(repos("app/api", "app/web"), "app/api", PullPrincipalArns=[NEW_ROLE],
                         AdditionalPullAccountIds=["111111111111"])


def test_principal_not_found_for_a_while_is_retried_until_ecr_sees_it(ecr):
    stack = Stack("fresh", "Repos")
    with no_backoff(), faults(Fault("set_repository_policy", error=NOT_FOUND, first=3)) as (fault,):
        outcome = stack.create({"Repos": _props()})
    assert outcome.status == "CREATE_COMPLETE", outcome.responses["Repos"].reason
    assert (fault.failures, fault.calls) == (3, 4)
    assert allowed(snapshot(ecr)["app/api"]["policy"], Caller(arn=NEW_ROLE), "ecr:BatchGetImage")


def test_the_retries_back_off_and_stop_at_the_deadline(ecr):
    """Without the sleeping patched: pauses grow, and none starts past the executor's deadline."""
    from provider import executor

    pauses: list[float] = []
    with mock.patch.object(executor.time, "sleep", side_effect=pauses.append), \
            faults(Fault("set_repository_policy", error=NOT_FOUND, first=10**6)):
        outcome = Stack("slow", "Repos").create({"Repos": _props()})
    assert outcome.responses["Repos"].status == "FAILED"
    assert len(pauses) == executor.PRINCIPAL_ROUNDS
    ceilings = [executor._pause_ceiling(n) for n in range(1, executor.PRINCIPAL_ROUNDS + 1)]
    assert all(c / 2 <= p <= c for p, c in zip(pauses, ceilings))

    deadline = executor.Executor(client=object(), deadline=executor.time.monotonic() + 5)
    assert deadline._may_wait(1) and not deadline._may_wait(3)  # a 2 s pause fits in 5 s, an 8 s one does not


def test_principal_that_never_appears_fails_naming_repository_and_principal_and_the_delete_cleans_up(ecr):
    stack = Stack("never", "Repos")
    with no_backoff(), faults(Fault("set_repository_policy", error=NOT_FOUND, first=10**6)) as (fault,):
        outcome = stack.create({"Repos": _props()})
    response = outcome.responses["Repos"]
    assert response.status == "FAILED"
    assert "'app/api'" in response.reason and NEW_ROLE in response.reason
    assert response.reason.endswith("or remove it from the grants.") and len(response.reason) <= 256
    assert fault.calls == 1 + 8  # the first try and PRINCIPAL_ROUNDS retries
    assert outcome.status == "ROLLBACK_COMPLETE"  # CloudFormation's Delete of the failed Create
    assert snapshot(ecr) == {}


def test_on_update_the_failure_rolls_back_to_the_old_grants(ecr):
    stack = Stack("upd", "Repos")
    before_props = with_settings(repos("app/api"), "app/api", AdditionalPullAccountIds=["111111111111"])
    assert stack.create({"Repos": before_props}).status == "CREATE_COMPLETE"
    before = snapshot(ecr)
    with no_backoff(), faults(Fault("set_repository_policy", error=NOT_FOUND, repository="app/api")):
        outcome = stack.update({"Repos": with_settings(before_props, "app/api", PushPrincipalArns=[NEW_ROLE])})
    assert outcome.responses["Repos"].status == "FAILED" and NEW_ROLE in outcome.responses["Repos"].reason
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert snapshot(ecr)["app/api"]["policy"] == before["app/api"]["policy"]
