"""Unit tests of ecr_repos.repos.access: least-privilege repository policies."""

from __future__ import annotations

import json

import pytest

from ecr_repos.repos import access


def test_no_accounts_no_policy():
    assert access.build_policy("aws", [], []) is None


def test_pull_and_push_statements():
    policy = access.build_policy("aws", pull=["222222222222", "111111111111"], push=["333333333333"])
    pull, push = policy["Statement"]
    assert pull["Principal"]["AWS"] == [
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::222222222222:root",
        "arn:aws:iam::333333333333:root",
    ]
    assert push["Principal"]["AWS"] == ["arn:aws:iam::333333333333:root"]
    assert set(push["Action"]) == {"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"}
    granted = set(pull["Action"]) | set(push["Action"])
    for forbidden in ("ecr:DeleteRepository", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy"):
        assert forbidden not in granted
    assert all("Resource" not in s for s in policy["Statement"])


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_partition_aware_principals(partition):
    policy = access.build_policy(partition, pull=["111111111111"], push=[])
    assert policy["Statement"][0]["Principal"]["AWS"] == [f"arn:{partition}:iam::111111111111:root"]


def test_canonical_blind_to_order_and_single_string():
    text = access.dump(access.build_policy("aws", pull=["111111111111"], push=[]))
    doc = json.loads(text)
    doc["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::111111111111:root"
    doc["Statement"][0]["Action"].reverse()
    assert access.canonical(json.dumps(doc)) == access.canonical(text)
    other = access.dump(access.build_policy("aws", pull=["111111111112"], push=[]))
    assert access.canonical(other) != access.canonical(text)


# --- issue 11: grants beyond accounts, statements of others ---------------------------------------

LAMBDA = {"Sid": "LambdaECRImageRetrievalPolicy", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
          "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          "Condition": {"StringLike": {"aws:sourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}}}
