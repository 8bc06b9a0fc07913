"""A stack of several resources, for scenarios where another resource's failure drives the rollback.

Each Custom::EcrRepos is a ``tests.support.cfn.Resource``; ``Other`` stands for any other resource
of the stack (a Lambda, a bucket) whose update can be made to fail. The driver follows
CloudFormation's order: resources in declaration order, on failure a rollback of every resource
already touched (newest first), on success the cleanup phase (Deletes of replaced physical ids).
It reports the stack status CloudFormation would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cfn import LambdaContext, Resource, Response


@dataclass
class Other:
    """Any other resource of the stack; ``fail`` makes its next create or update fail."""

    logical_id: str
    fail: bool = False


@dataclass
class Outcome:
    status: str
    responses: dict[str, Response] = field(default_factory=dict)  # the forward operation
    rollback: dict[str, Response | None] = field(default_factory=dict)
    cleanup: dict[str, Response | None] = field(default_factory=dict)


class Stack:
    def __init__(self, name: str, *resources: str | Other):
        self.name = name
        self.members: list[Resource | Other] = [
            r if isinstance(r, Other) else Resource(stack_name=name, logical_id=r) for r in resources
        ]

    def __getitem__(self, logical_id: str) -> Any:
        return next(m for m in self.members if m.logical_id == logical_id)

    def _repos(self) -> list[Resource]:
        return [m for m in self.members if isinstance(m, Resource)]

    def create(self, properties: dict[str, dict[str, Any]], context: LambdaContext | None = None) -> Outcome:
        outcome = Outcome("CREATE_COMPLETE")
        done: list[Resource] = []
        for member in self.members:
            if isinstance(member, Other):
                if member.fail:
                    outcome.status = "ROLLBACK_IN_PROGRESS"
                    break
                continue
            response = member.create(properties[member.logical_id], context=context)
            outcome.responses[member.logical_id] = response
            done.append(member)
            if not response.ok:
                outcome.status = "ROLLBACK_IN_PROGRESS"
                break
        if outcome.status == "CREATE_COMPLETE":
            return outcome
        outcome.status = "ROLLBACK_COMPLETE"
        for member in reversed(done):  # a failed Create is deleted too, with the id it answered
            response = member.delete()
            outcome.rollback[member.logical_id] = response
            if not response.ok:
                outcome.status = "ROLLBACK_FAILED"
        return outcome

    def update(self, properties: dict[str, dict[str, Any]], context: LambdaContext | None = None) -> Outcome:
        outcome = Outcome("UPDATE_COMPLETE")
        done: list[Resource] = []
        for member in self.members:
            if isinstance(member, Other):
                if member.fail:
                    outcome.status = "UPDATE_ROLLBACK_IN_PROGRESS"
                    break
                continue
            new = properties.get(member.logical_id)
            if new is None or new == member.properties:
                continue  # unchanged: CloudFormation sends nothing
            response = member.update(new, context=context)
            outcome.responses[member.logical_id] = response
            done.append(member)
            if not response.ok:
                outcome.status = "UPDATE_ROLLBACK_IN_PROGRESS"
                break
        if outcome.status == "UPDATE_COMPLETE":
            for member in done:
                outcome.cleanup[member.logical_id] = member.cleanup()  # a FAILED cleanup is only recorded
            return outcome
        outcome.status = "UPDATE_ROLLBACK_COMPLETE"
        for member in reversed(done):
            old_id = member._pending[0]
            forward = outcome.responses[member.logical_id]
            replaced = forward.ok and forward.physical_id != old_id
            response = member.rollback()
            outcome.rollback[member.logical_id] = response
            if response is not None and not response.ok:
                outcome.status = "UPDATE_ROLLBACK_FAILED"
            elif response is not None and not replaced and response.physical_id != old_id:
                # A rollback Update must keep the id CloudFormation already holds.
                outcome.status = "UPDATE_ROLLBACK_CHANGED_ID"
        return outcome

    def delete(self, context: LambdaContext | None = None) -> Outcome:
        outcome = Outcome("DELETE_COMPLETE")
        for member in reversed(self._repos()):
            if member.physical_id is None:
                continue
            response = member.delete(context=context)
            outcome.responses[member.logical_id] = response
            if not response.ok:
                outcome.status = "DELETE_FAILED"
        return outcome
