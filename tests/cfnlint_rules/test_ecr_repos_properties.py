"""Rule E9101 (provider/ecr_repos/cfnlint_rules): golden templates, the exact (rule, line, message) list each yields."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from ecr_repos.cfnlint_rules.ecr_repos_properties import field_path
from ecr_repos.core.schema import coerce, schema_problems

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "provider" / "ecr_repos" / "cfnlint_rules"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "templates"

NAME_FIX = (
    "is not a valid ECR repository name; use lowercase letters and digits, "
    "separated by '.', '_', '__', '-' (one or more) or '/'"
)
RESERVED_TAG = "tag keys starting with 'aws:' or 'ecr-repos:' are reserved; rename the tag"
API = "EcrRepositories.app/api"
ARN_FIX = "must be the ARN of an IAM role, user or account root, like arn:aws:iam::123456789012:role/ci"
ORG_FIX = "must be an AWS Organizations id, like o-a1b2c3d4e5"
OU_FIX = ("must be an OU path with the final '/', like o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ "
          "(a whole organization: use OrganizationIds)")
RULES_0 = f"{API}.ExpirationRules"

EXPECTED = {
    "good/every_property.yaml": [],
    "good/retention.yaml": [],
    "good/strings_as_cloudformation_sends_them.yaml": [],
    "good/intrinsic_functions.yaml": [],
    "good/other_custom_types_ignored.yaml": [],
    # ECR's rule (botocore's RepositoryName): double underscores and runs of hyphens are valid
    "good/names_ecr_accepts.yaml": [],
    "bad/unknown_keys.yaml": [
        ("E9101", 7, "Repositories: unknown key; did you mean 'EcrRepositories'?"),
        ("E9101", 10, f"{API}.Immutable: unknown key; did you mean 'IsImmutable'?"),
        ("E9101", 14, f"{RULES_0}[0].Count: unknown key; allowed keys: TagPattern, Days, DaysSincePull, KeepLast"),
    ],
    "bad/wrong_types.yaml": [
        ("E9101", 7, "EmptyOnDelete: must be true or false, got 'yes'"),
        ("E9101", 8, "Tags.team: must be a string, got ['platform']"),
        ("E9101", 11, f"{API}.IsImmutable: must be true or false, got 'no'"),
        ("E9101", 12, f"{API}.ScanOnPush: must be true or false, got 1"),
        ("E9101", 13, f"{API}.ExpirationRules: must be a list, got {{'TagPattern': 'dev-*', 'Days': 7}}"),
        ("E9101", 14, f"{API}.AdditionalPullAccountIds: must be a list, got '222222222222'"),
        ("E9101", 15, "EcrRepositories.app/worker: must be a map of keys to values, got []"),
    ],
    "bad/account_ids.yaml": [
        ("E9101", 9, f"{API}.AdditionalPushAccountIds[0]: must be a 12-digit AWS account id, got '12345678901'"),
        ("E9101", 10, f"{API}.AdditionalPullAccountIds: lists the same value twice; remove the duplicate"),
        ("E9101", 11, f"{API}.AdditionalPullAccountIds[0]: must be a 12-digit AWS account id, got '1234567890123'"),
        ("E9101", 12, f"{API}.AdditionalPullAccountIds[1]: must be a 12-digit AWS account id, got 'abcdefghijkl'"),
    ],
    "bad/access_grants.yaml": [
        ("E9101", 10, f"{API}.PullPrincipalArns[0]: {ARN_FIX}, got 'arn:aws:s3:::my-bucket'"),
        ("E9101", 11, f"{API}.PullPrincipalArns[1]: {ARN_FIX}, got 'arn:aws:iam::444444444444:group/devs'"),
        ("E9101", 12, f"{API}.PullPrincipalArns[2]: {ARN_FIX}, "
                      "got 'arn:aws:sts::444444444444:assumed-role/deploy/session'"),
        ("E9101", 13, f"{API}.PushPrincipalArns: lists the same value twice; remove the duplicate"),
        ("E9101", 14, f"{API}.PullOrganizationIds[0]: {ORG_FIX}, got 'o-ABC'"),
        ("E9101", 14, f"{API}.PullOrganizationIds[1]: {ORG_FIX}, got 'r-ab12'"),
        ("E9101", 15, f"{API}.PushOrganizationalUnitPaths[0]: {OU_FIX}, got 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111'"),
        ("E9101", 15, f"{API}.PushOrganizationalUnitPaths[1]: {OU_FIX}, got 'o-a1b2c3d4e5/r-ab12/'"),
        ("E9101", 16, f"{API}.LambdaPullAccountIds[0]: must be a 12-digit AWS account id, got '12345'"),
    ],
    "bad/repository_names.yaml": [
        ("E9101", 8, f"EcrRepositories.App/Api: {NAME_FIX}"),
        ("E9101", 9, f"EcrRepositories.app//api: {NAME_FIX}"),
        ("E9101", 10, "EcrRepositories.a: repository names must be 2-256 characters (got 1)"),
        ("E9101", 11, f"EcrRepositories.-app: {NAME_FIX}"),
        ("E9101", 12, f"EcrRepositories.app/api-: {NAME_FIX}"),
        ("E9101", 13, f"EcrRepositories.a___b: {NAME_FIX}"),
        ("E9101", 14, f"EcrRepositories.a..b: {NAME_FIX}"),
        ("E9101", 15, f"EcrRepositories.app/: {NAME_FIX}"),
        ("E9101", 16, f"EcrRepositories./app: {NAME_FIX}"),
        ("E9101", 17, f"EcrRepositories.a-_b: {NAME_FIX}"),
    ],
    # every pattern matches the whole value: Python's "$" would accept a trailing newline
    "bad/control_characters.yaml": [
        ("E9101", 8, "EcrRepositories.'bad\\n': holds the control character '\\n'; remove it"),
        ("E9101", 9, "EcrRepositories.'app/web\\t': holds the control character '\\t'; remove it"),
        ("E9101", 11, f"{API}.AdditionalPullAccountIds[0]: holds the control character '\\n', "
                      "got '111111111111\\n'; remove it"),
        ("E9101", 12, f"{API}.AdditionalPushAccountIds[0]: holds the control character '\\r', "
                      "got '22222222222\\r2'; remove it"),
        ("E9101", 14, f"{RULES_0}[0].TagPattern: holds the control character '\\n', got 'dev-*\\n'; remove it"),
        ("E9101", 15, f"{RULES_0}[1].TagPattern: holds the control character '\\x07', got 'v\\x071'; remove it"),
    ],
    "bad/rule_values.yaml": [
        ("E9101", 11, f"{RULES_0}[0].Days: must be at least 1, got 0"),
        ("E9101", 12, f"{RULES_0}[1].TagPattern: may hold at most 4 '*' wildcards, got '*a*b*c*d*'"),
        ("E9101", 13, f"{RULES_0}[1].Days: must be a whole number, got '7.5'"),
        ("E9101", 14, f"{RULES_0}[2].TagPattern: must not be empty"),
        ("E9101", 15, f"{RULES_0}[2].Days: must be at least 1, got -3"),
        ("E9101", 16, f"{RULES_0}[3].TagPattern: is required; add it"),
        ("E9101", 17, f"{API}.LifecyclePolicyText: must be at least 100 characters (got 2)"),
    ],
    "bad/resource_level.yaml": [
        # cfn-lint's own generic custom-resource check reports the missing ServiceToken too.
        ("E3003", 9, "'ServiceToken' is a required property"),
        ("E9101", 9, "ServiceToken: is required; add it"),
        ("E9101", 10, "ServiceTimeout: must be at most 3600, got 7200"),
        ("E9101", 12, f"Tags.aws:created-by: {RESERVED_TAG}"),
        ("E9101", 13, f"Tags.ecr-repos:owner: {RESERVED_TAG}"),
        ("E9101", 15, "EcrRepositories: must be a map of keys to values, got ['app/api']"),
    ],
    # Issue 12: the new settings. A setting ruled out by one beside it is reported at the object's line.
    "bad/retention.yaml": [
        ("E9101", 8, "RepositoryDefaults.KeepUntagged: must be at least 1 (ECR keeps 1 or more), got 0"),
        ("E9101", 9, "RepositoryDefaults.ExpireArchivedAfterDays: must be at least 90, ECR's minimum archive "
                     "duration, got 30"),
        ("E9101", 11, f"{API}.KmsKey: needs Encryption: KMS or KMS_DSSE beside it; set Encryption, or remove KmsKey"),
        ("E9101", 11, f"{API}.MutableTagPatterns: keeps tags mutable in an immutable repository, but IsImmutable "
                      "is false; use ImmutableTagPatterns, or set IsImmutable: true"),
        ("E9101", 13, f"{RULES_0}[0]: takes only one of Days, DaysSincePull or KeepLast, got Days and KeepLast; "
                      "keep one"),
        ("E9101", 16, f"{RULES_0}[1]: needs one of Days, DaysSincePull or KeepLast; add one"),
        ("E9101", 21, "EcrRepositories.app/web.ImmutableTagPatterns: holds 6 items; at most 5 are allowed"),
        ("E9101", 22, "EcrRepositories.app/web.Encryption: must be one of AES256, KMS, KMS_DSSE, got 'XTS'"),
        ("E9101", 25, "EcrRepositories.app/batch.ArchiveRules[0]: takes only one of Days or DaysSincePull, "
                      "got Days and DaysSincePull; keep one"),
        ("E9101", 28, "EcrRepositories.app/batch.MutableTagPatterns[0]: must be 1-128 letters, digits, '.', '_', "
                      "'-' or '*' (ECR's tag filter), got 'feature/x'"),
    ],
    # Fn::If branches: the path is the provider's (no Fn::If), the line the branch value's.
    # Both missing parts of one rule are reported, at the rule's line; each unknown key at its own.
    "bad/inside_conditions.yaml": [
        ("E9101", 12, f"{API}.IsImmutable: must be true or false, got 'maybe'"),
        ("E9101", 13, f"{API}.Immutable: unknown key; did you mean 'IsImmutable'?"),
        ("E9101", 14, f"{API}.ScanOn: unknown key; did you mean 'ScanOnPush'?"),
        ("E9101", 18, "EcrRepositories.app/worker.AdditionalPullAccountIds[1]: must be a 12-digit AWS account id, "
                      "got '12345'"),
        ("E9101", 21, "EcrRepositories.app/worker.ExpirationRules[0]: needs one of Days, DaysSincePull or KeepLast; "
                      "add one"),
        ("E9101", 21, "EcrRepositories.app/worker.ExpirationRules[0].TagPattern: is required; add it"),
    ],
}
# Templates without conditions: what the Lambda would say about each resource's properties.
SAME_AS_THE_LAMBDA = sorted(t for t in EXPECTED if t.startswith("bad/") and t != "bad/inside_conditions.yaml")


def lint(template: Path) -> list[tuple[str, int, str]]:
    matches = lint_file(template, ManualArgs(append_rules=[str(RULES)]))
    return sorted((m.rule.id, m.linenumber, m.message) for m in matches)


def test_every_fixture_has_an_expectation():
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.yaml")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("template,expected", sorted(EXPECTED.items()))
def test_golden_template(template, expected):
    assert lint(FIXTURES / template) == sorted(expected)


@pytest.mark.parametrize("template", SAME_AS_THE_LAMBDA)
def test_messages_are_the_lambdas(template):
    # given a bad template's Custom::EcrRepos properties
    parsed, errors = decode(FIXTURES / template)
    assert not errors
    properties = next(r["Properties"] for r in parsed["Resources"].values() if r["Type"] == "Custom::EcrRepos")
    # when the provider's schema module lists its problems, as the Lambda and `ecr-repos validate` do
    problems = schema_problems(coerce(properties), allow_intrinsics=True)
    # then the rule says exactly the same, in the same `<path>: <message>` form
    assert sorted(m for rule, _, m in lint(FIXTURES / template) if rule == "E9101") == sorted(map(str, problems))


@pytest.mark.parametrize(
    "path,expected",
    [
        ([], "Properties"),
        (["Tags", "team"], "Tags.team"),
        (["EcrRepositories", "app/api", "ExpirationRules", 0, "Days"], "EcrRepositories.app/api.ExpirationRules[0].Days"),
        (["EcrRepositories", "app/api", "Fn::If", 1, "IsImmutable"], "EcrRepositories.app/api.IsImmutable"),
        (["EcrRepositories", "app/api", "AdditionalPullAccountIds", "Fn::If", 2, 0],
         "EcrRepositories.app/api.AdditionalPullAccountIds[0]"),
    ],
)
def test_field_path(path, expected):
    assert field_path(path) == expected


@pytest.mark.parametrize("template", sorted(t for t in EXPECTED if t.startswith("bad/")))
def test_matches_come_in_line_order_through_the_api_too(template):
    # cfn-lint's command line sorts its output; its API keeps the order the rule yields
    matches = lint_file(FIXTURES / template, ManualArgs(append_rules=[str(RULES)]))
    lines = [m.linenumber for m in matches if m.rule.id == "E9101"]
    assert lines == sorted(lines) and lines
