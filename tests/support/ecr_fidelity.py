"""moto made to match Amazon ECR: the one place where the tests' moto is corrected to AWS's rules.

moto 5.2 lags ECR in places (older repository-name pattern, no tag quota, the pre-2025 lifecycle
grammar). The provider is written against ECR, never against moto, so where moto is older or looser
the tests teach moto ECR's rule here, with the source of each rule named beside it (botocore's ECR
service model, ``botocore/data/ecr/2015-09-21/service-2.json``, and AWS's ECR documentation).

``install()`` patches ``moto.ecr.models`` (module constants and ``ECRBackend`` methods) in this process.
``tests/conftest.py`` calls it once at import, before any test, so every in-process ``mock_aws`` and
every ``ThreadedMotoServer`` the tests start (they run in the test process) enforce the same rules.
Each section below is one rule; add a rule as a section of its own and register it in ``install()``.
"""

from __future__ import annotations

_INSTALLED = False


def install() -> None:
    """Apply every correction once per process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    # Sections register themselves here, in the order they appear below.
    _install_tag_quota()


# --- the tag quota: at most 50 tags per repository -----------------------------------------------
# Source: botocore's ECR model, shape TooManyTagsException ("The list of tags on the repository is
# over the limit. The maximum number of tags that can be applied to a repository is 50."), raised by
# CreateRepository and TagResource; AWS docs, ECR service quotas ("Tags per repository: 50"). ECR
# counts the tags a repository has after the call: a TagResource that overwrites existing keys adds
# nothing. moto 5.2 accepts any number.

MAX_TAGS_PER_REPOSITORY = 50


def _too_many(count: int) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("TooManyTagsException",
                         f"The list of tags on the repository is over the limit ({count} tags). The maximum number "
                         f"of tags that can be applied to a repository is {MAX_TAGS_PER_REPOSITORY}.")


def _install_tag_quota() -> None:
    from moto.ecr import models

    create_repository = models.ECRBackend.create_repository
    tag_resource = models.ECRBackend.tag_resource

    def create_with_quota(self, repository_name, registry_id, encryption_config, image_scan_config,  # type: ignore[no-untyped-def]
                          image_tag_mutability, tags, *args, **kwargs):
        count = len({t["Key"] for t in tags or []})
        if count > MAX_TAGS_PER_REPOSITORY:
            raise _too_many(count)
        return create_repository(self, repository_name, registry_id, encryption_config, image_scan_config,
                                 image_tag_mutability, tags, *args, **kwargs)

    def tag_with_quota(self, arn, tags):  # type: ignore[no-untyped-def]
        current = {t["Key"] for t in self.list_tags_for_resource(arn)["tags"]}
        count = len(current | {t["Key"] for t in tags})
        if count > MAX_TAGS_PER_REPOSITORY:
            raise _too_many(count)
        return tag_resource(self, arn, tags)

    models.ECRBackend.create_repository = create_with_quota
    models.ECRBackend.tag_resource = tag_with_quota
