"""The IAM roles in deploy/cloudformation.yaml allow every AWS call the app makes.

DynamoDB Local has no IAM: these calls pass here whatever the roles say. The whole suite's calls
are checked when it ends (tests/conftest.py); these tests run the flows that matter most and
prove the check refuses what AWS would refuse.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests import aws_calls
from tests.factories import create_payload


@pytest.fixture(scope="module")
def template() -> dict:
    return aws_calls.load_template()


def without_action(template: dict, role: str, action: str) -> dict:
    changed = copy.deepcopy(template)
    for policy in changed["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if isinstance(statement["Action"], list) and action in statement["Action"]:
                statement["Action"].remove(action)
    return changed


@pytest.fixture
def my_lobbies_calls(client, user) -> set[aws_calls.Call]:
    """The calls of a signed-in user with a lobby opening "My lobbies" (where sign-in lands)."""
    client.force_login(user)
    client.post(reverse("lobbies:create"), create_payload())
    with aws_calls.capture() as calls:
        response = client.get(reverse("lobbies:mine"))
    assert response.status_code == HTTPStatus.OK
    return calls


def test_my_lobbies_is_allowed_to_the_web_task(template, my_lobbies_calls):
    assert aws_calls.Call("web", "request", "dynamodb:BatchGetItem", "table") in my_lobbies_calls
    assert aws_calls.Call("web", "request", "dynamodb:Query", "index/gsi1") in my_lobbies_calls
    assert aws_calls.refused(my_lobbies_calls, template) == []


def test_a_role_without_batch_get_item_is_refused(template, my_lobbies_calls):
    broken = without_action(template, "TaskRole", "dynamodb:BatchGetItem")
    (problem,) = aws_calls.refused(my_lobbies_calls, broken)
    assert "dynamodb:BatchGetItem" in problem and "TaskRole" in problem


def test_a_query_on_an_index_the_role_does_not_name_is_refused(template, my_lobbies_calls):
    broken = copy.deepcopy(template)
    (statement,) = broken["Resources"]["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    statement["Resource"] = [{"Fn::GetAtt": ["Table", "Arn"]}]
    (problem,) = aws_calls.refused(my_lobbies_calls, broken)
    assert "dynamodb:Query on the index/gsi1" in problem


@pytest.mark.django_db
@pytest.mark.parametrize(
    "command", ["settle_due_lobbies", "send_reminders", "purge_expired_lobbies", "clearsessions"]
)
def test_scheduled_jobs_are_allowed_to_the_jobs_task(template, lobby, command):
    with aws_calls.capture() as calls:
        call_command(command, stdout=StringIO(), stderr=StringIO())
    assert {call.code_path for call in calls} <= {"job"}
    assert aws_calls.refused(calls, template) == []


@pytest.mark.django_db
def test_the_migrate_task_may_check_the_table_and_its_ttl(template):
    assert aws_calls.migrate_commands(template) == [
        "migrate",
        "createcachetable",
        "dynamo_create_table",
    ]
    with aws_calls.capture() as calls:
        call_command("dynamo_create_table", stdout=StringIO())
    actions = {call.action for call in calls}
    assert {"dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive"} <= actions
    assert {call.code_path for call in calls} == {"migrate"}
    assert aws_calls.refused(calls, template) == []
    broken = without_action(template, "MigrateTaskRole", "dynamodb:DescribeTimeToLive")
    assert aws_calls.refused(calls, broken)


def test_a_transaction_needs_each_items_own_action():
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t"}},
            {"Update": {"TableName": "t"}},
            {"ConditionCheck": {"TableName": "t"}},
        ]
    }
    assert list(aws_calls.iam_requests("dynamodb", "TransactWriteItems", params)) == [
        ("dynamodb:PutItem", "table"),
        ("dynamodb:UpdateItem", "table"),
        ("dynamodb:ConditionCheckItem", "table"),
    ]
