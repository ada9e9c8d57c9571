/**
 * The call recorder's judgement without any AWS: how a call becomes IAM
 * requests (action, resource, condition keys), and that a request the role
 * does not allow comes out denied, naming what denies it or what is missing.
 * A judge that allowed everything would let every deployment test pass.
 */
import type { SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { DeployedRole, iamRequestsOf, judge, ResourceDirectory } from './authorization';
import { TEST_ENV } from './intrinsics';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/alice-AbCdEf';
const OTHER_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/mallory-AbCdEf';
const ALICE = 'arn:aws:iam::123456789012:user/service/alice';
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:Stack-Function-ABC';
const OTHER_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:exfiltrate';

const directory: ResourceDirectory = {
  environment: TEST_ENV,
  secretArn: async (id) => (id.startsWith('arn:') ? id : SECRET),
  userArn: async (name) => (name === 'alice' ? ALICE : `arn:aws:iam::123456789012:user/${name}`),
  keyOwnerArn: async (id) => {
    if (id === 'AKIAALICE00000000001') return ALICE;
    throw new Error(`no user is known to own access key ${id}`);
  },
  rotationFunctionOf: async () => FUNCTION,
  remember: () => undefined,
};

const statement = (sid: string, action: string[], resource: string[], extra: object = {}) => ({ Sid: sid, Effect: 'Allow', Action: action, Resource: resource, ...extra });
const POLICIES: SimulationIdentityPolicy[] = [
  {
    name: 'Registrations0',
    policy: {
      Version: '2012-10-17',
      Statement: [
        statement('ManageKeysOfRegisteredUsers', ['iam:CreateAccessKey', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'], [ALICE]),
        statement('RotateRegisteredSecrets', ['secretsmanager:RotateSecret', 'secretsmanager:TagResource', 'secretsmanager:DescribeSecret'], [SECRET]),
      ],
    },
  },
  {
    name: 'Guards',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TagOnlyRotationState',
          Effect: 'Deny',
          Action: 'secretsmanager:TagResource',
          Resource: '*',
          Condition: { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': ['access-key-rotation:*'] } },
        },
        {
          Sid: 'RotateOnlyThroughThisFunction',
          Effect: 'Deny',
          Action: 'secretsmanager:RotateSecret',
          Resource: '*',
          Condition: { StringNotEquals: { 'secretsmanager:RotationLambdaARN': FUNCTION } },
        },
        statement('RotateThroughItself', ['lambda:InvokeFunction'], [FUNCTION]),
        statement('PutAuditEvents', ['events:PutEvents'], ['arn:aws:events:us-east-1:123456789012:event-bus/default'], {
          Condition: { 'ForAllValues:StringEquals': { 'events:source': ['cdk-rotating-access-keys'] } },
        }),
      ],
    },
  },
];
const ROLE: DeployedRole = { principal: 'arn:aws:sts::123456789012:assumed-role/Stack-Role-XYZ/Stack-Function-ABC', policies: POLICIES };

describe('a call as IAM requests', () => {
  test('GIVEN RotateSecret with rules and no immediate rotation WHEN mapped THEN it carries the rotation function, both rule keys, and the invocation of the function it needs', async () => {
    const requests = await iamRequestsOf('secretsmanager:RotateSecret', {
      SecretId: SECRET, RotationLambdaARN: FUNCTION, RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotateImmediately: false,
    }, directory);

    expect(requests).toEqual([
      {
        action: 'secretsmanager:RotateSecret',
        resource: SECRET,
        context: {
          'secretsmanager:SecretId': SECRET,
          'secretsmanager:RotationLambdaARN': FUNCTION,
          'secretsmanager:ModifyRotationRules': 'true',
          'secretsmanager:RotateImmediately': 'false',
        },
      },
      { action: 'lambda:InvokeFunction', resource: FUNCTION, context: {}, note: expect.stringContaining('invokes the rotation function') },
    ]);
  });

  test('GIVEN RotateSecret naming neither a function nor rules WHEN mapped THEN the configured function is the one checked, and it rotates at once', async () => {
    const [rotate] = await iamRequestsOf('secretsmanager:RotateSecret', { SecretId: 'access-keys/alice' }, directory);

    expect(rotate.resource).toBe(SECRET);
    expect(rotate.context).toMatchObject({
      'secretsmanager:RotationLambdaARN': FUNCTION, 'secretsmanager:ModifyRotationRules': 'false', 'secretsmanager:RotateImmediately': 'true',
    });
  });

  test('GIVEN TagResource WHEN mapped THEN the tag keys and each tag\'s value are condition keys', async () => {
    const [tag] = await iamRequestsOf('secretsmanager:TagResource', { SecretId: SECRET, Tags: [{ Key: 'access-key-rotation:previous-key', Value: 'AKIA' }] }, directory);

    expect(tag.context).toMatchObject({ 'aws:TagKeys': ['access-key-rotation:previous-key'], 'aws:RequestTag/access-key-rotation:previous-key': 'AKIA' });
  });

  test('GIVEN PutEvents to two buses WHEN mapped THEN each bus is a request with the sources sent to it', async () => {
    const requests = await iamRequestsOf('events:PutEvents', {
      Entries: [
        { Source: 'cdk-rotating-access-keys', DetailType: 'Access Key Created' },
        { EventBusName: 'audit', Source: 'cdk-rotating-access-keys', DetailType: 'Access Key Deleted' },
      ],
    }, directory);

    expect(requests.map((r) => [r.resource, r.context['events:source']])).toEqual([
      ['arn:aws:events:us-east-1:123456789012:event-bus/default', ['cdk-rotating-access-keys']],
      ['arn:aws:events:us-east-1:123456789012:event-bus/audit', ['cdk-rotating-access-keys']],
    ]);
  });

  test.each<[string, string, Record<string, unknown>, string]>([
    ['an access key\'s last use', 'iam:GetAccessKeyLastUsed', { AccessKeyId: 'AKIAALICE00000000001' }, ALICE],
    ['a user\'s keys, by name', 'iam:DeleteAccessKey', { UserName: 'alice', AccessKeyId: 'AKIAALICE00000000001' }, ALICE],
    ['its stack, by name', 'cloudformation:DescribeStacks', { StackName: 'Stack' }, TEST_ENV.stackId!],
    ['another stack, by name', 'cloudformation:DescribeStacks', { StackName: 'Payments' }, 'arn:aws:cloudformation:us-east-1:123456789012:stack/Payments/*'],
    ['metrics', 'cloudwatch:PutMetricData', { Namespace: 'cdk-rotating-access-keys' }, '*'],
    ['the secrets listing', 'secretsmanager:ListSecrets', {}, '*'],
  ])('GIVEN %s WHEN mapped THEN IAM authorizes it on the right resource', async (_, call, params, resource) => {
    expect((await iamRequestsOf(call, params, directory))[0].resource).toBe(resource);
  });

  test.each<[string, string, Record<string, unknown>, RegExp]>([
    ['a call the recorder was not taught', 'iam:CreateUser', { UserName: 'mallory' }, /does not know how IAM authorizes iam:CreateUser/],
    ['a key nobody owns', 'iam:GetAccessKeyLastUsed', { AccessKeyId: 'AKIANOBODY0000000001' }, /no user is known to own/],
    ['a call without its resource', 'secretsmanager:DescribeSecret', {}, /without SecretId/],
  ])('GIVEN %s WHEN mapped THEN it fails loudly', async (_, call, params, error) => {
    await expect(iamRequestsOf(call, params, directory)).rejects.toThrow(error);
  });
});

describe('the judgement', () => {
  test('GIVEN the role WHEN it creates a key of its registered user THEN it is allowed, naming the statement', async () => {
    expect(await judge({ action: 'iam:CreateAccessKey', resource: ALICE, context: {} }, ROLE))
      .toEqual({ verdict: 'Allowed', why: 'allowed by ManageKeysOfRegisteredUsers (Registrations0)' });
  });

  test('GIVEN the statement that allows a call removed WHEN the call is judged THEN it is denied, saying no statement allows that action', async () => {
    const doc = POLICIES[0].policy as { Statement: { Sid: string }[] };
    const without: DeployedRole = { ...ROLE, policies: [{ ...POLICIES[0], policy: { ...doc, Statement: doc.Statement.filter((s) => s.Sid !== 'ManageKeysOfRegisteredUsers') } }, POLICIES[1]] };

    expect(await judge({ action: 'iam:CreateAccessKey', resource: ALICE, context: {} }, without))
      .toEqual({ verdict: 'ImplicitlyDenied', why: 'no statement of the role allows iam:CreateAccessKey on any resource' });
  });

  test('GIVEN another user\'s secret WHEN the function describes it THEN it is denied, naming the statement and the resources it does name', async () => {
    expect(await judge({ action: 'secretsmanager:DescribeSecret', resource: OTHER_SECRET, context: {} }, ROLE)).toEqual({
      verdict: 'ImplicitlyDenied',
      why: 'no statement allows this request: RotateRegisteredSecrets (Registrations0) names only secret:access-keys/alice-AbCdEf',
    });
  });

  test('GIVEN a tag outside the function\'s own WHEN the function tags its secret THEN it is denied explicitly, naming the guard', async () => {
    expect(await judge({ action: 'secretsmanager:TagResource', resource: SECRET, context: { 'aws:TagKeys': ['Owner'] } }, ROLE))
      .toEqual({ verdict: 'ExplicitlyDenied', why: 'explicitly denied by TagOnlyRotationState (Guards)' });
  });

  test('GIVEN RotateSecret through another function WHEN judged THEN the guard denies it; through itself it is allowed', async () => {
    const rotate = (fn: string) => ({ action: 'secretsmanager:RotateSecret', resource: SECRET, context: { 'secretsmanager:RotationLambdaARN': fn } });
    expect((await judge(rotate(OTHER_FUNCTION), ROLE)).verdict).toBe('ExplicitlyDenied');
    expect((await judge(rotate(FUNCTION), ROLE)).verdict).toBe('Allowed');
  });

  test('GIVEN events of another source WHEN judged THEN they are denied by the condition', async () => {
    const put = (source: string) => ({ action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:123456789012:event-bus/default', context: { 'events:source': [source] } });
    expect((await judge(put('cdk-rotating-access-keys'), ROLE)).verdict).toBe('Allowed');
    expect(await judge(put('com.payments'), ROLE)).toEqual({
      verdict: 'ImplicitlyDenied', why: 'no statement allows this request: PutAuditEvents (Guards) matches, but its condition does not hold',
    });
  });

  test('GIVEN a statement conditioned on a key the recorder does not supply WHEN a request of that action is judged THEN it fails loudly (the judgement would be vacuous)', async () => {
    const conditioned: DeployedRole = {
      ...ROLE,
      policies: [{
        name: 'Extra',
        policy: { Version: '2012-10-17', Statement: [statement('OnlyTagged', ['iam:CreateAccessKey'], [ALICE], { Condition: { StringEquals: { 'aws:ResourceTag/team': 'ops' } } })] },
      }],
    };

    await expect(judge({ action: 'iam:CreateAccessKey', resource: ALICE, context: {} }, conditioned)).rejects.toThrow(/aws:ResourceTag\/team, which the recorder does not supply/);
  });
});
