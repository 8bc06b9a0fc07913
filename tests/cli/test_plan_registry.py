"""ecr-repos plan and drift of a Custom::EcrRegistry, through the CLI entry point against moto (the
registry APIs taught by tests/support/registry_fidelity.py): a Create, the Update of a deployed stack,
a part another wrote, drift after hand edits."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import ROOT, run

F = ROOT / "tests" / "cli" / "fixtures" / "registry"
CI = "arn:aws:iam::123456789012:role/ci"


@pytest.fixture(autouse=True)
def settle(monkeypatch):
    monkeypatch.setenv("ECR_REGISTRY_SETTLE_SECONDS", "0")
    monkeypatch.chdir(ROOT)


def body(out: str) -> list[str]:
    """The plan's lines after its header (the first blank line)."""
    return out.split("\n\n", 1)[1].splitlines()


def test_plan_of_a_create_lists_every_declared_part(endpoint):
    code, out, err = run("plan", "tests/cli/fixtures/registry/registry.yaml", "--endpoint-url", endpoint)
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "Plan for Registry (Custom::EcrRegistry, tests/cli/fixtures/registry/registry.yaml) in stack registry, "
        "us-east-1, account 123456789012",
        "Previous properties: none (stack not found): the plan is the resource's Create",
    ]
    assert [line for line in body(out) if not line.startswith("      ")] == [
        "PolicyStatements", "  + CacheImport  (to add)",
        "ReplicationSourceAccountIds", "  + 111111111111  (to add)",
        "ReplicationRules", "  + to 123456789012/eu-west-1 for app/  (to add)",
        "PullThroughCacheRules", "  + ecr-public  (to add)", "  + quay  (to add)",
        "RepositoryCreationTemplates", "  + app/  (to add)",
        "Scanning", "  + configuration  (to add)",
        "PullTimeUpdateExclusions", f"  + {CI}  (to add)",
        "", "Plan: 8 to add.",
    ]
    assert "      BASIC (no rules) -> BASIC (SCAN_ON_PUSH app/*)" in out


def test_plan_of_the_update_of_a_deployed_stack(deploy, ecr):
    # given the stack deployed through moto's CloudFormation and the provider's Lambda entry point
    stack_id, physical = deploy("shop", F / "registry.yaml", logical_id="Registry")
    assert physical.startswith("ecr-registry:shop:Registry:")
    assert set(c["ecrRepositoryPrefix"] for c in ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]) \
        == {"ecr-public", "quay"}
    # when the plan of the changed template runs against it
    code, out, err = run("plan", str(F / "registry_changed.yaml"), "--stack-name", "shop", "--output", "text")
    # then it is the Update's own: previous properties deployed, each part's fate
    assert (code, err) == (0, "")
    assert out.splitlines()[1:3] == ["Previous properties: the deployed template (GetTemplate) with the stack's "
                                     "parameters", f"Physical id: {physical}"]
    assert [line for line in body(out) if not line.startswith("      ")] == [
        "PolicyStatements", "  - CacheImport  (to remove)",
        "ReplicationSourceAccountIds", "  = 111111111111  (unchanged)", "  + 222222222222  (to add)",
        "ReplicationRules", "  = to 123456789012/eu-west-1 for app/  (unchanged)",
        "PullThroughCacheRules", "  = ecr-public  (unchanged)", "  + k8s  (to add)", "  - quay  (to remove)",
        "RepositoryCreationTemplates", "  = app/  (unchanged)",
        "Scanning", "  ~ configuration  (to change)",
        "PullTimeUpdateExclusions", f"  = {CI}  (unchanged)",
        "", "Plan: 2 to add, 1 to change, 2 to remove, 5 unchanged.",
    ]
    assert "      BASIC (SCAN_ON_PUSH app/*) -> BASIC (SCAN_ON_PUSH app/*, team/*)" in out
    # and the same template unchanged plans nothing but unchanged parts
    code, out, _ = run("plan", str(F / "registry.yaml"), "--stack-name", "shop", "--output", "json")
    report = json.loads(out)
    assert (code, report["type"], report["refused"]) == (0, "Custom::EcrRegistry", False)
    assert {p["action"] for p in report["parts"]} == {"keep"} and len(report["parts"]) == 8
    # and drift finds none
    code, out, err = run("drift", str(F / "registry.yaml"), "--stack-name", "shop")
    assert (code, err) == (0, "")
    assert out.endswith("\n\nNo drift: the 8 declared parts are as declared.\n")


