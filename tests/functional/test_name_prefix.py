"""Issue 20 item 10: NamePrefix, put before every key of EcrRepositories, through the Lambda entry point.

A StackSet deploys one template everywhere and CloudFormation computes no map keys, so the
environment goes into ``NamePrefix: !Sub "${Env}/"`` (CloudFormation resolves it before the event;
the CLI accepts the intrinsic). The full name is what ECR, the Repos attribute, plan and drift see;
changing the prefix is a set change (the old names removed, the new ones added) under the usual
safety: a removed repository that holds images is kept unless EmptyOnDelete allows emptying it.
"""

from __future__ import annotations

import io

import pytest

from tests.support.cfn import Resource
from tests.support.registry import push_image, recorded_calls, snapshot
from tests.support.stack import Stack

KEYS = {"app/api": {"AdditionalPullAccountIds": ["111111111111"]}, "tools/base": {}}


def props(prefix: object = None, **extra: object) -> dict:
    out: dict = {"EcrRepositories": KEYS, **extra}
    if prefix is not None:
        out["NamePrefix"] = prefix
    return out


def test_every_repository_is_named_prefix_plus_key_and_the_attribute_lists_full_names(aws, ecr):
    response = Resource().create(props("dev/"))
    assert response.ok, response.reason
    assert set(snapshot(ecr)) == {"dev/app/api", "dev/tools/base"}
    assert response.data["Repos"] == "dev/app/api,dev/tools/base"
    assert response.data["RepoCount"] == "2"
    # the settings of each key go to its full name
    assert "111111111111" in snapshot(ecr)["dev/app/api"]["policy"]
    assert snapshot(ecr)["dev/tools/base"]["policy"] is None


@pytest.mark.parametrize("prefix,names", [
    ("dev-", {"dev-app/api", "dev-tools/base"}),
    ("team.a_", {"team.a_app/api", "team.a_tools/base"}),
    ("x", {"xapp/api", "xtools/base"}),
    ("", {"app/api", "tools/base"}),  # an empty parameter: no prefix
])
def test_prefixes_ending_in_a_separator_or_a_component(aws, ecr, prefix, names):
    response = Resource().create(props(prefix))
    assert response.ok, response.reason
    assert set(snapshot(ecr)) == names


def test_two_stacks_of_a_stack_set_share_one_template_and_one_account(aws, ecr):
    dev, prod = Resource(stack_name="app-dev"), Resource(stack_name="app-prod")
    assert dev.create(props("dev/")).ok
    assert prod.create(props("prod/")).ok
    assert set(snapshot(ecr)) == {"dev/app/api", "dev/tools/base", "prod/app/api", "prod/tools/base"}
    assert dev.delete().ok
    assert set(snapshot(ecr)) == {"prod/app/api", "prod/tools/base"}


@pytest.mark.parametrize("prefix,where,message", [
    ("Dev/", "NamePrefix", "must be lowercase letters and digits separated by '.', '_', '__', '-' or '/', and may "
                           "end in one of those separators, like 'dev/' or 'team-a-', got 'Dev/'"),
    ("dev//", "NamePrefix", None),
    ("/dev", "NamePrefix", None),
    ("dev\n", "NamePrefix", None),
    ("a" * 247, "EcrRepositories.tools/base",  # app/api makes 254 characters, tools/base 257
     "with NamePrefix (247 characters) the repository name is 257 characters; ECR allows 256: "
     "shorten the prefix or the key"),
])
def test_a_bad_prefix_or_too_long_a_full_name_fails_before_any_write(aws, ecr, prefix, where, message):
    with recorded_calls() as calls:
        response = Resource().create(props(prefix))
    assert response.status == "FAILED"
    assert response.reason.startswith(f"Invalid properties: {where}: ")
    if message:
        assert response.reason == f"Invalid properties: {where}: {message}"
    assert calls.names == []
    assert snapshot(ecr) == {}


def test_changing_the_prefix_replaces_the_repositories(aws, ecr):
    stack = Stack("app", "Repos")
    assert stack.create({"Repos": props("dev/")}).status == "CREATE_COMPLETE"
    outcome = stack.update({"Repos": props("staging/")})
    assert outcome.status == "UPDATE_COMPLETE"
    assert outcome.responses["Repos"].data["Repos"] == "staging/app/api,staging/tools/base"
    assert outcome.cleanup["Repos"].ok, outcome.cleanup["Repos"].reason
    assert set(snapshot(ecr)) == {"staging/app/api", "staging/tools/base"}
    assert "111111111111" in snapshot(ecr)["staging/app/api"]["policy"]
    assert stack.delete().status == "DELETE_COMPLETE"
    assert snapshot(ecr) == {}


def test_changing_the_prefix_keeps_a_removed_repository_that_holds_images(aws, ecr):
    stack = Stack("app", "Repos")
    assert stack.create({"Repos": props("dev/")}).status == "CREATE_COMPLETE"
    image = push_image(ecr, "dev/app/api", "v1")
    outcome = stack.update({"Repos": props("prod/")})
    assert outcome.status == "UPDATE_COMPLETE"
    cleanup = outcome.cleanup["Repos"]
    assert cleanup.status == "FAILED"
    assert cleanup.reason.startswith("Repository 'dev/app/api' still holds images and was kept.")
    assert set(snapshot(ecr)) == {"dev/app/api", "prod/app/api", "prod/tools/base"}
    assert snapshot(ecr)["dev/app/api"]["images"] == {image}


def test_changing_the_prefix_empties_removed_repositories_when_empty_on_delete_allows(aws, ecr):
    stack = Stack("app", "Repos")
    assert stack.create({"Repos": props("dev/", EmptyOnDelete=True)}).status == "CREATE_COMPLETE"
    push_image(ecr, "dev/app/api", "v1")
    outcome = stack.update({"Repos": props("prod/", EmptyOnDelete=True)})
    assert outcome.status == "UPDATE_COMPLETE" and outcome.cleanup["Repos"].ok
    assert set(snapshot(ecr)) == {"prod/app/api", "prod/tools/base"}


def test_a_failed_prefix_change_rolls_back_to_the_old_names(aws, ecr):
    from tests.support.stack import Other

    stack = Stack("app", "Repos", Other("Later"))
    assert stack.create({"Repos": props("dev/")}).status == "CREATE_COMPLETE"
    stack["Later"].fail = True
    outcome = stack.update({"Repos": props("prod/")})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert set(snapshot(ecr)) == {"dev/app/api", "dev/tools/base"}


def test_the_cli_accepts_an_intrinsic_prefix_and_checks_a_literal_one(tmp_path):
    from ecr_repos.cli import main

    def validate(prefix: str) -> tuple[int, str]:
        path = tmp_path / "t.yaml"
        path.write_text("Parameters:\n  Env: {Type: String}\nResources:\n  Repos:\n    Type: Custom::EcrRepos\n"
                        "    Properties:\n      ServiceToken: x\n"
                        f"      NamePrefix: {prefix}\n      EcrRepositories:\n        app/api: {{}}\n")
        out = io.StringIO()
        code = main(["validate", str(path)], out, io.StringIO())
        return code, out.getvalue()

    assert validate('!Sub "${Env}/"')[0] == 0
    assert validate("dev/")[0] == 0
    code, out = validate("Dev/")
    assert code == 1 and "Resources.Repos.Properties.NamePrefix: must be lowercase letters" in out
    code, out = validate("a" * 252)
    assert code == 1 and "Resources.Repos.Properties.EcrRepositories.app/api: with NamePrefix" in out
