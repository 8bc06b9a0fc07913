"""The ``ecr-repos`` command: validate templates, plan an Update, show drift, run the demo.

``main(argv)`` parses arguments and dispatches (``_run``); each command lives in its own module and
reports a user error by raising (``common.CliError``, or a template, file, credentials or connection
error as it comes): ``main`` hands whatever a command raises to ``common.report``, the one place
that prints an error (one line, plus one per problem) and picks the exit code. Progress is shown
on a terminal only. The Lambda never imports this package (it needs PyYAML, which the Lambda zip
does not ship).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from .common import EXIT_ERROR, EXIT_OK, CliError, lint_rules_dir, report
from .common import report as report_error

__all__ = ["main"]

_EPILOG = """exit codes: 0 success, 1 problems found (validate) or a step failed (demo), 2 the command
could not run (bad template or parameters, no credentials, endpoint unreachable, ...), 3 a bug.
drift, like terraform plan -detailed-exitcode: 0 no drift, 2 drift found, 1 any error.
Errors are one line on stderr; progress goes to stderr on a terminal only; results go to stdout."""


def _parameters(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--parameters takes KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _registry_options(command: argparse.ArgumentParser, verb: str, parameters_help: str) -> None:
    """The arguments of the commands that read a stack and its registry (plan, drift)."""
    command.add_argument("template", metavar="TEMPLATE", help="template file (.yaml, .yml, .json)")
    command.add_argument("--logical-id", help=f"the Custom::EcrRepos or Custom::EcrRegistry to {verb} (needed when the "
                                              "template has several, or to choose a Custom::EcrRegistry beside a "
                                              "Custom::EcrRepos)")
    command.add_argument("--stack-name", help="the stack's name (default: the template's file name without suffix)")
    command.add_argument("--stack-id", help="the stack's ARN, when known, for exact ownership")
    command.add_argument("--region", help="the registry's region (default: AWS_REGION / the profile's)")
    command.add_argument("--endpoint-url", help="an ECR-compatible endpoint, e.g. a moto server")
    command.add_argument("--parameters", nargs="+", default=[], metavar="KEY=VALUE", help=parameters_help)
    command.add_argument("--output", choices=("text", "json"), default="text", help="text (default) or json")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="ecr-repos",
        description="Check, plan and demonstrate Custom::EcrRepos, the CloudFormation custom resource "
                    "that manages a map of Amazon ECR repositories, and Custom::EcrRegistry, its parts of the "
                    "account's registry settings.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check every Custom::EcrRepos and Custom::EcrRegistry in templates",
        description="Read CloudFormation templates (YAML with short-form intrinsics such as !Ref and !Sub, or "
                    "JSON), find every Custom::EcrRepos and Custom::EcrRegistry and check its properties with the provider's own "
                    "validation. Prints 'file:line: path: message' per problem to stdout. Values that are "
                    "intrinsic functions are accepted where the type could match.",
        epilog="Unquoted values YAML 1.1 reads as something else than their text (yes/no/on/off, 012345670123 "
               "as an octal number, 12-digit account ids as numbers, dates) are reported with the fix. "
               "exit codes: 0 no problems, 1 problems found, 2 a file could not be read, 3 a bug.",
    )
    validate.add_argument("templates", nargs="+", metavar="TEMPLATE", help="template files (.yaml, .yml, .json)")
    validate.add_argument("--region", help="region whose partition the policies use (default: us-east-1)")

    plan = commands.add_parser(
        "plan", help="show what an Update with a template's properties would do",
        description="Resolve the template's parameters, pseudo parameters, Fn::Sub/Join/If/... and Conditions, "
                    "read the registry (read calls only: Describe/List/Get) and show what the provider would "
                    "do: + create, ~ change (with a diff of each setting, the lifecycle and the repository "
                    "policy), > adopt, - remove, ! retain (removed but holding images), < release (adopted, "
                    "handed back), x conflict (owned by another stack or by nobody), = unchanged.",
        epilog="Custom::EcrRegistry (--logical-id, or the template's only resource): each part the registry "
               "package's planner would add (+), change (~), remove (-) or refuse (x another's, ! over ECR's limit).\n"
               "Ownership: with --stack-id, or when DescribeStacks finds the stack, the provider's owner hash is "
               "compared exactly; otherwise repositories tagged ecr-repos:stack=NAME and "
               "ecr-repos:logical-id=ID count as this resource's.\n"
               "Previous properties: when the stack exists, its deployed template (GetTemplate) resolved with "
               "its parameters and the resource's physical id (DescribeStackResource) make the plan the Update's "
               "own; otherwise the user tags of the repositories this resource owns stand for those declared "
               "before. The header says which.\n"
               "exit codes: 0 the plan was computed (conflicts included), 2 it could not be (bad template or "
               "parameters, invalid properties, no credentials, endpoint unreachable, access denied), 3 a bug.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _registry_options(plan, "plan", "template parameter values (defaults are used for the others)")

    drift = commands.add_parser(
        "drift", help="compare the registry with what a Custom::EcrRepos or Custom::EcrRegistry declares",
        description="For every repository the resource declares (the deployed properties when the stack exists, "
                    "else the template's), compare the live registry (read calls only: Describe/List/Get) with "
                    "the declared settings and list each difference by repository and setting: a missing "
                    "repository, mutability, scanning, the lifecycle policy (rule by rule), the repository "
                    "policy (statement by statement), the managed tags, the provider's own tags and ownership "
                    "problems. What it lists is what an Update that changes ReconcileToken repairs.",
        epilog="Repair: change the resource's ReconcileToken property (any new string) and deploy.\n"
               "Custom::EcrRegistry (--logical-id, or the template's only resource): each declared part (statement, "
               "rule, prefix, exclusion, scanning) compared; any Update of the resource repairs it.\n"
               "exit codes: 0 no drift, 2 drift found, 1 error (as terraform plan -detailed-exitcode).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _registry_options(drift, "check", "template parameter values, when the stack does not exist")

    demo = commands.add_parser(
        "demo", help="run a template's Custom::EcrRepos through Create, Update and Delete on moto",
        description="Start an embedded moto server on 127.0.0.1, then send the template's Custom::EcrRepos "
                    "CloudFormation-shaped Create, Update (one setting changed, a repository added and one "
                    "removed, then the clean-up Delete of the old physical id) and Delete events to the real "
                    "Lambda entry point, ecr_repos.handler.handler. Prints each response and a table of the "
                    "repositories after each step; a Custom::EcrRegistry of the template goes through the same steps "
                    "(its registry policy, replication and scanning shown after each). Needs no AWS account and no "
                    "network.",
        epilog="The properties are resolved as plan resolves them (parameters, pseudo parameters, Conditions); "
               "the account is moto's, 123456789012. Needs moto: pip install 'ecr-repos[demo]'. "
               "exit codes: 0 every step answered SUCCESS, 1 a step answered FAILED, 2 the demo could not run "
               "(bad template, parameters or properties, moto missing), 3 a bug.",
    )
    demo.add_argument("template", nargs="?", default=None, metavar="TEMPLATE",
                      help="template with a Custom::EcrRepos (default: templates/example.yaml, which the package carries)")
    demo.add_argument("--logical-id", help="the Custom::EcrRepos to run (needed when the template has several)")
    demo.add_argument("--stack-name", help="the stack's name (default: demo)")
    demo.add_argument("--region", help="the region of the simulated stack and registry (default: us-east-1)")
    demo.add_argument("--parameters", nargs="+", default=[], metavar="KEY=VALUE",
                      help="template parameter values (defaults are used for the others)")
    demo.add_argument("--keep-server", action="store_true",
                      help="stop after the Create and leave the moto server running (until Ctrl-C), printing "
                           "its endpoint and the plan and drift commands to try against it")
    demo.add_argument("--port", type=int, default=0,
                      help="with --keep-server: the server's port on 127.0.0.1 (default: any free one)")

    commands.add_parser(
        "cfn-lint-rules", help="print the folder of the cfn-lint rules E9101 and E9103, for cfn-lint --append-rules",
        description="Print the folder that holds the cfn-lint rules E9101 (Custom::EcrRepos properties) and E9103 "
                    "(Custom::EcrRegistry properties) of this "
                    "installation. Use: cfn-lint --append-rules \"$(ecr-repos cfn-lint-rules)\" TEMPLATE ...",
    )
    return root


def version() -> str:
    """The installed distribution's version (pyproject.toml's), or a note when run from a bare checkout."""
    from importlib import metadata

    try:
        return metadata.version("ecr-repos")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install .)"


def _registry_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """What ``_registry_options`` parsed, as plan's and drift's ``compute`` take it."""
    from .plan import Target

    return {"logical_id": args.logical_id, "stack_name": args.stack_name, "stack_id": args.stack_id,
            "parameters": _parameters(args.parameters), "target": Target(args.region, args.endpoint_url)}


def _require_sdk() -> None:
    """Before a command that calls AWS: stop at once, saying what to do, when the environment's botocore
    is older than the provider's parameters (ecr_repos.sdk), rather than with a ParamValidationError
    halfway through. validate and cfn-lint-rules call no AWS API and run with any botocore."""
    from ..sdk import check_botocore

    problem = check_botocore()
    if problem:
        raise CliError(problem)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "validate":
        from . import validate

        return validate.run(args.templates, out, err, region=args.region)
    if args.command in ("plan", "drift") and _is_registry(args):
        return _registry(args, out, err)
    if args.command == "plan":
        from . import plan as plan_mod
        from . import render

        _require_sdk()
        planned = plan_mod.compute(args.template, **_registry_arguments(args), progress=err,
                                   warn=lambda line: err.write(f"{line}\n"))
        out.write(render.as_json(planned) if args.output == "json" else render.as_text(planned))
        return EXIT_OK
    if args.command == "drift":
        from . import drift as drift_mod

        try:
            _require_sdk()
            found = drift_mod.compute(args.template, **_registry_arguments(args), progress=err,
                                      warn=lambda line: err.write(f"{line}\n"))
        except Exception as exc:  # noqa: BLE001 - drift's own exit code for every error
            report(args.command, exc, err)
            return drift_mod.EXIT_FAILED
        out.write(drift_mod.as_json(found) if args.output == "json" else drift_mod.as_text(found))
        return drift_mod.EXIT_DRIFT if found.differences else drift_mod.EXIT_CLEAN
    if args.command == "demo":
        from . import demo

        _require_sdk()
        return demo.run(args.template, args.logical_id, out, err, parameters=_parameters(args.parameters),
                        region=args.region, stack_name=args.stack_name, keep_server=args.keep_server,
                        port=args.port)
    if args.command == "cfn-lint-rules":
        out.write(f"{lint_rules_dir()}\n")
        return EXIT_OK
    parser().print_help(err)
    return EXIT_ERROR


def _is_registry(args: argparse.Namespace) -> bool:
    from . import registry

    try:
        return registry.is_registry(args.template, args.logical_id)
    except Exception:  # noqa: BLE001 - an unreadable template: the Custom::EcrRepos path says why
        return False


def _registry(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """plan or drift of a Custom::EcrRegistry (cli/registry.py)."""
    from . import registry
    from .drift import EXIT_CLEAN, EXIT_DRIFT, EXIT_FAILED

    arguments = _registry_arguments(args)
    try:
        _require_sdk()  # the registry's calls need the newest floor (ecr_repos.sdk.FLOORS)
        report = (registry.plan if args.command == "plan" else registry.drift)(args.template, **arguments)
    except Exception as exc:  # noqa: BLE001 - reported once, with the command's exit code
        code = report_error(args.command, exc, err)
        return EXIT_FAILED if args.command == "drift" else code
    for warning in report.warnings:
        err.write(f"{warning}\n")
    out.write(registry.as_json(report) if args.output == "json" else registry.as_text(report))
    if args.command == "drift":
        return EXIT_DRIFT if report.differences else EXIT_CLEAN
    return EXIT_OK


def _silence(stream: TextIO) -> None:
    """Point the real stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    import os

    if stream is sys.stdout:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command. Every error a command raises ends here: ``common.report`` prints it as one
    line (and one per problem) and chooses the exit code, so no command prints a traceback."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        # drift's exit codes are terraform's: 2 means drift, so a usage error must not be 2.
        words = list(sys.argv[1:] if argv is None else argv)
        if exc.code == 2 and words[:1] == ["drift"]:
            return 1
        raise
    try:
        return _run(args, out, err)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:  # `ecr-repos demo | head`: the reader has gone, nothing to say
        _silence(out)
        return 141
    except Exception as exc:  # noqa: BLE001 - the one place errors become messages and exit codes
        return report(args.command, exc, err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
