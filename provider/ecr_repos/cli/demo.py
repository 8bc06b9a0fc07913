"""``ecr-repos demo``: a template's Custom::EcrRepos through Create, Update and Delete on moto.

Everything runs in this process: an embedded moto server on 127.0.0.1 (any free port), the
CloudFormation simulator of ``ecr_repos.cli.cloudformation`` sending CloudFormation-shaped events
(every scalar a string) to the real Lambda entry point ``ecr_repos.handler.handler``, and the
response PUT captured where crhelper sends it. Fake credentials; nothing leaves the machine.
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from ..repos import lifecycle, ownership, spec
from ..repos.outputs import partition_of
from ..repos.ownership import Owner
from . import describe, render
from .common import EXIT_OK, EXIT_PROBLEMS, CliError, templates_dir
from .plan import BY_STACK_ID, PLACEHOLDER_TOKEN, PlanReport, checked, desired_properties, precheck
from .registry_demo import RegistryDemo
from .template import Template, TemplateError, load

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
    return templates_dir() / "example.yaml"


def _reset(url: str) -> None:
    """Start from an empty account: moto keeps its state per process, so a second demo in one process
    (the tests, or a --keep-server run before) would otherwise meet the first one's registry."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).close()


@contextmanager
def moto_environment(region: str = REGION, port: int = 0) -> Iterator[str]:
    """A moto server on 127.0.0.1 (``port``, 0: any free one) and the environment that points boto3
    at it; both undone after."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise CliError("demo needs moto, which is not installed: pip install 'ecr-repos[demo]'") from exc
    saved = dict(os.environ)
    os.environ.update({**_ENV, "AWS_REGION": region, "AWS_DEFAULT_REGION": region})
    for name in _DROP:
        os.environ.pop(name, None)

    # The embedded server's request log (werkzeug) would drown the demo's own output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    grammar = ecr_lifecycle_grammar()
    grammar.__enter__()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        _reset(url)
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
    validator is swapped for the provider's own check of ECR's grammar (provider/ecr_repos/repos/lifecycle.py); the
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


class _Fitted:
    """``out`` with every line longer than WIDTH wrapped, the continuation indented under it."""

    def __init__(self, out: TextIO):
        self.out = out

    def write(self, text: str) -> None:
        import textwrap

        lines = []
        for line in text.split("\n"):
            if len(line) <= WIDTH:
                lines.append(line)
                continue
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            lines.extend(textwrap.wrap(line, WIDTH, subsequent_indent=indent, break_on_hyphens=False,
                                       break_long_words=False))
        self.out.write("\n".join(lines))


def read_registry(client: Any) -> list[dict[str, Any]]:
    """What the registry holds, one dict per repository, read with the provider's executor."""
    from ..repos.executor import Executor

    executor = Executor(client=client, workers=4)
    existing = executor.list_repositories()
    states = executor.inspect(existing, list(existing))
    rows = []
    for name in sorted(states):
        state = states[name]
        tags = state.tags or {}
        images = len(client.list_images(repositoryName=name).get("imageIds", []))
        rows.append({
            "name": name,
            # the table says IMMUTABLE or MUTABLE (* with exceptions); the details name the exceptions
            "mutability": spec.tag_mutability(state.immutable) + ("*" if state.tag_exclusions else ""),
            "mutability_text": describe.mutability_text(state.immutable, state.tag_exclusions),
            "encryption": spec.encryption_text(state.encryption, state.kms_key),
            "scan": "on" if state.scan_on_push else "off",
            "images": images,
            "lifecycle": describe.lifecycle_summary(state.lifecycle_policy),
            "lifecycle_lines": describe.lifecycle_lines(state.lifecycle_policy),
            "access": describe.access(state.repository_policy),
            "policy_lines": describe.policy_lines(state.repository_policy),
            "tags": describe.user_tags(tags),
            "owner": f"{tags.get(ownership.STACK, '-')}/{tags.get(ownership.LOGICAL_ID, '-')}"
                     f"{' (adopted)' if ownership.is_adopted(tags) else ''}"
                     if tags.get(ownership.OWNER) else "none",
        })
    return rows


WIDTH = 100  # every line the demo prints fits this many columns


