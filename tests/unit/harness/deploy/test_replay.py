"""The replay deployer: the real program provisioned for real, redeploys that update in place, and
refusals that name what is not applied."""

from __future__ import annotations

import base64
import json
import re

from components.routes import ROUTES
from tests.replaying import ROOT, replay

RESOURCES = 125  # what the program declares for the local stack (components/, __main__.py)


def test_the_program_is_provisioned_with_real_names_and_arns(moto, tmp_path):
    state = tmp_path / "local.json"
    result = replay(ROOT, "local", moto.endpoint_url, state)
    assert "error" not in result, result.get("error", "")
    assert result["created"] == RESOURCES and result["updated"] == result["deleted"] == 0
    outputs = result["outputs"]
    assert outputs["images_bucket"] == "imagepipe-local-images"
    assert outputs["events_topic_arn"] == "arn:aws:sns:us-east-1:123456789012:imagepipe-local-events"
    # The web tier: the API's stage where the endpoint serves it, the CDN on the local edge's port.
    assert re.fullmatch(rf"{re.escape(moto.endpoint_url)}/_aws/execute-api/[a-z0-9]+/live", outputs["api_url"])
    assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+", outputs["cdn_url"])
    assert outputs["region"] == "us-east-1" and outputs["users_table"] == "imagepipe-local-users"

    assert "imagepipe-local-images" in [b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]]
    notification = moto.client("s3").get_bucket_notification_configuration(Bucket="imagepipe-local-images")
    (topic,) = notification["TopicConfigurations"]
    assert topic["TopicArn"] == outputs["events_topic_arn"]
    assert [(r["Name"].lower(), r["Value"]) for r in topic["Filter"]["Key"]["FilterRules"]] == [("prefix", "uploads/")]
    queue = moto.client("sqs").get_queue_attributes(QueueUrl=outputs["ingest_queue_url"], AttributeNames=["All"])
    assert json.loads(queue["Attributes"]["RedrivePolicy"])["maxReceiveCount"] == 5  # the default
    subscriptions = moto.client("sns").list_subscriptions_by_topic(TopicArn=outputs["events_topic_arn"])[
        "Subscriptions"
    ]
    policies = {
        s["Endpoint"].rsplit(":", 1)[-1]: json.loads(
            moto.client("sns").get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"][
                "FilterPolicy"
            ]
        )
        for s in subscriptions
    }
    assert policies == {f"imagepipe-local-{route.name}": dict(route.filter_policy) for route in ROUTES}
    assert policies["imagepipe-local-ingest"] == {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}
    function = moto.client("lambda").get_function_configuration(FunctionName=outputs["ingest_function"])
    assert function["Environment"]["Variables"]["ENHANCE_QUEUE_URL"] == outputs["enhance_queue_url"]
    (mapping,) = [
        m
        for m in moto.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        if m["FunctionArn"] == function["FunctionArn"]
    ]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"].endswith(":imagepipe-local-ingest")
    notify = moto.client("lambda").get_function_configuration(FunctionName=outputs["notify_function"])
    (stream_mapping,) = [
        m
        for m in moto.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        if m["FunctionArn"] == notify["FunctionArn"]
    ]
    table = moto.client("dynamodb").describe_table(TableName="imagepipe-local-images")["Table"]
    assert stream_mapping["EventSourceArn"] == table["LatestStreamArn"]
    assert outputs["notifications_topic_arn"] == "arn:aws:sns:us-east-1:123456789012:imagepipe-local-notifications"
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNamePrefix="imagepipe-local-")["MetricAlarms"]
    assert len(alarms) == 26 and {a["AlarmActions"][0] for a in alarms} == {outputs["alerts_topic_arn"]}
    mail = moto.client("lambda").get_function_configuration(FunctionName=outputs["mail_function"])
    (mail_mapping,) = [
        m
        for m in moto.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        if m["FunctionArn"] == mail["FunctionArn"]
    ]
    assert mail_mapping["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert mail_mapping["EventSourceArn"].endswith(":imagepipe-local-notify-mail")
    assert "imagepipe@example.com" in moto.client("ses").list_identities(IdentityType="EmailAddress")["Identities"]

    again = replay(ROOT, "local", moto.endpoint_url, state)
    assert (again["created"], again["updated"], again["unchanged"], again["deleted"]) == (0, 0, RESOURCES, 0)
    assert again["outputs"] == outputs


INSTANCES_RESOURCES = 144  # the local-instances stack: no web function or REST API; network, balancer, fleet


def test_the_instances_tier_is_provisioned_balancer_group_and_template_together(moto, tmp_path):
    state = tmp_path / "local-instances.json"
    result = replay(ROOT, "local-instances", moto.endpoint_url, state)
    assert "error" not in result, result.get("error", "")
    assert result["created"] == INSTANCES_RESOURCES
    outputs = result["outputs"]
    assert outputs["web_tier"] == "instances" and "api_url" not in outputs
    assert re.fullmatch(r"http://127\.0\.0\.1:46[3-7][0-9]", outputs["load_balancer_url"])
    elbv2, autoscaling = moto.client("elbv2"), moto.client("autoscaling")
    (balancer,) = elbv2.describe_load_balancers(Names=["imagepipe-inst-web"])["LoadBalancers"]
    assert balancer["Scheme"] == "internal" and balancer["VpcId"] == outputs["vpc_id"]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    target_group = listener["DefaultActions"][0]["TargetGroupArn"]
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[outputs["instance_group"]])[
        "AutoScalingGroups"
    ]
    assert group["TargetGroupARNs"] == [target_group] and group["DesiredCapacity"] == 2
    template = moto.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=group["LaunchTemplate"]["LaunchTemplateId"], Versions=["$Default"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    script = base64.b64decode(template["UserData"]).decode()
    (bundle,) = moto.client("s3").list_objects_v2(Bucket="imagepipe-inst-images", Prefix="instances/")["Contents"]
    assert f"s3://imagepipe-inst-images/{bundle['Key']}" in script

    again = replay(ROOT, "local-instances", moto.endpoint_url, state)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, INSTANCES_RESOURCES)


