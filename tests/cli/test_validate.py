"""ecr-repos validate on good and bad templates (YAML and JSON), in-process."""

from __future__ import annotations


import pytest

from tests.cli.conftest import ROOT, run

F = "tests/cli/fixtures"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("template", [f"{F}/good.yaml", f"{F}/good.json", f"{F}/plan.yaml",
                                      f"{F}/names_ecr_accepts.yaml"])
def test_good_templates_pass(template):
    assert run("validate", template) == (0, f"{template}: OK (Repos)\n", "")


def test_bad_yaml_lists_every_problem_with_its_line():
    code, out, err = run("validate", f"{F}/bad.yaml")
    p = "Resources.Repos.Properties.EcrRepositories"
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{F}/bad.yaml:7: {p}.App/Api: is not a valid ECR repository name; use lowercase letters and digits, "
        "separated by '.', '_', '__', '-' (one or more) or '/'",
        f"{F}/bad.yaml:9: {p}.app/api.IsImmutable: must be true or false, got 'maybe'",
        f"{F}/bad.yaml:12: {p}.app/api.ExpirationRules[0].Days: must be at least 1, got 0",
        f"{F}/bad.yaml:13: {p}.app/api.AdditionalPullAccountIds[0]: must be a 12-digit AWS account id, got '12345'",
        f"{F}/bad.yaml:14: {p}.app/api.Lifecycle: unknown key; did you mean 'LifecyclePolicyText'?",
        f"{F}/bad.yaml:21: Resources.Second.Properties.EcrRepositories.app/x.LifecyclePolicyText: "
        "rules[0]: sinceImagePushed needs \"countUnit\": \"days\"",
    ]


def test_retention_settings_say_what_the_lambda_and_cfn_lint_say():
    bad = "tests/cfnlint_rules/fixtures/templates/bad/retention.yaml"
    code, out, _ = run("validate", bad)
    p = "Resources.Repos.Properties"
    assert code == 1
    assert out.splitlines()[:2] == [
        f"{bad}:8: {p}.RepositoryDefaults.KeepUntagged: must be at least 1 (ECR keeps 1 or more), got 0",
        f"{bad}:9: {p}.RepositoryDefaults.ExpireArchivedAfterDays: must be at least 90, ECR's minimum archive "
        "duration, got 30",
    ]
    assert f"{bad}:19: {p}.EcrRepositories.app/api.KmsKey: needs Encryption: KMS or KMS_DSSE beside it; " \
           "set Encryption, or remove KmsKey" in out.splitlines()
    assert len(out.splitlines()) == 10


def test_clashes_only_merging_shows_are_found_by_validate(tmp_path):
    path = tmp_path / "merged.yaml"
    path.write_text("Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
                    "      RepositoryDefaults: {IsImmutable: false}\n"
                    "      EcrRepositories:\n        app/a: {MutableTagPatterns: [latest]}\n")
    assert run("validate", str(path)) == (1, f"{path}:8: Resources.Repos.Properties.EcrRepositories.app/a."
                                             "MutableTagPatterns: does not apply: IsImmutable is false (from "
                                             "RepositoryDefaults); use ImmutableTagPatterns, or set IsImmutable: "
                                             "true\n", "")


def test_bad_json_has_lines_too():
    assert run("validate", f"{F}/bad.json") == (
        1, f"{F}/bad.json:9: Resources.Repos.Properties.EcrRepositories.app/api.ScanOnPush: "
           "must be true or false, got 'yes'\n", "")


def test_several_files_report_each_and_exit_with_the_worst():
    code, out, err = run("validate", f"{F}/good.yaml", f"{F}/bad.json", f"{F}/broken.yaml")
    assert code == 2
    assert out.splitlines()[0] == f"{F}/good.yaml: OK (Repos)"
    assert out.splitlines()[1].startswith(f"{F}/bad.json:9: ")
    assert err == f"{F}/broken.yaml:5: not valid YAML or JSON: expected the node content, but found '}}'\n"


def test_template_without_the_resource_is_not_an_error():
    assert run("validate", "templates/provider.yaml") == (
        0, "", "templates/provider.yaml: no Custom::EcrRepos or Custom::EcrRegistry resource; nothing to check\n")


def test_missing_file_is_an_error(tmp_path):
    code, out, err = run("validate", str(tmp_path / "nope.yaml"))
    assert (code, out) == (2, "")
    assert "cannot read the file" in err


def test_duplicate_keys_are_reported(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
                    "      EcrRepositories: {app/a: {}}\n      EcrRepositories: {app/b: {}}\n")
    assert run("validate", str(path)) == (1, f"{path}:7: template: duplicate key 'EcrRepositories' (first at "
                                             "line 6); CloudFormation keeps only this last one: merge the two or "
                                             "remove one\n", "")


def test_control_characters_fail_validate_with_their_lines():
    # every schema pattern matches the whole value: a trailing newline is not "the end"
    code, out, err = run("validate", f"{F}/control_characters.yaml")
    p = "Resources.Repos.Properties.EcrRepositories"
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{F}/control_characters.yaml:8: {p}.'bad\\n': holds the control character '\\n'; remove it",
        f"{F}/control_characters.yaml:11: {p}.app/api.AdditionalPullAccountIds[0]: holds the control character "
        "'\\n', got '111111111111\\n'; remove it",
        f"{F}/control_characters.yaml:13: {p}.app/api.ExpirationRules[0].TagPattern: holds the control character "
        "'\\t', got 'v*\\t'; remove it",
    ]


def test_yaml_pitfalls_are_flagged_in_line_order_and_hint_the_problems_they_cause(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
        "      EmptyOnDelete: no\n"
        "      EcrRepositories:\n        app/api:\n"
        "          AdditionalPushAccountIds: [123456789012]\n"
        "          AdditionalPullAccountIds:\n            - 012345670123\n"
        "          ScanOnPush: maybe\n")
    code, out, err = run("validate", str(template))
    p = f"{template}:{{}}: Resources.Repos.Properties"
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        p.format(6) + ".EmptyOnDelete: YAML 1.1 reads the unquoted no as the boolean false (YAML 1.2 as the string "
                      "'no'); write false, or quote it: 'no'",
        p.format(9) + ".EcrRepositories.app/api.AdditionalPushAccountIds[0]: YAML reads the unquoted 123456789012 "
                      "as a number; quote account ids: '123456789012'",
        p.format(11) + ".EcrRepositories.app/api.AdditionalPullAccountIds[0]: must be a 12-digit AWS account id, got "
                       "'1402433619'; YAML reads the unquoted 012345670123 as the octal number 1402433619; quote "
                       "account ids: '012345670123'",
        p.format(12) + ".EcrRepositories.app/api.ScanOnPush: must be true or false, got 'maybe'",
    ]


def test_yaml_pitfalls_of_files_without_the_resource_are_not_validates_business(tmp_path):
    workflow = tmp_path / "ci.yaml"
    workflow.write_text("on: push\njobs: {}\n")
    assert run("validate", str(workflow)) == (0, "", f"{workflow}: no Custom::EcrRepos or Custom::EcrRegistry resource; nothing to check\n")
