"""The deploy files agree with each other: the buildspec, the pipeline, the network and app
stacks and docker-compose.yml use the same names, outputs, parameters and commands.

The templates use CloudFormation's short tags (!Ref, !Sub...), so they are read with
cfn-lint's own loader.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from cfnlint.decode import cfn_yaml

pytestmark = pytest.mark.no_dynamodb

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ENVIRONMENTS = ("staging", "production")


def load(name: str) -> dict:
    return cfn_yaml.load(str(DEPLOY / name))


@pytest.fixture(scope="module")
def app() -> dict:
    return load("cloudformation.yaml")


@pytest.fixture(scope="module")
def network() -> dict:
    return load("network.yaml")


@pytest.fixture(scope="module")
def pipeline() -> dict:
    return load("pipeline.yaml")


@pytest.fixture(scope="module")
def buildspec() -> dict:
    return yaml.safe_load((DEPLOY / "buildspec.yml").read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def inline_buildspec(pipeline: dict, project: str) -> str:
    return pipeline["Resources"][project]["Properties"]["Source"]["BuildSpec"]


def container(template: dict, resource: str) -> dict:
    (definition,) = template["Resources"][resource]["Properties"]["ContainerDefinitions"]
    return definition


def sub_text(value) -> str:
    """The template string of a !Sub, or the plain string."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value


# --- Stack outputs the deploy steps read -----------------------------------------------------


def test_every_output_the_deploy_steps_read_exists(app, network, pipeline):
    app_outputs, network_outputs = set(app["Outputs"]), set(network["Outputs"])
    for project in ("MigrateProject", "ReleaseProject", "SmokeProject"):
        script = inline_buildspec(pipeline, project)
        for stack, output in re.findall(r'out "\$(APP_STACK(?:-network)?)" (\w+)', script):
            wanted = network_outputs if stack.endswith("-network") else app_outputs
            assert output in wanted, f"{project} reads {output} from {stack}, which has none"
        for output in re.findall(r"OutputKey=='(\w+)'", script):
            if output not in ("$1", "$2"):
                assert output in app_outputs, f"{project} reads {output}"


def test_stack_names_match_the_pipeline(app, pipeline):
    params = pipeline["Parameters"]
    for env in ENVIRONMENTS:
        stack = params[f"{env.capitalize()}StackName"]
        assert stack["Default"] == f"{env}-letshangout"
        assert stack["AllowedValues"] == [f"{env}-letshangout"]
    assert app["Resources"]["Cluster"]["Properties"]["ClusterName"] == {
        "Fn::Sub": "${EnvironmentName}-letshangout"
    }
    assert app["Resources"]["Service"]["Properties"]["ServiceName"] == {
        "Fn::Sub": "${EnvironmentName}-letshangout"
    }
    stages = {s["Name"]: s for s in pipeline["Resources"]["Pipeline"]["Properties"]["Stages"]}
    for env in ENVIRONMENTS:
        actions = {a["Name"]: a for a in stages[env.capitalize()]["Actions"]}
        assert [a["Name"] for a in stages[env.capitalize()]["Actions"]] == [
            "Migrate",
            "Deploy",
            "Release",
            "SmokeTest",
        ]
        deploy = actions["Deploy"]["Configuration"]
        assert deploy["ClusterName"] == deploy["ServiceName"] == f"{env}-letshangout"
        for name in ("Migrate", "Release", "SmokeTest"):
            variables = actions[name]["Configuration"]["EnvironmentVariables"]["Fn::Sub"]
            assert f"${{{env.capitalize()}StackName}}" in variables
    order = [s["Name"] for s in pipeline["Resources"]["Pipeline"]["Properties"]["Stages"]]
    assert order == ["Source", "Build", "Staging", "Approve", "Production"]


def test_network_exports_what_the_app_imports(app, network):
    exported = {
        sub_text(o["Export"]["Name"]).replace("${AWS::StackName}-", "")
        for o in network["Outputs"].values()
    }
    imports = re.findall(r"\$\{EnvironmentName\}-letshangout-network-(\w+)", str(app["Resources"]))
    assert imports, "the app stack imports nothing from the network stack"
    assert set(imports) <= exported
    for name, output in network["Outputs"].items():
        assert sub_text(output["Export"]["Name"]) == f"${{AWS::StackName}}-{name}"


# --- Containers, commands and the image -------------------------------------------------------


def test_buildspec_artifacts_name_the_stack_containers(app, buildspec):
    script = "\n".join(buildspec["phases"]["build"]["commands"])
    assert '[{"name": "web", "imageUri"' in script
    assert container(app, "TaskDefinition")["Name"] == app["Outputs"]["ContainerName"]["Value"]
    assert '{"name": "migrate", "command"' in script
    migrate = container(app, "MigrateTaskDefinition")
    assert migrate["Name"] == app["Outputs"]["MigrateContainerName"]["Value"] == "migrate"
    assert set(buildspec["artifacts"]["files"]) == {
        "imagedefinitions.json",
        "migrate-overrides.json",
    }


