"""ecr-repos: the Custom::EcrRepos CloudFormation provider.

Layout (one job per module):
- ``schema``     loads schema/ecr-repos.schema.json, coerces CloudFormation's strings, lists problems.
- ``spec``       the validated, typed desired state (frozen dataclasses).
- ``lifecycle``  builds and checks ECR lifecycle policies.
- ``access``     builds repository (cross-account) policies.
- ``ownership``  owner and reference tags, physical ids.
- ``planner``    pure: desired vs actual state -> actions.
- ``executor``   the only code that calls ECR.
- ``outputs``    the response Data, kept inside CloudFormation's 4096-byte limit.
- ``handler``    the thin Lambda entry point.
- ``sdk``        the oldest botocore the provider's parameters need (pyproject.toml's floor).
"""

__version__ = "0.2.0"