NO_SID = {"Effect": "Deny", "Principal": "*", "Action": "ecr:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _ours(**grants) -> str:
    return access.dump(access.build_policy("aws", [], [], region="eu-west-1", grants=access.Grants(**grants)))


def test_every_grant_kind_makes_its_statement():
    statements = json.loads(_ours(
        pull_principals=("arn:aws:iam::444444444444:role/r",), push_orgs=("o-a1b2c3d4e5",),
        pull_org_paths=("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",), lambda_accounts=("888888888888",),
    ))["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert list(by_sid) == ["EcrReposPull", "EcrReposPullOrg", "EcrReposPushOrg", "EcrReposPullOrgPath",
                            "EcrReposLambdaPull", "EcrReposLambdaAccount"]
    assert by_sid["EcrReposPull"]["Principal"] == {"AWS": ["arn:aws:iam::444444444444:role/r"]}
    assert by_sid["EcrReposPullOrg"]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}
    assert by_sid["EcrReposPullOrgPath"]["Condition"] == {
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]}}
    assert by_sid["EcrReposLambdaPull"]["Condition"] == {
        "StringLike": {"aws:sourceArn": ["arn:aws:lambda:eu-west-1:888888888888:function:*"]}}
    assert by_sid["EcrReposLambdaAccount"]["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def test_merge_keeps_foreign_statements_in_order_and_replaces_ours():
    legacy = access.build_policy("aws", ["111111111111"], ["111111111111"])  # Sids of today's release
    current = json.dumps({"Version": "2008-10-17", "Id": "mine",
                          "Statement": [legacy["Statement"][0], LAMBDA, legacy["Statement"][1], NO_SID]})
    merged = json.loads(access.merge(current, _ours(pull_accounts=("222222222222",))))
    assert (merged["Version"], merged["Id"]) == ("2008-10-17", "mine")
    assert merged["Statement"][:2] == [LAMBDA, NO_SID]
    assert [s["Sid"] for s in merged["Statement"][2:]] == ["EcrReposPull"]
    assert merged["Statement"][2]["Principal"] == {"AWS": ["arn:aws:iam::222222222222:root"]}


@pytest.mark.parametrize("text,expected", [
    ('{"Version":"2012-10-17","Statement":[{"Sid":"A"},{"Sid":"B"}]}', [{"Sid": "A"}, {"Sid": "B"}]),
    ('{"Statement":{"Sid":"Only"}}', [{"Sid": "Only"}]),  # a lone statement, as IAM allows it
    ('{"Version":"2012-10-17"}', []),
    ('{"Statement":"nope"}', None),
    ("[1, 2]", None),
    ("not json", None),
])
def test_statements_of_a_policy_text(text, expected):
    assert access.statements(text) == expected


def test_merge_without_grants_keeps_only_foreign_and_none_when_nothing_is_left():
    current = json.dumps({"Version": "2012-10-17", "Statement": [LAMBDA] + access.build_policy(
        "aws", ["111111111111"], [])["Statement"]})
    assert json.loads(access.merge(current, None))["Statement"] == [LAMBDA]
    assert access.merge(access.dump(access.build_policy("aws", ["111111111111"], [])), None) is None
    assert access.merge(None, None) is None
    ours = _ours(pull_accounts=("222222222222",))
    assert access.merge(None, ours) == ours
    single = json.dumps({"Version": "2012-10-17", "Statement": LAMBDA})  # a lone statement as an object
    assert json.loads(access.merge(single, None))["Statement"] == [LAMBDA]


def test_canonical_is_blind_to_single_condition_values():
    ours = json.loads(_ours(pull_orgs=("o-a1b2c3d4e5",)))
    ours["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = "o-a1b2c3d4e5"
    assert access.canonical(json.dumps(ours)) == access.canonical(_ours(pull_orgs=("o-a1b2c3d4e5",)))


def test_named_principals_prefers_specific_ones():
    text = _ours(pull_accounts=("111111111111",), pull_principals=("arn:aws:iam::444444444444:role/new",))
    assert access.named_principals(text) == ["arn:aws:iam::444444444444:role/new"]
    assert access.named_principals(_ours(pull_accounts=("111111111111",))) == ["arn:aws:iam::111111111111:root"]


def test_the_tests_evaluator_catches_what_it_is_there_to_catch():
    from tests.support.policy_eval import Caller, allowed, role

    open_to_all = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
    assert allowed(open_to_all, role("999999999999"), "ecr:DeleteRepository")
    assert allowed(open_to_all, Caller(service="ec2.amazonaws.com"), "ecr:BatchGetImage")
    denied = {"Statement": open_to_all["Statement"] + [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "ecr:Delete*"}]}
    assert not allowed(denied, role("999999999999"), "ecr:DeleteRepository")
    with pytest.raises(ValueError):
        allowed({"Statement": [NO_SID]}, role("1"), "ecr:BatchGetImage")  # Bool: not known, so never ignored
    with pytest.raises(ValueError):
        allowed({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "ecr:*"}]}, role("1"), "x")


def test_an_account_root_given_as_id_and_as_arn_is_named_once():
    statements = json.loads(_ours(pull_accounts=("111111111111",), push_principals=("arn:aws:iam::111111111111:root",)))
    pull, push = statements["Statement"]
    assert pull["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}
    assert push["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}


# --- PolicyStatements (issue 20 item 11) -----------------------------------------------------------


def test_statement_problems_accept_intrinsics_only_when_asked():
    statement = {"Sid": "EcrReposAudit", "Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${A}:root"}},
                 "Action": {"Ref": "Actions"}, "Condition": {"Ref": "C"}}
    assert access.statement_problems([statement], allow_intrinsics=True) == []
    assert [path for path, _ in access.statement_problems([statement])] == [(0, "Principal"), (0, "Action"),
                                                                            (0, "Condition")]


def test_declared_statements_are_owned_and_come_after_the_generated_ones():
    extra = {"Sid": "EcrReposAudit", "Effect": "Deny", "Principal": "*", "Action": "ecr:*"}
    doc = access.build_policy("aws", ["111111111111"], [], extra=[extra])
    assert [s["Sid"] for s in doc["Statement"]] == ["EcrReposPull", "EcrReposAudit"]
    assert all(access.is_ours(s) for s in doc["Statement"])
    merged = access.merge(access.dump({"Version": access.VERSION, "Statement": [extra, {"Sid": "Other"}]}), None)
    assert json.loads(merged)["Statement"] == [{"Sid": "Other"}]  # dropped from the template: removed