def test_migrate_command_is_the_same_everywhere(app, buildspec, compose):
    command = buildspec["env"]["variables"]["MIGRATE_COMMAND"]
    assert container(app, "MigrateTaskDefinition")["Command"] == ["sh", "-c", command]
    steps = [part.strip() for part in command.split("&&")]
    assert steps[-1] == "python -m letshangout.db_backend.app_role"
    compose_command = " ".join(compose["services"]["migrate"]["command"])
    for part in steps:
        assert part in compose_command, f"docker-compose.yml's migrate misses {part!r}"


def test_every_task_runs_the_released_image(app):
    assert app["Parameters"]["ReleasedImage"]["Type"] == "AWS::SSM::Parameter::Value<String>"
    for resource in ("TaskDefinition", "JobsTaskDefinition", "MigrateTaskDefinition"):
        assert container(app, resource)["Image"] == {"Ref": "ReleasedImage"}
        assert container(app, resource)["ReadonlyRootFilesystem"] is True


def test_release_step_records_the_image_parameter_the_stacks_read(pipeline):
    script = inline_buildspec(pipeline, "ReleaseProject")
    assert 'put-parameter --name "/letshangout/$ENV_NAME/image"' in script
    policy = pipeline["Resources"]["DeployStepsRole"]["Properties"]["Policies"][0]
    (statement,) = [
        s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "RecordReleasedImage"
    ]
    for env in ENVIRONMENTS:
        assert any(
            f"parameter/letshangout/{env}/image" in sub_text(r) for r in statement["Resource"]
        )


# --- Scheduled jobs ---------------------------------------------------------------------------


def test_jobs_have_their_own_family_pinned_by_revision(app):
    jobs = container(app, "JobsTaskDefinition")
    assert "PortMappings" not in jobs and "HealthCheck" not in jobs
    family = app["Resources"]["JobsTaskDefinition"]["Properties"]["Family"]
    assert family == {"Fn::Sub": "${EnvironmentName}-letshangout-jobs"}
    schedules = resources(app, "AWS::Scheduler::Schedule")
    commands = set()
    for name, schedule in schedules.items():
        target = schedule["Properties"]["Target"]
        assert target["EcsParameters"]["TaskDefinitionArn"] == {"Ref": "JobsTaskDefinition"}, name
        assert "Arn" in target["DeadLetterConfig"]
        assert target["EcsParameters"]["NetworkConfiguration"]["AwsvpcConfiguration"][
            "SecurityGroups"
        ] == [{"Ref": "JobsSecurityGroup"}]
        (override,) = yaml.safe_load(target["Input"])["containerOverrides"]
        assert override["name"] == jobs["Name"] == app["Outputs"]["JobsContainerName"]["Value"]
        commands.add(override["command"][-1])
    assert commands == {
        "settle_due_lobbies",
        "send_reminders",
        "purge_expired_lobbies",
        "clearsessions",
    }
    listed = app["Outputs"]["JobScheduleNames"]["Value"]["Fn::Join"][1]
    assert sorted(r["Ref"] for r in listed) == sorted(schedules)


def test_scheduler_may_run_only_the_jobs_family(app):
    policy = app["Resources"]["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    (run,) = [s for s in policy["Statement"] if s["Sid"] == "RunJobTasks"]
    assert sub_text(run["Resource"]).endswith(
        "task-definition/${EnvironmentName}-letshangout-jobs:*"
    )
    (dlq,) = [s for s in policy["Statement"] if s["Sid"] == "DeadLetters"]
    assert dlq["Resource"] == {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}


def test_job_failures_raise_an_alarm(app):
    rule = app["Resources"]["JobFailedRule"]["Properties"]
    assert rule["EventPattern"]["detail"]["group"] == [
        {"Fn::Sub": "family:${EnvironmentName}-letshangout-jobs"}
    ]
    alarm = app["Resources"]["AlarmJobsFailed"]["Properties"]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    assert metrics["failedRuns"]["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == {
        "Ref": "JobFailedRule"
    }


# --- Alarms reach people; deployments test themselves ---------------------------------------


def test_alarm_topic_uses_a_key_cloudwatch_and_eventbridge_may_use(app):
    topic = app["Resources"]["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlarmKey", "Arn"]}
    statements = app["Resources"]["AlarmKey"]["Properties"]["KeyPolicy"]["Statement"]
    services = {
        s
        for statement in statements
        for s in (statement["Principal"].get("Service") or [])
        if isinstance(statement["Principal"], dict)
    }
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= services


