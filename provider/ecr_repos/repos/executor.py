"""The only module that calls ECR: reads the state the planner needs, applies plans concurrently.

Every ``ClientError`` is translated here, at one boundary, into the provider's errors. Work on
different repositories runs in a bounded thread pool (``ECR_REPOS_CONCURRENCY``, default 32);
actions on one repository run in order.

Retries are the executor's, not botocore's: ECR's throttling is answered by pacing each operation
at the rate ECR allows (``core.ratelimit``) and retrying for as long as the deadline leaves time;
connection errors and ECR's 5xx answers are retried a few times with backoff.

For a request that goes on in a fresh invocation (``core.continuation``), the executor keeps what
it read (``carried_reads``, ``preload``) and how far ``apply`` got (``progress``, ``in_flight``,
``not_empty``), so that the next invocation neither reads again nor writes twice.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from . import access
from .. import awserror, sdk
from .spec import tag_mutability
from ..core.errors import EcrReposError, OutOfTime
from ..core.ratelimit import AdaptiveRate
from .errors import AwsCallFailed, PrincipalNotFound, RepositoriesNotEmpty, SdkTooOld
from .planner import (
    Action,
    CreateRepository,
    DeleteIfEmpty,
    DeleteRepository,
    DeleteRepositoryPolicy,
    Plan,
    PutLifecyclePolicy,
    SetMutability,
    SetRepositoryPolicy,
    SetScanOnPush,
    TagRepository,
    UntagRepository,
)
from .state import RepoState

DEFAULT_CONCURRENCY = 32  # measured: 16 is ~20% slower at 500 repositories, 48 and 64 no faster
BY_NAME_LIMIT = 100  # DescribeRepositories takes at most 100 repositoryNames
_NOT_BY_NAME = {"RepositoryNotFoundException", "InvalidParameterException", "ValidationException"}

T = TypeVar("T")


def concurrency() -> int:
    try:
        return max(1, int(os.environ.get("ECR_REPOS_CONCURRENCY", DEFAULT_CONCURRENCY)))
    except ValueError:
        return DEFAULT_CONCURRENCY


def make_client(region: str | None = None, *, pool: int | None = None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        # One attempt per call: the executor retries (see _call). botocore's own retries would
        # throttle blindly and stop once the client's retry quota (about 100 retries) is spent.
        retries={"mode": "standard", "total_max_attempts": 1},
        max_pool_connections=max(10, pool or concurrency()),
    )
    return boto3.client("ecr", region_name=region, config=config)


def _state(repo: dict[str, Any]) -> RepoState:
    """A repository as DescribeRepositories returns it (settings only; tags and policies unread)."""
    encryption = repo.get("encryptionConfiguration") or {}
    return RepoState(
        name=repo["repositoryName"],
        arn=repo.get("repositoryArn", ""),
        immutable=repo.get("imageTagMutability", "MUTABLE").startswith("IMMUTABLE"),
        scan_on_push=bool(repo.get("imageScanningConfiguration", {}).get("scanOnPush", False)),
        tag_exclusions=frozenset(f.get("filter", "") for f in repo.get("imageTagMutabilityExclusionFilters") or []),
        encryption=encryption.get("encryptionType", "AES256"),
        kms_key=encryption.get("kmsKey") or None,
    )


def _mutability(immutable: bool, exclusions: tuple[str, ...]) -> dict[str, Any]:
    """imageTagMutability (one of ECR's four values) and its exclusion filters, as ECR takes them."""
    if not exclusions:
        return {"imageTagMutability": tag_mutability(immutable)}
    return {"imageTagMutability": tag_mutability(immutable, exclusions),
            "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": f} for f in exclusions]}


THROTTLING = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"})
# Throttled calls are retried until the deadline; without one (the CLI), for this long per call.
THROTTLE_PATIENCE_SECONDS = 120.0
# Connection errors and 5xx answers: retried this many times, with the pauses below.
TRANSIENT_ATTEMPTS = 4
TRANSIENT = frozenset({"InternalServerError", "InternalFailure", "ServiceUnavailable", "ServerException",
                       "RequestTimeout", "RequestTimeoutException"})
