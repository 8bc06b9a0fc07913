"""Rule W9102 (provider/ecr_repos/cfnlint_rules/ecr_repos_size.py): properties past their share of an
Update event warn, with ``ecr_repos.core.limits``'s message, at the Properties line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from ecr_repos.cli.template import load
from ecr_repos.core import limits
from tests.cli.test_warnings_first import big_template

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "provider" / "ecr_repos" / "cfnlint_rules"


def lint(template: Path, **args) -> list[tuple[str, int, str]]:
    matches = lint_file(template, ManualArgs(**args))
    return [(m.rule.id, m.linenumber, m.message) for m in matches]


@pytest.mark.parametrize("args", [{"append_rules": [str(RULES)]},
                                  {"append_rules": ["ecr_repos.cfnlint_rules.ecr_repos_size"]}],
                         ids=["folder", "module"])
def test_properties_past_their_share_warn(tmp_path, args):
    template = tmp_path / "big.yaml"
    big_template(template, 700)
    message = limits.size_warning(load(template).resources["Repos"]["Properties"])
    assert message is not None
    assert [m for m in lint(template, **args) if m[0] == "W9102"] == [("W9102", 4, message)]


def test_properties_within_their_share_pass(tmp_path):
    template = tmp_path / "fits.yaml"
    big_template(template, 500)
    assert lint(template, append_rules=[str(RULES)]) == []


def test_the_repository_cfnlintrc_loads_the_rule():
    assert "ecr_repos.cfnlint_rules.ecr_repos_size" in (ROOT / ".cfnlintrc").read_text()
