"""Run as a Lambda would, over a runtime whose SDK is old: one Create through the unpacked zip.

Usage: python -I -S lambda_old_runtime_driver.py REPO_ROOT DIR [DIR ...]. Prints one JSON line.
``-S`` leaves the interpreter's own site-packages out: ``sys.path`` is the DIRs, first wins, then the
standard library, as a Lambda's is ``/var/task`` (the zip) before ``/var/runtime`` (the runtime's boto3).
ECR is the moto server that ``AWS_ENDPOINT_URL`` names. REPO_ROOT lends the CloudFormation simulator,
loaded from its file as in lambda_zip_driver.py (standard library and the Lambda's own modules only).
"""

import importlib.util
import json
import os
import sys

repo_root, dirs = sys.argv[1], sys.argv[2:]
sys.dont_write_bytecode = True  # /var/task is read-only
sys.path[:0] = dirs

import boto3  # noqa: E402
import botocore  # noqa: E402

import ecr_repos.handler  # noqa: E402, F401

_spec = importlib.util.spec_from_file_location(
    "cfn_simulator", os.path.join(repo_root, "provider", "ecr_repos", "cli", "cloudformation.py"))
simulator = sys.modules["cfn_simulator"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up
_spec.loader.exec_module(simulator)


def origin(module):
    """The DIR a module was imported from (its index in DIRs), or its path when from none of them."""
    for index, folder in enumerate(dirs):
        if os.path.abspath(module.__file__).startswith(os.path.abspath(folder) + os.sep):
            return index
    return module.__file__


created = simulator.Resource(stack_name="old-runtime").create({"EcrRepositories": {
    "app/api": {"IsImmutable": True, "MutableTagPatterns": ["dev-*", "latest"]},
    "app/tools": {"IsImmutable": False, "ImmutableTagPatterns": ["release-*"]},
}})
print(json.dumps({
    "botocore": [botocore.__version__, origin(botocore)],
    "boto3": [boto3.__version__, origin(boto3)],
    "created": [created.status, created.reason, created.body.get("Data", {})],
}))