def test_pipeline_notifications_use_a_key_codestar_may_use(pipeline):
    topic = pipeline["Resources"]["NotificationTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["NotificationKey", "Arn"]}
    statements = pipeline["Resources"]["NotificationKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        s["Principal"].get("Service") == "codestar-notifications.amazonaws.com" for s in statements
    )


def test_rollback_alarms_exist_and_cover_both_target_groups(app):
    config = app["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    names = [ref["Ref"] for ref in config["Alarms"]["AlarmNames"]]
    assert {"AlarmTargetBlue5xx", "AlarmTargetGreen5xx", "AlarmElb5xx"} <= set(names)
    for name in names:
        assert app["Resources"][name]["Type"] == "AWS::CloudWatch::Alarm"
    assert config["Strategy"] in ("CANARY", "LINEAR")
    (hook,) = config["LifecycleHooks"]
    assert hook["HookTargetArn"] == {"Fn::GetAtt": ["SmokeHookFunction", "Arn"]}
    assert hook["LifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    advanced = app["Resources"]["Service"]["Properties"]["LoadBalancers"][0][
        "AdvancedConfiguration"
    ]
    assert advanced["TestListenerRule"] == {"Ref": "TestListenerRule"}


def test_smoke_hook_sends_the_test_rule_header(app):
    rule = app["Resources"]["TestListenerRule"]["Properties"]
    header = rule["Conditions"][0]["HttpHeaderConfig"]
    variables = app["Resources"]["SmokeHookFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["TEST_HEADER_NAME"] == header["HttpHeaderName"]
    assert [variables["TEST_HEADER_VALUE"]] == header["Values"]
    production = app["Resources"]["ProductionListenerRule"]["Properties"]["Priority"]
    assert rule["Priority"] < production


def test_inline_lambda_code_is_smoke_hook_py(app):
    inline = app["Resources"]["SmokeHookFunction"]["Properties"]["Code"]["ZipFile"]
    source = (DEPLOY / "lambda" / "smoke_hook.py").read_text()
    assert inline == source, "run `python3 deploy/lambda/embed.py` after editing smoke_hook.py"


def test_secrets_say_what_happens_on_delete(app):
    for name in resources(app, "AWS::SecretsManager::Secret"):
        assert app["Resources"][name]["DeletionPolicy"] == "Delete", name
        assert app["Resources"][name]["UpdateReplacePolicy"] == "Delete", name


# --- docker compose -------------------------------------------------------------------------


def test_compose_runs_production_behind_tls_and_the_scheduler(compose):
    services = compose["services"]
    assert {"proxy", "app", "migrate", "scheduler", "db", "dynamodb", "redis"} <= set(services)
    assert services["app"]["environment"]["DJANGO_ENV"] == "production"
    assert "ports" not in services["app"], "only the TLS proxy is published"
    scheduler = " ".join(services["scheduler"]["command"])
    assert "settle_due_lobbies" in scheduler and "sleep 300" in scheduler


# --- The smoke hook's own logic ---------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_hook():
    spec = importlib.util.spec_from_file_location("smoke_hook", DEPLOY / "lambda" / "smoke_hook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hook_env(monkeypatch):
    monkeypatch.setenv("SITE_HOST", "example.com")
    monkeypatch.setenv("TEST_HEADER_NAME", "X-LetsHangOut-Test")
    monkeypatch.setenv("TEST_HEADER_VALUE", "abc")
    monkeypatch.setenv("CONNECT_TO", "lb.example.com")


def test_hook_succeeds_when_the_flow_passes(smoke_hook, hook_env, monkeypatch):
    calls = []
    monkeypatch.setattr(smoke_hook, "run", lambda *args: calls.append(args))
    assert smoke_hook.handler({}, None) == {"hookStatus": "SUCCEEDED"}
    assert calls == [("https://example.com", "lb.example.com", {"X-LetsHangOut-Test": "abc"})]


def test_hook_retries_then_fails(smoke_hook, hook_env, monkeypatch):
    def broken(*args):
        raise smoke_hook.SmokeFailure("/readyz answered 503")

    monkeypatch.setattr(smoke_hook, "run", broken)
    answer = smoke_hook.handler({}, None)
    assert answer["hookStatus"] == "IN_PROGRESS"
    assert answer["hookDetails"] == {"attempt": 2}
    last = {"hookDetails": {"attempt": smoke_hook.MAX_ATTEMPTS}}
    assert smoke_hook.handler(last, None) == {"hookStatus": "FAILED"}


def test_form_parser_sends_what_a_browser_sends(smoke_hook):
    page = smoke_hook.Page(
        200,
        [],
        '<form method="get" action="/search"><input name="q"></form>'
        '<form method="post" action="/lobbies/new/">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="t">'
        '<input name="title" value="">'
        '<input type="checkbox" name="weekly" value="1">'
        '<input type="checkbox" name="dates" value="2030-01-02" checked>'
        '<select name="zone"><option value="UTC">UTC</option>'
        '<option value="Europe/Paris" selected>Paris</option></select>'
        "<textarea name=note>\nhi</textarea><button>Create</button></form>",
        "/lobbies/new/",
    )
    form = smoke_hook.find_form(page, action="/lobbies/new/")
    assert form["fields"] == [
        ("csrfmiddlewaretoken", "t"),
        ("title", ""),
        ("dates", "2030-01-02"),
        ("zone", "Europe/Paris"),
        ("note", "hi"),
    ]
    assert smoke_hook.find_form(page, field="q") is None


def test_embed_is_idempotent():
    spec = importlib.util.spec_from_file_location("embed", DEPLOY / "lambda" / "embed.py")
    embed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(embed)
    template = (DEPLOY / "cloudformation.yaml").read_text()
    code = (DEPLOY / "lambda" / "smoke_hook.py").read_text()
    assert embed.embed(template, code) == template
