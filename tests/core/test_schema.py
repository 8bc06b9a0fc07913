"""Unit tests of ecr_repos.core.schema: coercion of CloudFormation strings and problem messages."""

from __future__ import annotations

import json

import pytest

from ecr_repos.core.schema import coerce, load_schema, resolve, schema_problems
from tests.support.fuzz import examples


def problems_of(props):
    return [(p.path, p.message) for p in schema_problems(coerce(props))]


def base(**repo):
    return {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "EcrRepositories": {"app/api": repo}}


@pytest.mark.parametrize(
    "value,node,expected",
    [
        ("true", {"type": "boolean"}, True),
        ("false", {"type": "boolean"}, False),
        ("True", {"type": "boolean"}, True),
        ("yes", {"type": "boolean"}, "yes"),
        ("14", {"type": "integer"}, 14),
        ("-1", {"type": "integer"}, -1),
        ("7.5", {"type": "integer"}, "7.5"),
        (7.0, {"type": "integer"}, 7),
        (123456789012, {"type": "string"}, "123456789012"),
        (True, {"type": "string"}, True),
        (["1", "x"], {"type": "array", "items": {"type": "integer"}}, [1, "x"]),
    ],
)
def test_coerce_scalars(value, node, expected):
    assert coerce(value, node) == expected


def test_coerce_follows_refs_at_any_depth():
    props = base(IsImmutable="false", ScanOnPush="true", ExpirationRules=[{"TagPattern": "dev-*", "Days": "7"}])
    got = coerce(props)["EcrRepositories"]["app/api"]
    assert got == {"IsImmutable": False, "ScanOnPush": True, "ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}]}


def test_valid_properties_have_no_problems():
    props = base(
        IsImmutable="true",
        ExpireAllImages="false",
        ExpirationRules=[{"TagPattern": "*-*-*-*", "Days": "1"}],
        AdditionalPushAccountIds=["111111111111"],
        AdditionalPullAccountIds=["222222222222"],
        ScanOnPush="false",
        Tags={"team": "platform"},
        EmptyOnDelete="true",
    )
    props.update(Tags={"cost": "1"}, EmptyOnDelete="false", AdoptExisting="true", ServiceTimeout="300")
    assert problems_of(props) == []


@pytest.mark.parametrize(
    "repo,expected",
    [
        ({"IsImmutable": "yes"}, [("EcrRepositories.app/api.IsImmutable", "must be true or false, got 'yes'")]),
        (
            {"ExpirationRules": [{"TagPattern": "dev-*", "Days": "7.5"}]},
            [("EcrRepositories.app/api.ExpirationRules[0].Days", "must be a whole number, got '7.5'")],
        ),
        (
            {"ExpirationRules": [{"TagPattern": "dev-*", "Days": "-1"}]},
            [("EcrRepositories.app/api.ExpirationRules[0].Days", "must be at least 1, got -1")],
        ),
        (
            {"ExpirationRules": [{"TagPattern": "a*b*c*d*e*f", "Days": "3"}]},
            [("EcrRepositories.app/api.ExpirationRules[0].TagPattern", "may hold at most 4 '*' wildcards, got 'a*b*c*d*e*f'")],
        ),
        (
            {"ExpirationRules": [{"Days": "3"}]},
            [("EcrRepositories.app/api.ExpirationRules[0].TagPattern", "is required; add it")],
        ),
        (
            {"AdditionalPullAccountIds": ["12345"]},
            [("EcrRepositories.app/api.AdditionalPullAccountIds[0]", "must be a 12-digit AWS account id, got '12345'")],
        ),
        (
            {"AdditionalPushAccountIds": ["111111111111", "111111111111"]},
            [("EcrRepositories.app/api.AdditionalPushAccountIds", "lists the same value twice; remove the duplicate")],
        ),
        ({"IsImutable": "true"}, [("EcrRepositories.app/api.IsImutable", "unknown key; did you mean 'IsImmutable'?")]),
        ({"Tags": {"aws:x": "1"}}, [("EcrRepositories.app/api.Tags.aws:x", "tag keys starting with 'aws:' or 'ecr-repos:' are reserved; rename the tag")]),
        ({"Tags": {"team": ["a"]}}, [("EcrRepositories.app/api.Tags.team", "must be a string, got ['a']")]),
        ({"LifecyclePolicyText": "{}"}, [("EcrRepositories.app/api.LifecyclePolicyText", "must be at least 100 characters (got 2)")]),
    ],
)
def test_repository_problems(repo, expected):
    assert problems_of(base(**repo)) == expected


@pytest.mark.parametrize(
    "name,message",
    [
        ("App", "is not a valid ECR repository name"),
        ("a", "repository names must be 2-256 characters (got 1)"),
        ("app//api", "is not a valid ECR repository name"),
        ("app/", "is not a valid ECR repository name"),
        ("-app", "is not a valid ECR repository name"),
        ("x" * 257, "repository names must be 2-256 characters (got 257)"),
    ],
)
def test_repository_name_rules(name, message):
    props = {"ServiceToken": "t", "EcrRepositories": {name: {}}}
    [(path, got)] = problems_of(props)
    assert path == f"EcrRepositories.{name}"
    assert got.startswith(message)


@pytest.mark.parametrize("name", ["ab", "app/api", "a.b_c-d/e", "x" * 256, "team1/app-2/v3"])
def test_good_repository_names(name):
    assert problems_of({"ServiceToken": "t", "EcrRepositories": {name: {}}}) == []


def test_top_level_problems_all_reported_at_once():
    props = {"EcrRepository": {}, "EmptyOnDelete": "maybe"}
    assert problems_of(props) == [
        ("EcrRepositories", "is required; add it"),
        ("EcrRepository", "unknown key; did you mean 'EcrRepositories'?"),
        ("EmptyOnDelete", "must be true or false, got 'maybe'"),
        ("ServiceToken", "is required; add it"),
    ]


def test_intrinsics_are_accepted_only_when_asked():
    props = {
        "ServiceToken": {"Fn::ImportValue": "provider"},
        "EcrRepositories": {"app/api": {"IsImmutable": {"Ref": "Immutable"}, "AdditionalPullAccountIds": {"Ref": "Ids"}}},
    }
    assert schema_problems(coerce(props), allow_intrinsics=True) == []
    assert {p.path for p in schema_problems(coerce(props))} == {
        "ServiceToken",
        "EcrRepositories.app/api.IsImmutable",
        "EcrRepositories.app/api.AdditionalPullAccountIds",
    }


def test_schema_is_the_shipped_file():
    schema = load_schema()
    assert schema["properties"]["EcrRepositories"]["propertyNames"]["maxLength"] == 256
    assert resolve(schema["definitions"]["ExpirationRule"]["properties"]["Days"])["minimum"] == 1


def test_the_schema_defines_each_shape_once():
    """Issue 20 item 4: a field that two places share is one definition (``$ref``), so a fix to one
    (ArchiveRules' TagPattern lacked ExpirationRules' control-character rule) reaches both. Plain
    booleans are the one shape allowed to repeat."""
    seen: dict[str, list[str]] = {}

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            if "type" in node or "pattern" in node:
                shape = {k: v for k, v in node.items() if k not in ("description", "default")}
                if shape != {"type": "boolean"}:
                    seen.setdefault(json.dumps(shape, sort_keys=True), []).append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}/{index}")

    walk(load_schema(), "#")
    assert {shape: paths for shape, paths in seen.items() if len(paths) > 1} == {}
    rules = load_schema()["definitions"]
    assert rules["ExpirationRule"]["properties"]["TagPattern"] == rules["ArchiveRule"]["properties"]["TagPattern"]


