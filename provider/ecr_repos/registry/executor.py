"""The only module that calls ECR for Custom::EcrRegistry: reads the registry, applies plans.

Every ``ClientError`` is translated here into ``errors.RegistryCallFailed``. Retries are the
executor's, as for Custom::EcrRepos (``repos.executor``): throttling is paced per operation
(``core.ratelimit``) and retried while the deadline leaves time, connection errors and 5xx answers
are retried a few times; no call starts after the deadline (``OutOfTime``).

The registry policy and the replication configuration are one object each, which other stacks (and
people) write too, and ECR offers no conditional write. Each is written read-modify-write: read, merge
this resource's change into what is there (``planner.merge_*``), write, wait ``settle`` seconds, read
again; if the change no longer holds (a concurrent writer replaced the object with one made from an
older read), merge and write again, up to ``ATTEMPTS`` times. The wait must outlast another writer's
read-to-write window (milliseconds in the Lambda); ``ECR_REGISTRY_SETTLE_SECONDS`` (default 1) sets it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..core.errors import OutOfTime
from ..core.ratelimit import AdaptiveRate
from ..repos import executor as repos_executor
from . import planner
from .errors import LostUpdate, RegistryCallFailed, SdkTooOld
from .planner import (Action, CreateCacheRule, CreateTemplate, DeleteCacheRule, DeleteTemplate, DeregisterExclusion,
                      Plan, PutScanning, RegisterExclusion, RegistryState, UpdateCacheRule, UpdateTemplate,
                      WritePolicy, WriteReplication)
from .spec import RegistrySpec, scanning_of

T = TypeVar("T")
ATTEMPTS = 6


def settle_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("ECR_REGISTRY_SETTLE_SECONDS", "1")))
    except ValueError:
        return 1.0


def make_client(region: str | None = None) -> Any:
    return repos_executor.make_client(region, pool=10)  # one attempt per call: _call retries


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class Executor:
    def __init__(self, client: Any = None, *, region: str | None = None, deadline: float | None = None,
                 service_timeout: int | None = None, settle: float | None = None):
        self.client = client or make_client(region)
        self.deadline = deadline
        self.service_timeout = service_timeout
        self.settle = settle_seconds() if settle is None else settle
        self.done = 0
        self.total: int | None = None
        self.rate = AdaptiveRate()

    # --- calls -----------------------------------------------------------------------------------

    def _op(self, name: str) -> Callable[..., Any]:
        """The client's method for an ECR operation; an SDK too old to know it is named as such."""
        method = getattr(self.client, name, None)
        if method is None:
            import botocore

            raise SdkTooOld(name, botocore.__version__)
        return method

    def _call(self, part: str | None, operation: str, method: Callable[..., T], **kwargs: Any) -> T:
        """One ECR call, paced and retried (throttling while time remains, transient failures 4 times)."""
        started = time.monotonic()
        transient = 0
        last: Exception | None = None
        while True:
            until = self.deadline if self.deadline is not None else started + repos_executor.THROTTLE_PATIENCE_SECONDS
            if time.monotonic() >= until or not self.rate.wait(operation, until):
                if last is not None:  # still throttled when the time ran out: say so
                    raise self._translate(last, part, operation) from last
                raise OutOfTime(self.done, self.total, service_timeout=self.service_timeout)
            try:
                result = method(**kwargs)
            except Exception as exc:  # noqa: BLE001 - botocore's ClientError and connection errors alike
                if _code(exc) in repos_executor.THROTTLING:
                    self.rate.throttled(operation)
                    last = exc
                    continue
                if repos_executor._transient(exc) and transient < repos_executor.TRANSIENT_ATTEMPTS:
                    transient += 1
                    repos_executor._pause(transient)
                    continue
                raise self._translate(exc, part, operation) from exc
            self.rate.succeeded(operation)
            return result

    @staticmethod
    def _translate(exc: Exception, part: str | None, operation: str) -> Exception:
        error = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
        if not error:
            return exc  # not ECR's answer (a connection that kept failing): as botocore raised it
        return RegistryCallFailed(part, operation, str(error.get("Code", "")), str(error.get("Message", "")))

    def _optional(self, operation: str, method: Callable[..., T], missing: str, **kwargs: Any) -> T | None:
        try:
            return self._call(None, operation, method, **kwargs)
        except RegistryCallFailed as exc:
            if exc.code == missing:
                return None
            raise

    # --- reads -----------------------------------------------------------------------------------

    def policy(self) -> str | None:
        found = self._optional("GetRegistryPolicy", self._op("get_registry_policy"), "RegistryPolicyNotFoundException")
        return found.get("policyText") if found else None

    def replication(self) -> tuple[dict[str, Any], ...]:
        found = self._call(None, "DescribeRegistry", self._op("describe_registry"))
        return tuple((found.get("replicationConfiguration") or {}).get("rules") or [])

    def read(self, *specs: RegistrySpec) -> RegistryState:
        """The parts of the registry the given specs (desired, owned) touch; nothing else is read."""
        def declares(attr: str) -> bool:
            return any(getattr(s, attr) for s in specs)

        state: dict[str, Any] = {}
        # Always read: this resource's statements are found by their Sid, not by the properties.
        state["policy"] = self.policy()
        if any(s.declared is not None for spec in specs for s in spec.statements):
            found = self._call(None, "GetAccountSetting", self._op("get_account_setting"), name="REGISTRY_POLICY_SCOPE")
            state["scope"] = found.get("value") or "V2"
        if declares("replication_rules"):
            state["replication"] = self.replication()
        if declares("cache_rules"):
            rules: dict[str, dict[str, Any]] = {}
            for page in self._pages("describe_pull_through_cache_rules"):
                rules.update({r["ecrRepositoryPrefix"]: r for r in page.get("pullThroughCacheRules", [])})
            state["cache_rules"] = rules
        if declares("templates"):
            templates: dict[str, dict[str, Any]] = {}
            for page in self._pages("describe_repository_creation_templates"):
                templates.update({t["prefix"]: t for t in page.get("repositoryCreationTemplates", [])})
            state["templates"] = templates
        if any(s.scanning is not None for s in specs):
            found = self._call(None, "GetRegistryScanningConfiguration",
                               self._op("get_registry_scanning_configuration"))
            state["scanning"] = scanning_of(found.get("scanningConfiguration"))
        if declares("exclusions"):
            arns: list[str] = []
            for page in self._pages("list_pull_time_update_exclusions"):
                arns += page.get("pullTimeUpdateExclusions", [])
            state["exclusions"] = tuple(arns)
        return RegistryState(**state)

    def _pages(self, name: str) -> list[dict[str, Any]]:
        """Every page of a listing (each page one paced, retried call)."""
        method = self._op(name)
        operation = "".join(part.title() for part in name.split("_"))
        pages: list[dict[str, Any]] = []
        token = None
        while True:
            page = self._call(None, operation, method, **({"nextToken": token} if token else {}))
            pages.append(page)
            token = page.get("nextToken")
            if not token:
                return pages

    # --- writes ----------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> None:
        self.total = len(plan.actions)
        for action in plan.actions:
            self._apply_one(action)
            self.done += 1

    def _apply_one(self, action: Action) -> None:
        if isinstance(action, WritePolicy):
            self._read_modify_write("registry policy", self.policy, lambda now: planner.merge_policy(now, action),
                                    self._put_policy, lambda now: planner.policy_holds(now, action))
        elif isinstance(action, WriteReplication):
            self._read_modify_write("replication configuration", self.replication,
                                    lambda now: tuple(planner.merge_replication(now, action)),
                                    lambda rules: self._call("ReplicationRules", "PutReplicationConfiguration",
                                                             self._op("put_replication_configuration"),
                                                             replicationConfiguration={"rules": list(rules)}),
                                    lambda now: planner.replication_holds(now, action))
        elif isinstance(action, CreateCacheRule):
            self._call(f"pull-through cache rule {action.rule.prefix!r}", "CreatePullThroughCacheRule",
                       self._op("create_pull_through_cache_rule"), **action.rule.api())
        elif isinstance(action, UpdateCacheRule):
            api = action.rule.api()
            self._call(f"pull-through cache rule {action.rule.prefix!r}", "UpdatePullThroughCacheRule",
                       self._op("update_pull_through_cache_rule"), ecrRepositoryPrefix=action.rule.prefix,
                       **{k: api[k] for k in ("credentialArn", "customRoleArn") if k in api})
        elif isinstance(action, DeleteCacheRule):
            self._gone(f"pull-through cache rule {action.prefix!r}", "DeletePullThroughCacheRule",
                       self._op("delete_pull_through_cache_rule"), "PullThroughCacheRuleNotFoundException",
                       ecrRepositoryPrefix=action.prefix)
        elif isinstance(action, CreateTemplate):
            self._call(f"creation template {action.template.prefix!r}", "CreateRepositoryCreationTemplate",
                       self._op("create_repository_creation_template"), **action.template.api())
        elif isinstance(action, UpdateTemplate):
            self._call(f"creation template {action.template.prefix!r}", "UpdateRepositoryCreationTemplate",
                       self._op("update_repository_creation_template"), **action.template.api())
        elif isinstance(action, DeleteTemplate):
            self._gone(f"creation template {action.prefix!r}", "DeleteRepositoryCreationTemplate",
                       self._op("delete_repository_creation_template"), "TemplateNotFoundException",
                       prefix=action.prefix)
        elif isinstance(action, PutScanning):
            self._call("Scanning", "PutRegistryScanningConfiguration", self._op("put_registry_scanning_configuration"),
                       **action.scanning.api())
        elif isinstance(action, RegisterExclusion):
            self._gone(f"exclusion {action.arn!r}", "RegisterPullTimeUpdateExclusion",
                       self._op("register_pull_time_update_exclusion"), "ExclusionAlreadyExistsException",
                       principalArn=action.arn)
        elif isinstance(action, DeregisterExclusion):
            self._gone(f"exclusion {action.arn!r}", "DeregisterPullTimeUpdateExclusion",
                       self._op("deregister_pull_time_update_exclusion"), "ExclusionNotFoundException",
                       principalArn=action.arn)
        else:  # pragma: no cover - every action is handled above
            raise TypeError(action)

    def _gone(self, part: str, operation: str, method: Callable[..., Any], done_code: str, **kwargs: Any) -> None:
        """A call whose ``done_code`` means it is already done (a retried request, a part already removed)."""
        try:
            self._call(part, operation, method, **kwargs)
        except RegistryCallFailed as exc:
            if exc.code != done_code:
                raise

    def _put_policy(self, text: str | None) -> None:
        if text is None:
            self._gone("PolicyStatements", "DeleteRegistryPolicy", self._op("delete_registry_policy"),
                       "RegistryPolicyNotFoundException")
        else:
            self._call("PolicyStatements", "PutRegistryPolicy", self._op("put_registry_policy"), policyText=text)

    def _read_modify_write(self, what: str, read: Callable[[], T], merge: Callable[[T], T],
                           write: Callable[[T], Any], holds: Callable[[T], bool]) -> None:
        stored: list[T] = []  # what each re-read found after a write that did not hold
        for _ in range(ATTEMPTS):
            now = read()
            if holds(now):
                return  # there already (another writer's merge carried it, or a retried request)
            wanted = merge(now)
            write(wanted)
            if self.settle:
                time.sleep(self.settle)
            after = read()
            if holds(after):
                return
            if stored and after == stored[-1] and merge(after) == wanted:
                return  # twice the same text for what was written: ECR stores it in its own form
            stored.append(after)
            time.sleep(random.uniform(0, self.settle or 0.05))  # apart from the other writer's retry
        raise LostUpdate(what, ATTEMPTS)