QUEUES = """
    timeout = pulumi.Config("tiny").get_int("timeout") or 30
    main = aws.sqs.Queue("main", name="tiny-main", visibility_timeout_seconds=timeout)
    if pulumi.Config("tiny").get_bool("extra"):
        aws.sqs.Queue("extra", name="tiny-extra")
    pulumi.export("url", main.url)
"""


def test_a_redeploy_updates_in_place_and_removes_what_is_gone(moto, tiny_project, tmp_path):
    state = tmp_path / "state.json"
    first = replay(tiny_project(QUEUES, {"tiny:extra": "true"}), "test", moto.endpoint_url, state)
    assert (first["created"], first["deleted"]) == (2, 0)
    second = replay(tiny_project(QUEUES, {"tiny:timeout": "90"}), "test", moto.endpoint_url, state)
    assert (second["created"], second["updated"], second["deleted"]) == (0, 1, 1)
    attributes = moto.client("sqs").get_queue_attributes(QueueUrl=second["outputs"]["url"], AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "90"
    assert "tiny-extra" not in " ".join(moto.client("sqs").list_queues().get("QueueUrls", []))


def test_state_from_another_emulator_session_is_not_trusted(moto, tiny_project, tmp_path):
    state = tmp_path / "state.json"
    project = tiny_project('aws.sqs.Queue("q", name="tiny-sessions")\n')
    replay(project, "test", moto.endpoint_url, state, session="before-restart")
    assert replay(project, "test", moto.endpoint_url, state, session="before-restart")["unchanged"] == 1
    after = replay(project, "test", moto.endpoint_url, state, session="after-restart")
    assert (after["created"], after["unchanged"]) == (1, 0)


def test_an_input_the_deployer_does_not_apply_stops_the_deploy_naming_it(moto, tiny_project, tmp_path):
    project = tiny_project('aws.sqs.Queue("tagged", name="tiny-tagged", tags={"team": "photos"})\n')
    result = replay(project, "test", moto.endpoint_url, tmp_path / "state.json")
    assert result["error"].startswith(
        "aws:sqs/queue:Queue 'tagged': the replay deployer does not apply input(s) 'tags'"
    )
    assert "tiny-tagged" not in " ".join(moto.client("sqs").list_queues().get("QueueUrls", []))


def test_a_resource_type_the_deployer_does_not_know_stops_the_deploy_naming_it(moto, tiny_project, tmp_path):
    project = tiny_project('aws.route53.Zone("zone", name="example.com")\n')
    result = replay(project, "test", moto.endpoint_url, tmp_path / "state.json")
    assert result["error"].startswith(
        "aws:route53/zone:Zone 'zone': the replay deployer does not provision this resource type"
    )


def test_a_missing_stack_file_is_named(moto, tiny_project, tmp_path):
    result = replay(tiny_project(QUEUES), "nosuch", moto.endpoint_url, tmp_path / "state.json")
    assert result["error"] == "no stack 'nosuch': Pulumi.nosuch.yaml does not exist (stacks here: test)"


TABLE = """
    stream = pulumi.Config("tiny").get("stream")
    table = aws.dynamodb.Table(
        "records",
        name="tiny-records",
        billing_mode="PAY_PER_REQUEST",
        hash_key="id",
        attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
        stream_enabled=bool(stream),
        stream_view_type=stream,
    )
    pulumi.export("stream", table.stream_arn)
"""


def test_a_table_gets_and_loses_its_stream_in_place_keeping_its_items(moto, tiny_project, tmp_path):
    # (A change of view type turns the stream off, then on: AWS and LocalStack allow that; moto
    # refuses to turn a stream on again, so that path is not exercised here.)
    state = tmp_path / "state.json"
    replay(tiny_project(TABLE), "test", moto.endpoint_url, state)
    dynamodb = moto.client("dynamodb")
    dynamodb.put_item(TableName="tiny-records", Item={"id": {"S": "kept"}})

    enabled = replay(tiny_project(TABLE, {"tiny:stream": "NEW_AND_OLD_IMAGES"}), "test", moto.endpoint_url, state)
    assert (enabled["created"], enabled["updated"], enabled["deleted"]) == (0, 1, 0)
    described = dynamodb.describe_table(TableName="tiny-records")["Table"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert enabled["outputs"]["stream"] == described["LatestStreamArn"]

    disabled = replay(tiny_project(TABLE), "test", moto.endpoint_url, state)
    assert (disabled["created"], disabled["updated"], disabled["deleted"]) == (0, 1, 0)
    assert "StreamSpecification" not in dynamodb.describe_table(TableName="tiny-records")["Table"]
    assert dynamodb.get_item(TableName="tiny-records", Key={"id": {"S": "kept"}})["Item"]  # never replaced


RENAMED = """
    import json
    tiny = pulumi.Config("tiny")
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = aws.iam.Role("role", name=tiny.require("role"), assume_role_policy=json.dumps({"Statement": [trust]}))
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [read]})
    aws.iam.RolePolicy("access", role=role.name, name="access", policy=policy)
    if tiny.get("bucket"):
        bucket = aws.s3.Bucket("images", bucket=tiny.get("bucket"))
        public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        aws.s3.BucketPolicy(
            "public",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps({"Statement": [{**public, "Resource": f"{arn}/*"}]})),
        )
"""


def test_renamed_resources_take_their_dependents_along_and_dropped_ones_go_with_them(
    moto, tiny_project, tmp_path, unique
):
    state = tmp_path / "state.json"
    old_role, new_role, bucket = unique("tiny-role"), unique("tiny-role"), unique("tiny-images")
    first = replay(
        tiny_project(RENAMED, {"tiny:role": old_role, "tiny:bucket": bucket}), "test", moto.endpoint_url, state
    )
    assert first.get("error") is None, first
    assert first["created"] == 4

    renamed = replay(tiny_project(RENAMED, {"tiny:role": new_role}), "test", moto.endpoint_url, state)
    assert renamed.get("error") is None
    assert (renamed["updated"], renamed["deleted"]) == (2, 2)
    iam = moto.client("iam")
    assert iam.list_role_policies(RoleName=new_role)["PolicyNames"] == ["access"]
    assert old_role not in [role["RoleName"] for role in iam.list_roles()["Roles"]]
    assert bucket not in [b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]]


WEB_API = """
    import json
    import zipfile

    tiny = pulumi.Config("tiny")
    timeout = tiny.get_int("timeout") or 29000
    package = zipfile.ZipInfo("main.py", (2020, 1, 1, 0, 0, 0))  # the same bytes on every run
    with zipfile.ZipFile("web.zip", "w") as archive:
        archive.writestr(package, "def handler(event, context):\\n    return {'statusCode': 200}\\n")
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = aws.iam.Role("role", name=tiny.require("name"), assume_role_policy=json.dumps({"Statement": [trust]}))
    web = aws.lambda_.Function(
        "web",
        name=tiny.require("name"),
        role=role.arn,
        runtime="python3.11",
        handler="main.handler",
        code=pulumi.FileArchive("web.zip"),
    )
    api = aws.apigateway.RestApi(
        "api", name=tiny.require("name"), endpoint_configuration={"types": "REGIONAL"}
    )
    proxy = aws.apigateway.Resource("proxy", rest_api=api.id, parent_id=api.root_resource_id, path_part="{proxy+}")
    method = aws.apigateway.Method(
        "any", rest_api=api.id, resource_id=proxy.id, http_method="ANY", authorization="NONE"
    )
    integration = aws.apigateway.Integration(
        "web",
        rest_api=api.id,
        resource_id=proxy.id,
        http_method=method.http_method,
        type="AWS_PROXY",
        integration_http_method="POST",
        uri=web.invoke_arn,
        timeout_milliseconds=timeout,
    )
    deployment = aws.apigateway.Deployment(
        "deployment",
        rest_api=api.id,
        triggers={"integration": str(timeout)},
        opts=pulumi.ResourceOptions(depends_on=[method, integration]),
    )
    stage = aws.apigateway.Stage("live", rest_api=api.id, deployment=deployment.id, stage_name="live")
    aws.lambda_.Permission(
        "api",
        action="lambda:InvokeFunction",
        function=web.name,
        principal="apigateway.amazonaws.com",
        source_arn=api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
    )
    pulumi.export("api_id", api.id)
    pulumi.export("api_url", stage.invoke_url)
    pulumi.export("resource_id", proxy.id)
    pulumi.export("path", proxy.path)
"""


def test_a_web_api_in_front_of_a_function_is_deployed_and_redeployed(moto, tiny_project, tmp_path, unique):
    state, name = tmp_path / "state.json", unique("tiny-web")
    first = replay(tiny_project(WEB_API, {"tiny:name": name}), "test", moto.endpoint_url, state)
    assert first.get("error") is None, first
    assert first["created"] == 9
    outputs = first["outputs"]
    api_id = outputs["api_id"]
    assert outputs["api_url"] == f"{moto.endpoint_url}/_aws/execute-api/{api_id}/live"
    assert outputs["path"] == "/{proxy+}"
    apigateway = moto.client("apigateway")
    key = {"restApiId": api_id, "resourceId": outputs["resource_id"], "httpMethod": "ANY"}
    function_arn = moto.client("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]
    integration = apigateway.get_integration(**key)
    assert (
        integration["uri"]
        == f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
    (deployment,) = apigateway.get_deployments(restApiId=api_id)["items"]
    assert apigateway.get_stage(restApiId=api_id, stageName="live")["deploymentId"] == deployment["id"]
    (statement,) = json.loads(moto.client("lambda").get_policy(FunctionName=name)["Policy"])["Statement"]
    assert (
        statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/*"
    )

    again = replay(tiny_project(WEB_API, {"tiny:name": name}), "test", moto.endpoint_url, state)
    assert (again["created"], again["updated"], again["unchanged"], again["deleted"]) == (0, 0, 9, 0)

    changed = replay(
        tiny_project(WEB_API, {"tiny:name": name, "tiny:timeout": "10000"}), "test", moto.endpoint_url, state
    )
    assert changed.get("error") is None, changed
    # the integration, a new deployment (its triggers changed) and the stage moved onto it
    assert (changed["created"], changed["updated"], changed["deleted"]) == (0, 3, 0)
    assert changed["outputs"]["api_id"] == api_id
    assert apigateway.get_integration(**key)["timeoutInMillis"] == 10000
    (redeployed,) = apigateway.get_deployments(restApiId=api_id)["items"]
    assert redeployed["id"] != deployment["id"]
    assert apigateway.get_stage(restApiId=api_id, stageName="live")["deploymentId"] == redeployed["id"]