# IAM propagation usually takes seconds, rarely a minute or two: the pauses (2, 4, 8, 16, then 20 s
# at most, each randomised to 50-100%) add up to 55-110 s over these rounds, deadline permitting.
PRINCIPAL_ROUNDS = 8


def _pause_ceiling(attempt: int) -> float:
    return min(20.0, 2.0**attempt)


def _pause(attempt: int) -> None:
    time.sleep(_pause_ceiling(attempt) * random.uniform(0.5, 1.0))


_code = awserror.code  # the ClientError's code: ecr_repos.awserror is its one reader


def _transient(exc: Exception) -> bool:
    """A failure worth retrying as is: the connection, or ECR's side (5xx)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError, HTTPClientError

    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    return _code(exc) in TRANSIENT or awserror.status(exc) >= 500


def _principal_not_found(exc: Exception) -> bool:
    return _code(exc) == "InvalidParameterException" and "Principal not found" in awserror.message(exc)


def _translate(exc: Exception, repo: str | None, operation: str) -> EcrReposError:
    if type(exc).__name__ == "ParamValidationError":  # botocore's own check, before anything is sent
        import botocore

        if sdk.too_old(botocore.__version__, "Custom::EcrRepos"):
            return SdkTooOld(repo, operation, botocore.__version__, sdk.floor("Custom::EcrRepos"))
    return AwsCallFailed(repo, operation, _code(exc) or type(exc).__name__, awserror.message(exc) or str(exc))


class Executor:
    """Reads and writes one registry through one ECR client (thread-safe, shared by the pool)."""

    def __init__(self, client: Any = None, *, region: str | None = None, workers: int | None = None,
                 deadline: float | None = None, service_timeout: int | None = None):
        self.workers = workers or concurrency()
        self.client = client if client is not None else make_client(region, pool=self.workers)
        self.deadline = deadline  # time.monotonic() value after which no new call starts
        self.service_timeout = service_timeout  # set when the deadline is CloudFormation's, not the Lambda's
        self.arns: dict[str, str] = {}
        self.rate = AdaptiveRate()  # per ECR operation, shared by the pool
        # What was read, this invocation's and the ones' before (preload): served again without a call.
        self.listed: dict[str, RepoState] | None = None  # the whole registry, from list_repositories
        self.found: dict[str, RepoState | None] = {}  # by name (None: does not exist)
        self.inspected: dict[str, RepoState] = {}  # tags (and policies) read
        # How far apply got, by the index of the change in the plan's changes.
        self.progress: dict[int, int] = {}  # actions done
        self.in_flight: set[int] = set()  # an action started and not finished
        self.not_empty: list[str] = []
        self.lock = threading.Lock()  # guards progress, in_flight and not_empty

    def preload(self, listed: dict[str, RepoState] | None, found: dict[str, RepoState | None],
                inspected: dict[str, RepoState]) -> None:
        """Serve these reads (an earlier invocation's, of the same request) without calling ECR."""
        self.listed = dict(listed) if listed is not None else None
        self.found = dict(found)
        self.inspected = dict(inspected)

    # --- reads ---------------------------------------------------------------------------------

    def list_repositories(self) -> dict[str, RepoState]:
        """Every repository of the registry, from DescribeRepositories pages (1000 per call)."""
        if self.listed is not None:
            return dict(self.listed)
        found: dict[str, RepoState] = {}
        token = None
        while True:
            kwargs: dict[str, Any] = {"maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self._call(None, "DescribeRepositories", self.client.describe_repositories, **kwargs)
            found.update((repo["repositoryName"], _state(repo)) for repo in page.get("repositories", []))
            token = page.get("nextToken")
            if not token:
                self.listed = dict(found)
                return self._known(found)

    def find(self, names: Iterable[str]) -> dict[str, RepoState]:
        """The repositories among ``names`` that exist, for requests that expect them to (Update of
        the same set, Delete). Up to 100 names: one DescribeRepositories by name, whose cost does not
        grow with the registry. One unknown name fails that call (RepositoryNotFoundException), and
        a malformed one (a Delete gets invalid properties too) fails it as invalid: then, and for
        more names, page the registry instead."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        if all(n in self.found for n in wanted):
            return {n: s for n in wanted if (s := self.found[n]) is not None}
        if len(wanted) <= BY_NAME_LIMIT:
            try:
                page = self._call(None, "DescribeRepositories", self.client.describe_repositories,
                                  repositoryNames=wanted, translate=False)
                result = {repo["repositoryName"]: _state(repo) for repo in page.get("repositories", [])}
                self.found.update({n: result.get(n) for n in wanted})
                return self._known(result)
            except EcrReposError:
                raise
            except Exception as exc:  # noqa: BLE001 - sorted by error code below
                if _code(exc) not in _NOT_BY_NAME:
                    raise _translate(exc, None, "DescribeRepositories") from exc
        listed = self.list_repositories()
        self.found.update({n: listed.get(n) for n in wanted})
        return {n: listed[n] for n in wanted if n in listed}

    def inspect(self, states: dict[str, RepoState], names: Iterable[str], *, policies: bool = True,
                on_read: Callable[[str], None] | None = None) -> dict[str, RepoState]:
        """Read tags (and lifecycle and repository policies) of ``names``; return the states completed.
        ``on_read(name)`` runs after each repository (progress on a terminal)."""
        def read(name: str) -> RepoState:
            known = self.inspected.get(name)
            if known is not None and known.arn == states[name].arn and (known.policies_read or not policies):
                state = known if policies else known.replace(lifecycle_policy=None, repository_policy=None,
                                                             policies_read=False)
            else:
                state = fetch(name)
                if name not in self.inspected or state.policies_read:
                    self.inspected[name] = state
            if on_read is not None:
                on_read(name)
            return state

        def fetch(name: str) -> RepoState:
            state = states[name]
            tags = self._call(name, "ListTagsForResource", self.client.list_tags_for_resource, resourceArn=state.arn)
            tag_map = {t["Key"]: t["Value"] for t in tags.get("tags", [])}
            if not policies:
                return state.replace(tags=tag_map)
            life = self._optional(name, "GetLifecyclePolicy", self.client.get_lifecycle_policy,
                                  "LifecyclePolicyNotFoundException", "lifecyclePolicyText")
            policy = self._optional(name, "GetRepositoryPolicy", self.client.get_repository_policy,
                                    "RepositoryPolicyNotFoundException", "policyText")
            return state.replace(tags=tag_map, lifecycle_policy=life, repository_policy=policy, policies_read=True)

        wanted = sorted(n for n in names if n in states)
        return dict(zip(wanted, self._map(read, wanted)))

    def holds_images(self, names: Iterable[str]) -> dict[str, bool]:
        """Whether each repository holds at least one image (ListImages, one result per call)."""
        def read(name: str) -> bool:
            page = self._call(name, "ListImages", self.client.list_images, repositoryName=name, maxResults=1)
            return bool(page.get("imageIds"))

        wanted = sorted(set(names))
        return dict(zip(wanted, self._map(read, wanted)))

    def _optional(self, repo: str, operation: str, method: Callable[..., Any], missing: str, key: str) -> str | None:
        try:
            return self._call(repo, operation, method, repositoryName=repo, translate=False)[key]
        except EcrReposError:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted by error code below
            if _code(exc) == missing:
                return None
            raise _translate(exc, repo, operation) from exc

    # --- writes --------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> None:
        """Run the plan: repositories concurrently, each one's actions in order; the changes of phase 1
        only once every action of phase 0 succeeded. Stops starting new work at the first failure or at
        the deadline; raises what went wrong."""
        # Phase 1 (and any later one) only once every action of the phases before succeeded.
        numbered = [(i, c) for i, c in enumerate(plan.changes) if c.actions]
        phases = [[ic for ic in numbered if ic[1].phase == p] for p in sorted({c.phase for _, c in numbered})]
        self.progress, self.in_flight, self.not_empty = {}, set(), []
        total = sum(len(c.actions) for group in phases for _, c in group)
        done = [0]
        lock = self.lock
        failed = threading.Event()
        not_empty: list[str] = []
        errors: list[EcrReposError] = []

        def run(numbered_change: Any) -> None:
            index, change = numbered_change
            for action in change.actions:
                if failed.is_set():
                    return
                try:
                    if self._out_of_time():
                        raise OutOfTime()
                    with lock:
                        self.in_flight.add(index)
                    self._apply_one(action)
                except RepositoryNotEmptyMarker:
                    with lock:
                        not_empty.append(action.repo)
                        self.not_empty.append(action.repo)
                        self.in_flight.discard(index)
                        self.progress[index] = len(change.actions)  # kept: nothing more to do for it
                    return
                except OutOfTime:
                    with lock:
                        self.in_flight.discard(index)  # out of time: the call did not run or did not end
                        errors.append(OutOfTime(done[0], total, service_timeout=self.service_timeout))
                    failed.set()
                    return
                except EcrReposError as exc:
                    with lock:
                        self.in_flight.discard(index)
                        errors.append(exc)
                    failed.set()
                    return
                with lock:
                    done[0] += 1
                    self.progress[index] = self.progress.get(index, 0) + 1
                    self.in_flight.discard(index)

        for groups in phases:
            self._map(run, groups)
            if errors:
                break  # a repository kept because it holds images does not stop the next phase
        if errors:
            raise next((e for e in errors if not isinstance(e, OutOfTime)), errors[0])
        if not_empty:
            raise RepositoriesNotEmpty(not_empty)

    def _apply_one(self, action: Action) -> None:
        """One action's ECR call, by the action's type (``_APPLY``; a subclass takes its base's)."""
        apply = next((self._APPLY[k] for k in type(action).__mro__ if k in self._APPLY), None)
        if apply is None:  # pragma: no cover - the planner makes no other action
            raise TypeError(f"unknown action {action!r}")
        apply(self, action)

    def _create(self, action: CreateRepository) -> None:
        encryption: dict[str, Any] = {"encryptionType": action.encryption}
        if action.kms_key:
            encryption["kmsKey"] = action.kms_key
        self._call(action.repo, "CreateRepository", self.client.create_repository, repositoryName=action.repo,
                   **_mutability(action.immutable, action.tag_exclusions),
                   imageScanningConfiguration={"scanOnPush": action.scan_on_push},
                   encryptionConfiguration=encryption,
                   tags=[{"Key": k, "Value": v} for k, v in action.tags])

    def _set_mutability(self, action: SetMutability) -> None:
        self._call(action.repo, "PutImageTagMutability", self.client.put_image_tag_mutability,
                   repositoryName=action.repo, **_mutability(action.immutable, action.tag_exclusions))

    def _set_scan_on_push(self, action: SetScanOnPush) -> None:
        self._call(action.repo, "PutImageScanningConfiguration", self.client.put_image_scanning_configuration,
                   repositoryName=action.repo, imageScanningConfiguration={"scanOnPush": action.scan_on_push})

    def _put_lifecycle_policy(self, action: PutLifecyclePolicy) -> None:
        self._call(action.repo, "PutLifecyclePolicy", self.client.put_lifecycle_policy, repositoryName=action.repo,
                   lifecyclePolicyText=action.text)

    def _delete_repository_policy(self, action: DeleteRepositoryPolicy) -> None:
        self._call(action.repo, "DeleteRepositoryPolicy", self.client.delete_repository_policy,
                   repositoryName=action.repo)

    def _tag(self, action: TagRepository) -> None:
        self._call(action.repo, "TagResource", self.client.tag_resource, resourceArn=self._arn(action.repo),
                   tags=[{"Key": k, "Value": v} for k, v in action.tags])

    def _untag(self, action: UntagRepository) -> None:
        self._call(action.repo, "UntagResource", self.client.untag_resource, resourceArn=self._arn(action.repo),
                   tagKeys=list(action.keys))

    def _delete(self, action: DeleteRepository) -> None:
        repo = action.repo
        try:
            self._call(repo, "DeleteRepository", self.client.delete_repository, repositoryName=repo,
                       force=action.force, translate=False)
        except EcrReposError:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted by error code below
            if _code(exc) == "RepositoryNotEmptyException":
                raise RepositoryNotEmptyMarker(repo) from exc
            if _code(exc) == "RepositoryNotFoundException":
                return  # already gone: a retried Delete
            raise _translate(exc, repo, "DeleteRepository") from exc

    def _delete_if_empty(self, action: DeleteIfEmpty) -> None:
        repo = action.repo
        try:
            self._call(repo, "DeleteRepository", self.client.delete_repository, repositoryName=repo, force=False,
                       translate=False)
        except EcrReposError:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted by error code below
            if _code(exc) not in ("RepositoryNotEmptyException", "RepositoryNotFoundException"):
                raise _translate(exc, repo, "DeleteRepository") from exc

    def _set_repository_policy(self, action: SetRepositoryPolicy) -> None:
        """SetRepositoryPolicy, waiting out IAM's propagation: a role created moments earlier (in
        the same stack update) is refused as 'Principal not found' until ECR sees it
        (hashicorp/terraform-provider-aws#39064). Retried with backoff while the deadline allows."""
        repo, text = action.repo, action.text
        attempt = 0
        started = time.monotonic()
        while True:
            try:
                self._call(repo, "SetRepositoryPolicy", self.client.set_repository_policy, repositoryName=repo,
                           policyText=text, translate=False)
                return
            except Exception as exc:  # noqa: BLE001 - sorted by error code below
                if not _principal_not_found(exc):
                    raise _translate(exc, repo, "SetRepositoryPolicy") from exc
                attempt += 1
                if attempt <= PRINCIPAL_ROUNDS and self._may_wait(attempt):
                    _pause(attempt)
                    continue
                raise PrincipalNotFound(repo, access.named_principals(text), time.monotonic() - started) from exc

    _APPLY: dict[type, Callable[[Executor, Any], None]] = {
        CreateRepository: _create,
        SetMutability: _set_mutability,
        SetScanOnPush: _set_scan_on_push,
        PutLifecyclePolicy: _put_lifecycle_policy,
        SetRepositoryPolicy: _set_repository_policy,
        DeleteRepositoryPolicy: _delete_repository_policy,
        TagRepository: _tag,
        UntagRepository: _untag,
        DeleteRepository: _delete,
        DeleteIfEmpty: _delete_if_empty,
    }

    # --- plumbing ------------------------------------------------------------------------------

    def _known(self, states: dict[str, RepoState]) -> dict[str, RepoState]:
        """Every repository read keeps its ARN here for the tag calls (which take ARNs, not names)."""
        self.arns.update((n, s.arn) for n, s in states.items() if s.arn)
        return states

    def _arn(self, repo: str) -> str:
        arn = self.arns.get(repo)
        if arn:
            return arn
        page = self._call(repo, "DescribeRepositories", self.client.describe_repositories, repositoryNames=[repo])
        return page["repositories"][0]["repositoryArn"]

    def _call(self, repo: str | None, operation: str, method: Callable[..., T], *, translate: bool = True,
              **kwargs: Any) -> T:
        """One ECR call, paced at the rate ECR allows for ``operation`` and retried: throttling while
        time remains, connection errors and 5xx answers ``TRANSIENT_ATTEMPTS`` times."""
        started = time.monotonic()
        transient = 0
        last: Exception | None = None
        while True:
            if self._out_of_time():
                if last is not None:  # still throttled when the time ran out: say so
                    if translate:
                        raise _translate(last, repo, operation) from last
                    raise last
                raise OutOfTime(service_timeout=self.service_timeout)
            patience = None if self.deadline is not None else started + THROTTLE_PATIENCE_SECONDS
            if not self.rate.wait(operation, self.deadline if self.deadline is not None else patience):
                if last is not None and translate:
                    raise _translate(last, repo, operation) from last  # still throttled when time ran out
                if last is not None:
                    raise last
                raise OutOfTime(service_timeout=self.service_timeout)
            try:
                result = method(**kwargs)
            except Exception as exc:  # noqa: BLE001 - botocore's ClientError and connection errors alike
                if _code(exc) in THROTTLING:
                    self.rate.throttled(operation)
                    last = exc
                    continue
                if _transient(exc) and transient < TRANSIENT_ATTEMPTS and self._may_wait(transient + 1):
                    transient += 1
                    _pause(transient)
                    continue
                if not translate:
                    raise
                raise _translate(exc, repo, operation) from exc
            self.rate.succeeded(operation)
            return result

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def _may_wait(self, attempt: int) -> bool:
        return self.deadline is None or time.monotonic() + _pause_ceiling(attempt) < self.deadline

    def _map(self, fn: Callable[[Any], T], items: list[Any]) -> list[T]:
        if len(items) <= 1 or self.workers == 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))


class RepositoryNotEmptyMarker(Exception):
    """Internal: a DeleteRepository without force met images."""
