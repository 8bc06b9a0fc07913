"""ecr-repos demo with a Custom::EcrRegistry beside the Custom::EcrRepos (templates/example.yaml): the
console script in a fresh process, whose moto is moto as installed (none of the tests' fidelity), as
`make demo` runs it; and templates declaring parts that moto does not serve."""

from __future__ import annotations

import re

import pytest

from tests.cli.conftest import ROOT, run
from tests.cli.test_subprocess import ecr_repos

SOURCE, ADDED = "111111111111", "444444444444"


def test_make_demo_runs_both_types_of_example_yaml():
    result = ecr_repos("demo", timeout=300)
    out = result.stdout
    assert (result.returncode, result.stderr) == (0, "")
    assert out.startswith("ecr-repos demo: Repos and Registry through Create, Update and Delete\n")
    # each step sends the registry resource's event too, and shows its parts as moto holds them
    assert [line for line in out.splitlines() if line.startswith("  Registry (Custom::EcrRegistry): ")] == [
        "  Registry (Custom::EcrRegistry): Create", "  Registry (Custom::EcrRegistry): Update",
        "  Registry (Custom::EcrRegistry): Delete"]
    prefix = re.search(r"policy: +(EcrRegistry[0-9a-f]{8})ReplicateFrom", out).group(1)
    created, updated, deleted = out.split("  Registry (Custom::EcrRegistry): ")[1:]
    assert f"      policy:      {prefix}ReplicateFrom{SOURCE}\n" \
           f"                   allow {SOURCE}: ecr:CreateRepository, ecr:ReplicateImage\n" in created
    assert "      scanning:    BASIC (SCAN_ON_PUSH app/*)\n" in created
    assert f"{prefix}ReplicateFrom{ADDED}\n" in updated and f"{prefix}ReplicateFrom{SOURCE}\n" in updated
    assert "      policy:      none\n      replication: none\n      scanning:    BASIC (no rules)\n" in deleted
    # the plan of its Update is the registry planner's
    assert (f"  Registry (Custom::EcrRegistry), change: ReplicationSourceAccountIds: {ADDED} added\n"
            "  ReplicationSourceAccountIds\n"
            f"    = {SOURCE}  (unchanged)\n"
            f"    + {ADDED}  (to add)\n") in out
    assert "  Scanning\n    = configuration  (unchanged)\n" in out
    assert out.endswith("Registry (Custom::EcrRegistry): Create SUCCESS, Update SUCCESS, Delete SUCCESS.\n\n"
                        "Done: Create SUCCESS, Update SUCCESS, clean-up SUCCESS, Delete SUCCESS.\n")
    assert not [line for line in out.splitlines() if len(line) > 100 and not line.startswith(("template:", "stack:"))]


def test_parts_moto_does_not_serve_are_refused_before_the_demo_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    # given example.yaml with a pull-through cache rule added to its Registry
    text = (ROOT / "templates" / "example.yaml").read_text()
    text = text.replace("      Scanning:\n        ScanType: BASIC",
                        "      PullThroughCacheRules:\n        ecr-public: {Upstream: ecr-public}\n"
                        "      Scanning:\n        ScanType: BASIC")
    template = tmp_path / "example.yaml"
    template.write_text(text)
    # when the demo runs it
    code, out, err = run("demo", str(template))
    # then it stops before starting moto, naming the part and what it runs instead
    assert (code, out) == (2, "")
    assert err == (f"ecr-repos demo: error: {template}: Registry declares PullThroughCacheRules, which the demo's "
                   "moto does not serve; the demo runs ReplicationSourceAccountIds, ReplicationRules, Scanning "
                   "(remove the others, or deploy the template: ecr-repos plan shows what it would do)\n")


@pytest.mark.parametrize("bad,message", [
    ("      ReplicationSourceAccountIds:\n        - !Ref CiAccountId\n",
     "      ReplicationSourceAccountIds:\n        - '12345'\n"),
])
def test_invalid_registry_properties_stop_the_demo_with_the_lambdas_words(tmp_path, monkeypatch, bad, message):
    monkeypatch.chdir(ROOT)
    template = tmp_path / "example.yaml"
    template.write_text((ROOT / "templates" / "example.yaml").read_text().replace(bad, message))
    code, out, err = run("demo", str(template))
    assert (code, out) == (2, "")
    assert err.startswith(f"ecr-repos demo: error: {template}:")
    assert err.rstrip().endswith("Resources.Registry.Properties.ReplicationSourceAccountIds[0]: must be a 12-digit "
                                 "AWS account id, got '12345'")


def test_a_registry_whose_condition_is_false_is_left_out(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    # given example.yaml whose Registry is created only when a parameter says so
    text = (ROOT / "templates" / "example.yaml").read_text()
    text = text.replace("Resources:\n", "Conditions:\n  WithRegistry: !Equals [!Ref CiAccountId, '999999999999']\n\n"
                                         "Resources:\n", 1)
    text = text.replace("    Type: Custom::EcrRegistry\n", "    Type: Custom::EcrRegistry\n    Condition: WithRegistry\n")
    template = tmp_path / "example.yaml"
    template.write_text(text)
    # when the demo runs it with the default parameters: the Custom::EcrRepos alone
    code, out, err = run("demo", str(template))
    assert (code, err) == (0, "")
    assert out.startswith("ecr-repos demo: Repos through Create, Update and Delete\n")
    assert "Custom::EcrRegistry" not in out
    # and with the parameter that creates it: both
    code, out, _ = run("demo", str(template), "--parameters", "CiAccountId=999999999999")
    assert code == 0 and out.startswith("ecr-repos demo: Repos and Registry through Create, Update and Delete\n")
