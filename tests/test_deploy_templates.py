"""The deploy files agree with each other: the buildspec, the pipeline, the network and app
stacks and docker-compose.yml use the same names, outputs, parameters and commands.

The templates use CloudFormation's short tags (!Ref, !Sub...), so they are read with
cfn-lint's own loader.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest
import yaml
from cfnlint.decode import cfn_yaml

pytestmark = pytest.mark.no_dynamodb

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
LAMBDA_DIR = DEPLOY / "lambda"
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
    by_service = {}
    for statement in statements:
        services = statement["Principal"].get("Service") or []
        for service in [services] if isinstance(services, str) else services:
            by_service[service] = statement
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= set(by_service)
    # EventBridge's KMS calls for SNS delivery need not carry aws:SourceAccount: a condition
    # on it would drop the job-failure emails. The topic policy names the rule instead.
    assert "aws:SourceAccount" not in str(by_service["events.amazonaws.com"].get("Condition"))


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


def test_lambda_code_is_the_hook_folder_with_the_shared_client(app, smoke_hook):
    """`aws cloudformation package` zips Code's folder: the hook and the client it imports."""
    properties = app["Resources"]["SmokeHookFunction"]["Properties"]
    folder = DEPLOY / properties["Code"]
    assert folder == LAMBDA_DIR
    assert {"smoke_hook.py", "webclient.py"} <= {path.name for path in folder.glob("*.py")}
    module, function = properties["Handler"].split(".")
    assert (folder / f"{module}.py").exists() and callable(getattr(smoke_hook, function))


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
    """The hook imported from its folder, as the Lambda runtime imports it."""
    sys.path.insert(0, str(LAMBDA_DIR))
    try:
        yield importlib.import_module("smoke_hook")
    finally:
        sys.path.remove(str(LAMBDA_DIR))


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
    assert calls == [("https://example.com", "lb.example.com", {"X-LetsHangOut-Test": "abc"}, None)]


def test_hook_retries_then_fails(smoke_hook, hook_env, monkeypatch):
    def broken(*args):
        raise smoke_hook.CheckFailed("/readyz answered 503")

    monkeypatch.setattr(smoke_hook, "run", broken)
    answer = smoke_hook.handler({}, None)
    assert answer["hookStatus"] == "IN_PROGRESS"
    assert answer["hookDetails"] == {"attempt": 2}
    last = {"hookDetails": {"attempt": smoke_hook.MAX_ATTEMPTS}}
    assert smoke_hook.handler(last, None) == {"hookStatus": "FAILED"}