# --- the validity fast path agrees with jsonschema ---------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ecr_repos.core.schema import _validator, surely_valid  # noqa: E402

_KEYS = ["ServiceToken", "EcrRepositories", "Tags", "EmptyOnDelete", "AdoptExisting", "ServiceTimeout", "ReconcileToken",
         "IsImmutable", "ExpireAllImages", "ExpirationRules", "LifecyclePolicyText", "AdditionalPushAccountIds",
         "AdditionalPullAccountIds", "ScanOnPush", "TagPattern", "Days", "app/api", "App", "aws:x", "team",
         "RepositoryDefaults", "KeepUntagged", "ArchiveRules", "ExpireArchivedAfterDays", "MutableTagPatterns",
         "ImmutableTagPatterns", "Encryption", "KmsKey", "DaysSincePull", "KeepLast",
         "NamePrefix", "PolicyStatements", "Sid", "Effect", "Principal", "Action", "Condition", "Resource"]
_SCALARS = st.one_of(
    st.booleans(), st.integers(-3, 4000), st.floats(allow_nan=False), st.none(),
    st.sampled_from(["true", "false", "7", "-1", "111111111111", "12345", "dev-*", "a*b*c*d*e", "x" * 120, "", "app/api",
                     "KMS", "AES256", "latest", "a/b", "dev/", "EcrReposAudit", "Allow", "Deny", "7.0", "2147483648"]),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)),
    max_leaves=12,
)


