"""`cfn-lint` as users run it in the repository: .cfnlintrc lints templates/ with rule E9101 loaded."""

from __future__ import annotations

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
    assert "'12345678901' is not an AWS account id" in result.stdout
