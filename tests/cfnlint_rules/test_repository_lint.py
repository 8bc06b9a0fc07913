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
    # given the repository's .cfnlintrc (templates/*.yaml, append_rules provider/cfnlint_rules)
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
        [exe, "--format", "parseable", "--append-rules", str(ROOT / "provider" / "cfnlint_rules"), "--", template.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "ECR_REPOS_SCHEMA": str(schema)},
    )
    # then the rule finds its messages in this checkout (not the user's package) and reads that schema
    assert result.returncode == 2, result.stderr
    assert "my-stack.yaml:10:7:10:21:E9101:ServiceTimeout: must be at most 300, got 7200" in result.stdout.splitlines()
