"""Rule E9101 (provider/cfnlint_rules): golden templates, the exact (rule, line, message) list each yields."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from provider.cfnlint_rules.ecr_repos_properties import field_path
from provider.schema import coerce, schema_problems

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "provider" / "cfnlint_rules"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "templates"

NAME_FIX = "is not a valid ECR repository name; use lowercase letters and digits, separated by single '.', '_', '-' or '/'"
RESERVED_TAG = "tag keys starting with 'aws:' or 'ecr-repos:' are reserved; rename the tag"
API = "EcrRepositories.app/api"
RULES_0 = f"{API}.ExpirationRules"

EXPECTED = {
    "good/every_property.yaml": [],
    "good/strings_as_cloudformation_sends_them.yaml": [],
    "good/intrinsic_functions.yaml": [],
    "good/other_custom_types_ignored.yaml": [],
    "bad/unknown_keys.yaml": [
        ("E9101", 7, "Repositories: unknown key; did you mean 'EcrRepositories'?"),
        ("E9101", 10, f"{API}.Immutable: unknown key; did you mean 'IsImmutable'?"),
        ("E9101", 14, f"{RULES_0}[0].Count: unknown key; allowed keys: TagPattern, Days"),
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
    "bad/repository_names.yaml": [
        ("E9101", 8, f"EcrRepositories.App/Api: {NAME_FIX}"),
        ("E9101", 9, f"EcrRepositories.app//api: {NAME_FIX}"),
        ("E9101", 10, "EcrRepositories.a: repository names must be 2-256 characters (got 1)"),
        ("E9101", 11, f"EcrRepositories.-app: {NAME_FIX}"),
        ("E9101", 12, f"EcrRepositories.app/api-: {NAME_FIX}"),
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
    # Fn::If branches: the path is the provider's (no Fn::If), the line the branch value's.
    # Both missing keys of one rule are reported, at the rule's line; each unknown key at its own.
    "bad/inside_conditions.yaml": [
        ("E9101", 12, f"{API}.IsImmutable: must be true or false, got 'maybe'"),
        ("E9101", 13, f"{API}.Immutable: unknown key; did you mean 'IsImmutable'?"),
        ("E9101", 14, f"{API}.ScanOn: unknown key; did you mean 'ScanOnPush'?"),
        ("E9101", 18, "EcrRepositories.app/worker.AdditionalPullAccountIds[1]: must be a 12-digit AWS account id, "
                      "got '12345'"),
        ("E9101", 21, "EcrRepositories.app/worker.ExpirationRules[0].Days: is required; add it"),
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
