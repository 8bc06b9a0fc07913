"""``ecr-repos demo``: a template's Custom::EcrRepos through Create, Update and Delete on moto.

Everything runs in this process: an embedded moto server on 127.0.0.1 (any free port), the
CloudFormation simulator of ``provider.cloudformation`` sending CloudFormation-shaped events
(every scalar a string) to the real Lambda entry point ``provider.handler.handler``, and the
response PUT captured where crhelper sends it. Fake credentials; nothing leaves the machine.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, TextIO

from .. import lifecycle, ownership, spec
from ..ownership import Owner
from ..template import TemplateError, load
from . import describe, render
from .common import EXIT_ERROR, EXIT_OK, CliError, pick_resource
from .plan import BY_STACK_ID, PlanReport, desired_properties

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
STACK_NAME = "demo"
ADDED_REPOSITORY = "demo/added-by-update"
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}
_DROP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
         "AWS_ENDPOINT_URL_ECR", "AWS_CA_BUNDLE")


def default_template() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "templates" / "example.yaml"


@contextmanager
def moto_environment() -> Iterator[str]:
    """A moto server on 127.0.0.1 and the environment that points boto3 at it; both undone after."""
    saved = dict(os.environ)
    os.environ.update(_ENV)
    for name in _DROP:
        os.environ.pop(name, None)
    from moto.server import ThreadedMotoServer

    # The embedded server's request log (werkzeug) would drown the demo's own output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    grammar = ecr_lifecycle_grammar()
    grammar.__enter__()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = url
        yield url
    finally:
        grammar.__exit__(None, None, None)
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def ecr_lifecycle_grammar() -> Iterator[None]:
    """The demo's registry takes the lifecycle grammar ECR has had since November 2025.

    moto 5.2 knows only the older one (action ``expire``, countType ``imageCountMoreThan`` or
    ``sinceImagePushed``) and would refuse ArchiveRules and DaysSincePull. For the demo, its
    validator is swapped for the provider's own check of ECR's grammar (provider/lifecycle.py); the
    tests teach moto the grammar independently (tests/support/ecr_fidelity.py)."""
    from moto.ecr import models
    from moto.ecr.exceptions import InvalidParameterException

    class EcrGrammar:
        def __init__(self, policy_text: str):
            self.policy_text = policy_text

        def validate(self) -> None:
            _, found = lifecycle.parse_text(self.policy_text)
            if found:
                raise InvalidParameterException("Invalid parameter at 'LifecyclePolicyText' failed to satisfy "
                                                f"constraint: 'Lifecycle policy validation failure: {found[0]}'")

    saved = models.EcrLifecyclePolicyValidator
    models.EcrLifecyclePolicyValidator = EcrGrammar  # type: ignore[misc]
    try:
        yield
    finally:
        models.EcrLifecyclePolicyValidator = saved  # type: ignore[misc]


def updated(properties: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The Update the demo sends: one setting changed, a repository added, the last one removed."""
    new = copy.deepcopy(properties)
    repos = new["EcrRepositories"]
    names = list(repos)
    said = []
    if names:
        first = repos[names[0]]
        scan = spec.coerce(properties)["EcrRepositories"][names[0]].get("ScanOnPush", True) is not False
        first["ScanOnPush"] = not scan
        said.append(f"{names[0]}: ScanOnPush {str(scan).lower()} -> {str(not scan).lower()}")
    repos[ADDED_REPOSITORY] = {"IsImmutable": True, "ExpirationRules": [{"TagPattern": "rc-*", "Days": 30}]}
    said.append(f"{ADDED_REPOSITORY}: added")
    if len(names) > 1:
        del repos[names[-1]]
        said.append(f"{names[-1]}: removed from the map")
    return new, said


def _response(out: TextIO, response: Any) -> None:
    body = response.body
    out.write(f"Response: {body['Status']}  ({response.size} bytes)\n")
    out.write(f"  PhysicalResourceId: {body.get('PhysicalResourceId')}\n")
    if body.get("Reason"):
        out.write(f"  Reason: {body['Reason']}\n")
    for key, value in sorted((body.get("Data") or {}).items()):
        out.write(f"  Data.{key}: {value}\n")
    out.write("\n")


def read_registry(client: Any) -> list[dict[str, Any]]:
    """What the registry holds, one dict per repository, read with the provider's executor."""
    from ..executor import Executor

    executor = Executor(client=client, workers=4)
    existing = executor.list_repositories()
    states = executor.inspect(existing, list(existing))
    rows = []
    for name in sorted(states):
        state = states[name]
        tags = state.tags or {}
        images = len(client.list_images(repositoryName=name).get("imageIds", []))
        pull, push = describe.access(state.repository_policy) or (["(custom)"], ["(custom)"])
        rows.append({
            "name": name,
            "mutability": describe.mutability_text(state.immutable, state.tag_exclusions),
            "encryption": state.encryption,
            "scan": "on" if state.scan_on_push else "off",
            "images": images,
            "lifecycle": describe.lifecycle_summary(state.lifecycle_policy),
            "lifecycle_lines": describe.lifecycle_lines(state.lifecycle_policy),
            "pull": pull,
            "push": push,
            "tags": describe.user_tags(tags),
            "owner": f"{tags.get(ownership.STACK, '-')}/{tags.get(ownership.LOGICAL_ID, '-')} "
                     f"({ownership.origin_of(tags).kind})" if tags.get(ownership.OWNER) else "none",
        })
    return rows


