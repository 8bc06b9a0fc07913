"""Issue 20 item 11: PolicyStatements, the resource's own extra IAM statements, through the Lambda entry point.

They are merged as access.py merges the generated ones: the provider owns every statement whose Sid
starts with EcrRepos (generated or declared); statements others wrote are kept, in their order; a
declared statement the template drops is removed from ECR.
"""

from __future__ import annotations

import json

import pytest

from tests.support.cfn import Resource
from tests.support.policy_eval import allowed, role
from tests.support.registry import recorded_calls, snapshot

CI, AUDIT = "111111111111", "999999999999"
DENY_PUSH_WITHOUT_MFA = {
    "Sid": "EcrReposDenyPushWithoutMfa",
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload"],
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
}
AUDIT_READ = {
    "Sid": "EcrReposAuditRead",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{AUDIT}:root"},
    "Action": "ecr:DescribeImages",
}
LAMBDA_STATEMENT = {
    "Sid": "LambdaECRImageRetrievalPolicy",
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
}


def policy(ecr, name: str) -> dict | None:
    text = snapshot(ecr)[name]["policy"]
    return json.loads(text) if text else None


def sids(ecr, name: str) -> list[str]:
    return [s.get("Sid", "") for s in (policy(ecr, name) or {}).get("Statement", [])]


def add_by_hand(ecr, name: str, statement: dict) -> None:
    current = policy(ecr, name) or {"Version": "2012-10-17", "Statement": []}
    current["Statement"].append(statement)
    ecr.set_repository_policy(repositoryName=name, policyText=json.dumps(current))


def test_declared_statements_follow_the_generated_ones_and_take_effect(aws, ecr):
    response = Resource().create({"EcrRepositories": {"app/api": {
        "AdditionalPushAccountIds": [CI], "PolicyStatements": [AUDIT_READ, DENY_PUSH_WITHOUT_MFA]}}})
    assert response.ok, response.reason
    assert sids(ecr, "app/api") == ["EcrReposPull", "EcrReposPush", "EcrReposAuditRead", "EcrReposDenyPushWithoutMfa"]
    statements = policy(ecr, "app/api")["Statement"]
    assert statements[2:] == [AUDIT_READ, DENY_PUSH_WITHOUT_MFA]  # as declared, though CloudFormation sent strings
    written = policy(ecr, "app/api")
    assert allowed(written, role(AUDIT), "ecr:DescribeImages")
    assert not allowed(written, role(AUDIT), "ecr:BatchGetImage")
    assert allowed(written, role(CI), "ecr:PutImage")
    assert not allowed(written, role(CI, org="o-a1b2c3d4e5"), "ecr:PutImage")  # the Deny wins


def test_statements_alone_make_a_policy_and_defaults_apply_where_not_replaced(aws, ecr):
    response = Resource().create({
        "RepositoryDefaults": {"PolicyStatements": [AUDIT_READ]},
        "EcrRepositories": {"app/api": {}, "app/web": {"PolicyStatements": [DENY_PUSH_WITHOUT_MFA]}}})
    assert response.ok, response.reason
    assert sids(ecr, "app/api") == ["EcrReposAuditRead"]
    assert sids(ecr, "app/web") == ["EcrReposDenyPushWithoutMfa"]  # lists are replaced, not merged


def test_removing_a_statement_removes_it_from_ecr_and_keeps_others_statements(aws, ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {"PolicyStatements": [AUDIT_READ, DENY_PUSH_WITHOUT_MFA]}}}).ok
    add_by_hand(ecr, "app/api", LAMBDA_STATEMENT)
    response = stack.update({"EcrRepositories": {"app/api": {"PolicyStatements": [DENY_PUSH_WITHOUT_MFA]}}})
    assert response.ok, response.reason
    assert sids(ecr, "app/api") == ["LambdaECRImageRetrievalPolicy", "EcrReposDenyPushWithoutMfa"]
    # a changed statement is replaced in place, by its Sid
    changed = {**DENY_PUSH_WITHOUT_MFA, "Action": "ecr:PutImage"}
    assert stack.update({"EcrRepositories": {"app/api": {"PolicyStatements": [changed]}}}).ok
    assert policy(ecr, "app/api")["Statement"] == [LAMBDA_STATEMENT, changed]
    # the last one gone: the foreign statement alone remains
    assert stack.update({"EcrRepositories": {"app/api": {}}}).ok
    assert policy(ecr, "app/api")["Statement"] == [LAMBDA_STATEMENT]


def test_removing_the_only_statements_deletes_the_policy_nobody_else_wrote(aws, ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {"PolicyStatements": [AUDIT_READ]}}}).ok
    assert stack.update({"EcrRepositories": {"app/api": {"ScanOnPush": False}}}).ok
    assert snapshot(ecr)["app/api"]["policy"] is None


def test_an_unchanged_statement_writes_nothing(aws, ecr):
    stack = Resource()
    props = {"EcrRepositories": {"app/api": {"PolicyStatements": [AUDIT_READ]}}}
    assert stack.create(props).ok
    with recorded_calls() as calls:
        assert stack.update({**props, "Tags": {"team": "a"}}).ok
    assert "SetRepositoryPolicy" not in calls.writes


S = "EcrRepositories.app/api.PolicyStatements"


