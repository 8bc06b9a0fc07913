"""A CloudFormation simulator for one Custom::EcrRepos resource (tests' import path).

The simulator lives in ``provider/ecr_repos/cli/cloudformation.py`` so that ``ecr-repos demo`` drives the
provider with the same events and response capture as the tests; this module re-exports it.
"""

from __future__ import annotations

from ecr_repos.cli.cloudformation import (  # noqa: F401 - the public API of this module
    SERVICE_TOKEN,
    LambdaContext,
    Resource,
    Response,
    _Recorder,
    invoke,
    invoke_one,
    stringify,
)

__all__ = ["SERVICE_TOKEN", "LambdaContext", "Resource", "Response", "invoke", "invoke_one", "stringify"]
