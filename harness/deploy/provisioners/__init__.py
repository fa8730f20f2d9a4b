"""One provisioner per Pulumi resource type the replay deployer applies; any other type is refused."""

from __future__ import annotations

from typing import Any

from harness.deploy.provisioners import (
    apigateway,
    cloudfront,
    cloudfront_policies,
    cloudfront_vpc_origin,
    cloudwatch,
    dynamodb,
    ec2_routing,
    ec2_security_groups,
    ec2_vpc,
    iam,
    lambda_,
    logs,
    s3,
    secretsmanager,
    ses,
    sns,
    sqs,
)
from harness.deploy.provisioners.base import Applied, Context, Provisioner

PROVISIONERS: dict[str, Provisioner[Any]] = {
    provisioner.type_token: provisioner
    for provisioner in (
        s3.Bucket(),
        s3.BucketPublicAccessBlock(),
        s3.BucketPolicy(),
        s3.BucketNotification(),
        s3.BucketCorsConfiguration(),
        sns.Topic(),
        sns.TopicPolicy(),
        sns.TopicSubscription(),
        sqs.Queue(),
        sqs.QueuePolicy(),
        dynamodb.Table(),
        dynamodb.TableItem(),
        iam.Role(),
        iam.RolePolicy(),
        lambda_.Function(),
        lambda_.EventSourceMapping(),
        lambda_.Permission(),
        logs.LogGroup(),
        cloudwatch.MetricAlarm(),
        ses.EmailIdentity(),
        secretsmanager.Secret(),
        secretsmanager.SecretVersion(),
        apigateway.RestApi(),
        apigateway.Resource(),
        apigateway.Method(),
        apigateway.Integration(),
        apigateway.Deployment(),
        apigateway.Stage(),
        cloudfront_policies.OriginAccessControl(),
        cloudfront_policies.CachePolicy(),
        cloudfront_policies.OriginRequestPolicy(),
        cloudfront_vpc_origin.VpcOrigin(),
        cloudfront.Distribution(),
        ec2_vpc.Vpc(),
        ec2_vpc.InternetGateway(),
        ec2_vpc.Subnet(),
        ec2_vpc.Eip(),
        ec2_vpc.NatGateway(),
        ec2_routing.RouteTable(),
        ec2_routing.Route(),
        ec2_routing.RouteTableAssociation(),
        ec2_routing.VpcEndpoint(),
        ec2_security_groups.SecurityGroup(),
    )
}

__all__ = ["PROVISIONERS", "Applied", "Context", "Provisioner"]
