"""Run inside a bare Python 3.13 venv (boto3 + moto only): Create/Delete through the unpacked zip.

Usage: python lambda_zip_driver.py LAMBDA_DIR REPO_ROOT. Prints one JSON line with what happened.
The provider and its dependencies must come from LAMBDA_DIR; REPO_ROOT only lends the
CloudFormation simulator, loaded from its file (provider/ecr_repos/cli/cloudformation.py: standard library
and the Lambda's own modules only), since the zip has no ecr_repos/cli and this venv no PyYAML.
"""

import importlib.util
import json
import os
import sys

lambda_dir, repo_root = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True  # /var/task is read-only: only the zip's own bytecode can be used

# Record every module compiled from source at import time (none from the zip when it carries bytecode).
import importlib._bootstrap_external as _external  # noqa: E402

compiled_from_source = []
_source_to_code = _external.SourceLoader.source_to_code


def _recording_source_to_code(self, data, path, *args, **kwargs):
    compiled_from_source.append(str(path))
    return _source_to_code(self, data, path, *args, **kwargs)


_external.SourceLoader.source_to_code = _recording_source_to_code
sys.path.insert(0, lambda_dir)

from moto.server import ThreadedMotoServer  # noqa: E402

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
os.environ.update({
    "AWS_ENDPOINT_URL": f"http://{host}:{port}",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
})

import boto3  # noqa: E402
import jsonschema  # noqa: E402
import rpds  # noqa: E402

import ecr_repos.handler  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "cfn_simulator", os.path.join(repo_root, "provider", "ecr_repos", "cli", "cloudformation.py"))
simulator = sys.modules["cfn_simulator"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up
_spec.loader.exec_module(simulator)
Resource = simulator.Resource

ecr = boto3.client("ecr")
resource = Resource(stack_name="zip-test")
created = resource.create({"Tags": {"team": "platform"}, "EcrRepositories": {
    "app/api": {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}], "AdditionalPullAccountIds": ["222222222222"]},
    "app/worker": {"IsImmutable": False},
}})
after_create = sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])
policy = json.loads(ecr.get_repository_policy(repositoryName="app/api")["policyText"])
deleted = resource.delete()
after_delete = sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])
server.stop()

print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "compiled_from_zip_sources": sorted(os.path.relpath(p, lambda_dir) for p in compiled_from_source
                                        if os.path.abspath(p).startswith(os.path.abspath(lambda_dir) + os.sep)),
    "modules": {m.__name__: os.path.relpath(m.__file__, lambda_dir).split(os.sep)[0]
                for m in (ecr_repos.handler, jsonschema, rpds)},
    "created": [created.status, created.reason, created.data],
    "after_create": after_create,
    "pull_principals": [s["Principal"] for s in policy["Statement"]],
    "deleted": [deleted.status, deleted.reason],
    "after_delete": after_delete,
    "provider_modules": sorted(m for m in sys.modules if m == "ecr_repos" or m.startswith("ecr_repos.")),
    "cli_importable": importlib.util.find_spec("ecr_repos.cli") is not None,
    # the continuation's Invoke of itself needs the lambda model in the zip's trimmed botocore
    "lambda_invoke": "Invoke" in boto3.client("lambda", region_name="us-east-1").meta.service_model.operation_names,
}))
