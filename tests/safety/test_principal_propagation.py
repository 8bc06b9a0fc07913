"""Issue 11, outcome 3: a role created moments earlier is not yet visible to ECR.

ECR refuses the policy as InvalidParameterException "... 'Principal not found'" until IAM has
propagated the role (hashicorp/terraform-provider-aws#39064). The error is injected into moto's
``ECRBackend.set_repository_policy``, so the provider meets it through botocore as it would ECR's.
"""

from __future__ import annotations

from unittest import mock

from tests.support.cfn import LambdaContext
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


def test_the_retries_back_off(ecr):
    from ecr_repos.repos import executor

    attempts: list[int] = []
    with mock.patch("ecr_repos.repos.executor._pause", side_effect=attempts.append), \
            faults(Fault("set_repository_policy", error=NOT_FOUND, first=10**6)):
        outcome = Stack("slow", "Repos").create({"Repos": _props()})
    assert outcome.responses["Repos"].status == "FAILED"
    assert attempts == list(range(1, executor.PRINCIPAL_ROUNDS + 1))
    assert [executor._pause_ceiling(n) for n in attempts] == [2, 4, 8, 16, 20, 20, 20, 20]


def test_the_retries_stop_at_the_deadline_with_the_same_reason(ecr, monkeypatch):
    """Real pauses, the executor's deadline 3 s away (a 6 s Lambda: the margin is half of it,
    provider/ecr_repos/core/deadline.py): a 1-2 s pause may start, a 2-4 s one never does (so at most two calls);
    the answer is the provider's, not crhelper's time-out."""
    monkeypatch.setattr("ecr_repos.core.protocol.TIME_MARGIN_SECONDS", 10.0)
    stack = Stack("late", "Repos")
    with faults(Fault("set_repository_policy", error=NOT_FOUND, first=10**6)) as (fault,):
        outcome = stack.create({"Repos": _props()}, context=LambdaContext(seconds=6.0))
    response = outcome.responses["Repos"]
    assert response.status == "FAILED" and NEW_ROLE in response.reason and "'app/api'" in response.reason
    assert fault.calls in (1, 2)  # 1 only if the machine took over a second to reach the first call
    assert outcome.status == "ROLLBACK_COMPLETE" and snapshot(ecr) == {}


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
