"""The ``ecr-repos`` command: validate templates, plan an Update, show drift, run the demo.

``main(argv)`` parses arguments and dispatches; each command lives in its own module. Errors go
to stderr with a non-zero exit; progress is shown on a terminal only. The Lambda never imports
this package (it needs PyYAML, which the Lambda zip does not ship).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from .common import EXIT_ERROR, EXIT_OK, CliError

__all__ = ["main"]

_EPILOG = """exit codes: 0 success, 1 problems found (validate), 2 the command could not run;
drift: 0 no drift, 2 drift found, 1 error.
Progress goes to stderr on a terminal only; results go to stdout."""


def _parameters(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--parameters takes KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="ecr-repos",
        description="Check, plan and demonstrate Custom::EcrRepos, the CloudFormation custom resource "
                    "that manages a map of Amazon ECR repositories.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check every Custom::EcrRepos in templates",
        description="Read CloudFormation templates (YAML with short-form intrinsics such as !Ref and !Sub, or "
                    "JSON), find every Custom::EcrRepos and check its properties with the provider's own "
                    "validation. Prints 'file:line: path: message' per problem to stdout. Values that are "
                    "intrinsic functions are accepted where the type could match.",
        epilog="exit codes: 0 no problems, 1 problems found, 2 a file could not be read.",
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
        epilog="Ownership: with --stack-id, or when DescribeStacks finds the stack, the provider's owner hash is "
               "compared exactly; otherwise repositories tagged ecr-repos:stack=NAME and "
               "ecr-repos:logical-id=ID count as this resource's.\n"
               "Previous properties: when the stack exists, its deployed template (GetTemplate) resolved with "
               "its parameters and the resource's physical id (DescribeStackResource) make the plan the Update's "
               "own; otherwise the user tags of the repositories this resource owns stand for those declared "
               "before. The header says which.\n"
               "exit codes: 0 the plan was computed (conflicts included), 2 it could not be.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan.add_argument("template", metavar="TEMPLATE", help="template file (.yaml, .yml, .json)")
    plan.add_argument("--logical-id", help="the Custom::EcrRepos to plan (needed when the template has several)")
    plan.add_argument("--stack-name", help="the stack's name (default: the template's file name without suffix)")
    plan.add_argument("--stack-id", help="the stack's ARN, when known, for exact ownership")
    plan.add_argument("--region", help="the registry's region (default: AWS_REGION / the profile's)")
    plan.add_argument("--endpoint-url", help="an ECR-compatible endpoint, e.g. a moto server")
    plan.add_argument("--parameters", nargs="+", default=[], metavar="KEY=VALUE",
                      help="template parameter values (defaults are used for the others)")
    plan.add_argument("--output", choices=("text", "json"), default="text", help="text (default) or json")

    drift = commands.add_parser(
        "drift", help="compare the registry with what a Custom::EcrRepos declares",
        description="For every repository the resource declares (the deployed properties when the stack exists, "
                    "else the template's), compare the live registry (read calls only: Describe/List/Get) with "
                    "the declared settings and list each difference by repository and setting: a missing "
                    "repository, mutability, scanning, the lifecycle policy (rule by rule), the repository "
                    "policy (statement by statement), the managed tags, the provider's own tags and ownership "
                    "problems. What it lists is what an Update that changes ReconcileToken repairs.",
        epilog="Repair: change the resource's ReconcileToken property (any new string) and deploy.\n"
               "exit codes: 0 no drift, 2 drift found, 1 error (as terraform plan -detailed-exitcode).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    drift.add_argument("template", metavar="TEMPLATE", help="template file (.yaml, .yml, .json)")
    drift.add_argument("--logical-id", help="the Custom::EcrRepos to check (needed when the template has several)")
    drift.add_argument("--stack-name", help="the stack's name (default: the template's file name without suffix)")
    drift.add_argument("--stack-id", help="the stack's ARN, when known, for exact ownership")
    drift.add_argument("--region", help="the registry's region (default: AWS_REGION / the profile's)")
    drift.add_argument("--endpoint-url", help="an ECR-compatible endpoint, e.g. a moto server")
    drift.add_argument("--parameters", nargs="+", default=[], metavar="KEY=VALUE",
                       help="template parameter values, when the stack does not exist")
    drift.add_argument("--output", choices=("text", "json"), default="text", help="text (default) or json")

    demo = commands.add_parser(
        "demo", help="run a template's Custom::EcrRepos through Create, Update and Delete on moto",
        description="Start an embedded moto server on 127.0.0.1, then send the template's Custom::EcrRepos "
                    "CloudFormation-shaped Create, Update (one setting changed, a repository added and one "
                    "removed, then the clean-up Delete of the old physical id) and Delete events to the real "
                    "Lambda entry point, provider.handler.handler. Prints each response and a table of the "
                    "repositories after each step. Needs no AWS account and no network.",
    )
    demo.add_argument("template", nargs="?", default=None, metavar="TEMPLATE",
                      help="template with a Custom::EcrRepos (default: templates/example.yaml)")
    demo.add_argument("--logical-id", help="the Custom::EcrRepos to run (needed when the template has several)")
    return root


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
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
        if args.command == "validate":
            from . import validate

            return validate.run(args.templates, out, err, region=args.region)
        if args.command == "plan":
            from . import plan as plan_mod
            from . import render

            report = plan_mod.compute(
                args.template, logical_id=args.logical_id, stack_name=args.stack_name, stack_id=args.stack_id,
                parameters=_parameters(args.parameters),
                target=plan_mod.Target(args.region, args.endpoint_url), progress=err,
            )
            out.write(render.as_json(report) if args.output == "json" else render.as_text(report))
            return EXIT_OK
        if args.command == "drift":
            from . import drift as drift_mod

            try:
                report = drift_mod.compute(
                    args.template, logical_id=args.logical_id, stack_name=args.stack_name, stack_id=args.stack_id,
                    parameters=_parameters(args.parameters),
                    target=drift_mod.Target(args.region, args.endpoint_url), progress=err,
                )
            except CliError as exc:
                err.write(f"ecr-repos drift: error: {exc}\n")
                return drift_mod.EXIT_FAILED
            out.write(drift_mod.as_json(report) if args.output == "json" else drift_mod.as_text(report))
            return drift_mod.EXIT_DRIFT if report.differences else drift_mod.EXIT_CLEAN
        if args.command == "demo":
            from . import demo

            return demo.run(args.template, args.logical_id, out, err)
        parser().print_help(err)
        return EXIT_ERROR
    except CliError as exc:
        err.write(f"ecr-repos {args.command}: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