@pytest.mark.parametrize("statement,where,message", [
    ({**AUDIT_READ, "Sid": "AuditRead"}, f"{S}[0].Sid",
     "must be EcrRepos followed by letters and digits (the provider owns the statements whose Sid starts with "
     "EcrRepos), like EcrReposAuditRead, got 'AuditRead'"),
    ({k: v for k, v in AUDIT_READ.items() if k != "Sid"}, f"{S}[0].Sid", "is required; add it"),
    ({**AUDIT_READ, "Sid": "EcrReposPull"}, f"{S}[0].Sid",
     "is the Sid of a statement the provider generates; choose another, like EcrReposPullExtra"),
    ({**AUDIT_READ, "Effect": "Permit"}, f"{S}[0].Effect", "must be one of Allow, Deny, got 'Permit'"),
    ({**AUDIT_READ, "Resource": "*"}, f"{S}[0].Resource",
     "ECR repository policies take no Resource (the repository is the resource); remove it"),
    ({k: v for k, v in AUDIT_READ.items() if k != "Principal"}, f"{S}[0]",
     "needs exactly one of Principal and NotPrincipal; add one"),
    ({**AUDIT_READ, "NotAction": "ecr:PutImage"}, f"{S}[0]", "needs exactly one of Action and NotAction; keep one"),
    ({**AUDIT_READ, "Principal": {"User": "bob"}}, f"{S}[0].Principal",
     'must be "*" or a map of AWS, Service, Federated, CanonicalUser to a string or a list of strings'),
    ({**AUDIT_READ, "Action": ["ecr:DescribeImages", "DescribeImages"]}, f"{S}[0].Action",
     "must be an action like ecr:BatchGetImage (wildcards allowed), or a non-empty list of them"),
    ({**AUDIT_READ, "Condition": {"StringEquals": "o-a1b2c3d4e5"}}, f"{S}[0].Condition",
     "must map each operator (like StringEquals) to a map of condition keys to values"),
    ("EcrReposAuditRead", f"{S}[0]", "must be a map of keys to values, got 'EcrReposAuditRead'"),
])
def test_a_bad_statement_fails_before_any_write_naming_the_field(aws, ecr, statement, where, message):
    with recorded_calls() as calls:
        response = Resource().create({"EcrRepositories": {"app/api": {"PolicyStatements": [statement]}}})
    assert response.status == "FAILED"
    assert response.reason == f"Invalid properties: {where}: {message}"
    assert calls.names == []


def test_sids_are_unique_within_a_repository(aws, ecr):
    response = Resource().create({"EcrRepositories": {"app/api": {"PolicyStatements": [AUDIT_READ, AUDIT_READ]}}})
    assert response.reason == (f"Invalid properties: {S}[1].Sid: repeats the Sid of PolicyStatements[0]; each Sid is "
                               "unique in a repository")


def test_a_bad_default_statement_is_reported_once_at_the_default(aws, ecr):
    response = Resource().create({"RepositoryDefaults": {"PolicyStatements": [{**AUDIT_READ, "Sid": "EcrReposPush"}]},
                                  "EcrRepositories": {"app/a": {}, "app/b": {}}})
    assert response.reason == ("Invalid properties: RepositoryDefaults.PolicyStatements[0].Sid: is the Sid of a "
                               "statement the provider generates; choose another, like EcrReposPushExtra")


def test_statements_too_large_for_ecr_fail_before_any_write(aws, ecr):
    big = {**AUDIT_READ, "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:role/r" for i in range(300)]}}
    response = Resource().create({"EcrRepositories": {"app/api": {"PolicyStatements": [big]}}})
    assert response.status == "FAILED"
    assert response.reason.startswith("Invalid properties: EcrRepositories.app/api: grants and PolicyStatements make "
                                      "a repository policy of ")
    assert response.reason.endswith("or shorten PolicyStatements")
    assert snapshot(ecr) == {}


def test_statements_with_foreign_ones_too_large_fail_before_any_write(aws, ecr):
    stack = Resource()
    assert stack.create({"EcrRepositories": {"app/api": {}}}).ok
    others = {**LAMBDA_STATEMENT, "Sid": "Others",
              "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:role/r" for i in range(200)]}}
    add_by_hand(ecr, "app/api", others)
    mine = {**AUDIT_READ, "Principal": {"AWS": [f"arn:aws:iam::{200000000000 + i}:role/r" for i in range(120)]}}
    before = snapshot(ecr)
    with recorded_calls() as calls:
        response = stack.update({"EcrRepositories": {"app/api": {"PolicyStatements": [mine]}}})
    assert response.status == "FAILED" and "'app/api'" in response.reason and "10240" in response.reason
    assert calls.writes == []
    assert snapshot(ecr) == before


def test_a_hand_changed_declared_statement_is_repaired_by_a_reconcile_token(aws, ecr):
    stack = Resource()
    props = {"EcrRepositories": {"app/api": {"PolicyStatements": [AUDIT_READ]}}}
    assert stack.create(props).ok
    changed = policy(ecr, "app/api")
    changed["Statement"][0]["Action"] = "ecr:*"
    changed["Statement"].append(LAMBDA_STATEMENT)
    ecr.set_repository_policy(repositoryName="app/api", policyText=json.dumps(changed))
    response = stack.update({**props, "ReconcileToken": "1"})
    assert response.ok, response.reason
    assert policy(ecr, "app/api")["Statement"] == [LAMBDA_STATEMENT, AUDIT_READ]
