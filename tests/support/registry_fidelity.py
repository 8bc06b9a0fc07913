"""moto taught the ECR registry APIs: the one place where the tests' moto learns Custom::EcrRegistry's calls.

moto 5.2 has no pull-through cache rules, repository creation templates, account settings or pull-time
update exclusions, and its registry policy and replication calls check little (it refuses a second
replication rule with "This feature is disabled" and allows only two registry-policy actions whatever
the scope). Each section below adds or corrects one API family the way ECR behaves, from botocore's ECR
service model (``botocore/data/ecr/2015-09-21/service-2.json``, read from the installed botocore at run
time, never copied) and the ECR user guide, with the source named beside each rule. The provider is
written against ECR; where moto differs, this module changes moto.

``install()`` patches ``moto.ecr.models.ECRBackend`` and ``moto.ecr.responses.ECRResponse`` in this
process (moto dispatches a request to the ``ECRResponse`` method named after the action, in snake case),
so every in-process ``mock_aws`` and every ``ThreadedMotoServer`` of the test process serve them.
``tests/conftest.py`` calls it once, beside ``ecr_fidelity.install()``. State lives on the backend (one
per account and region), created on first use.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

_INSTALLED = False


def install() -> None:
    """Apply every section once per process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _install_account_settings()
    _install_registry_policy()
    _install_replication()
    _install_pull_through_cache()
    _install_creation_templates()
    _install_pull_time_exclusions()
    _install_scanning()
    _install_slow_reads()
    _install_request_rate()


@lru_cache(maxsize=None)
def _shape(name: str) -> dict[str, Any]:
    """The metadata (pattern, min, max, enum) of one shape of botocore's ECR model."""
    import botocore.session

    return dict(botocore.session.get_session().get_service_model("ecr").shape_for(name).metadata)


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _invalid(field: str, constraint: str) -> Exception:
    """ECR's wording for a refused parameter (as its InvalidParameterException messages read)."""
    return _error("InvalidParameterException",
                  f"Invalid parameter at '{field}' failed to satisfy constraint: '{constraint}'")


def _check_shape(value: Any, shape: str, field: str) -> None:
    """A string against its botocore shape (length, pattern: searched with fullmatch, as ECR anchors it)."""
    meta = _shape(shape)
    if not isinstance(value, str):
        raise _error("ValidationException", f"1 validation error detected: Value at '{field}' failed to satisfy "
                                            "constraint: Member must not be null")
    if len(value) < meta.get("min", 0) or len(value) > meta.get("max", len(value)):
        raise _error("ValidationException", f"1 validation error detected: Value '{value}' at '{field}' failed to "
                                            f"satisfy constraint: Member must have length between {meta.get('min', 0)} "
                                            f"and {meta.get('max')}")
    if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
        raise _error("ValidationException", f"1 validation error detected: Value '{value}' at '{field}' failed to "
                                            f"satisfy constraint: Member must satisfy regular expression pattern: "
                                            f"{meta['pattern']}")
    if "enum" in meta and value not in meta["enum"]:
        raise _error("ValidationException", f"1 validation error detected: Value '{value}' at '{field}' failed to "
                                            f"satisfy constraint: Member must satisfy enum value set: {meta['enum']}")


def _backend_state(backend: Any, name: str, factory: Any) -> Any:
    if not hasattr(backend, name):
        setattr(backend, name, factory())
    return getattr(backend, name)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- account settings (GetAccountSetting / PutAccountSetting) --------------------------------------
# Source: botocore's GetAccountSetting/PutAccountSetting (name 1-64 characters); the ECR user guide,
# "Switching to the extended registry policy scope": setting REGISTRY_POLICY_SCOPE is V1 or V2, V2 the
# default; "Registry settings": BASIC_SCAN_TYPE_VERSION is AWS_NATIVE or CLAIR. Other names and values
# are refused with InvalidParameterException.

ACCOUNT_SETTINGS = {"REGISTRY_POLICY_SCOPE": ("V2", ("V1", "V2")),
                    "BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE", ("AWS_NATIVE", "CLAIR"))}


def _settings(backend: Any) -> dict[str, str]:
    return _backend_state(backend, "_account_settings", lambda: {k: v[0] for k, v in ACCOUNT_SETTINGS.items()})


