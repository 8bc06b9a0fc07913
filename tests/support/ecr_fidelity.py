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

from functools import lru_cache

_INSTALLED = False


def install() -> None:
    """Apply every correction once per process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    # Sections register themselves here, in the order they appear below.
    _install_repository_name_rule()


# --- repository names ------------------------------------------------------------------------------
# Source: botocore's ECR service model, shape ``RepositoryName`` (min 2, max 256, pattern
# ``[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*``), read from the installed
# botocore, never copied. moto 5.2's ``ECR_REPOSITORY_NAME_PATTERN`` is ECR's older rule (single
# ``.``, ``_`` or ``-`` between components), so CreateRepository refused ``team/base__image`` and
# ``a--b``, which ECR accepts. moto matches the constant with ``re.fullmatch`` at each call, so
# replacing the module constant is enough; botocore itself checks only the length.


@lru_cache(maxsize=1)
def repository_name_pattern() -> str:
    """botocore's ``RepositoryName`` pattern, as ECR's service model states it."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("ecr").shape_for("RepositoryName")
    return str(shape.metadata["pattern"])


def _install_repository_name_rule() -> None:
    import moto.ecr.models as models

    models.ECR_REPOSITORY_NAME_PATTERN = repository_name_pattern()

