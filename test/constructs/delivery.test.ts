/**
 * `deliveryFunction` in the template: the registry names the function, the
 * rotation function may invoke it (and no other), the delivery function may
 * read its secret's AWSPENDING version (and no other stage or secret, proven
 * by policy simulation in test/integration/delivery.test.ts), and the first
 * rotation waits for both. What cannot work is refused at synth, naming the prop.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RotatingAccessKey, RotatingAccessKeyUser } from '../../src';
import { REGISTRY_METADATA_KEY } from '../../src/rotation/contract';

const ENV = { account: '123456789012', region: 'us-east-1' };

function newStack(app = new App()): Stack {
  return new Stack(app, 'Keys', { env: ENV });
}

function deliveryFunction(stack: Stack, id = 'Delivery'): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
}

/** The statements of every policy attached to a role whose logical id starts with `role`. */
function statementsOf(template: Template, role: RegExp): any[] {
  const attached = (roles: unknown) => Array.isArray(roles) && roles.some((r) => role.test(JSON.stringify(r)));
  return [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ].filter((p) => attached(p.Properties.Roles)).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

test('GIVEN a delivery function WHEN synthesized THEN the registry names it, the rotation function may invoke it alone, and the first rotation waits for the function and its grant', () => {
  const stack = newStack();
  const delivery = deliveryFunction(stack);
  new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', deliveryFunction: delivery });
  new RotatingAccessKeyUser(stack, 'Bob', { userName: 'bob' });
  const template = Template.fromStack(stack);
  const deliveryId = stack.getLogicalId(delivery.node.defaultChild as lambda.CfnFunction);

  const [rotator] = Object.values(template.findResources('AWS::Lambda::Function', { Metadata: Match.objectLike({ [REGISTRY_METADATA_KEY]: Match.anyValue() }) }));
  const entries = rotator.Metadata[REGISTRY_METADATA_KEY].registrations;
  expect(entries.map((e: any) => e.deliveryFunctionArn)).toEqual([{ 'Fn::GetAtt': [deliveryId, 'Arn'] }, undefined]);

  // Besides the rotation function's own (RotateThroughItself).
  const invoke = statementsOf(template, /AccessKeyRotator/).filter((s) => s.Sid !== 'RotateThroughItself' && [s.Action].flat().some((a: string) => a.startsWith('lambda:')));
  expect(invoke).toEqual([{ Sid: 'DeliverNewKeys', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [deliveryId, 'Arn'] } }]);

  const [rotationId, rotation] = Object.entries(template.findResources('Custom::AccessKeyRotation'))
    .find(([id]) => id.startsWith('Alice'))!;
  expect(rotationId).toBeDefined();
  const policyId = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) => id.startsWith('DeliveryServiceRoleDefaultPolicy'))!;
  expect(rotation.DependsOn).toEqual(expect.arrayContaining([deliveryId, policyId]));
});

test('GIVEN a delivery function WHEN synthesized THEN its own policy reads its secret by the stage AWSPENDING only, and nothing else of Secrets Manager; with a customer-managed key, decrypting through Secrets Manager for that secret', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', deliveryFunction: deliveryFunction(stack), encryptionKey: key });
  const template = Template.fromStack(stack);
  const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
  const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];

  expect(statementsOf(template, /DeliveryServiceRole/)).toEqual([
    {
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: secretId },
      Condition: { StringEquals: { 'secretsmanager:VersionStage': 'AWSPENDING' } },
    },
    {
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com', 'kms:EncryptionContext:SecretARN': { Ref: secretId } } },
    },
  ]);
});

test('GIVEN no delivery function WHEN synthesized THEN the role has no delivery statement and the registry no delivery', () => {
  const stack = newStack();
  new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice' });
  const template = Template.fromStack(stack);
  expect(statementsOf(template, /AccessKeyRotator/).filter((s) => s.Sid === 'DeliverNewKeys')).toEqual([]);
  expect(JSON.stringify(template.toJSON())).not.toContain('deliveryFunctionArn');
});

test('GIVEN a delivery function imported by ARN WHEN synthesized THEN the rotation function may invoke it, and a warning says which grant to add by hand', () => {
  const stack = newStack();
  const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:to-ci');
  new RotatingAccessKey(stack, 'Alice', { user: iam.User.fromUserName(stack, 'AliceUser', 'alice'), deliveryFunction: imported });
  const template = Template.fromStack(stack);
  expect(statementsOf(template, /AccessKeyRotator/).filter((s) => s.Sid === 'DeliverNewKeys'))
    .toEqual([expect.objectContaining({ Resource: 'arn:aws:lambda:us-east-1:123456789012:function:to-ci' })]);
  Annotations.fromStack(stack).hasWarning('/Keys/Alice', Match.stringLikeRegexp(
    'the delivery function Keys/Imported has no role this stack can add to \\(it is imported\\): allow it secretsmanager:GetSecretValue .* '
    + 'with the condition secretsmanager:VersionStage = AWSPENDING, or every delivery fails'));
});

test.each([
  ['Region', 'arn:aws:lambda:eu-west-3:123456789012:function:to-ci', /deliveryFunction \(Python: delivery_function\) must be a function of the secret's Region \(us-east-1\), got Keys\/Elsewhere in eu-west-3/],
  ['account', 'arn:aws:lambda:us-east-1:999999999999:function:to-ci', /deliveryFunction \(Python: delivery_function\) must be a function of the secret's account \(123456789012\), got Keys\/Elsewhere in 999999999999/],
])('GIVEN a delivery function of another %s WHEN synthesized THEN it is refused, naming the prop and the function', (_what, arn, message) => {
  const stack = newStack();
  const elsewhere = lambda.Function.fromFunctionArn(stack, 'Elsewhere', arn);
  expect(() => new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', deliveryFunction: elsewhere })).toThrow(message);
});