def _install_account_settings() -> None:
    from moto.ecr.models import ECRBackend
    from moto.ecr.responses import ECRResponse
    from moto.core.responses import ActionResult

    def get_account_setting(self: Any, name: str) -> dict[str, str]:
        if name not in ACCOUNT_SETTINGS:
            raise _invalid("name", f"Invalid account setting name {name!r}")
        return {"name": name, "value": _settings(self)[name]}

    def put_account_setting(self: Any, name: str, value: str) -> dict[str, str]:
        if name not in ACCOUNT_SETTINGS:
            raise _invalid("name", f"Invalid account setting name {name!r}")
        if value not in ACCOUNT_SETTINGS[name][1]:
            raise _invalid("value", f"Invalid value {value!r} for {name}")
        _settings(self)[name] = value
        return {"name": name, "value": value}

    ECRBackend.get_account_setting = get_account_setting
    ECRBackend.put_account_setting = put_account_setting
    ECRResponse.get_account_setting = lambda self: ActionResult(
        self.ecr_backend.get_account_setting(self._get_param("name")))
    ECRResponse.put_account_setting = lambda self: ActionResult(
        self.ecr_backend.put_account_setting(self._get_param("name"), self._get_param("value")))


# --- registry policy by scope ----------------------------------------------------------------------
# Source: ECR user guide, "Private registry permissions": with scope V1 ECR enforces only
# ecr:ReplicateImage, ecr:BatchImportUpstreamImage and ecr:CreateRepository at the registry level, and
# another action makes PutRegistryPolicy fail ("Invalid registry policy provided", re:Post's answer quotes
# it); with V2 (the default) every ECR action may appear, ecr:* included. botocore: RegistryPolicyText
# max 10,240 characters. moto 5.2 allows only CreateRepository and ReplicateImage whatever the scope.

V1_ACTIONS = frozenset({"ecr:ReplicateImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"})
REGISTRY_POLICY_MAX = 10240
# IAM's ECR actions that are no API operation (Service Authorization Reference, "Actions defined by
# Amazon Elastic Container Registry": permission only).
PERMISSION_ONLY = frozenset({"ecr:ReplicateImage", "ecr:BatchImportUpstreamImage"})


@lru_cache(maxsize=1)
def ecr_actions() -> frozenset[str]:
    """Every ECR API action, as IAM names it (``ecr:`` + the operation name)."""
    import botocore.session

    operations = botocore.session.get_session().get_service_model("ecr").operation_names
    return frozenset("ecr:" + op for op in operations) | PERMISSION_ONLY


def _install_registry_policy() -> None:
    from moto.ecr.models import ECRBackend

    def put_registry_policy(self: Any, policy_text: str) -> dict[str, Any]:
        if len(policy_text) > REGISTRY_POLICY_MAX:
            raise _error("ValidationException", "1 validation error detected: Value at 'policyText' failed to satisfy "
                                                f"constraint: Member must have length less than or equal to "
                                                f"{REGISTRY_POLICY_MAX}")
        try:
            policy = json.loads(policy_text)
            statements = policy["Statement"]
            statements = [statements] if isinstance(statements, dict) else statements
            scope = _settings(self)["REGISTRY_POLICY_SCOPE"]
            allowed = V1_ACTIONS if scope == "V1" else ecr_actions()
            sids = [s.get("Sid") for s in statements if s.get("Sid") is not None]
            if len(sids) != len(set(sids)):
                raise ValueError("duplicate Sid")
            for statement in statements:
                actions = statement["Action"]
                for action in [actions] if isinstance(actions, str) else actions:
                    if action != "ecr:*" and action not in allowed:
                        raise ValueError(action)
                if statement.get("Effect") not in ("Allow", "Deny") or "Principal" not in statement:
                    raise ValueError("statement")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _invalid("PolicyText", "Invalid registry policy provided")
        self.registry_policy = policy_text
        return {"registryId": self.account_id, "policyText": policy_text}

    ECRBackend.put_registry_policy = put_registry_policy


