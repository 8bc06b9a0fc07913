"""Issue 11, outcome 2: the provider owns only the statements it writes.

AWS Lambda's own statement (the shape Lambda adds when a function is created from an image) is put
on a repository by hand, as Lambda would; then every request that keeps the repository must keep it,
in order, and the policy goes only when nothing foreign remains.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support.cfn import Resource
from tests.support.policy_eval import actions_allowed, allowed, lambda_service, role
from tests.support.registry import recorded_calls, snapshot
from tests.support.stack import Stack

from .props import repos, with_settings

LAMBDA_STATEMENT = {
    "Sid": "LambdaECRImageRetrievalPolicy",
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    "Condition": {"StringLike": {"aws:sourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}},
}
# A statement someone wrote without a Sid: foreign too.
AUDIT_STATEMENT = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::999999999999:role/audit"},
    "Action": "ecr:DescribeImages",
}
FUNCTION = lambda_service("arn:aws:lambda:us-east-1:123456789012:function:api")
A, B = "111111111111", "222222222222"


def _policy(ecr, repo: str) -> dict | None:
    text = snapshot(ecr)[repo]["policy"]
    return json.loads(text) if text else None


def _add_by_hand(ecr, repo: str, *statements: dict) -> None:
    """What Lambda (or a person) does: read the policy, append a statement, write it back."""
    current = _policy(ecr, repo) or {"Version": "2012-10-17", "Statement": []}
    current["Statement"] = list(current["Statement"]) + list(statements)
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(current, ensure_ascii=False))


def _foreign(policy: dict | None) -> list[dict]:
    return [s for s in (policy or {}).get("Statement", []) if not str(s.get("Sid", "")).startswith("EcrRepos")]


def test_lambda_statement_survives_tag_change_new_account_and_removal_of_all_accounts(ecr):
    stack = Stack("app", "Repos")
    props = with_settings(repos("app/api", "app/web", Tags={"team": "a"}), "app/api", AdditionalPullAccountIds=[A])
    assert stack.create({"Repos": props}).status == "CREATE_COMPLETE"
    _add_by_hand(ecr, "app/api", LAMBDA_STATEMENT)
    _add_by_hand(ecr, "app/web", LAMBDA_STATEMENT, AUDIT_STATEMENT)
    assert allowed(_policy(ecr, "app/api"), FUNCTION, "ecr:BatchGetImage")

    # 1. A resource-level tag: every repository is read again, no policy is written.
    with recorded_calls() as calls:
        outcome = stack.update({"Repos": {**props, "Tags": {"team": "b"}}})
    assert outcome.status == "UPDATE_COMPLETE"
    assert "SetRepositoryPolicy" not in calls.names and "DeleteRepositoryPolicy" not in calls.names
    assert _foreign(_policy(ecr, "app/api")) == [LAMBDA_STATEMENT]
    assert _foreign(_policy(ecr, "app/web")) == [LAMBDA_STATEMENT, AUDIT_STATEMENT]
    assert snapshot(ecr)["app/api"]["tags"]["team"] == "b"

    # 2. A new account: the provider's statement changes, Lambda's stays, first as it was.
    more = with_settings({**props, "Tags": {"team": "b"}}, "app/api", AdditionalPullAccountIds=[A, B])
    assert stack.update({"Repos": more}).status == "UPDATE_COMPLETE"
    policy = _policy(ecr, "app/api")
    assert policy["Statement"][0] == LAMBDA_STATEMENT
    assert allowed(policy, FUNCTION, "ecr:GetDownloadUrlForLayer")
    assert allowed(policy, role(B), "ecr:BatchGetImage") and allowed(policy, role(A), "ecr:BatchGetImage")

    # 3. No account any more: the policy holds Lambda's statement alone (not deleted).
    none = with_settings({**props, "Tags": {"team": "b"}}, "app/api", AdditionalPullAccountIds=[])
    assert stack.update({"Repos": none}).status == "UPDATE_COMPLETE"
    assert _policy(ecr, "app/api")["Statement"] == [LAMBDA_STATEMENT]
    assert not allowed(_policy(ecr, "app/api"), role(A), "ecr:BatchGetImage")
    assert allowed(_policy(ecr, "app/api"), FUNCTION, "ecr:BatchGetImage")


def test_policy_is_deleted_only_when_nothing_foreign_remains(ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {"AdditionalPushAccountIds": [A]}}}).ok
    assert stack.update({"EcrRepositories": {"app/api": {"ScanOnPush": False}}}).ok
    assert snapshot(ecr)["app/api"]["policy"] is None


def test_statements_of_the_previous_release_count_as_ours_and_upgrade_in_place(ecr):
    """The Sids EcrReposPull/EcrReposPush written by today's release are the provider's: an Update
    replaces them (no duplicates, no stale grant), and keeps Lambda's."""
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {"AdditionalPushAccountIds": [A]}}}).ok
    old_release = {"Version": "2012-10-17", "Statement": [
        {"Sid": "EcrReposPull", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{A}:root"]},
         "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages",
                    "ecr:GetDownloadUrlForLayer", "ecr:ListImages"]},
        {"Sid": "EcrReposPush", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{A}:root"]},
         "Action": ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]},
        LAMBDA_STATEMENT,
    ]}
    ecr.set_repository_policy(repositoryName="app/api", policyText=json.dumps(old_release))
    assert stack.update({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": [B]}}}).ok
    policy = _policy(ecr, "app/api")
    assert [s.get("Sid") for s in policy["Statement"]] == ["LambdaECRImageRetrievalPolicy", "EcrReposPull"]
    assert actions_allowed(policy, role(A), ["ecr:BatchGetImage", "ecr:PutImage"]) == set()
    assert actions_allowed(policy, role(B), ["ecr:BatchGetImage", "ecr:PutImage"]) == {"ecr:BatchGetImage"}


def test_adoption_keeps_a_foreign_policy_with_or_without_declared_access(ecr):
    for name in ("legacy/a", "legacy/b"):
        ecr.create_repository(repositoryName=name)
        _add_by_hand(ecr, name, AUDIT_STATEMENT, LAMBDA_STATEMENT)
    before = snapshot(ecr)["legacy/a"]["policy"]
    stack = Stack("adopter", "Repos")
    props = with_settings(repos("legacy/a", "legacy/b", AdoptExisting=True), "legacy/b", PullOrganizationIds=["o-a1b2c3d4e5"])
    with recorded_calls() as calls:
        assert stack.create({"Repos": props}).status == "CREATE_COMPLETE"
    assert snapshot(ecr)["legacy/a"]["policy"] == before  # untouched: nothing declared, nothing of ours
    assert calls.writes.count("SetRepositoryPolicy") == 1 and "DeleteRepositoryPolicy" not in calls.names
    b = _policy(ecr, "legacy/b")
    assert b["Statement"][:2] == [AUDIT_STATEMENT, LAMBDA_STATEMENT]
    assert allowed(b, role(A, org="o-a1b2c3d4e5"), "ecr:BatchGetImage")

    # The Delete releases both (adopted): the repositories stay, and so do the foreign statements.
    assert stack.delete().status == "DELETE_COMPLETE"
    after = snapshot(ecr)
    assert set(after) == {"legacy/a", "legacy/b"}
    assert after["legacy/a"]["policy"] == before
    assert _foreign(json.loads(after["legacy/b"]["policy"])) == [AUDIT_STATEMENT, LAMBDA_STATEMENT]


def test_merged_policy_too_large_fails_before_any_write_naming_the_repository(ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {}, "app/web": {}}}).ok
    # Someone else's grant to 240 roles (8,523 characters) fits alone; with 60 accounts of ours (2,212) it would not.
    big = {"Sid": "Others", "Effect": "Allow", "Action": "ecr:BatchGetImage",
           "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:role/r" for i in range(240)]}}
    _add_by_hand(ecr, "app/api", big)
    assert len(snapshot(ecr)["app/api"]["policy"]) < 10240
    before = snapshot(ecr)
    many = [f"{300000000000 + i}" for i in range(60)]
    with recorded_calls() as calls:
        response = stack.update({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": many},
                                                      "app/web": {"ScanOnPush": False}}})
    assert response.status == "FAILED"
    assert "'app/api'" in response.reason and "10240" in response.reason and len(response.reason) <= 256
    assert response.reason.endswith("or remove foreign statements.")
    assert calls.writes == []
    assert snapshot(ecr) == before


