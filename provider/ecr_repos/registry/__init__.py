"""Custom::EcrRegistry: a resource's parts of the account's ECR registry in one region.

resource.py (Create/Update/Delete: parse -> read -> plan -> apply -> Data), spec.py (validated desired
parts), planner.py (pure: desired, owned and actual -> actions), executor.py (the only code calling ECR
for this type), ownership.py (owned = declared before; physical ids), errors.py. docs/registry.md.
"""

__all__ = ["resource"]