# --- replication configuration ---------------------------------------------------------------------
# Source: botocore's ReplicationConfiguration: rules 0-25, each with destinations 0-100 (region,
# registryId 12 digits) and repositoryFilters 1-100 of filterType PREFIX_MATCH (RepositoryFilterValue
# pattern); the ECR user guide ("Private image replication"): a destination may not be the source
# registry itself. moto 5.2 refuses a second rule ("This feature is disabled").


def _install_replication() -> None:
    from moto.ecr.models import ECRBackend

    def put_replication_configuration(self: Any, replication_config: dict[str, Any]) -> dict[str, Any]:
        rules = replication_config.get("rules")
        if not isinstance(rules, list):
            raise _error("ValidationException", "1 validation error detected: Value at "
                                                "'replicationConfiguration.rules' failed to satisfy constraint: "
                                                "Member must not be null")
        limit = _shape("ReplicationRuleList").get("max", 25)
        if len(rules) > limit:
            raise _error("ValidationException", f"1 validation error detected: Value at 'replicationConfiguration."
                                                f"rules' failed to satisfy constraint: Member must have length less "
                                                f"than or equal to {limit}")
        for index, rule in enumerate(rules):
            destinations = rule.get("destinations") or []
            filters = rule.get("repositoryFilters")
            if len(destinations) > _shape("ReplicationDestinationList").get("max", 100):
                raise _error("ValidationException", f"Value at 'replicationConfiguration.rules.{index + 1}.member."
                                                    "destinations' failed to satisfy constraint: too many")
            if filters is not None and not 1 <= len(filters) <= _shape("RepositoryFilterList").get("max", 100):
                raise _error("ValidationException", f"Value at 'replicationConfiguration.rules.{index + 1}.member."
                                                    "repositoryFilters' failed to satisfy constraint: length 1-100")
            for destination in destinations:
                _check_shape(destination.get("region"), "Region", "region")
                _check_shape(destination.get("registryId"), "RegistryId", "registryId")
                if destination["region"] == self.region_name and destination["registryId"] == self.account_id:
                    raise _invalid("replicationConfiguration",
                                   "Replication destination cannot be the same as the source registry")
            for item in filters or []:
                if item.get("filterType") != "PREFIX_MATCH":
                    raise _invalid("filterType", "Invalid repository filter type")
                _check_shape(item.get("filter"), "RepositoryFilterValue", "filter")
        self.replication_config = {"rules": rules}
        return {"replicationConfiguration": self.replication_config}

    ECRBackend.put_replication_configuration = put_replication_configuration


# --- pull-through cache rules ----------------------------------------------------------------------
# Source: botocore's Create/Describe/Update/DeletePullThroughCacheRule (ecrRepositoryPrefix
# PullThroughCacheRuleRepositoryPrefix 2-30 characters with its pattern, upstreamRegistry enum,
# CredentialArn pattern: a Secrets Manager secret named ecr-pullthroughcache/...); the ECR user guide,
# "Pull through cache rules": at most 50 rules per registry (LimitExceededException); the upstreams that
# need a credential (Docker Hub, GitHub, GitLab, Azure, Chainguard); an ECR upstream takes a customRoleArn
# and no credential; a credential whose secret does not exist gives SecretNotFoundException; a prefix
# already used gives PullThroughCacheRuleAlreadyExistsException, a missing one
# PullThroughCacheRuleNotFoundException. Only credentialArn and customRoleArn change in place.

MAX_PULL_THROUGH_CACHE_RULES = 50
NEEDS_CREDENTIAL = frozenset({"docker-hub", "github-container-registry", "gitlab-container-registry",
                              "azure-container-registry", "chainguard"})


def _rules(backend: Any) -> dict[str, dict[str, Any]]:
    return _backend_state(backend, "_pull_through_cache_rules", dict)


def _check_secret(backend: Any, arn: str) -> None:
    from moto.secretsmanager.models import secretsmanager_backends

    secrets = secretsmanager_backends[backend.account_id][backend.region_name]
    if not secrets._is_valid_identifier(arn) and not secrets._is_valid_identifier(arn.split(":secret:")[-1]):
        raise _error("SecretNotFoundException", f"The specified secret {arn} does not exist.")