def test_the_tests_moto_refuses_a_policy_over_ecr_limit_as_ecr_does(ecr):
    """The fidelity rule the size test stands on (tests/support/ecr_fidelity.py)."""
    ecr.create_repository(repositoryName="app/api")
    statement = {"Effect": "Allow", "Action": "ecr:BatchGetImage",
                 "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:root" for i in range(400)]}}
    with pytest.raises(ClientError, match="less than or equal to 10240"):
        ecr.set_repository_policy(repositoryName="app/api",
                                  policyText=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


# Issue 20 item 3: ECR counts characters. A foreign statement of 2,100 non-ASCII characters is 2,100
# characters, not 12,600 (each one escaped as \uXXXX).
NON_ASCII = "é" * 1050 + "日" * 1050
NOTE_STATEMENT = {"Sid": "Notiz", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                  "Action": "ecr:DescribeImages", "Condition": {"StringEquals": {"aws:PrincipalTag/note": NON_ASCII}}}


def test_non_ascii_foreign_statement_counts_its_characters_and_stays_itself(ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {}}}).ok
    _add_by_hand(ecr, "app/api", NOTE_STATEMENT)
    accounts = [f"{300000000000 + i}" for i in range(20)]
    response = stack.update({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": accounts}}})
    assert response.ok, response.reason
    text = snapshot(ecr)["app/api"]["policy"]
    assert NON_ASCII in text and "\\u" not in text  # sent as characters, not escapes
    assert len(text) < 4000
    assert _foreign(json.loads(text)) == [NOTE_STATEMENT]


def test_oversized_message_counts_non_ascii_characters_as_ecr_does(ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {}}}).ok
    huge = {**NOTE_STATEMENT, "Condition": {"StringEquals": {"aws:PrincipalTag/note": "日" * 9000}}}
    _add_by_hand(ecr, "app/api", huge)
    foreign = len(json.dumps(huge, separators=(",", ":"), ensure_ascii=False))
    many = [f"{300000000000 + i}" for i in range(60)]
    with recorded_calls() as calls:
        response = stack.update({"EcrRepositories": {"app/api": {"AdditionalPullAccountIds": many}}})
    assert response.status == "FAILED"
    assert f", {foreign} of them statements others wrote" in response.reason
    assert calls.writes == []


def test_the_tests_moto_counts_policy_characters_as_ecr_does(ecr):
    """tests/support/ecr_fidelity.py: 10,240 characters, however many bytes or escapes they make."""
    ecr.create_repository(repositoryName="app/api")

    def policy(length: int) -> str:
        statement = {**NOTE_STATEMENT, "Condition": {"StringEquals": {"aws:PrincipalTag/note": ""}}}
        bare = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, ensure_ascii=False)
        statement["Condition"]["StringEquals"]["aws:PrincipalTag/note"] = "日" * (length - len(bare))
        text = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, ensure_ascii=False)
        assert len(text) == length
        return text

    ecr.set_repository_policy(repositoryName="app/api", policyText=policy(10240))  # 30,000+ bytes of UTF-8
    with pytest.raises(ClientError, match="less than or equal to 10240"):
        ecr.set_repository_policy(repositoryName="app/api", policyText=policy(10241))
