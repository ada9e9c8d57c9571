"""Smoke test of the Python package: one RotatingAccessKeyUser, synthesized, its template checked."""
import json
import sys

import aws_cdk as cdk
from aws_cdk import assertions
import cdk_rotating_access_keys as rak

app = cdk.App()
stack = cdk.Stack(app, "Smoke", env=cdk.Environment(account="123456789012", region="eu-west-1"))
rak.RotatingAccessKeyUser(
    stack,
    "Backup",
    user_name="smoke-user",
    deactivate_after=cdk.Duration.days(7),
    removal_policy=cdk.RemovalPolicy.DESTROY,
)

template = assertions.Template.from_stack(stack)
template.has_resource_properties("AWS::IAM::User", {"UserName": "smoke-user"})
template.resource_count_is("AWS::SecretsManager::Secret", 1)
template.resource_count_is("Custom::AccessKeyRotation", 1)
template.resource_count_is("AWS::IAM::AccessKey", 0)
body = json.dumps(template.to_json())
if "SecretAccessKey" in body:
    sys.exit("smoke python: the template names a SecretAccessKey")
print(f"smoke python: ok ({len(template.to_json()['Resources'])} resources, {len(body)} bytes)")
