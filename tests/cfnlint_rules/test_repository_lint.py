"""`cfn-lint` as users run it in the repository: .cfnlintrc lints templates/ with rule E9101 loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "fixtures" / "templates" / "bad" / "account_ids.yaml"


def cfn_lint(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_templates_lint_clean_with_the_repository_config():
    # given the repository's .cfnlintrc (templates/*.yaml, append_rules ecr_repos.cfnlint_rules)
    # when a bare cfn-lint runs in the repository
    result = cfn_lint()
    # then there is no error, warning or informational match
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_repository_config_loads_the_ecr_repos_rule():
    # when cfn-lint runs on a bad template with only the repository's config
    result = cfn_lint("--format", "parseable", "--", str(BAD.relative_to(ROOT)))
    # then E9101 reports it (cfn-lint's exit code 2 means errors)
    assert result.returncode == 2
    assert ":E9101:" in result.stdout
    assert "AdditionalPushAccountIds[0]: must be a 12-digit AWS account id, got '12345678901'" in result.stdout


def test_repository_config_loads_the_ecr_registry_rule():
    # when cfn-lint runs on a bad Custom::EcrRegistry template with only the repository's config
    bad = BAD.parents[2] / "registry" / "bad" / "wrong_values.yaml"
    result = cfn_lint("--format", "parseable", "--", str(bad.relative_to(ROOT)))
    # then E9103 reports it, with the Lambda's message
    assert result.returncode == 2
    assert "wrong_values.yaml:35:" in result.stdout
    assert ":E9103:PullTimeUpdateExclusions[0]: must be the ARN of an IAM role or user" in result.stdout


def test_rule_loads_from_outside_the_repository(tmp_path):
    # given a user's directory holding a template and a package of its own called `provider`,
    # and ECR_REPOS_SCHEMA naming a copy of the schema that allows at most 300 seconds
    template = tmp_path / "my-stack.yaml"
    template.write_text((BAD.parent / "resource_level.yaml").read_text())
    (tmp_path / "provider").mkdir()
    (tmp_path / "provider" / "__init__.py").write_text("raise SystemExit('the user provider package was imported')\n")
    schema = tmp_path / "schema.json"
    schema.write_text((ROOT / "schema" / "ecr-repos.schema.json").read_text().replace('"maximum": 3600', '"maximum": 300'))
    # when cfn-lint runs there with the rule directory of this checkout appended
    exe = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    result = subprocess.run(
        [exe, "--format", "parseable", "--append-rules", str(ROOT / "provider" / "ecr_repos" / "cfnlint_rules"), "--", template.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "ECR_REPOS_SCHEMA": str(schema)},
    )
    # then the rule finds its messages in this checkout (not the user's package) and reads that schema
    assert result.returncode == 2, result.stderr
    assert "my-stack.yaml:10:7:10:21:E9101:ServiceTimeout: must be at most 300, got 7200" in result.stdout.splitlines()


def test_repository_config_works_from_any_folder(tmp_path):
    # given a user's folder holding a template, and the checkout's .cfnlintrc named from there
    (tmp_path / "stack.yaml").write_text(BAD.read_text())
    exe = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    # when cfn-lint runs there with that config
    result = subprocess.run([exe, "--config-file", str(ROOT / ".cfnlintrc"), "--format", "parseable", "--", "stack.yaml"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    # then the rule is loaded (as a module, not a folder relative to the current one) and reports in line order
    assert result.returncode == 2, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[5] for line in lines] == ["E9101"] * 4
    assert [int(line.split(":")[1]) for line in lines] == [9, 10, 11, 12]


def test_pre_commit_hooks_run_their_entries(tmp_path):
    # given the hooks this repository publishes for pre-commit, and a template in a user's folder
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"ecr-repos-validate", "cfn-lint-ecr-repos"}
    (tmp_path / "stack.yaml").write_text(BAD.read_text())
    bin_dir = Path(sys.executable).parent
    for hook_id, expected in (("ecr-repos-validate", 1), ("cfn-lint-ecr-repos", 2)):
        hook = hooks[hook_id]
        assert hook["language"] == "python" and hook["types_or"] == ["yaml", "json"]
        # when pre-commit would run the entry with the staged file names appended
        command, *args = hook["entry"].split()
        result = subprocess.run([str(bin_dir / command), *args, "stack.yaml"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        # then each finds the bad account id
        assert result.returncode == expected, result.stderr
        assert "must be a 12-digit AWS account id, got '12345678901'" in result.stdout