def _fit(cells: list[str], widths: list[int], limit: int) -> list[int]:
    """Column widths whose row fits ``limit`` columns: the widest column gives way first."""
    widths = list(widths)
    while 2 + sum(widths) + 2 * (len(widths) - 1) > limit and max(widths) > 8:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    return widths


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _access(row: dict[str, Any]) -> str:
    found = row["access"]
    if found is None:
        return "custom"
    pull, push = found
    return f"{len(pull)} pull, {len(push)} push" if pull or push else "-"


class Registry:
    """The tables of the demo: one line per repository, then the details (lifecycle rules,
    repository policy, user tags) of each repository whose details are new since last shown."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[Any, ...]] = {}

    def table(self, rows: list[dict[str, Any]]) -> str:
        if not rows:
            return "  (no repositories)\n"
        header = ["REPOSITORY", "MUTABILITY", "SCAN", "IMAGES", "LIFECYCLE", "ACCESS", "OWNER"]
        body = [[r["name"], r["mutability"], r["scan"], str(r["images"]), r["lifecycle"], _access(r), r["owner"]]
                for r in rows]
        widths = _fit(header, [max(len(line[i]) for line in [header] + body) for i in range(len(header))], WIDTH)
        lines = ["  " + "  ".join(_cell(cell, widths[i]).ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
                 for line in [header] + body]
        if any(r["mutability"].endswith("*") for r in rows):
            lines.append("  * with tag exceptions (ECR's ..._WITH_EXCLUSION): the details name them")
        details = []
        for row in rows:
            key = (tuple(row["lifecycle_lines"]), tuple(row["policy_lines"]), tuple(sorted(row["tags"].items())),
                   row["encryption"], row["mutability_text"])
            if self._shown.get(row["name"]) == key:
                continue
            self._shown[row["name"]] = key
            details.append(f"  {row['name']}")
            if row["mutability"].endswith("*"):
                details.extend(_labelled("mutability", [row["mutability_text"]]))
            details.extend(_labelled("lifecycle", row["lifecycle_lines"] or ["none"]))
            details.extend(_labelled("policy", row["policy_lines"] or ["none"]))
            details.extend(_labelled("tags", [describe.tags_text(row["tags"])]))
            details.extend(_labelled("encryption", [row["encryption"]]))
        if details:
            lines.append("")
            lines.extend(details)
        else:
            lines.append("  (details unchanged since shown above)")
        return "\n".join(lines) + "\n"


def _labelled(label: str, values: list[str]) -> list[str]:
    """``label: first`` then the other values aligned under the first, each cut to WIDTH."""
    return [_cell(f"      {(label + ':' if i == 0 else '').ljust(len(label) + 1)} {value}", WIDTH)
            for i, value in enumerate(values)]


def table(rows: list[dict[str, Any]]) -> str:
    """The repositories as one table with all their details (a fresh ``Registry``)."""
    return Registry().table(rows)


def _banner(out: TextIO, title: str) -> None:
    out.write(f"\n=== {title} {'=' * max(3, 74 - len(title))}\n")


def _properties(template: Template, logical_id: str, parameters: dict[str, str], region: str, stack_id: str,
                stack_name: str) -> dict[str, Any]:
    """The resource's properties as CloudFormation would send them, checked as the provider checks them."""
    properties = desired_properties(template, logical_id, parameters, region=region, account=ACCOUNT,
                                    stack_name=stack_name, stack_id=stack_id)
    properties.pop("ServiceTimeout", None)
    properties["ServiceToken"] = PLACEHOLDER_TOKEN
    checked(template, logical_id, properties, region)
    properties.pop("ServiceToken")
    return properties