def table(rows: list[dict[str, Any]], details: bool = True) -> str:
    """The repositories as a table, then each one's lifecycle rules in full."""
    if not rows:
        return "  (no repositories)\n"
    header = ["REPOSITORY", "MUTABILITY", "SCAN", "ENCRYPTION", "IMAGES", "LIFECYCLE (rules)", "PULL", "PUSH", "OWNER",
              "USER TAGS"]
    body = [[r["name"], r["mutability"], r["scan"], r["encryption"], str(r["images"]), r["lifecycle"],
             ",".join(r["pull"]) or "-", ",".join(r["push"]) or "-", r["owner"], describe.tags_text(r["tags"])]
            for r in rows]
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    lines = ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
             for line in [header] + body]
    if details:
        lines.append("")
        for row in rows:
            lines.append(f"  {row['name']} lifecycle policy:")
            lines.extend(f"      {rule}" for rule in row["lifecycle_lines"] or ["(none)"])
    return "\n".join(lines) + "\n"


def _banner(out: TextIO, title: str) -> None:
    out.write(f"\n=== {title} {'=' * max(3, 74 - len(title))}\n")


def run(template_path: str | None, logical_id: str | None, out: TextIO, err: TextIO) -> int:
    path = Path(template_path) if template_path else default_template()
    try:
        template = load(path)
    except TemplateError as exc:
        raise CliError(str(exc)) from exc
    logical_id = pick_resource(template, logical_id)

    from ..cloudformation import SERVICE_TOKEN, Resource

    resource = Resource(stack_name=STACK_NAME, logical_id=logical_id, account=ACCOUNT, region=REGION)
    properties = desired_properties(template, logical_id, {}, region=REGION, account=ACCOUNT,
                                    stack_name=STACK_NAME, stack_id=resource.stack_id)
    properties["ServiceToken"] = SERVICE_TOKEN
    properties.pop("ServiceTimeout", None)
    if not isinstance(properties.get("EcrRepositories"), dict):
        raise CliError(f"{path}: {logical_id}.EcrRepositories must be a map")
    create_props = {k: v for k, v in properties.items() if k != "ServiceToken"}
    update_props, update_said = updated(create_props)

    shown = os.path.relpath(path)
    shown = shown if not shown.startswith("..") else str(path)
    out.write(f"ecr-repos demo: {shown} ({logical_id}) through Create, Update and Delete\n")
    with moto_environment() as url:
        import boto3

        # Imported only now: crhelper builds its clients at import, from the region set above.
        import provider.handler  # noqa: F401

        client = boto3.client("ecr", region_name=REGION, endpoint_url=url)
        out.write(f"moto server: {url} (embedded; stopped at the end)\n")
        out.write(f"stack: {resource.stack_id}\n")

        _banner(out, f"1. Create {logical_id}: {len(create_props['EcrRepositories'])} repositories")
        created = resource.create(create_props)
        _response(out, created)
        out.write(table(read_registry(client)))
        if not created.ok:
            return EXIT_ERROR

        _banner(out, "2. Plan of the Update (ecr-repos plan, read calls only)")
        for line in update_said:
            out.write(f"  change: {line}\n")
        out.write(_plan_text(client, update_props, resource, logical_id, str(path)))

        _banner(out, "3. Update (in place or with a new physical id)")
        changed = resource.update(update_props)
        _response(out, changed)
        out.write(table(read_registry(client)))
        if not changed.ok:
            return EXIT_ERROR

        _banner(out, "4. UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: Delete of the old physical id")
        cleaned = resource.cleanup()
        if cleaned is None:
            out.write("  (same physical id: CloudFormation sends no clean-up Delete)\n")
        else:
            _response(out, cleaned)
        out.write(table(read_registry(client), details=False))

        pushed = _push_images(client, update_props, out)
        _banner(out, f"5. Delete {logical_id}")
        deleted = resource.delete()
        _response(out, deleted)
        out.write(table(read_registry(client), details=False))
        if pushed and read_registry(client):
            out.write("  Repositories with images and no EmptyOnDelete were kept, as the provider promises.\n")
        ok = created.ok and changed.ok and (cleaned is None or cleaned.ok)
        out.write(f"\nDone: Create {created.status}, Update {changed.status}, "
                  f"clean-up {cleaned.status if cleaned else 'not needed'}, Delete {deleted.status}.\n")
        return EXIT_OK if ok else EXIT_ERROR


def _push_images(client: Any, properties: dict[str, Any], out: TextIO) -> list[str]:
    """Push one image into each repository declared with EmptyOnDelete (as CI would), so that the
    Delete shows it emptying them."""
    data = spec.coerce(properties)
    names = [n for n, s in data["EcrRepositories"].items()
             if isinstance(s, dict) and s.get("EmptyOnDelete", data.get("EmptyOnDelete", False)) is True]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                      "digest": "sha256:" + "0" * 64}, "layers": []})
    for name in names:
        client.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
        out.write(f"\n(pushed image {name}:v1; {name} has EmptyOnDelete: true)\n")
    return names


def _plan_text(client: Any, properties: dict[str, Any], resource: Any, logical_id: str, path: str) -> str:
    from ..executor import Executor
    from .plan import _plan

    desired = spec.parse({"ServiceToken": "x", **properties}, "aws", region=REGION)
    owner = Owner(resource.stack_id, logical_id)
    repos = _plan(Executor(client=client, workers=4), desired, owner, BY_STACK_ID, None)
    report = PlanReport(path, logical_id, STACK_NAME, REGION, ACCOUNT, BY_STACK_ID, resource.stack_id, repos)
    text = render.as_text(report)
    return "".join(f"  {line}\n" if line else "\n" for line in text.splitlines()[2:])