def test_drift_after_hand_edits_lists_what_an_update_writes_back(deploy, ecr):
    deploy("shop", F / "registry.yaml", logical_id="Registry")
    # when someone deletes a cache rule, resets scanning and deregisters the exclusion by hand
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="quay")
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])
    ecr.deregister_pull_time_update_exclusion(principalArn=CI)
    code, out, err = run("drift", str(F / "registry.yaml"), "--stack-name", "shop")
    # then drift exits 2 and lists each, and nothing else
    assert (code, err) == (2, "")
    assert out.splitlines()[1] == "Declared properties: the deployed template (GetTemplate) with the stack's parameters"
    assert [line for line in body(out) if line.startswith("  ") and not line.startswith("  =")] == [
        "  + quay  (missing)",
        "      upstream: quay",
        "      url: quay.io",
        "  + configuration  (missing)",
        "      BASIC (no rules) -> BASIC (SCAN_ON_PUSH app/*)",
        f"  + {CI}  (missing)",
    ]
    assert out.endswith("Drift: 3 of 8 parts (3 missing, 5 as declared).\nRepair: an Update of the resource writes "
                        "back every declared part (CloudFormation sends one when a property changes).\n")
    # and in JSON, as scripts read it
    code, out, _ = run("drift", str(F / "registry.yaml"), "--stack-name", "shop", "--output", "json")
    report = json.loads(out)
    assert (code, report["type"], report["summary"]["create"], report["summary"]["keep"]) == (
        2, "Custom::EcrRegistry", 3, 5)
    assert [(p["property"], p["key"]) for p in report["parts"] if p["action"] == "create"] == [
        ("PullThroughCacheRules", "quay"), ("Scanning", "configuration"), ("PullTimeUpdateExclusions", CI)]


def test_a_part_another_wrote_is_a_refused_create(endpoint, ecr):
    # given a pull-through cache rule someone made by hand under a declared prefix
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io",
                                       upstreamRegistry="quay")
    # when the Create is planned
    code, out, err = run("plan", "tests/cli/fixtures/registry/registry.yaml", "--endpoint-url", endpoint)
    # then it says the Create would fail, and why, as the Lambda would refuse it
    assert (code, err) == (0, "")
    assert body(out) == [
        "PullThroughCacheRules",
        "  x quay  (another's: refused)",
        "      exists and is not this resource's: remove it, or set AdoptExisting: true to take it over",
        "",
        "The Create would fail before any write: 1 another's: refused.",
    ]
    report = json.loads(run("plan", "tests/cli/fixtures/registry/registry.yaml", "--endpoint-url", endpoint,
                            "--output", "json")[1])
    assert (report["refused"], report["parts"]) == (True, [
        {"action": "conflict", "property": "PullThroughCacheRules", "key": "quay", "details": [
            "exists and is not this resource's: remove it, or set AdoptExisting: true to take it over"]}])


def test_logical_id_chooses_the_type_in_a_template_with_both(endpoint):
    both = "tests/cfnlint_rules/fixtures/registry/good/both_types.yaml"
    # without --logical-id: the template's Custom::EcrRepos, as before
    code, out, _ = run("plan", both, "--endpoint-url", endpoint)
    assert code == 0 and out.startswith("Plan for Repos (")
    # with it: the Custom::EcrRegistry
    code, out, _ = run("plan", both, "--endpoint-url", endpoint, "--logical-id", "Registry",
                       "--parameters", "Enhanced=true")
    assert code == 0 and out.startswith("Plan for Registry (Custom::EcrRegistry, ")
    assert "      BASIC (no rules) -> ENHANCED (CONTINUOUS_SCAN app/*)" in out


def test_invalid_properties_fail_with_the_lambdas_words(endpoint):
    code, out, err = run("plan", "tests/cli/fixtures/registry/spec_checks.yaml", "--endpoint-url", endpoint)
    assert (code, out) == (2, "")
    assert err.splitlines()[1:] == [
        "tests/cli/fixtures/registry/spec_checks.yaml:12: Resources.Registry.Properties.PolicyStatements[1].Sid: "
        "repeats the Sid of PolicyStatements[0]; give each statement its own Sid",
        "tests/cli/fixtures/registry/spec_checks.yaml:16: Resources.Registry.Properties.PullThroughCacheRules."
        "docker-hub.CredentialArn: is required for upstream docker-hub: add the ARN of a Secrets Manager secret "
        "named ecr-pullthroughcache/...",
    ]
    # drift's exit code for an error is 1 (2 means drift)
    assert run("drift", "tests/cli/fixtures/registry/spec_checks.yaml", "--endpoint-url", endpoint)[0] == 1


def test_yaml_pitfalls_are_warnings_and_the_plan_goes_on(endpoint, tmp_path):
    template = tmp_path / "pitfall.yaml"
    template.write_text("Resources:\n  Registry:\n    Type: Custom::EcrRegistry\n    Properties:\n"
                        "      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:x\n"
                        "      AdoptExisting: yes\n      Scanning: {ScanType: BASIC}\n")
    code, out, err = run("plan", str(template), "--endpoint-url", endpoint)
    assert code == 0
    assert err == (f"{template}:6: warning: Resources.Registry.Properties.AdoptExisting: YAML 1.1 reads the unquoted "
                   "yes as the boolean true (YAML 1.2 as the string 'yes'); write true, or quote it: 'yes'\n")
    assert "  = configuration  (unchanged)\n" in out  # BASIC without rules: ECR's default, nothing to write