def _valid_document():
    rule = st.builds(lambda p, k, n: {"TagPattern": p, k: n}, st.sampled_from(["dev-*", "*-*", "v1"]),
                     st.sampled_from(["Days", "DaysSincePull", "KeepLast"]), st.integers(1, 90))
    archive = st.builds(lambda k, n: {"TagPattern": "v*", k: n}, st.sampled_from(["Days", "DaysSincePull"]),
                        st.integers(1, 90))
    exclusions = st.lists(st.sampled_from(["latest", "dev-*", "a.b_c"]), min_size=1, max_size=3, unique=True)
    repo = st.fixed_dictionaries({}, optional={
        "KeepUntagged": st.integers(1, 9), "ArchiveRules": st.lists(archive, max_size=2),
        "ExpireArchivedAfterDays": st.integers(90, 900), "MutableTagPatterns": exclusions,
        "Encryption": st.sampled_from(["AES256", "KMS", "KMS_DSSE"]),
        "IsImmutable": st.booleans(), "ExpireAllImages": st.booleans(), "ScanOnPush": st.booleans(),
        "ExpirationRules": st.lists(rule, max_size=3),
        "AdditionalPullAccountIds": st.lists(st.sampled_from(["111111111111", "222222222222"]), unique=True),
        "Tags": st.dictionaries(st.sampled_from(["team", "svc"]),
                                st.text(st.characters(blacklist_categories=("Cc",)), max_size=5), max_size=2),
        "EmptyOnDelete": st.booleans(),
        "PolicyStatements": st.lists(st.builds(
            lambda sid, effect: {"Sid": sid, "Effect": effect, "Principal": "*", "Action": "ecr:DescribeImages",
                                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
            st.sampled_from(["EcrReposA", "EcrReposB1"]), st.sampled_from(["Allow", "Deny"])), max_size=2)})
    names = st.sampled_from(["app/api", "ab", "team/x-y.z_w", "x" * 256])
    return st.fixed_dictionaries(
        {"ServiceToken": st.just("arn:aws:lambda:us-east-1:123456789012:function:p"),
         "EcrRepositories": st.dictionaries(names, repo.filter(_fits), max_size=3)},
        optional={"AdoptExisting": st.booleans(), "EmptyOnDelete": st.booleans(), "ServiceTimeout": st.integers(1, 3600),
                  "ReconcileToken": st.text(max_size=20), "NamePrefix": st.sampled_from(["", "dev/", "a-", "x"])})


def _fits(repo):
    """MutableTagPatterns only where IsImmutable is not false (the schema's rule)."""
    return not ("MutableTagPatterns" in repo and repo.get("IsImmutable") is False)


def _errors(document):
    return list(_validator().iter_errors(document))


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(_VALUES, st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=5), _valid_document()))
def test_fast_path_never_accepts_what_jsonschema_rejects(document):
    if surely_valid(document):
        assert _errors(document) == []


@settings(max_examples=examples(100), deadline=None)
@given(_valid_document())
def test_fast_path_accepts_valid_documents(document):
    assert _errors(document) == []
    assert surely_valid(document)


# --- issue 11: the grant properties, in the message table and the fast path ---------------------------

_ARN = "arn:aws:iam::123456789012:role/ci"
_OU = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"
_GRANT_KEYS = ["PullPrincipalArns", "PushPrincipalArns", "PullOrganizationIds", "PushOrganizationIds",
               "PullOrganizationalUnitPaths", "PushOrganizationalUnitPaths", "LambdaPullAccountIds"]
_GRANT_VALUES = st.sampled_from([_ARN, "arn:aws:iam::123456789012:root", "arn:aws:s3:::b", "o-a1b2c3d4e5", "o-A",
                                 _OU, _OU[:-1], "111111111111", "1", "", 7, None])


@pytest.mark.parametrize(
    "repo,expected",
    [
        ({"PullPrincipalArns": ["arn:aws:iam::123456789012:group/g"]},
         [("EcrRepositories.app/api.PullPrincipalArns[0]", "must be the ARN of an IAM role, user or account root, "
           "like arn:aws:iam::123456789012:role/ci, got 'arn:aws:iam::123456789012:group/g'")]),
        ({"PushOrganizationIds": ["o-1"]},
         [("EcrRepositories.app/api.PushOrganizationIds[0]", "must be an AWS Organizations id, like o-a1b2c3d4e5, "
           "got 'o-1'")]),
        ({"PullOrganizationalUnitPaths": [_OU, _OU]},
         [("EcrRepositories.app/api.PullOrganizationalUnitPaths", "lists the same value twice; remove the duplicate")]),
        ({"LambdaPullAccountIds": "111111111111"},
         [("EcrRepositories.app/api.LambdaPullAccountIds", "must be a list, got '111111111111'")]),
        ({"PushPrincipalArns": [_ARN], "PullOrganizationalUnitPaths": [_OU], "LambdaPullAccountIds": ["111111111111"]},
         []),
    ],
)
def test_grant_problems(repo, expected):
    assert problems_of(base(**repo)) == expected


@settings(max_examples=examples(200), deadline=None)
@given(st.dictionaries(st.sampled_from(_GRANT_KEYS), st.one_of(st.lists(_GRANT_VALUES, max_size=3), _GRANT_VALUES),
                       max_size=4))
def test_fast_path_agrees_on_grants(repo):
    document = {"ServiceToken": "t", "EcrRepositories": {"app/api": repo}}
    assert surely_valid(document) == (_errors(document) == [])
