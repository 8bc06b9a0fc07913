"""Unit tests of ecr_repos.repos.lifecycle: the generated policy and ECR's rules."""

from __future__ import annotations

import json

import pytest

from ecr_repos.repos import lifecycle


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
        ([rule(1, "untagged", countNumber=0)], ["rules[0].selection.countNumber must be a whole number from 1 to 2147483647"]),
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


# --- ECR's grammar since November 2025 (issue 12) ---------------------------------------------------

R = lifecycle.Rule


def test_generated_policy_order_and_the_new_rules_pass_the_checks():
    policy = lifecycle.build_policy(
        [R("release-*", lifecycle.KEEP_LAST, 10), R("pr-*", lifecycle.DAYS_SINCE_PULL, 5), ("dev-*", 7)], True,
        keep_untagged=2, archive=[R("v*", lifecycle.DAYS, 30)], expire_archived_after=90)
    assert [(r["selection"]["tagStatus"], r["selection"].get("storageClass"), r["selection"]["countType"],
             r["action"]["type"]) for r in policy["rules"]] == [
        ("untagged", None, "imageCountMoreThan", "expire"),
        ("tagged", None, "imageCountMoreThan", "expire"),
        ("tagged", None, "sinceImagePulled", "expire"),
        ("tagged", None, "sinceImagePushed", "expire"),
        ("tagged", "standard", "sinceImagePushed", "transition"),
        ("tagged", "archive", "sinceImageTransitioned", "expire"),
        ("any", None, "sinceImagePushed", "expire"),
    ]
    assert lifecycle.problems(policy) == []
    assert lifecycle.rule_count(3, True, 1, True) == len(policy["rules"])


def test_seed_descriptions_are_unchanged_so_existing_policies_stay_in_sync():
    text = lifecycle.dump(lifecycle.build_policy([("dev-*", 7)], True))
    assert [r["description"] for r in json.loads(text)["rules"]] == [
        "Keep only the 3 newest untagged images", "Expire images tagged dev-* 7 days after push",
        "Expire every image 14 days after push"]


def archive_rule(priority, number=90, **selection):
    sel = {"tagStatus": "tagged", "tagPatternList": ["*"], "storageClass": "archive",
           "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": number}
    sel.update(selection)
    return {"rulePriority": priority, "selection": {k: v for k, v in sel.items() if v is not None},
            "action": {"type": "expire"}}


TRANSITION = {"type": "transition", "targetStorageClass": "archive"}


@pytest.mark.parametrize(
    "rules,expected",
    [
        ([archive_rule(1)], []),
        ([{**rule(1, "any", countType="sinceImagePulled"), "action": TRANSITION}], []),
        ([{**rule(1, "any", countType="imageCountMoreThan", countUnit=None), "action": TRANSITION}], []),
        ([archive_rule(1, 89)], ["rules[0]: archived images may be deleted 90 days after archiving at the earliest; "
                                 "set countNumber >= 90"]),
        ([archive_rule(1, storageClass="standard")],
         ['rules[0]: sinceImageTransitioned goes with "storageClass": "archive", and only it']),
        ([archive_rule(1, countType="sinceImagePushed")],
         ['rules[0]: sinceImageTransitioned goes with "storageClass": "archive", and only it']),
        ([rule(1, "any", storageClass="cold")], ['rules[0].selection.storageClass must be "standard" or "archive"']),
        ([rule(1, "any", countType="sinceImagePulled", countUnit=None)],
         ['rules[0]: sinceImagePulled needs "countUnit": "days"']),
        ([rule(1, "any", countType="sinceEver")],
         ["rules[0].selection.countType must be one of imageCountMoreThan, sinceImagePushed, sinceImagePulled, "
          "sinceImageTransitioned"]),
        ([{**rule(1, "any"), "action": {"type": "transition"}}],
         ['rules[0]: a transition needs "targetStorageClass": "archive"']),
        ([{**archive_rule(1), "action": TRANSITION}],
         ["rules[0]: archived images cannot be transitioned; select storageClass standard"]),
        ([{**rule(1, "any"), "action": {"type": "expire", "targetStorageClass": "archive"}}],
         ["rules[0]: an expire action takes no targetStorageClass; remove it"]),
        ([{**rule(1, "any"), "action": {"type": "delete"}}],
         ['rules[0].action must be {"type": "expire"} or {"type": "transition", "targetStorageClass": "archive"}']),
    ],
)
def test_new_grammar_problems(rules, expected):
    assert lifecycle.problems({"rules": rules}) == expected
