"""ecr-repos demo on every template of templates/, in-process: what it prints and how it ends."""

from __future__ import annotations

import re

import pytest

from ecr_repos.cli.demo import WIDTH
from tests.cli.conftest import ROOT, run

TEMPLATES = sorted(p.name for p in (ROOT / "templates").glob("*.yaml"))
PUSH, PULL = "999999999999", "888888888888,777777777777"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def details_of(out: str) -> dict[str, int]:
    """How often each repository's details (lifecycle, policy, tags) were printed."""
    counts: dict[str, int] = {}
    lines = out.splitlines()
    for i, line in enumerate(lines[:-1]):
        if re.fullmatch(r"  [a-z0-9][a-z0-9./_-]*", line) and lines[i + 1].startswith(("      mutability:", "      lifecycle:")):
            counts[line.strip()] = counts.get(line.strip(), 0) + 1
    return counts


def assert_readable(out: str) -> None:
    assert "None" not in out
    # every line fits, but for the two that hold one identifier each: the template's path, the stack's ARN
    too_wide = [line for line in out.splitlines() if len(line) > WIDTH and not line.startswith(("template: ", "stack: "))]
    assert too_wide == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_can_be_demoed(template):
    code, out, err = run("demo", f"templates/{template}")
    # the provider's own stack, and Custom::EcrRegistry's example (every part; the demo runs a registry beside a
    # Custom::EcrRepos, and moto serves only some parts: docs/cli.md#customecrregistry):
    # nothing to demo, said in one line
    if template in ("provider.yaml", "registry-example.yaml"):
        assert (code, out) == (2, "")
        assert err.startswith(f"ecr-repos demo: error: templates/{template}: no Custom::EcrRepos resource")
        assert len(err.splitlines()) == 1
        return
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("Done: Create SUCCESS, Update SUCCESS, clean-up SUCCESS, Delete SUCCESS.")
    assert_readable(out)


def test_example_shows_each_repositorys_details_once_and_summarises_pushed_images():
    code, out, _ = run("demo")
    assert code == 0
    assert_readable(out)
    # details again only when they changed: the Update only turns app/api's scan off
    assert details_of(out) == {"app/api": 1, "app/batch": 1, "app/worker": 1, "demo/added-by-update": 1}
    assert out.count("      policy: pull: 111111111111, 222222222222, 333333333333\n") == 1
    assert "  (details unchanged since shown above)\n" in out
    # the table gives ECR's word, starred when tags are excepted; the details name the exceptions
    assert re.search(r"\n  app/api +IMMUTABLE\* +on ", out)
    assert "\n  * with tag exceptions" in out
    assert "  app/api\n      mutability: IMMUTABLE_WITH_EXCLUSION (latest)\n      lifecycle: 1. untagged:" in out
    pushed = [line for line in out.splitlines() if "pushed" in line]
    assert pushed == ["  (pushed one image into each repository declared with EmptyOnDelete: true, as CI would: "
                      "app/worker)"]
    # the plan of the Update is the Update's own (previous properties: the Create's)
    assert "  Previous properties: the Create's; physical id ecr-repos:demo:Repos:" in out
    assert "  ~ app/api  (to change)\n      scan on push: true -> false\n" in out


def test_stackset_with_central_accounts_in_another_region_and_stack():
    code, out, err = run("demo", "templates/stackset.yaml", "--parameters", f"CentralPushAccountIds={PUSH}",
                         f"CentralPullAccountIds={PULL}", "--region", "eu-west-1", "--stack-name", "team-a")
    assert (code, err) == (0, "")
    assert_readable(out)
    assert "stack: arn:aws:cloudformation:eu-west-1:123456789012:stack/team-a/" in out
    assert "  Data.Registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n" in out
    assert out.count("      policy: pull: 777777777777, 888888888888, 999999999999\n"
                     "              push: 999999999999\n") == 2  # app/api and app/worker, once each
    assert re.search(r"\n  app/api +IMMUTABLE +on +0 +untagged>3, dev-\* 14d +3 pull, 1 push +team-a/Repos\n", out)


