"""Unit tests of provider.lifecycle: the generated policy and ECR's rules."""

from __future__ import annotations

import json

import pytest

from provider import lifecycle


def rule(priority, status, **selection):
    sel = {"tagStatus": status, "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5}
    sel.update(selection)
    return {"rulePriority": priority, "selection": {k: v for k, v in sel.items() if v is not None},
            "action": {"type": "expire"}}


def test_default_policy_keeps_three_untagged():
    assert lifecycle.build_policy([], False) == {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Keep only the 3 newest untagged images",
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 3},
                "action": {"type": "expire"},
            }
        ]
    }


def test_rules_in_order_and_expire_all_last():
    policy = lifecycle.build_policy([("dev-*", 7), ("pr-*", 2)], True)
    assert [(r["rulePriority"], r["selection"]["tagStatus"], r["selection"].get("tagPatternList"),
             r["selection"]["countNumber"]) for r in policy["rules"]] == [
        (1, "untagged", None, 3),
        (2, "tagged", ["dev-*"], 7),
        (3, "tagged", ["pr-*"], 2),
        (4, "any", None, 14),
    ]
    assert policy["rules"][1]["selection"]["countUnit"] == "days"
    assert lifecycle.problems(policy) == []


def test_dump_sorts_rules_and_drops_nulls():
    text = lifecycle.dump({"rules": [rule(2, "any"), {**rule(1, "untagged", countType="imageCountMoreThan",
                                                             countUnit=None), "description": None}]})
    rules = json.loads(text)["rules"]
    assert [r["rulePriority"] for r in rules] == [1, 2]
    assert "description" not in rules[0] and "countUnit" not in rules[0]["selection"]


def test_canonical_ignores_order_and_spacing():
    a = lifecycle.dump(lifecycle.build_policy([("x*", 3)], False))
    b = json.dumps({"rules": list(reversed(json.loads(a)["rules"]))}, indent=2)
    assert lifecycle.canonical(a) == lifecycle.canonical(b)
    assert lifecycle.canonical(None) is None


@pytest.mark.parametrize(
    "rules,expected",
    [
        ([rule(1, "any"), rule(2, "untagged")], ['the tagStatus "any" rule must have the highest rulePriority']),
        ([rule(1, "untagged"), rule(1, "any")], ["rulePriority values must be unique"]),
        ([rule(1, "tagged")], ["rules[0]: a tagged rule needs exactly one of tagPrefixList and tagPatternList"]),
        ([rule(1, "tagged", tagPrefixList=["a"], tagPatternList=["b*"])],
         ["rules[0]: a tagged rule needs exactly one of tagPrefixList and tagPatternList"]),
        ([rule(1, "untagged", tagPrefixList=["a"])], ["rules[0]: an untagged rule takes no tagPrefixList or tagPatternList"]),
        ([rule(1, "tagged", tagPatternList=["*a*b*c*d*"])], ["rules[0]: tag pattern '*a*b*c*d*' may hold at most 4 '*'"]),
        ([rule(1, "untagged", countUnit=None)], ['rules[0]: sinceImagePushed needs "countUnit": "days"']),
        ([rule(1, "untagged", countType="imageCountMoreThan")], ["rules[0]: imageCountMoreThan takes no countUnit; remove it"]),
        ([rule(1, "untagged", countNumber=0)], ["rules[0].selection.countNumber must be a whole number >= 1"]),
        ([rule(1, "untagged"), rule(2, "untagged")], ['at most one rule may have tagStatus "untagged"']),
        ([rule(1, "any"), rule(2, "any")], ['at most one rule may have tagStatus "any"']),
        ([rule(i, "tagged", tagPatternList=[f"t{i}*"]) for i in range(1, 52)], ["has 51 rules; ECR allows at most 50"]),
        ([rule(1, "untagged"), rule(2, "tagged", tagPrefixList=["v"]), rule(3, "any")], []),
    ],
)
def test_problems(rules, expected):
    assert lifecycle.problems({"rules": rules}) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("not json", ["is not valid JSON (Expecting value at character 0)"]),
        ("[]", ['must be a JSON object with a non-empty "rules" list']),
        ('{"rules": []}', ['must be a JSON object with a non-empty "rules" list']),
    ],
)
def test_parse_text(text, expected):
    assert lifecycle.parse_text(text)[1] == expected
