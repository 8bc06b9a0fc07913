"""What every command says about a template before it reads AWS: duplicate keys (CloudFormation
keeps the last one), YAML pitfalls, invalid properties, and a property map too large for an Update
event (``ecr_repos.core.limits``)."""

from __future__ import annotations

from ecr_repos.core import limits
from tests.cli.conftest import run
from tests.cli.test_errors import no_credentials  # noqa: F401 - fixture

DUPLICATE = """\
Resources:
  Repos:
    Type: Custom::EcrRepos
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:ecr-repos-provider
      EcrRepositories:
        app/api:
          AdditionalPullAccountIds: ['111111111111']
          Tags: {team: a}
          AdditionalPullAccountIds: ['222222222222']
"""


def duplicate_warning(path) -> str:
    return (f"{path}:10: warning: template: duplicate key 'AdditionalPullAccountIds' (first at line 8); "
            "CloudFormation keeps only this last one: merge the two or remove one\n")


def test_plan_reports_a_duplicate_key_with_its_line_and_plans_the_last_value(endpoint, tmp_path):
    template = tmp_path / "dup.yaml"
    template.write_text(DUPLICATE)
    code, out, err = run("plan", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert code == 0, err
    assert err == duplicate_warning(template)
    assert "222222222222" in out and "111111111111" not in out


def test_drift_reports_a_duplicate_key(endpoint, tmp_path):
    template = tmp_path / "dup.yaml"
    template.write_text(DUPLICATE)
    code, out, err = run("drift", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert err.startswith(duplicate_warning(template))


def test_demo_reports_a_duplicate_key(tmp_path):
    template = tmp_path / "dup.yaml"
    template.write_text(DUPLICATE)
    code, out, err = run("demo", str(template))
    assert (code, err) == (0, duplicate_warning(template))


def test_a_duplicate_resource_is_reported_by_plan(endpoint, tmp_path):
    template = tmp_path / "dup.yaml"
    template.write_text("Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties: {ServiceToken: x, "
                        "EcrRepositories: {app/a: {}}}\n  Repos:\n    Type: Custom::EcrRepos\n"
                        "    Properties: {ServiceToken: x, EcrRepositories: {app/b: {}}}\n")
    code, out, err = run("plan", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert code == 0, err
    assert err == (f"{template}:5: warning: template: duplicate key 'Repos' (first at line 2); CloudFormation "
                   "keeps only this last one: merge the two or remove one\n")
    assert "+ app/b" in out and "app/a" not in out


def test_plan_reports_invalid_properties_and_yaml_warnings_without_credentials(no_credentials, tmp_path):
    # given a template with a YAML pitfall, a duplicate key and an invalid property, and no credentials
    template = tmp_path / "bad.yaml"
    template.write_text("Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n"
                        "      ServiceToken: x\n      EmptyOnDelete: yes\n      Tags: {a: b}\n      Tags: {a: c}\n"
                        "      EcrRepositories:\n        app/api: {Days: 3}\n")
    # when plan runs
    code, out, err = run("plan", str(template), "--region", "us-east-1")
    # then the warnings come first, then every property problem; no word of credentials
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == (f"{template}:8: warning: template: duplicate key 'Tags' (first at line 7); CloudFormation "
                        "keeps only this last one: merge the two or remove one")
    assert lines[1].startswith(f"{template}:6: warning: Resources.Repos.Properties.EmptyOnDelete: YAML 1.1 reads "
                               "the unquoted yes as the boolean true")
    assert lines[2].startswith(f"ecr-repos plan: error: {template}:10: Resources.Repos.Properties.EcrRepositories."
                               "app/api.Days: ")
    assert len(lines) == 3
    assert "credentials" not in err


def test_plan_without_credentials_still_needs_them_for_a_valid_template(no_credentials, tmp_path):
    template = tmp_path / "ok.yaml"
    template.write_text(DUPLICATE)
    code, out, err = run("plan", str(template), "--region", "us-east-1")
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == duplicate_warning(template).rstrip("\n")
    assert err.splitlines()[1].startswith("ecr-repos plan: error: no AWS credentials found")


# --- the size ceiling of an Update event ---------------------------------------------------------

def big_template(path, repositories: int, value_length: int = 250) -> None:
    """A resource whose properties are about ``repositories`` KB: three long tags per repository."""
    lines = ["Resources:", "  Repos:", "    Type: Custom::EcrRepos", "    Properties:",
             "      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:ecr-repos-provider",
             "      EcrRepositories:"]
    tag = "v" * value_length
    for i in range(repositories):
        lines.append(f"        big/r{i:04d}: {{Tags: {{a: {tag}, b: {tag}, c: {tag}}}}}")
    path.write_text("\n".join(lines) + "\n")


def size_message(path) -> str:
    from ecr_repos.cli.template import load

    properties = load(path).resources["Repos"]["Properties"]
    message = limits.size_warning(properties)
    assert message is not None
    return message


def test_the_share_leaves_room_for_both_maps_and_the_envelope():
    assert limits.MAX_PROPERTIES_BYTES * 2 + limits.ENVELOPE_BYTES <= limits.ASYNC_PAYLOAD_BYTES
    assert limits.size_warning({"EcrRepositories": {"a/b": {}}}) is None
    big = {"EcrRepositories": {f"r{i:05d}": {"Tags": {"k": "v" * 100}} for i in range(5000)}}
    said = limits.size_warning(big)
    assert said is not None and "5000 repositories" in said and "RepositoryDefaults" in said
    assert f"keep them under {limits.MAX_PROPERTIES_BYTES:,} bytes" in said


def test_validate_warns_of_properties_past_their_share(tmp_path):
    template = tmp_path / "big.yaml"
    big_template(template, 700)
    code, out, err = run("validate", str(template))
    assert (code, err) == (1, "")
    assert out == f"{template}:4: Resources.Repos.Properties: {size_message(template)}\n"
    assert "700 repositories" in out


def test_validate_says_nothing_below_the_share(tmp_path):
    template = tmp_path / "fits.yaml"
    big_template(template, 500)
    assert run("validate", str(template)) == (0, f"{template}: OK (Repos)\n", "")


def test_plan_warns_of_properties_past_their_share_and_plans(endpoint, tmp_path):
    template = tmp_path / "big.yaml"
    big_template(template, 700)
    code, out, err = run("plan", str(template), "--region", "us-east-1", "--endpoint-url", endpoint)
    assert code == 0, err
    assert err == f"{template}:4: warning: Resources.Repos.Properties: {size_message(template)}\n"
    assert "Summary: 700 to create." in out


# --- usage errors: the exit codes docs/cli.md's table states -------------------------------------

def test_usage_errors_exit_2_but_drift_exits_1_as_the_console_script():
    from tests.cli.test_subprocess import ecr_repos

    codes = {" ".join(args): ecr_repos(*args).returncode
             for args in (["validate"], ["plan"], ["plan", "--bogus", "t.yaml"], ["demo", "--bogus"],
                          ["drift"], ["drift", "--bogus", "t.yaml"], ["drift", "--output", "xml", "t.yaml"])}
    assert codes == {"validate": 2, "plan": 2, "plan --bogus t.yaml": 2, "demo --bogus": 2,
                     "drift": 1, "drift --bogus t.yaml": 1, "drift --output xml t.yaml": 1}