def test_stackset_without_central_accounts():
    code, out, err = run("demo", "templates/stackset.yaml")
    assert (code, err) == (0, "")
    assert re.search(r"\n  app/api +IMMUTABLE +on +0 +untagged>3, dev-\* 14d +- +demo/Repos\n", out)
    assert out.count("      policy: none\n") == 3  # app/api, app/worker, then demo/added-by-update


def test_plan_of_the_stackset_with_and_without_accounts(endpoint):
    args = ["plan", "templates/stackset.yaml", "--region", "us-east-1", "--endpoint-url", endpoint]
    code, without, err = run(*args)
    assert (code, err) == (0, "")
    assert "+ app/api  (to create)" in without and "repository policy" not in without
    code, with_accounts, err = run(*args, "--parameters", f"CentralPushAccountIds={PUSH}",
                                   f"CentralPullAccountIds={PULL}")
    assert (code, err) == (0, "")
    assert ("    repository policy:\n        pull: 777777777777, 888888888888, 999999999999\n"
            "        push: 999999999999\n") in with_accounts


def test_plan_refuses_an_empty_account_list_as_the_deploy_would(endpoint, tmp_path):
    # given a template passing an empty CommaDelimitedList straight to the property
    template = tmp_path / "t.yaml"
    template.write_text(
        "Parameters:\n  Ids: {Type: CommaDelimitedList, Default: ''}\nResources:\n  Repos:\n"
        "    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n      EcrRepositories:\n"
        "        app/api:\n          AdditionalPullAccountIds: !Ref Ids\n")
    # when it is planned: then the plan fails as the stack would ([""] holds no account id)
    code, out, err = run("plan", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, out) == (2, "")
    assert err == (f"ecr-repos plan: error: {template}:10: Resources.Repos.Properties.EcrRepositories.app/api."
                   "AdditionalPullAccountIds[0]: must be a 12-digit AWS account id, got ''\n")


def test_demo_help_names_its_options():
    code, out, _ = run_help()
    assert code == 0
    for option in ("--parameters", "--region", "--stack-name", "--logical-id", "exit codes"):
        assert option in out


def run_help() -> tuple[int, str, str]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), pytest.raises(SystemExit) as exited:
        run("demo", "--help")
    return int(exited.value.code or 0), buffer.getvalue(), ""



def test_plan_warns_about_yaml_pitfalls_on_stderr_and_plans_on(endpoint, tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
                        "      EcrRepositories:\n        app/api:\n          AdditionalPullAccountIds: [123456789012]\n")
    code, out, err = run("plan", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert code == 0 and "+ app/api  (to create)" in out
    assert err == (f"{template}:8: warning: Resources.Repos.Properties.EcrRepositories.app/api."
                   "AdditionalPullAccountIds[0]: YAML reads the unquoted 123456789012 as a number; quote account "
                   "ids: '123456789012'\n")


def test_demo_with_a_name_prefix_pushes_into_and_shows_the_full_names(tmp_path):
    template = tmp_path / "prefixed.yaml"
    template.write_text(
        "Resources:\n"
        "  Repos:\n"
        "    Type: Custom::EcrRepos\n"
        "    Properties:\n"
        "      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:ecr-repos\n"
        "      NamePrefix: staging/\n"
        "      EcrRepositories:\n"
        "        api: {EmptyOnDelete: true}\n"
        "        worker: {}\n", encoding="utf-8")
    code, out, err = run("demo", str(template))
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("Done: Create SUCCESS, Update SUCCESS, clean-up SUCCESS, Delete SUCCESS.")
    assert re.search(r"as CI would:\s+staging/api\)", out)  # pushed by its full name, so the Delete empties it
    assert re.search(r"\n  staging/worker +", out)
