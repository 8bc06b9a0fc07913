"""The resolver: what the CLI can know before deployment, and what stays an intrinsic."""

from __future__ import annotations

import pytest

from ecr_repos.cli.resolve import ParameterError, context_for, resolve, unresolved_paths

TEMPLATE = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["dev", "prod"]},
        "Ci": {"Type": "String", "AllowedPattern": "[0-9]{12}"},
        "Ids": {"Type": "CommaDelimitedList", "Default": "1,2"},
        "Days": {"Type": "Number", "Default": 7},
    },
    "Mappings": {"M": {"prod": {"days": "30"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Or": [{"Condition": "IsDev"}, True]}]},
        "Unknown": {"Fn::Equals": [{"Ref": "Ci"}, "x"]},
    },
}


def ctx(**overrides):
    return context_for(TEMPLATE, overrides, region="cn-north-1", account="123456789012", stack_name="s")


@pytest.mark.parametrize("value,expected", [
    ({"Ref": "Env"}, "prod"),
    ({"Ref": "Days"}, "7"),
    ({"Ref": "Ids"}, ["1", "2"]),
    ({"Ref": "AWS::Partition"}, "aws-cn"),
    ({"Ref": "AWS::URLSuffix"}, "amazonaws.com.cn"),
    ({"Fn::Sub": "${AWS::StackName}-${Env}-${!Literal}"}, "s-prod-${Literal}"),
    ({"Fn::Sub": ["${A}/${AWS::AccountId}", {"A": {"Ref": "Env"}}]}, "prod/123456789012"),
    ({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}, "a-prod"),
    ({"Fn::If": ["IsProd", "yes", "no"]}, "yes"),
    ({"Fn::If": ["IsDev", "yes", "no"]}, "no"),
    ({"Fn::If": ["Both", 1, 2]}, 1),
    ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
    ({"Fn::FindInMap": ["M", {"Ref": "Env"}, "days"]}, "30"),
    ({"Fn::Base64": "hi"}, "aGk="),
    ({"k": {"Ref": "AWS::NoValue"}, "l": ["a", {"Fn::If": ["IsDev", "b", {"Ref": "AWS::NoValue"}]}]}, {"l": ["a"]}),
    # unknown: stays the intrinsic it was
    ({"Ref": "Ci"}, {"Ref": "Ci"}),
    ({"Fn::GetAtt": ["R", "A"]}, {"Fn::GetAtt": ["R", "A"]}),
    ({"Fn::Sub": "${R.Arn}"}, {"Fn::Sub": "${R.Arn}"}),
    ({"Fn::If": ["Unknown", "a", "b"]}, {"Fn::If": ["Unknown", "a", "b"]}),
    ({"Fn::ImportValue": {"Fn::Sub": "${Env}-x"}}, {"Fn::ImportValue": "prod-x"}),
])
def test_resolve(value, expected):
    assert resolve(value, ctx()) == expected


def test_overrides_win_and_are_checked():
    assert resolve({"Ref": "Env"}, ctx(Env="dev")) == "dev"
    assert resolve({"Ref": "Ci"}, ctx(Ci="111111111111")) == "111111111111"
    with pytest.raises(ParameterError, match="AllowedValues"):
        ctx(Env="qa")
    with pytest.raises(ParameterError, match="AllowedPattern"):
        ctx(Ci="abc")
    with pytest.raises(ParameterError, match="not declared"):
        ctx(Other="1")


def test_unresolved_paths_lists_outermost_intrinsics():
    value = {"a": [{"Ref": "X"}, "b"], "c": {"d": {"Fn::GetAtt": ["R", "A"]}}}
    assert unresolved_paths(value) == [(("a", 0), {"Ref": "X"}), (("c", "d"), {"Fn::GetAtt": ["R", "A"]})]


@pytest.mark.parametrize("given,expected", [
    (None, [""]),  # the Default "" below
    ("", [""]),
    ("111111111111", ["111111111111"]),
    ("111111111111, 222222222222", ["111111111111", "222222222222"]),
    ("a,", ["a", ""]),
])
def test_a_comma_delimited_list_has_one_more_item_than_commas(given, expected):
    # CloudFormation's Ref of an empty CommaDelimitedList is [""], not [] (cfn-language-discussion#102)
    template = {"Parameters": {"Ids": {"Type": "CommaDelimitedList", "Default": ""}}}
    overrides = {} if given is None else {"Ids": given}
    assert resolve({"Ref": "Ids"}, context_for(template, overrides)) == expected


def test_no_accounts_condition_of_the_stackset_template_leaves_the_property_out():
    template = {
        "Parameters": {"Ids": {"Type": "CommaDelimitedList", "Default": ""}},
        "Conditions": {"Has": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Ids"}]}, ""]}]}},
    }
    value = {"Accounts": {"Fn::If": ["Has", {"Ref": "Ids"}, {"Ref": "AWS::NoValue"}]}}
    assert resolve(value, context_for(template, {})) == {}
    assert resolve(value, context_for(template, {"Ids": "111111111111"})) == {"Accounts": ["111111111111"]}
