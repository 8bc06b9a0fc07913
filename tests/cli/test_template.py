"""The template loader: short-form intrinsics, JSON, line numbers."""

from __future__ import annotations

import pytest

from ecr_repos.cli.template import TemplateError, loads

YAML = """\
Resources:
  R:
    Type: Custom::EcrRepos
    Properties:
      A: !Ref P
      B: !GetAtt Res.Attr
      C: !Sub ["${X}-y", {X: !Ref AWS::Region}]
      D: !If [Cond, !Join ["", [a, b]], !Ref AWS::NoValue]
      E: !Select [0, !Split [",", "a,b"]]
      F: !FindInMap [M, k, v]
      G: !Base64 text
      H: !GetAZs ""
      I: !Not [!Condition X]
      J: !ImportValue name
      K: "14"
      L: 14
"""


@pytest.mark.parametrize("key,expected", [
    ("A", {"Ref": "P"}),
    ("B", {"Fn::GetAtt": ["Res", "Attr"]}),
    ("C", {"Fn::Sub": ["${X}-y", {"X": {"Ref": "AWS::Region"}}]}),
    ("D", {"Fn::If": ["Cond", {"Fn::Join": ["", ["a", "b"]]}, {"Ref": "AWS::NoValue"}]}),
    ("E", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}),
    ("F", {"Fn::FindInMap": ["M", "k", "v"]}),
    ("G", {"Fn::Base64": "text"}),
    ("H", {"Fn::GetAZs": ""}),
    ("I", {"Fn::Not": [{"Condition": "X"}]}),
    ("J", {"Fn::ImportValue": "name"}),
    ("K", "14"),
    ("L", 14),
])
def test_short_forms_become_long_forms(key, expected):
    assert loads(YAML).data["Resources"]["R"]["Properties"][key] == expected


def test_every_node_has_a_line():
    t = loads(YAML)
    base = ("Resources", "R", "Properties")
    assert t.line_of(base + ("A",)) == 5
    assert t.line_of(base + ("D", "Fn::If", 1, "Fn::Join", 1, 0)) == 8
    assert t.line_of(base + ("L", "not", "there")) == 16
    assert t.custom_resources() == ["R"]


def test_json_with_tabs_keeps_lines():
    t = loads('{\n\t"Resources": {\n\t\t"R": {\n\t\t\t"Type": "Custom::EcrRepos"\n\t\t}\n\t}\n}\n')
    assert t.line_of(("Resources", "R", "Type")) == 4


@pytest.mark.parametrize("text,line,message", [
    ("a: !Nope x\n", 1, "unknown tag !Nope"),
    ("- 1\n", 1, "a template must be a mapping with a Resources section"),
    ("", 1, "the file is empty"),
    ("a:\n  b: [\n", 3, "not valid YAML or JSON"),
])
def test_errors_say_where(text, line, message):
    with pytest.raises(TemplateError) as caught:
        loads(text, "t.yaml")
    assert caught.value.line == line
    assert message in caught.value.message


PITFALLS = """\
Resources:
  Repos:
    Type: Custom::EcrRepos
    Properties:
      Tags:
        enabled: yes
        on: x
        quoted: 'no'
        fine: true
      EcrRepositories:
        app/api:
          ScanOnPush: Off
          AdditionalPushAccountIds: [012345670123, 123456789012, '012345670123']
          AdditionalPullAccountIds: [1.10, 2026-01-01, 14, 0, 0x1F]
"""


def test_yaml_pitfalls_are_noted_where_they_are():
    t = loads(PITFALLS)
    notes = {location[3:]: note for location, note in t.notes.items()}
    assert notes == {
        ("Tags", "enabled"): (6, "YAML 1.1 reads the unquoted yes as the boolean true (YAML 1.2 as the string "
                                 "'yes'); write true, or quote it: 'yes'"),
        ("Tags", "true"): (7, "YAML 1.1 reads the unquoted on as the boolean true (YAML 1.2 as the string 'on'); "
                              "write true, or quote it: 'on'"),
        ("EcrRepositories", "app/api", "ScanOnPush"): (
            12, "YAML 1.1 reads the unquoted Off as the boolean false (YAML 1.2 as the string 'Off'); write false, "
                "or quote it: 'Off'"),
        ("EcrRepositories", "app/api", "AdditionalPushAccountIds", 0): (
            13, "YAML reads the unquoted 012345670123 as the octal number 1402433619; quote account ids: "
                "'012345670123'"),
        ("EcrRepositories", "app/api", "AdditionalPushAccountIds", 1): (
            13, "YAML reads the unquoted 123456789012 as a number; quote account ids: '123456789012'"),
        ("EcrRepositories", "app/api", "AdditionalPullAccountIds", 0): (
            14, "YAML reads the unquoted 1.10 as the number 1.1; quote it: '1.10'"),
        ("EcrRepositories", "app/api", "AdditionalPullAccountIds", 1): (
            14, "YAML reads the unquoted 2026-01-01 as a date; quote it: '2026-01-01'"),
        ("EcrRepositories", "app/api", "AdditionalPullAccountIds", 4): (
            14, "YAML reads the unquoted 0x1F as the number 31; quote it: '0x1F'"),
    }
    assert t.yaml_note(("Resources", "Repos", "Properties", "Tags", "fine")) is None


def test_json_numbers_that_look_like_account_ids_are_noted_too():
    t = loads('{"Resources": {"R": {"Type": "Custom::EcrRepos", "Properties": {"A": [123456789012]}}}}')
    assert t.yaml_note(("Resources", "R", "Properties", "A", 0)) == (
        "YAML reads the unquoted 123456789012 as a number; quote account ids: '123456789012'")