def test_form_parser_sends_what_a_browser_sends(smoke_hook):
    webclient = sys.modules["webclient"]
    page = webclient.Response(
        200,
        {},
        b'<form method="get" action="/search"><input name="q"></form>'
        b'<form method="post" action="/lobbies/new/">'
        b'<input type="hidden" name="csrfmiddlewaretoken" value="t">'
        b'<input name="title" value="">'
        b'<input type="checkbox" name="weekly" value="1">'
        b'<input type="checkbox" name="dates" value="2030-01-02" checked>'
        b'<select name="zone"><option value="UTC">UTC</option>'
        b'<option value="Europe/Paris" selected>Paris</option></select>'
        b"<textarea name=note>\nhi</textarea><button>Create</button></form>",
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


# --- AWS's documented limits on what the templates set ----------------------------------------
# Each bound below is AWS's documented quota or valid range; cfn-lint does not check these.

# CodePipeline, Amazon ECS deploy action: DeploymentTimeout is 1 to 60 minutes.
ECS_DEPLOY_ACTION_MAX_MINUTES = 60
# Lambda: a function's timeout is at most 900 seconds.
LAMBDA_MAX_TIMEOUT_SECONDS = 900
# What a deployment spends besides bake times and the hook: new tasks pulling the image,
# starting and passing health checks, and traffic moving (an allowance, not a quota).
TASK_START_ALLOWANCE_MINUTES = 10
# Name lengths (each service's API reference): (resource type, property) -> longest name.
NAME_LIMITS = {
    ("AWS::IAM::Role", "RoleName"): 64,
    ("AWS::Lambda::Function", "FunctionName"): 64,
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name"): 32,
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name"): 32,
    ("AWS::ECS::Cluster", "ClusterName"): 255,
    ("AWS::ECS::Service", "ServiceName"): 255,
    ("AWS::SQS::Queue", "QueueName"): 80,
    ("AWS::SNS::Topic", "TopicName"): 256,
    ("AWS::Scheduler::Schedule", "Name"): 64,
    ("AWS::Events::Rule", "Name"): 64,
    ("AWS::CloudWatch::Alarm", "AlarmName"): 255,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
    ("AWS::KMS::Alias", "AliasName"): 256,
    ("AWS::DynamoDB::Table", "TableName"): 255,
    ("AWS::WAFv2::WebACL", "Name"): 128,
    ("AWS::CodeBuild::Project", "Name"): 255,
    ("AWS::CodePipeline::Pipeline", "Name"): 100,
    ("AWS::CodeStarNotifications::NotificationRule", "Name"): 64,
    ("AWS::ApplicationAutoScaling::ScalingPolicy", "PolicyName"): 256,
}
# The longest values the templates' parameters allow.
LONGEST = {"EnvironmentName": "production", "AWS::StackName": "production-letshangout"}


def longest_name(value) -> str | None:
    text = sub_text(value)
    if not isinstance(text, str):
        return None
    for name, longest in LONGEST.items():
        text = text.replace(f"${{{name}}}", longest)
    return text


@pytest.mark.parametrize("name", ["cloudformation.yaml", "network.yaml", "pipeline.yaml"])
def test_names_fit_aws_limits(name):
    template = load(name)
    for logical_id, resource in template["Resources"].items():
        for (kind, prop), limit in NAME_LIMITS.items():
            if resource["Type"] != kind or prop not in resource.get("Properties", {}):
                continue
            text = longest_name(resource["Properties"][prop])
            if text is not None:
                assert len(text) <= limit, f"{logical_id}.{prop} {text!r} is over {limit}"


def hook_budget_minutes(app: dict, smoke_hook) -> float:
    """The longest the smoke-test hook can hold a deployment: every try runs the Lambda to its
    timeout, with ECS's callback delay between tries."""
    lambda_timeout = app["Resources"]["SmokeHookFunction"]["Properties"]["Timeout"]
    tries = smoke_hook.MAX_ATTEMPTS
    return (tries * lambda_timeout + (tries - 1) * smoke_hook.CALLBACK_DELAY_SECONDS) / 60


def test_ecs_deploy_actions_fit_codepipeline_s_limit(app, pipeline, smoke_hook):
    params = app["Parameters"]
    longest_deployment = (
        TASK_START_ALLOWANCE_MINUTES
        + hook_budget_minutes(app, smoke_hook)
        + params["CanaryBakeTimeInMinutes"]["MaxValue"]
        + params["BakeTimeInMinutes"]["MaxValue"]
    )
    stages = pipeline["Resources"]["Pipeline"]["Properties"]["Stages"]
    deploys = [
        action
        for stage in stages
        for action in stage["Actions"]
        if action["ActionTypeId"]["Provider"] == "ECS"
    ]
    assert len(deploys) == 2
    for action in deploys:
        timeout = int(action["Configuration"]["DeploymentTimeout"])
        assert 1 <= timeout <= ECS_DEPLOY_ACTION_MAX_MINUTES
        assert longest_deployment <= timeout, "a deployment could outlast its action"


def test_smoke_hook_lambda_timeout_leaves_room_for_a_request(app, smoke_hook):
    timeout = app["Resources"]["SmokeHookFunction"]["Properties"]["Timeout"]
    assert timeout <= LAMBDA_MAX_TIMEOUT_SECONDS
    assert timeout >= smoke_hook.MARGIN_SECONDS + smoke_hook.TIMEOUT_SECONDS


class Clock:
    now = 1000.0


def test_slow_requests_answer_in_progress_before_the_lambda_times_out(
    app, smoke_hook, hook_env, monkeypatch
):
    """A Lambda that times out rolls the deployment back at once; the hook must answer first."""
    lambda_timeout = app["Resources"]["SmokeHookFunction"]["Properties"]["Timeout"]
    clock = Clock()
    started = clock.now
    monkeypatch.setattr(smoke_hook.time, "monotonic", lambda: clock.now)

    def slow_request(browser, method, path, *args, **kwargs):
        clock.now += browser.timeout()  # the request takes its whole socket timeout...
        return sys.modules["webclient"].Response(200, {}, b"", path)  # ...and then answers

    monkeypatch.setattr(smoke_hook.Client, "request", slow_request)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return int((started + lambda_timeout - clock.now) * 1000)

    answer = smoke_hook.handler({}, Context())
    assert answer["hookStatus"] == "IN_PROGRESS"
    assert clock.now - started < lambda_timeout


def test_load_balancer_rules_fit_its_quotas(app):
    """ALB: at most 5 condition values per rule, priorities 1 to 50,000."""
    for name, rule in resources(app, "AWS::ElasticLoadBalancingV2::ListenerRule").items():
        properties = rule["Properties"]
        assert 1 <= properties["Priority"] <= 50000, name
        values = sum(
            len(next(v for k, v in condition.items() if k.endswith("Config"))["Values"])
            if any(k.endswith("Config") for k in condition)
            else len(condition["Values"])
            for condition in properties["Conditions"]
        )
        assert values <= 5, name


def test_timeouts_and_retries_are_within_aws_ranges(app, pipeline):
    for name, project in resources(pipeline, "AWS::CodeBuild::Project").items():
        # CodeBuild: build timeout 5 to 2,160 minutes, queued timeout 5 to 480.
        assert 5 <= project["Properties"]["TimeoutInMinutes"] <= 2160, name
        assert 5 <= project["Properties"].get("QueuedTimeoutInMinutes", 480) <= 480, name
    for name, group in resources(app, "AWS::ElasticLoadBalancingV2::TargetGroup").items():
        # ELB: health check timeout 2 to 120 s and under the interval (5 to 300 s).
        timeout = group["Properties"]["HealthCheckTimeoutSeconds"]
        interval = group["Properties"]["HealthCheckIntervalSeconds"]
        assert 2 <= timeout < interval <= 300, name
    for resource in ("TaskDefinition", "JobsTaskDefinition"):
        # Fargate: a container's stop timeout is at most 120 s.
        assert container(app, resource).get("StopTimeout", 30) <= 120
    check = container(app, "TaskDefinition")["HealthCheck"]
    # ECS container health checks: interval 5-300 s, timeout 2-60 s, retries 1-10, start 0-300 s.
    assert 5 <= check["Interval"] <= 300 and 2 <= check["Timeout"] <= 60
    assert 1 <= check["Retries"] <= 10 and 0 <= check["StartPeriod"] <= 300
    for name, schedule in resources(app, "AWS::Scheduler::Schedule").items():
        # EventBridge Scheduler: 0-185 retries, event age 60-86,400 s.
        retry = schedule["Properties"]["Target"]["RetryPolicy"]
        assert 0 <= retry["MaximumRetryAttempts"] <= 185, name
        assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86400, name
    for name, rule in resources(app, "AWS::Events::Rule").items():
        # EventBridge: at most 5 targets per rule.
        assert len(rule["Properties"]["Targets"]) <= 5, name
