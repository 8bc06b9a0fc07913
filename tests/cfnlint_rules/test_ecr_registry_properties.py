"""Rule E9103 (provider/ecr_repos/cfnlint_rules/ecr_registry_properties.py): golden Custom::EcrRegistry
templates, the exact (rule, line, message) list each yields, and the same messages as the Lambda's."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from ecr_repos.core.schema import REGISTRY_SCHEMA_FILE, coerce, schema_problems

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "provider" / "ecr_repos" / "cfnlint_rules"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "registry"

CACHE_FIX = ("a pull-through cache prefix must be ROOT or 2-30 characters of the repository-name grammar "
             "(lowercase letters and digits separated by '.', '_', '-' or '/')")
UPSTREAMS = ("docker-hub, ecr-public, quay, k8s, github-container-registry, gitlab-container-registry, "
             "azure-container-registry, ecr, chainguard")

EXPECTED = {
    # templates/registry-example.yaml: every property, with intrinsics (its cache and template prefixes
    # are checked as keys: cfn-lint resolves no $ref under propertyNames, the rule inlines them)
    "good/every_property.yaml": [],
    # a Custom::EcrRepos beside it; strings as CloudFormation sends them; Fn::If over a whole property
    "good/both_types.yaml": [],
    "good/empty.yaml": [],
    "bad/unknown_keys.yaml": [
        ("E9103", 7, "Scaning: unknown key; did you mean 'Scanning'?"),
        ("E9103", 9, "ReplicationRules[0].Destination: unknown key; did you mean 'Destinations'?"),
        ("E9103", 9, "ReplicationRules[0].Destinations: is required; add it"),
        ("E9103", 14, "PullThroughCacheRules.ecr-public.Url: unknown key; allowed keys: Upstream, UpstreamUrl, "
                      "CredentialArn, CustomRoleArn, UpstreamRepositoryPrefix"),
    ],
    "bad/wrong_values.yaml": [
        ("E9103", 7, "AdoptExisting: must be true or false, got 'maybe'"),
        ("E9103", 8, "ServiceTimeout: must be at most 3600, got 7200"),
        ("E9103", 10, "PolicyStatements[0].Sid: Sids starting with EcrRegistry are the provider's own, "
                      "got 'EcrRegistryMine'; rename it"),
        ("E9103", 12, "PolicyStatements[0].Action[0]: must be an ECR action, like ecr:ReplicateImage, "
                      "got 's3:GetObject'"),
        ("E9103", 13, "PolicyStatements[1].Principal: is required; add it"),
        ("E9103", 15, "ReplicationSourceAccountIds: lists the same value twice; remove the duplicate"),
        ("E9103", 15, "ReplicationSourceAccountIds[0]: must be a 12-digit AWS account id, got '12345'"),
        ("E9103", 17, "ReplicationRules[0].Destinations: must list at least 1; add one or remove the key"),
        ("E9103", 19, "ReplicationRules[1].Destinations[0].Region: must be an AWS region name, like eu-west-1, "
                      "got 'Europe'"),
        ("E9103", 20, "ReplicationRules[1].Destinations[0].AccountId: must be a 12-digit AWS account id, got '1234'"),
        ("E9103", 22, f"PullThroughCacheRules.Docker_Hub: {CACHE_FIX}, got 'Docker_Hub'"),
        ("E9103", 23, f"PullThroughCacheRules.Docker_Hub.Upstream: must be one of {UPSTREAMS}, got 'dockerhub'"),
        ("E9103", 26, "RepositoryCreationTemplates.app/.AppliedFor[0]: must be one of PULL_THROUGH_CACHE, "
                      "REPLICATION, CREATE_ON_PUSH, got 'ON_PUSH'"),
        # a template's repository settings are a Custom::EcrRepos repository's, with its messages
        ("E9103", 28, "RepositoryCreationTemplates.app/.RepositorySettings.IsImmutable: must be true or false, "
                      "got 'no'"),
        ("E9103", 30, "Scanning.ScanType: must be one of BASIC, ENHANCED, got 'DEEP'"),
        ("E9103", 32, "Scanning.Rules[0].Frequency: must be one of SCAN_ON_PUSH, CONTINUOUS_SCAN, MANUAL, got 'DAILY'"),
        ("E9103", 33, "Scanning.Rules[0].RepositoryFilters[0]: must be lowercase letters, digits, '.', '_', '-', '/' "
                      "and '*' wildcards, got 'App/*'"),
        ("E9103", 35, "PullTimeUpdateExclusions[0]: must be the ARN of an IAM role or user, like "
                      "arn:aws:iam::123456789012:role/ci, got 'arn:aws:iam::123456789012:group/ci'"),
    ],
}


def lint(template: Path) -> list[tuple[str, int, str]]:
    matches = lint_file(template, ManualArgs(append_rules=[str(RULES)]))
    return sorted((m.rule.id, m.linenumber, m.message) for m in matches)


def test_every_fixture_has_an_expectation():
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.yaml")}
    assert on_disk == set(EXPECTED)


def test_every_property_is_the_registry_example():
    assert (FIXTURES / "good" / "every_property.yaml").read_text() == \
        (ROOT / "templates" / "registry-example.yaml").read_text()


@pytest.mark.parametrize("template,expected", sorted(EXPECTED.items()))
def test_golden_template(template, expected):
    assert lint(FIXTURES / template) == sorted(expected)


@pytest.mark.parametrize("template", sorted(t for t in EXPECTED if t.startswith("bad/")))
def test_messages_are_the_lambdas(template):
    # given a bad template's Custom::EcrRegistry properties
    parsed, errors = decode(FIXTURES / template)
    assert not errors
    properties = parsed["Resources"]["Registry"]["Properties"]
    # when the provider's schema module lists their problems, as the Lambda and `ecr-repos validate` do
    problems = schema_problems(coerce(properties, name=REGISTRY_SCHEMA_FILE), allow_intrinsics=True,
                               name=REGISTRY_SCHEMA_FILE)
    # then the rule says exactly the same
    assert sorted(m for rule, _, m in lint(FIXTURES / template) if rule == "E9103") == sorted(map(str, problems))


def test_each_rule_checks_its_own_type_only():
    # the Custom::EcrRepos fixtures give no E9103, the Custom::EcrRegistry ones no E9101
    repos = sorted((ROOT / "tests" / "cfnlint_rules" / "fixtures" / "templates" / "bad").glob("*.yaml"))
    assert not [m for t in repos for m in lint(t) if m[0] == "E9103"]
    assert not [m for t in sorted(FIXTURES.glob("bad/*.yaml")) for m in lint(t) if m[0] == "E9101"]


def test_module_loading_names_one_rule_each():
    # `--append-rules ecr_repos.cfnlint_rules.<module>` (.cfnlintrc): each module yields its rule only,
    # and the folder (skipping _schema_rule.py) yields both
    from cfnlint.rules import Rules

    assert [r.id for r in Rules.create_from_module("ecr_repos.cfnlint_rules.ecr_registry_properties").values()] == ["E9103"]
    assert [r.id for r in Rules.create_from_module("ecr_repos.cfnlint_rules.ecr_repos_properties").values()] == ["E9101"]
    assert {"E9101", "E9103"} <= set(Rules.create_from_directory(str(RULES)).keys())
