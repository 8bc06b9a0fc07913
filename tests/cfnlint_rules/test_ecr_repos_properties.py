"""Rule E9101 (provider/cfnlint_rules): golden templates, the exact (rule, line, message) list each yields."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from provider.cfnlint_rules.ecr_repos_properties import field_path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "provider" / "cfnlint_rules"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "templates"

NAME_FIX = "use 2-256 lowercase letters and digits, separated by '.', '_', '-' or '/'"
REPO_KEYS = (
    "AdditionalPullAccountIds, AdditionalPushAccountIds, EmptyOnDelete, ExpirationRules, "
    "ExpireAllImages, IsImmutable, LifecyclePolicyText, ScanOnPush, Tags"
)
API = "EcrRepositories.app/api"

EXPECTED = {
    "good/every_property.yaml": [],
    "good/strings_as_cloudformation_sends_them.yaml": [],
    "good/intrinsic_functions.yaml": [],
    "good/other_custom_types_ignored.yaml": [],
    "bad/unknown_keys.yaml": [
        ("E9101", 7, "Properties: unknown property 'Repositories'; use one of AdoptExisting, "
                     "EcrRepositories, EmptyOnDelete, ServiceTimeout, ServiceToken, Tags"),
        ("E9101", 10, f"{API}: unknown property 'Immutable'; use one of {REPO_KEYS}"),
        ("E9101", 14, f"{API}.ExpirationRules[0]: unknown property 'Count'; use one of Days, TagPattern"),
    ],
    "bad/wrong_types.yaml": [
        ("E9101", 7, "EmptyOnDelete: 'yes' is not of type 'boolean'; use true or false"),
        ("E9101", 8, "Tags.team: ['platform'] is not of type 'string'; use a string"),
        ("E9101", 11, f"{API}.IsImmutable: 'no' is not of type 'boolean'; use true or false"),
        ("E9101", 12, f"{API}.ScanOnPush: 1 is not of type 'boolean'; use true or false"),
        ("E9101", 13, f"{API}.ExpirationRules: {{'TagPattern': 'dev-*', 'Days': 7}} is not of type 'array'; use a list"),
        ("E9101", 14, f"{API}.AdditionalPullAccountIds: '222222222222' is not of type 'array'; use a list"),
        ("E9101", 15, "EcrRepositories.app/worker: [] is not of type 'object'; use a map"),
    ],
    "bad/account_ids.yaml": [
        ("E9101", 9, f"{API}.AdditionalPushAccountIds[0]: '12345678901' is not an AWS account id; use 12 digits"),
        ("E9101", 10, f"{API}.AdditionalPullAccountIds: ['1234567890123', 'abcdefghijkl', '111111111111', "
                      "'111111111111'] repeats an account id; list each account once"),
        ("E9101", 11, f"{API}.AdditionalPullAccountIds[0]: '1234567890123' is not an AWS account id; use 12 digits"),
        ("E9101", 12, f"{API}.AdditionalPullAccountIds[1]: 'abcdefghijkl' is not an AWS account id; use 12 digits"),
    ],
    "bad/repository_names.yaml": [
        ("E9101", 8, f"EcrRepositories: 'App/Api' is not a valid ECR repository name; {NAME_FIX}"),
        ("E9101", 9, f"EcrRepositories: 'app//api' is not a valid ECR repository name; {NAME_FIX}"),
        ("E9101", 10, f"EcrRepositories: 'a' is not a valid ECR repository name; {NAME_FIX}"),
        ("E9101", 11, f"EcrRepositories: '-app' is not a valid ECR repository name; {NAME_FIX}"),
        ("E9101", 12, f"EcrRepositories: 'app/api-' is not a valid ECR repository name; {NAME_FIX}"),
    ],
    "bad/rule_values.yaml": [
        ("E9101", 11, f"{API}.ExpirationRules[0].Days: 0 is less than the minimum of 1"),
        ("E9101", 12, f"{API}.ExpirationRules[1].TagPattern: '*a*b*c*d*' has more than 4 '*' wildcards; "
                      "ECR allows at most 4"),
        ("E9101", 13, f"{API}.ExpirationRules[1].Days: '7.5' is not of type 'integer'; use a whole number"),
        ("E9101", 14, f"{API}.ExpirationRules[2].TagPattern: '' is shorter than 1"),
        ("E9101", 15, f"{API}.ExpirationRules[2].Days: -3 is less than the minimum of 1"),
        ("E9101", 16, f"{API}.ExpirationRules[3]: 'TagPattern' is a required property; add it"),
        ("E9101", 17, f"{API}.LifecyclePolicyText: '{{}}' is shorter than 100"),
    ],
    "bad/resource_level.yaml": [
        # cfn-lint's own generic custom-resource check reports the missing ServiceToken too.
        ("E3003", 9, "'ServiceToken' is a required property"),
        ("E9101", 9, "Properties: 'ServiceToken' is a required property; add it"),
        ("E9101", 10, "ServiceTimeout: 7200 is greater than the maximum of 3600"),
        ("E9101", 12, "Tags: tag key 'aws:created-by' has a reserved prefix ('aws:' or 'ecr-repos:'); rename it"),
        ("E9101", 13, "Tags: tag key 'ecr-repos:owner' has a reserved prefix ('aws:' or 'ecr-repos:'); rename it"),
        ("E9101", 15, "EcrRepositories: ['app/api'] is not of type 'object'; use a map"),
    ],
}


def lint(template: Path) -> list[tuple[str, int, str]]:
    matches = lint_file(template, ManualArgs(append_rules=[str(RULES)]))
    return sorted((m.rule.id, m.linenumber, m.message) for m in matches)


def test_every_fixture_has_an_expectation():
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.yaml")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("template,expected", sorted(EXPECTED.items()))
def test_golden_template(template, expected):
    assert lint(FIXTURES / template) == sorted(expected)


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
