"""Every AWS call the app makes, by the code path that made it, checked against the IAM role that
runs that code on AWS (deploy/cloudformation.yaml).

DynamoDB Local has no IAM, so a call the task role does not allow passes every test here and
fails only on AWS. The recorder hooks every botocore client (its `provide-client-params` event
gives the operation and its parameters) and notes who called:

- "web": anything inside a Django request (the web task's role);
- "job": a management command (the jobs task definition's role: the scheduled commands and the
  one-off tasks docs/deploy.md runs with it);
- "migrate": a command of the migrate task's command line (the migrate task's role).

The roles, the commands of the migrate task and the resources are read from the template, so a
role or a command moved there is checked as it is.
"""

from __future__ import annotations

import contextvars
import fnmatch
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import botocore.session
from django.core.management.base import BaseCommand
from django.core.signals import request_finished, request_started

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "cloudformation.yaml"
TASK_DEFINITION_OF = {
    "web": "TaskDefinition",
    "job": "JobsTaskDefinition",
    "migrate": "MigrateTaskDefinition",
}
# A transaction is authorized item by item, each as the write or check it holds.
TRANSACTION_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True, order=True)
class Call:
    """One IAM action on one resource ("table", "index/<name>" or "*"), by one code path."""

    code_path: str
    where: str  # "request" or the command's name, to say what made it
    action: str  # service:Action, as IAM spells it
    resource: str


# (code path, where) of the code running now; None outside requests and commands (fixtures).
_running: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "aws_code_path", default=None
)
recorded: set[Call] = set()
# Sets that `capture()` blocks collect into, besides `recorded`.
_captures: list[set[Call]] = []


def iam_requests(service: str, operation: str, params: dict) -> Iterator[tuple[str, str]]:
    """The (IAM action, resource) pairs one API call needs."""
    if service != "dynamodb":
        yield f"{service}:{operation}", "*"
        return
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems", []):
            for kind, action in TRANSACTION_ITEM_ACTIONS.items():
                if kind in item:
                    yield f"dynamodb:{action}", "table"
        return
    index = params.get("IndexName")
    yield f"dynamodb:{operation}", f"index/{index}" if index else "table"


def _record(params: dict, model, **_kwargs) -> None:
    running = _running.get()
    if running is None:
        return
    service = model.service_model.endpoint_prefix
    for action, resource in iam_requests(service, model.name, params):
        for calls in (recorded, *_captures):
            calls.add(Call(*running, action, resource))


@contextmanager
def capture() -> Iterator[set[Call]]:
    """The calls made inside the block alone (recording must be on)."""
    calls: set[Call] = set()
    _captures.append(calls)
    try:
        yield calls
    finally:
        _captures.remove(calls)


@contextmanager
def recording(migrate_commands: Iterable[str]) -> Iterator[set[Call]]:
    """Record the calls made while the block runs, from every botocore client it creates."""
    migrate_commands = set(migrate_commands)
    create_client = botocore.session.Session.create_client
    execute = BaseCommand.execute

    def create_hooked_client(session, *args, **kwargs):
        client = create_client(session, *args, **kwargs)
        client.meta.events.register("provide-client-params", _record)
        return client

    def execute_as_task(command, *args, **options):
        name = type(command).__module__.rsplit(".", 1)[-1]
        code_path = "migrate" if name in migrate_commands else "job"
        token = _running.set((code_path, name))
        try:
            return execute(command, *args, **options)
        finally:
            _running.reset(token)

    def started(**_kwargs):
        _running.set(("web", "request"))

    def finished(**_kwargs):
        _running.set(None)

    botocore.session.Session.create_client = create_hooked_client
    BaseCommand.execute = execute_as_task
    request_started.connect(started, dispatch_uid="aws_calls")
    request_finished.connect(finished, dispatch_uid="aws_calls")
    try:
        yield recorded
    finally:
        botocore.session.Session.create_client = create_client
        BaseCommand.execute = execute
        request_started.disconnect(dispatch_uid="aws_calls")
        request_finished.disconnect(dispatch_uid="aws_calls")


# --- The template's side ----------------------------------------------------------------------


def load_template(path: Path = TEMPLATE) -> dict:
    from cfnlint.decode import cfn_yaml

    return cfn_yaml.load(str(path))


def migrate_commands(template: dict) -> list[str]:
    """The manage.py commands the migrate task runs."""
    (container,) = template["Resources"]["MigrateTaskDefinition"]["Properties"][
        "ContainerDefinitions"
    ]
    return re.findall(r"manage\.py (\w+)", " ".join(container["Command"]))


def role_of(template: dict, code_path: str) -> str:
    """The logical id of the role a code path's task runs as."""
    properties = template["Resources"][TASK_DEFINITION_OF[code_path]]["Properties"]
    return properties["TaskRoleArn"]["Fn::GetAtt"][0]


def resource_name(resource) -> str | None:
    """ "table", "index/<name>" or "*" for the app table's ARNs; None for any other resource."""
    if resource == "*":
        return "*"
    if resource == {"Fn::GetAtt": ["Table", "Arn"]}:
        return "table"
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        found = re.fullmatch(r"\$\{Table\.Arn\}/(index/.+)", resource["Fn::Sub"])
        return found.group(1) if found else None
    return None


def allowed(template: dict, role: str) -> list[tuple[list[str], list[str]]]:
    """(action patterns, resource patterns) of each Allow statement of a role's inline policies."""
    grants = []
    for policy in template["Resources"][role]["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions, resources = statement["Action"], statement["Resource"]
            actions = [actions] if isinstance(actions, str) else actions
            resources = resources if isinstance(resources, list) else [resources]
            names = [name for name in map(resource_name, resources) if name]
            grants.append(([a.lower() for a in actions], names))
    return grants


def is_allowed(grants, action: str, resource: str) -> bool:
    return any(
        any(fnmatch.fnmatchcase(action.lower(), pattern) for pattern in actions)
        and (resource == "*" or any(fnmatch.fnmatchcase(resource, r) for r in resources))
        for actions, resources in grants
    )


def refused(calls: Iterable[Call], template: dict) -> list[str]:
    """What each call the template's roles would refuse is, said plainly (empty: all allowed)."""
    problems = []
    for call in sorted(set(calls)):
        role = role_of(template, call.code_path)
        if not is_allowed(allowed(template, role), call.action, call.resource):
            problems.append(
                f"{call.where} ({call.code_path}) calls {call.action} on the {call.resource}, "
                f"which {role} in deploy/cloudformation.yaml does not allow"
            )
    return problems


def save(calls: Iterable[Call], path: Path) -> None:
    path.write_text(json.dumps([asdict(call) for call in sorted(set(calls))]))


def load(paths: Iterable[Path]) -> set[Call]:
    return {Call(**fields) for path in paths for fields in json.loads(path.read_text())}
