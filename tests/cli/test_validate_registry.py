"""ecr-repos validate on templates with Custom::EcrRegistry (alone and beside Custom::EcrRepos): the
Lambda's messages, through the CLI entry point."""

from __future__ import annotations

import pytest

from ecr_repos.cli.template import load
from tests.cli.conftest import ROOT, run
from tests.support.registry_stack import RegistryResource

F = "tests/cli/fixtures/registry"
R = "Resources.Registry.Properties"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("template,ids", [
    ("templates/registry-example.yaml", "Registry"),
    ("templates/example.yaml", "Repos, Registry"),
    ("tests/cfnlint_rules/fixtures/registry/good/both_types.yaml", "Repos, Registry"),
    ("tests/cfnlint_rules/fixtures/registry/good/empty.yaml", "Registry"),
])
def test_good_templates_pass(template, ids):
    assert run("validate", template) == (0, f"{template}: OK ({ids})\n", "")


def test_both_types_in_one_template_are_checked_in_line_order():
    code, out, err = run("validate", f"{F}/both_bad.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{F}/both_bad.yaml:9: Resources.Repos.Properties.EcrRepositories.app/api.IsImmutable: must be true or false, "
        "got 'maybe'",
        f"{F}/both_bad.yaml:14: {R}.ReplicationSourceAccountIds[0]: must be a 12-digit AWS account id, got '12345'",
        f"{F}/both_bad.yaml:17: {R}.Scanning.Rule: unknown key; did you mean 'Rules'?",
    ]


def test_the_specs_checks_run_when_only_the_service_token_is_an_intrinsic():
    code, out, err = run("validate", f"{F}/spec_checks.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{F}/spec_checks.yaml:12: {R}.PolicyStatements[1].Sid: repeats the Sid of PolicyStatements[0]; give each "
        "statement its own Sid",
        f"{F}/spec_checks.yaml:16: {R}.PullThroughCacheRules.docker-hub.CredentialArn: is required for upstream "
        "docker-hub: add the ARN of a Secrets Manager secret named ecr-pullthroughcache/...",
    ]


def test_the_cfn_lint_fixtures_say_what_validate_says():
    # every bad registry fixture of the cfn-lint rule: validate's messages are E9103's (same lines, same words)
    from tests.cfnlint_rules.test_ecr_registry_properties import EXPECTED

    for name, expected in sorted(EXPECTED.items()):
        path = f"tests/cfnlint_rules/fixtures/registry/{name}"
        code, out, _ = run("validate", path)
        said = sorted((int(line.split(":")[1]), line.split(": ", 1)[1].removeprefix(f"{R}."))
                      for line in out.splitlines() if not line.endswith(")"))
        assert (code != 0, said) == (bool(expected), sorted((line, message) for _, line, message in expected))


@pytest.mark.parametrize("template", ["spec_checks.yaml", "both_bad.yaml"])
def test_the_lambda_refuses_the_same_properties_with_the_same_first_problem(aws, template):
    # given the Registry's properties as CloudFormation sends them (ServiceToken resolved)
    properties = dict(load(f"{F}/{template}").resources["Registry"]["Properties"])
    properties.pop("ServiceToken")
    # when the Lambda entry point gets its Create
    response = RegistryResource().create(properties)
    # then it answers FAILED naming the problem validate names first (before any write)
    _, out, _ = run("validate", f"{F}/{template}")
    first = next(line for line in out.splitlines() if f" {R}." in line).split(f" {R}.", 1)[1]
    assert not response.ok
    assert first in response.reason


def test_yaml_pitfalls_are_reported_in_a_registry_too():
    code, out, err = run("validate", f"{F}/yaml_pitfalls.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{F}/yaml_pitfalls.yaml:7: {R}.ReplicationSourceAccountIds[0]: YAML reads the unquoted 111111111111 as a "
        "number; quote account ids: '111111111111'",
        f"{F}/yaml_pitfalls.yaml:7: {R}.ReplicationSourceAccountIds[1]: must be a 12-digit AWS account id, got "
        "'1402433619'; YAML reads the unquoted 012345670123 as the octal number 1402433619; quote account ids: "
        "'012345670123'",
        f"{F}/yaml_pitfalls.yaml:8: {R}.AdoptExisting: YAML 1.1 reads the unquoted yes as the boolean true (YAML 1.2 "
        "as the string 'yes'); write true, or quote it: 'yes'",
    ]