def _known_region(region: str) -> str:
    """``region`` if ECR has it in some partition (moto knows the same regions), else CliError."""
    import boto3

    session = boto3.Session()
    known = {r for partition in session.get_available_partitions()
             for r in session.get_available_regions("ecr", partition_name=partition)}
    if region not in known:
        close = difflib.get_close_matches(region, sorted(known), n=1)
        raise CliError(f"unknown region {region!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                       f"; ECR's regions: {', '.join(sorted(known))}"))
    return region


def _need_moto() -> None:
    try:
        found = importlib.util.find_spec("moto.server")
    except ImportError:
        found = None
    if found is None:
        raise CliError("demo needs moto, which is not installed: pip install 'ecr-repos[demo]'")


def _until_interrupted(url: str) -> None:
    """Block until Ctrl-C (or SIGTERM): ``--keep-server``'s server serves other processes meanwhile."""
    import signal
    import threading

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        # A shell starts `cmd &` with SIGINT ignored; `kill PID` sends SIGTERM: both stop the server.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: Ctrl-C reaches the main thread anyway
        pass
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


def _kept(out: TextIO, url: str, template: str, logical_id: str, stack_name: str, region: str,
          parameters: dict[str, str]) -> None:
    """What ``--keep-server`` prints once the Create is done: the endpoint and commands to try."""
    import shlex

    extra = f" --logical-id {logical_id}" if logical_id != "Repos" else ""
    if parameters:
        extra += " --parameters " + " ".join(shlex.quote(f"{k}={v}") for k, v in parameters.items())
    where = f"--stack-name {shlex.quote(stack_name)} --region {region} --endpoint-url {url}{extra}"
    path = shlex.quote(template)
    _banner(out, "The moto server stays up (Ctrl-C stops it)")
    out.write(f"endpoint: {url}\n\n"
              "In another shell (moto takes any credentials; the stack is not in moto's CloudFormation, so\n"
              "plan and drift match owners by the ecr-repos:stack and ecr-repos:logical-id tags):\n\n"
              f"  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION={region}\n"
              f"  ecr-repos plan {path} {where}\n"
              f"  ecr-repos drift {path} {where}\n"
              "  # change a repository by hand, then run drift again:\n"
              f"  aws ecr put-image-scanning-configuration --endpoint-url {url} --repository-name NAME \\\n"
              "      --image-scanning-configuration scanOnPush=false\n")
    out.flush()


def run(template_path: str | None, logical_id: str | None, out: TextIO, err: TextIO, *,
        parameters: dict[str, str] | None = None, region: str | None = None, stack_name: str | None = None,
        keep_server: bool = False, port: int = 0, wait: Callable[[str], None] = _until_interrupted) -> int:
    """The demo; with ``keep_server`` only the Create, then the server stays up while ``wait(url)``
    runs (until Ctrl-C from the command line)."""
    _need_moto()
    path = Path(template_path) if template_path else default_template()
    template = load(path)
    if not template.custom_resources() and not logical_id:
        others = ", ".join(p.name for p in sorted(templates_dir().glob("*.yaml")) if _has_resource(p))
        raise CliError(f"{template.path}: no Custom::EcrRepos resource in the template; demo one that has "
                       f"(such as {others or 'example.yaml'} of {templates_dir()})")
    template, logical_id = precheck(str(path), logical_id, region or REGION, lambda line: err.write(f"{line}\n"))
    region = _known_region(region or REGION)
    stack_name = stack_name or STACK_NAME

    from .cloudformation import Resource

    resource = Resource(stack_name=stack_name, logical_id=logical_id, account=ACCOUNT, region=region)
    create_props = _properties(template, logical_id, parameters or {}, region, resource.stack_id, stack_name)
    if not isinstance(create_props.get("EcrRepositories"), dict):
        raise CliError(f"{path}: {logical_id}.EcrRepositories must be a map")
    update_props, update_said = updated(create_props)
    # The template's Custom::EcrRegistry, if any, goes through the same steps (cli/registry_demo.py).
    beside = RegistryDemo.find(template, parameters or {}, region=region, account=ACCOUNT, stack_name=stack_name,
                               stack_uuid=resource.stack_uuid)

    shown = template_path or str(path)
    steps = "Create, then the moto server stays up" if keep_server else "Create, Update and Delete"
    names = f"{logical_id} and {beside.logical_id}" if beside else logical_id
    out.write(f"ecr-repos demo: {names} through {steps}\n")
    out.write(f"template: {shown}\n")  # a path is never wrapped
    raw, out = out, _Fitted(out)  # type: ignore[assignment]
    registry = Registry()
    with moto_environment(region, port if keep_server else 0) as url:
        import boto3

        # Imported only now: crhelper builds its clients at import, from the region set above.
        import ecr_repos.handler  # noqa: F401

        client = boto3.client("ecr", region_name=region, endpoint_url=url)
        out.write(f"moto server: {url} (embedded; {'kept running' if keep_server else 'stopped at the end'})\n")
        raw.write(f"stack: {resource.stack_id}\n")  # nor an ARN

        _banner(out, f"1. Create {logical_id}: {len(create_props['EcrRepositories'])} repositories")
        created = resource.create(create_props)
        _response(out, created)
        out.write(registry.table(read_registry(client)))
        if not created.ok or (beside and not beside.send(out, "Create", client, _response)):
            return _failed(out, "Create")
        if keep_server:
            _kept(raw, url, shown, logical_id, stack_name, region, parameters or {})
            wait(url)
            raw.write("moto server stopped.\n")
            return EXIT_OK

        _banner(out, "2. Plan of the Update (ecr-repos plan, read calls only)")
        for line in update_said:
            out.write(f"  change: {line}\n")
        out.write(_plan_text(client, create_props, update_props, resource, created.physical_id, str(path)))
        if beside:
            out.write("\n" + beside.plan_text(client))

        _banner(out, "3. Update (in place or with a new physical id)")
        changed = resource.update(update_props)
        _response(out, changed)
        out.write(registry.table(read_registry(client)))
        if not changed.ok or (beside and not beside.send(out, "Update", client, _response)):
            return _failed(out, "Update")

        _banner(out, "4. UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: Delete of the old physical id")
        cleaned = resource.cleanup()
        if cleaned is None:
            out.write("  (same physical id: CloudFormation sends no clean-up Delete)\n")
        else:
            _response(out, cleaned)
        out.write(registry.table(read_registry(client)))

        pushed = _push_images(client, update_props)
        _banner(out, f"5. Delete {logical_id}")
        if pushed:
            out.write(f"  (pushed one image into each repository declared with EmptyOnDelete: true, as CI "
                      f"would: {', '.join(pushed)})\n\n")
        deleted = resource.delete()
        _response(out, deleted)
        left = read_registry(client)
        out.write(registry.table(left))
        if left:
            out.write("  Repositories with images and no EmptyOnDelete were kept, as the provider promises.\n")
        if beside:
            beside.send(out, "Delete", client, _response)
        ok = created.ok and changed.ok and (cleaned is None or cleaned.ok) and deleted.ok and (not beside or beside.ok)
        if beside:
            out.write(f"\n{beside.summary()}\n")
        out.write(f"\nDone: Create {created.status}, Update {changed.status}, "
                  f"clean-up {cleaned.status if cleaned else 'not needed'}, Delete {deleted.status}.\n")
        return EXIT_OK if ok else EXIT_PROBLEMS


def _failed(out: TextIO, step: str) -> int:
    out.write(f"\nStopped: the {step} answered FAILED (its Reason is above); the demo's moto server is discarded.\n")
    return EXIT_PROBLEMS


def _has_resource(path: Path) -> bool:
    try:
        return bool(load(path).custom_resources())
    except TemplateError:
        return False


def _push_images(client: Any, properties: dict[str, Any]) -> list[str]:
    """Push one image into each repository declared with EmptyOnDelete (as CI would), so that the
    Delete shows it emptying them."""
    data = spec.coerce(properties)
    prefix = spec.name_prefix(data)  # ECR's names are NamePrefix + key
    names = [prefix + n for n, s in data["EcrRepositories"].items()
             if isinstance(s, dict) and s.get("EmptyOnDelete", data.get("EmptyOnDelete", False)) is True]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                      "digest": "sha256:" + "0" * 64}, "layers": []})
    for name in names:
        client.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    return names


def _plan_text(client: Any, old: dict[str, Any], new: dict[str, Any], resource: Any, physical_id: str | None,
               path: str) -> str:
    """``ecr-repos plan``'s text for the Update, with the Create's properties as the previous ones."""
    from ..repos.executor import Executor
    from .plan import Deployed, _plan_deployed

    partition = partition_of(resource.region)
    desired = spec.parse({"ServiceToken": "x", **new}, partition, region=resource.region)
    owner = Owner(resource.stack_id, resource.logical_id)
    report = PlanReport(path, resource.logical_id, resource.stack_name, resource.region, ACCOUNT, BY_STACK_ID,
                        resource.stack_id, [])
    _plan_deployed(Executor(client=client, workers=4), desired, owner,
                   Deployed({"ServiceToken": "x", **old}, physical_id), partition, report)
    body = render.as_text(report).split("\n\n", 1)[1]
    head = [f"Previous properties: the Create's; physical id {physical_id} "
            f"{'kept' if report.keeps_physical_id else 'replaced (step 4 deletes the old one)'}", ""]
    return "".join(f"  {line}\n" if line else "\n" for line in head + body.splitlines())