def _not_found(backend: Any, prefix: str) -> Exception:
    return _error("PullThroughCacheRuleNotFoundException",
                  f"The pull through cache rule with prefix '{prefix}' does not exist in the registry with id "
                  f"'{backend.account_id}'")


def _install_pull_through_cache() -> None:
    from moto.core.responses import ActionResult
    from moto.ecr.models import ECRBackend
    from moto.ecr.responses import ECRResponse

    def create(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("ecrRepositoryPrefix")
        _check_shape(prefix, "PullThroughCacheRuleRepositoryPrefix", "ecrRepositoryPrefix")
        upstream = params.get("upstreamRegistry")
        if upstream is not None:
            _check_shape(upstream, "UpstreamRegistry", "upstreamRegistry")
        if not params.get("upstreamRegistryUrl"):
            raise _error("ValidationException", "Value at 'upstreamRegistryUrl' failed to satisfy constraint: "
                                                "Member must not be null")
        credential = params.get("credentialArn")
        if credential is not None:
            _check_shape(credential, "CredentialArn", "credentialArn")
            _check_secret(self, credential)
        if upstream in NEEDS_CREDENTIAL and credential is None:
            raise _invalid("credentialArn", f"A credential is required for upstream registry {upstream}")
        if upstream == "ecr" and not params.get("customRoleArn"):
            raise _invalid("customRoleArn", "A custom role is required for an ECR upstream registry")
        rules = _rules(self)
        if prefix in rules:
            raise _error("PullThroughCacheRuleAlreadyExistsException",
                         f"The pull through cache rule with prefix '{prefix}' already exists in the registry with id "
                         f"'{self.account_id}'")
        if len(rules) >= MAX_PULL_THROUGH_CACHE_RULES:
            raise _error("LimitExceededException", "The maximum number of pull through cache rules "
                                                   f"({MAX_PULL_THROUGH_CACHE_RULES}) for this registry was reached.")
        rule = {k: params[k] for k in ("ecrRepositoryPrefix", "upstreamRegistryUrl", "upstreamRegistry",
                                       "credentialArn", "customRoleArn", "upstreamRepositoryPrefix") if params.get(k)}
        rule.update(registryId=self.account_id, createdAt=_now(), updatedAt=_now())
        rules[prefix] = rule
        return dict(rule)

    def describe(self: Any, prefixes: list[str] | None) -> dict[str, Any]:
        rules = _rules(self)
        for prefix in prefixes or []:
            if prefix not in rules:
                raise _not_found(self, prefix)
        chosen = [rules[p] for p in prefixes] if prefixes else list(rules.values())
        return {"pullThroughCacheRules": [dict(r) for r in chosen]}

    def update(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("ecrRepositoryPrefix")
        rules = _rules(self)
        if prefix not in rules:
            raise _not_found(self, prefix)
        rule = rules[prefix]
        credential = params.get("credentialArn")
        if credential is not None:
            _check_shape(credential, "CredentialArn", "credentialArn")
            _check_secret(self, credential)
            rule["credentialArn"] = credential
        if params.get("customRoleArn") is not None:
            rule["customRoleArn"] = params["customRoleArn"]
        rule["updatedAt"] = _now()
        return dict(rule)

    def delete(self: Any, prefix: str) -> dict[str, Any]:
        rules = _rules(self)
        if prefix not in rules:
            raise _not_found(self, prefix)
        return dict(rules.pop(prefix))

    ECRBackend.create_pull_through_cache_rule = create
    ECRBackend.describe_pull_through_cache_rules = describe
    ECRBackend.update_pull_through_cache_rule = update
    ECRBackend.delete_pull_through_cache_rule = delete
    ECRResponse.create_pull_through_cache_rule = lambda self: ActionResult(
        self.ecr_backend.create_pull_through_cache_rule(json.loads(self.body or "{}")))
    ECRResponse.describe_pull_through_cache_rules = lambda self: ActionResult(
        self.ecr_backend.describe_pull_through_cache_rules(self._get_param("ecrRepositoryPrefixes")))
    ECRResponse.update_pull_through_cache_rule = lambda self: ActionResult(
        self.ecr_backend.update_pull_through_cache_rule(json.loads(self.body or "{}")))
    ECRResponse.delete_pull_through_cache_rule = lambda self: ActionResult(
        self.ecr_backend.delete_pull_through_cache_rule(self._get_param("ecrRepositoryPrefix")))


# --- repository creation templates -----------------------------------------------------------------
# Source: botocore's Create/Describe/Update/DeleteRepositoryCreationTemplate (prefix: Prefix 1-256 with its
# pattern, or ROOT; appliedFor REPLICATION|PULL_THROUGH_CACHE|CREATE_ON_PUSH, required on create;
# repositoryPolicy at most 10,240 and lifecyclePolicy at most 30,720 characters; kmsKey an ARN);
# TemplateAlreadyExistsException / TemplateNotFoundException. ECR validates the lifecycle policy text as
# PutLifecyclePolicy does (the grammar of tests/support/ecr_fidelity.py) and the tag mutability
# exclusion filters as CreateRepository does (1-5, only with the ..._WITH_EXCLUSION values).

_TEMPLATE_FIELDS = ("prefix", "description", "encryptionConfiguration", "resourceTags", "imageTagMutability",
                    "imageTagMutabilityExclusionFilters", "repositoryPolicy", "lifecyclePolicy", "appliedFor",
                    "customRoleArn")


def _templates(backend: Any) -> dict[str, dict[str, Any]]:
    return _backend_state(backend, "_creation_templates", dict)


def _template_not_found(prefix: str) -> Exception:
    return _error("TemplateNotFoundException", f"The specified repository creation template with prefix '{prefix}' "
                                               "does not exist.")


def _check_template(params: dict[str, Any]) -> None:
    from tests.support.ecr_fidelity import _lifecycle_errors

    applied = params.get("appliedFor")
    if applied is not None:
        if not applied:
            raise _invalid("appliedFor", "appliedFor must list at least one value")
        for value in applied:
            _check_shape(value, "RCTAppliedFor", "appliedFor")
    mutability = params.get("imageTagMutability")
    if mutability is not None:
        _check_shape(mutability, "ImageTagMutability", "imageTagMutability")
        filters = params.get("imageTagMutabilityExclusionFilters")
        if mutability.endswith("_WITH_EXCLUSION") != bool(filters):
            raise _invalid("imageTagMutabilityExclusionFilters",
                           "Exclusion filters are required with, and only with, a *_WITH_EXCLUSION mutability")
        for item in filters or []:
            _check_shape(item.get("filter"), "ImageTagMutabilityExclusionFilterValue", "filter")
    if len(params.get("repositoryPolicy") or "") > 10240:
        raise _error("ValidationException", "Value at 'repositoryPolicy' failed to satisfy constraint: length")
    lifecycle = params.get("lifecyclePolicy")
    if lifecycle:
        errors = _lifecycle_errors(lifecycle)
        if errors:
            raise _invalid("LifecyclePolicyText", f"Lifecycle policy validation failure: {errors[0]}")
    encryption = params.get("encryptionConfiguration")
    if encryption and encryption.get("kmsKey"):
        _check_shape(encryption["kmsKey"], "KmsKeyForRepositoryCreationTemplate", "kmsKey")


def _install_creation_templates() -> None:
    from moto.core.responses import ActionResult
    from moto.ecr.models import ECRBackend
    from moto.ecr.responses import ECRResponse

    def create(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("prefix")
        _check_shape(prefix, "Prefix", "prefix")
        if not params.get("appliedFor"):
            raise _error("ValidationException", "Value at 'appliedFor' failed to satisfy constraint: "
                                                "Member must not be null")
        _check_template(params)
        templates = _templates(self)
        if prefix in templates:
            raise _error("TemplateAlreadyExistsException", f"The repository creation template with prefix '{prefix}' "
                                                           "already exists.")
        template = {k: params[k] for k in _TEMPLATE_FIELDS if params.get(k) is not None}
        template.setdefault("imageTagMutability", "MUTABLE")
        template.setdefault("encryptionConfiguration", {"encryptionType": "AES256"})
        template.update(createdAt=_now(), updatedAt=_now())
        templates[prefix] = template
        return {"registryId": self.account_id, "repositoryCreationTemplate": dict(template)}

    def describe(self: Any, prefixes: list[str] | None) -> dict[str, Any]:
        templates = _templates(self)
        chosen = [templates[p] for p in prefixes or templates if p in templates]
        return {"registryId": self.account_id, "repositoryCreationTemplates": [dict(t) for t in chosen]}

    def update(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("prefix")
        templates = _templates(self)
        if prefix not in templates:
            raise _template_not_found(prefix)
        _check_template(params)
        template = templates[prefix]
        for key in _TEMPLATE_FIELDS:
            if key in params and params[key] is not None:
                template[key] = params[key]
        if not template.get("imageTagMutability", "").endswith("_WITH_EXCLUSION"):
            template.pop("imageTagMutabilityExclusionFilters", None)
        template["updatedAt"] = _now()
        return {"registryId": self.account_id, "repositoryCreationTemplate": dict(template)}

    def delete(self: Any, prefix: str) -> dict[str, Any]:
        templates = _templates(self)
        if prefix not in templates:
            raise _template_not_found(prefix)
        return {"registryId": self.account_id, "repositoryCreationTemplate": dict(templates.pop(prefix))}

    ECRBackend.create_repository_creation_template = create
    ECRBackend.describe_repository_creation_templates = describe
    ECRBackend.update_repository_creation_template = update
    ECRBackend.delete_repository_creation_template = delete
    ECRResponse.create_repository_creation_template = lambda self: ActionResult(
        self.ecr_backend.create_repository_creation_template(json.loads(self.body or "{}")))
    ECRResponse.describe_repository_creation_templates = lambda self: ActionResult(
        self.ecr_backend.describe_repository_creation_templates(self._get_param("prefixes")))
    ECRResponse.update_repository_creation_template = lambda self: ActionResult(
        self.ecr_backend.update_repository_creation_template(json.loads(self.body or "{}")))
    ECRResponse.delete_repository_creation_template = lambda self: ActionResult(
        self.ecr_backend.delete_repository_creation_template(self._get_param("prefix")))


# --- pull-time update exclusions -------------------------------------------------------------------
# Source: botocore's Register/Deregister/ListPullTimeUpdateExclusions (principalArn: PrincipalArn, an IAM
# role or user ARN, at most 200 characters with its pattern; the list holds at most 100);
# ExclusionAlreadyExistsException, ExclusionNotFoundException, LimitExceededException.

MAX_EXCLUSIONS = 100


def _exclusions(backend: Any) -> list[str]:
    return _backend_state(backend, "_pull_time_exclusions", list)


def _install_pull_time_exclusions() -> None:
    from moto.core.responses import ActionResult
    from moto.ecr.models import ECRBackend
    from moto.ecr.responses import ECRResponse

    def register(self: Any, arn: str) -> dict[str, Any]:
        _check_shape(arn, "PrincipalArn", "principalArn")
        found = _exclusions(self)
        if arn in found:
            raise _error("ExclusionAlreadyExistsException", f"The principal {arn} is already excluded.")
        if len(found) >= MAX_EXCLUSIONS:
            raise _error("LimitExceededException", f"At most {MAX_EXCLUSIONS} pull time update exclusions.")
        found.append(arn)
        return {"principalArn": arn, "createdAt": _now()}

    def deregister(self: Any, arn: str) -> dict[str, Any]:
        found = _exclusions(self)
        if arn not in found:
            raise _error("ExclusionNotFoundException", f"The principal {arn} is not excluded.")
        found.remove(arn)
        return {"principalArn": arn}

    ECRBackend.register_pull_time_update_exclusion = register
    ECRBackend.deregister_pull_time_update_exclusion = deregister
    ECRResponse.register_pull_time_update_exclusion = lambda self: ActionResult(
        self.ecr_backend.register_pull_time_update_exclusion(self._get_param("principalArn")))
    ECRResponse.deregister_pull_time_update_exclusion = lambda self: ActionResult(
        self.ecr_backend.deregister_pull_time_update_exclusion(self._get_param("principalArn")))
    ECRResponse.list_pull_time_update_exclusions = lambda self: ActionResult(
        {"pullTimeUpdateExclusions": list(_exclusions(self.ecr_backend))})


# --- registry scanning -----------------------------------------------------------------------------
# Source: botocore's PutRegistryScanningConfiguration: scanType BASIC|ENHANCED, rules 0-2, each with
# scanFrequency SCAN_ON_PUSH|CONTINUOUS_SCAN|MANUAL and repositoryFilters of filterType WILDCARD
# (ScanningRepositoryFilterValue pattern). ECR user guide, "Image scanning": BASIC scanning takes
# SCAN_ON_PUSH and MANUAL only (continuous scanning is Amazon Inspector's, ENHANCED). moto checks none.


def _install_scanning() -> None:
    from moto.ecr.models import ECRBackend

    original = ECRBackend.put_registry_scanning_configuration

    def put(self: Any, scan_type: str, rules: list[dict[str, Any]]) -> None:
        _check_shape(scan_type, "ScanType", "scanType")
        if len(rules or []) > _shape("RegistryScanningRuleList").get("max", 2):
            raise _error("ValidationException", "Value at 'rules' failed to satisfy constraint: at most 2")
        for rule in rules or []:
            _check_shape(rule.get("scanFrequency"), "ScanFrequency", "scanFrequency")
            if scan_type == "BASIC" and rule["scanFrequency"] == "CONTINUOUS_SCAN":
                raise _invalid("scanFrequency", "CONTINUOUS_SCAN is only supported with ENHANCED scanning")
            for item in rule.get("repositoryFilters") or []:
                if item.get("filterType") != "WILDCARD":
                    raise _invalid("filterType", "Invalid scanning filter type")
                _check_shape(item.get("filter"), "ScanningRepositoryFilterValue", "filter")
        return original(self, scan_type, rules or [])

    ECRBackend.put_registry_scanning_configuration = put


# --- slow reads: a window for concurrent writers ---------------------------------------------------
# Not an ECR rule but a test aid: ``slow_reads(seconds)`` makes GetRegistryPolicy and DescribeRegistry
# answer after ``seconds`` (as a loaded ECR may), so two writers both read before either writes and one
# write is lost unless the provider notices it. Off unless a test turns it on.

_DELAY: list[float] = [0.0]


@contextmanager
def slow_reads(seconds: float):
    _DELAY[0] = seconds
    try:
        yield
    finally:
        _DELAY[0] = 0.0


def _install_slow_reads() -> None:
    from moto.ecr.models import ECRBackend

    def delayed(original: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            delay = _DELAY[0]
            try:
                result = original(self, *args, **kwargs)
                return json.loads(json.dumps(result, default=str)) if delay else result  # the state as read now
            finally:
                if delay:
                    time.sleep(delay)

        call.__wrapped__ = original
        return call

    ECRBackend.get_registry_policy = delayed(ECRBackend.get_registry_policy)
    ECRBackend.describe_registry = delayed(ECRBackend.describe_registry)


# --- request rate ----------------------------------------------------------------------------------
# The registry APIs join ``ecr_fidelity.rate_limit``'s token buckets (one per API, ThrottlingException
# when empty, as ECR answers; off unless a test turns it on).

_RATED_REGISTRY_METHODS = (
    "get_account_setting", "get_registry_policy", "put_registry_policy", "delete_registry_policy",
    "describe_registry", "put_replication_configuration", "describe_pull_through_cache_rules",
    "create_pull_through_cache_rule", "update_pull_through_cache_rule", "delete_pull_through_cache_rule",
    "describe_repository_creation_templates", "create_repository_creation_template",
    "update_repository_creation_template", "delete_repository_creation_template",
    "get_registry_scanning_configuration", "put_registry_scanning_configuration",
    "register_pull_time_update_exclusion", "deregister_pull_time_update_exclusion",
)


def _install_request_rate() -> None:
    from moto.ecr.models import ECRBackend

    from tests.support import ecr_fidelity

    def rated(name: str, original: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            limiter = ecr_fidelity._RATE[0]
            if limiter is not None and not limiter.take(name):
                raise _error("ThrottlingException", "Rate exceeded")
            return original(self, *args, **kwargs)

        call.__wrapped__ = original
        return call

    for name in _RATED_REGISTRY_METHODS:
        setattr(ECRBackend, name, rated(name, getattr(ECRBackend, name)))
