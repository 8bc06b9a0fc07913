"""Issue 20 item 2: whole numbers mean the same to the Lambda, ``ecr-repos validate`` and cfn-lint's E9101.

CloudFormation sends every scalar as a string: a template's ``7.0`` reaches the Lambda as ``"7.0"``.
JSON Schema counts 7.0 as an integer, so all three entry points take ``7``, ``7.0``, ``"7"`` and
``"7.0"`` as 7, and refuse ``7.5`` and ``"7.5"``. Every count is ECR's ``countNumber``, a 32-bit
integer: at most 2147483647.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from tests.support.cfn import Resource
from tests.support.registry import rule_summary, snapshot

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "provider" / "ecr_repos" / "cfnlint_rules"
MAX = 2147483647
TOO_BIG = f"must be at most {MAX} (ECR's countNumber is a 32-bit integer)"

# (field path under app/api, the value as the template writes it, the text in YAML)
FIELDS = {
    "Days": ("ExpirationRules", 0, "Days"),
    "DaysSincePull": ("ExpirationRules", 0, "DaysSincePull"),
    "KeepLast": ("ExpirationRules", 0, "KeepLast"),
    "ArchiveDays": ("ArchiveRules", 0, "Days"),
    "KeepUntagged": ("KeepUntagged",),
    "ExpireArchivedAfterDays": ("ExpireArchivedAfterDays",),
}


def settings(field: str, value: object) -> dict:
    if field == "KeepUntagged":
        return {"KeepUntagged": value}
    if field == "ExpireArchivedAfterDays":
        return {"ArchiveRules": [{"TagPattern": "v*", "Days": 30}], "ExpireArchivedAfterDays": value}
    path = FIELDS[field]
    return {path[0]: [{"TagPattern": "v*", path[2]: value}]}


def dotted(field: str) -> str:
    path = FIELDS[field]
    return "EcrRepositories.app/api." + (f"{path[0]}[0].{path[2]}" if len(path) == 3 else path[0])


def template(tmp_path: Path, field: str, literal: str) -> Path:
    """A template whose ``field`` is written as the YAML text ``literal`` (7.0 stays a float, '7.0' a string)."""
    inner = settings(field, "__VALUE__")
    text = json.dumps({"Resources": {"Repos": {"Type": "Custom::EcrRepos", "Properties": {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "EcrRepositories": {"app/api": inner}}}}}, indent=1).replace('"__VALUE__"', literal)
    path = tmp_path / "template.json"
    path.write_text(text)
    return path


def validate(path: Path) -> list[str]:
    from ecr_repos.cli import main
    import io

    out, err = io.StringIO(), io.StringIO()
    main(["validate", str(path)], out, err)
    prefix = "Resources.Repos.Properties."
    return [line.split(f": {prefix}", 1)[1] for line in out.getvalue().splitlines() if prefix in line]


def cfn_lint(path: Path) -> list[str]:
    return [m.message for m in lint_file(path, ManualArgs(append_rules=[str(RULES)])) if m.rule.id == "E9101"]


def written(ecr, field: str) -> int:
    rules = rule_summary(snapshot(ecr)["app/api"]["lifecycle"])
    if field == "KeepUntagged":
        return rules[0][4]
    if field == "ExpireArchivedAfterDays":
        return rules[-1][4]
    return rules[1][4]


WHOLE = [("7", 7), ("7.0", 7), ('"7"', 7), ('"7.0"', 7), ('"+7"', 7), (str(MAX), MAX), (f'"{MAX}.00"', MAX)]
NOT_WHOLE = [("7.5", "must be a whole number, got 7.5"), ('"7.5"', "must be a whole number, got '7.5'"),
             ('"1e3"', "must be a whole number, got '1e3'"), ('"seven"', "must be a whole number, got 'seven'")]
TOO_LARGE = [str(MAX + 1), f'"{MAX + 1}"', "99999999999999999999", '"99999999999999999999"']


def _value(literal: str) -> object:
    return json.loads(literal)


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("literal,number", WHOLE)
def test_whole_numbers_are_accepted_by_all_three_and_written_as_integers(aws, ecr, tmp_path, field, literal, number):
    if field == "ExpireArchivedAfterDays" and number < 90:
        literal, number = literal.replace("7", "97"), int(str(number).replace("7", "97"))
    path = template(tmp_path, field, literal)
    assert validate(path) == [] and cfn_lint(path) == []
    response = Resource().create({"EcrRepositories": {"app/api": settings(field, _value(literal))}})
    assert response.ok, response.reason
    assert written(ecr, field) == number
    assert isinstance(written(ecr, field), int)


@pytest.mark.parametrize("field", ["Days", "KeepLast", "KeepUntagged"])
@pytest.mark.parametrize("literal,message", NOT_WHOLE)
def test_fractions_fail_the_same_way_everywhere(aws, ecr, tmp_path, field, literal, message):
    path = template(tmp_path, field, literal)
    assert validate(path) == [f"{dotted(field)}: {message}"]
    assert cfn_lint(path) == [f"{dotted(field)}: {message}"]
    response = Resource().create({"EcrRepositories": {"app/api": settings(field, _value(literal))}})
    # the Lambda gets a string, as CloudFormation sends it
    assert response.reason == f"Invalid properties: {dotted(field)}: must be a whole number, got " \
                              f"{str(_value(literal))!r}"
    assert ecr.describe_repositories()["repositories"] == []


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("literal", TOO_LARGE)
def test_counts_beyond_32_bits_fail_before_any_write(aws, ecr, tmp_path, field, literal):
    path = template(tmp_path, field, literal)
    number = int(_value(literal))
    assert validate(path) == [f"{dotted(field)}: {TOO_BIG}, got {number}"]
    assert cfn_lint(path) == [f"{dotted(field)}: {TOO_BIG}, got {_value(literal)!r}"]
    response = Resource().create({"EcrRepositories": {"app/api": settings(field, _value(literal))}})
    assert response.reason == f"Invalid properties: {dotted(field)}: {TOO_BIG}, got {number}"
    assert ecr.describe_repositories()["repositories"] == []


def test_a_raw_lifecycle_text_is_held_to_the_same_limit(aws, ecr):
    text = json.dumps({"rules": [{"rulePriority": 1, "description": "keep the newest ones, a lot of them",
                                  "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                "countNumber": MAX + 1}, "action": {"type": "expire"}}]})
    response = Resource().create({"EcrRepositories": {"app/api": {"LifecyclePolicyText": text}}})
    assert response.reason == ("Invalid properties: EcrRepositories.app/api.LifecyclePolicyText: "
                               f"rules[0].selection.countNumber must be a whole number from 1 to {MAX}")
    assert ecr.describe_repositories()["repositories"] == []
