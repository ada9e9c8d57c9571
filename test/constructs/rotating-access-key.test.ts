/**
 * RotatingAccessKey and RotatingAccessKeyUser, prop by prop, with fine-grained
 * Template assertions; the shared AccessKeyRotator they create on demand.
 * What each registration looks like to the function (the registry) is
 * registry.test.ts; what the role may do is least-privilege.test.ts.
 */
import { Annotations as CoreAnnotations, App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  AccessKeyRotator, ForeignKeyPolicy, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyUser, RotationMode,
} from '../../src';
import { REGISTRATION_METADATA_KEY, REGISTRY_METADATA_KEY } from '../../src/rotation/contract';

const ENV = { account: '123456789012', region: 'us-east-1' };
const newStack = () => new Stack(new App(), 'Stack', { env: ENV });
const appOf = (stack: Stack) => stack.node.root as App;
const importedUser = (stack: Stack, name = 'bob') => iam.User.fromUserName(stack, `User-${name}`, name);
const BOB_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:user/bob']] };
const FUNCTION_ARN = { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessKeyRotatorFunction[0-9A-F]{8}$'), 'Arn'] };

/** The registry entries as the template states them (ARNs still intrinsics). */
function registryEntries(template: Template): Array<Record<string, unknown>> {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  return fn.Metadata[REGISTRY_METADATA_KEY].registrations;
}

/** The one resource of a type, with its logical id. */
function only(template: Template, type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('RotatingAccessKey defaults', () => {
  const stack = newStack();
  const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
  const template = Template.fromStack(stack);

  test('GIVEN defaults THEN the secret holds metadata only: the user name, no key, no tags', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: 'cdk-rotating-access-keys: the access key of IAM user bob',
      SecretString: '{"userName":"bob"}',
      Tags: Match.absent(),
      GenerateSecretString: Match.absent(),
      KmsKeyId: Match.absent(),
      Name: Match.absent(),
    });
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
  });

  test('GIVEN defaults THEN the rotation resource states its own registration, as the registry does, its foreign key policy included', () => {
    const [, rotation] = only(template, 'Custom::AccessKeyRotation');
    const [registered] = registryEntries(template);
    const own = rotation.Metadata[REGISTRATION_METADATA_KEY];
    expect(own).toEqual({
      secretArn: registered.secretArn,
      userArn: registered.userArn,
      removal: 'RETAIN',
      scheduleExpression: registered.scheduleExpression,
      rotateOnDeploy: true,
      foreignKeyPolicy: 'FAIL',
    });
    expect(registered.foreignKeyPolicy).toBe('FAIL');
  });

  test('GIVEN defaults THEN the secret is retained with the keys when the construct leaves the stack', () => {
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('Custom::AccessKeyRotation', { Removal: 'RETAIN' });
    template.resourceCountIs('Custom::AccessKeyRemoval', 0);
  });

  test('GIVEN defaults THEN the registry holds the settings: 7 days to deactivate, 14 more to delete, no postponing, FAIL on foreign keys', () => {
    expect(registryEntries(template)).toStrictEqual([{
      secretArn: { Ref: expect.stringMatching(/^KeySecret/) },
      userArn: BOB_ARN,
      deactivateAfterSeconds: 604800,
      deleteAfterSeconds: 1209600,
      postponeWhileInUseSeconds: 0,
      foreignKeyPolicy: 'FAIL',
      removal: 'RETAIN',
      scheduleExpression: 'rate(30 days)',
      rotateOnDeploy: true,
    }]);
  });

  test('GIVEN defaults THEN the rotation resource turns rotation on every 30 days through the shared function, once at deploy, with no window', () => {
    const [, rotation] = only(template, 'Custom::AccessKeyRotation');
    expect(rotation.Properties).toStrictEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^AccessKeyRotatorFunction[0-9A-F]{8}$/), 'Arn'] },
      SecretArn: { Ref: expect.stringMatching(/^KeySecret/) },
      UserArn: BOB_ARN,
      Removal: 'RETAIN',
      ScheduleExpression: 'rate(30 days)',
    });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  test('GIVEN defaults THEN the rotation waits for the guards, which wait for the departures, which wait for its registration policy; the function does not wait for them', () => {
    const [, rotation] = only(template, 'Custom::AccessKeyRotation');
    const resources = template.toJSON().Resources;
    expect(rotation.DependsOn).toEqual([expect.stringMatching(/^AccessKeyRotatorGuards[0-9A-F]{8}$/)]);
    const guards = resources[rotation.DependsOn[0]];
    const departures = Object.keys(resources).find((id) => resources[id].Type === 'Custom::AccessKeyDepartures')!;
    expect(JSON.stringify(guards.Properties)).toContain(`"${departures}"`);
    expect(resources[departures].DependsOn).toEqual([expect.stringMatching(/^AccessKeyRotatorRegistrations0[0-9A-F]{8}$/)]);
    expect(rotation).not.toHaveProperty('DeletionPolicy');
    expect(rotation).not.toHaveProperty('UpdateReplacePolicy');
    const [, fn] = only(template, 'AWS::Lambda::Function');
    expect(fn.DependsOn).toEqual([expect.stringMatching(/^AccessKeyRotatorRole[0-9A-F]{8}$/)]);
  });

  test('GIVEN defaults THEN the secret suppresses cdk-nag SMG4 only, explaining that the rotation resource turns rotation on', () => {
    const [, secret] = only(template, 'AWS::SecretsManager::Secret');
    expect(secret.Metadata.cdk_nag.rules_to_suppress).toEqual([{ id: 'AwsSolutions-SMG4', reason: expect.stringContaining('Custom::AccessKeyRotation') }]);
  });

  test('GIVEN defaults THEN it exposes the user, the secret and the stack\'s rotator', () => {
    expect(key.user.userName).toBe('bob');
    expect(key.secret).toBeDefined();
    expect(key.rotator).toBe(AccessKeyRotator.of(stack));
  });
});

describe('RotatingAccessKey props', () => {
  test.each([
    ['rate(14 days)', KeyRotationSchedule.every(Duration.days(14))],
    ['rate(1 day)', KeyRotationSchedule.every(Duration.days(1))],
    ['rate(6 hours)', KeyRotationSchedule.every(Duration.hours(6))],
    ['rate(10 days)', KeyRotationSchedule.expression('rate(10 days)')],
    ['cron(0 4 ? * SUN *)', KeyRotationSchedule.expression('cron(0 4 ? * SUN *)')],
  ])('GIVEN a schedule WHEN synthesized THEN the rotation resource and the registry state %s', (expression, schedule) => {
    const stack = newStack();
    // A timeline that fits between two rotations of each schedule (every 6 hours, with its 1-hour window: 5 hours).
    const timeline = { rotationWindow: Duration.hours(1), deactivateAfter: Duration.hours(1), deleteAfter: Duration.hours(1) };
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), schedule, ...timeline });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::AccessKeyRotation', { ScheduleExpression: expression });
    expect(registryEntries(template)[0].scheduleExpression).toBe(expression);
  });

  test('GIVEN mode OBSERVE WHEN synthesized THEN the rotation resource, its own entry and the registry say so; ENFORCE (the default) writes nothing', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Observed', { user: importedUser(stack), mode: RotationMode.OBSERVE });
    new RotatingAccessKey(stack, 'Enforced', { user: importedUser(stack, 'carol'), mode: RotationMode.ENFORCE });
    const template = Template.fromStack(stack);
    const rotations = Object.values(template.findResources('Custom::AccessKeyRotation'));
    expect(rotations.map((r) => r.Properties.Mode)).toEqual(['OBSERVE', undefined]);
    expect(rotations.map((r) => r.Metadata[REGISTRATION_METADATA_KEY].mode)).toEqual(['OBSERVE', undefined]);
    expect(registryEntries(template).map((e) => e.mode)).toEqual(['OBSERVE', undefined]);
  });

  test('GIVEN rotationWindow and rotateOnDeploy false WHEN synthesized THEN the rotation resource states the window in hours, the registry that and no rotation at deploy', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), rotationWindow: Duration.hours(4), rotateOnDeploy: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::AccessKeyRotation', {
      ScheduleExpression: 'rate(30 days)', WindowHours: 4,
    });
    expect(registryEntries(template)[0]).toMatchObject({ windowHours: 4, rotateOnDeploy: false });
  });

  test('GIVEN no rotationWindow WHEN synthesized THEN neither the rotation resource nor the registry states one', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::AccessKeyRotation', { WindowHours: Match.absent() });
    expect(registryEntries(template)[0]).not.toHaveProperty('windowHours');
  });

  test('GIVEN lifecycle Durations and a foreign key policy WHEN synthesized THEN the registry states them in seconds, and the secret has no tags', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack),
      deactivateAfter: Duration.days(2),
      deleteAfter: Duration.hours(36),
      postponeDeactivationWhileInUse: Duration.days(3),
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
    });
    const template = Template.fromStack(stack);
    expect(registryEntries(template)[0]).toMatchObject({
      deactivateAfterSeconds: 172800,
      deleteAfterSeconds: 129600,
      postponeWhileInUseSeconds: 259200,
      foreignKeyPolicy: 'ADOPT',
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Tags: Match.absent() });
  });

  test.each([ForeignKeyPolicy.FAIL, ForeignKeyPolicy.DELETE_INACTIVE, ForeignKeyPolicy.ADOPT])(
    'GIVEN foreignKeyPolicy %s WHEN synthesized THEN the registry states it', (foreignKeyPolicy) => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), foreignKeyPolicy });
      expect(registryEntries(Template.fromStack(stack))[0].foreignKeyPolicy).toBe(foreignKeyPolicy);
    });

  test('GIVEN secretName WHEN synthesized THEN it names the secret', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), secretName: 'access-keys/bob' });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'access-keys/bob' });
  });

  test('GIVEN encryptionKey WHEN synthesized THEN it encrypts the secret, and the function may use that key through Secrets Manager only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Cmk');
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cmk'), 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('AccessKeyRotatorRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'UseSecretKeysThroughSecretsManager',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cmk'), 'Arn'] },
        }]),
      },
    });
  });

  test('GIVEN RemovalPolicy.DESTROY WHEN synthesized THEN the secret is deleted, and the rotation resource and the registry say DESTROY', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Kept', { user: importedUser(stack, 'kept') });
    new RotatingAccessKey(stack, 'Gone', { user: importedUser(stack, 'gone'), removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Description: 'cdk-rotating-access-keys: the access key of IAM user gone' },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Description: 'cdk-rotating-access-keys: the access key of IAM user kept' },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('Custom::AccessKeyRotation', {
      ServiceToken: FUNCTION_ARN,
      SecretArn: { Ref: Match.stringLikeRegexp('^GoneSecret') },
      Removal: 'DESTROY',
    });
    template.hasResourceProperties('Custom::AccessKeyRotation', {
      SecretArn: { Ref: Match.stringLikeRegexp('^KeptSecret') },
      Removal: 'RETAIN',
    });
    expect(registryEntries(template).map((e) => e.removal)).toEqual(['RETAIN', 'DESTROY']);
    template.resourceCountIs('Custom::AccessKeyRemoval', 0);
  });

  test('GIVEN grantRead WHEN synthesized THEN the grantee may read the AWSCURRENT version only, and describe the secret', () => {
    const stack = newStack();
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const grant = key.grantRead(role);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: { Ref: Match.stringLikeRegexp('KeySecret') },
            Condition: {
              StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' },
              Null: { 'secretsmanager:VersionId': 'true' },
            },
          },
          { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: { Ref: Match.stringLikeRegexp('KeySecret') } },
        ],
      },
    });
  });

  test('GIVEN grantRead and a customer key WHEN synthesized THEN the grantee may decrypt with that key through Secrets Manager for this secret only', () => {
    const stack = newStack();
    const cmk = new kms.Key(stack, 'Cmk');
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), encryptionKey: cmk });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    key.grantRead(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cmk'), 'Arn'] },
          Condition: {
            StringEquals: {
              'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
              'kms:EncryptionContext:SecretARN': { Ref: Match.stringLikeRegexp('KeySecret') },
            },
          },
        }]),
      },
    });
    // The key policy is left as it was: the grant is on the grantee.
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toContain('Consumer');
  });

  describe('grantRead to a consumer in another stack', () => {
    /** Secret and customer key in stack A, the consumer's role in stack B. */
    function twoStacks(envA?: { account: string; region: string }, envB?: { account: string; region: string }, roleName?: string) {
      const app = new App();
      const a = new Stack(app, 'A', { env: envA });
      const b = new Stack(app, 'B', { env: envB });
      const cmk = new kms.Key(a, 'Cmk');
      const key = new RotatingAccessKey(a, 'Key', { user: importedUser(a), encryptionKey: cmk });
      const role = new iam.Role(b, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), roleName });
      return { app, a, b, key, role };
    }

    test.each([
      ['one concrete account', ENV, ENV],
      ['env-agnostic stacks', undefined, undefined],
    ])('GIVEN %s WHEN the app is synthesized THEN there is no cycle: the consumer\'s policy holds every statement, the key\'s and secret\'s policies are left as they were', (_, envA, envB) => {
      const { app, a, b, key, role } = twoStacks(envA, envB);
      key.grantRead(role);

      expect(() => app.synth()).not.toThrow();
      const consumer = Template.fromStack(b).findResources('AWS::IAM::Policy');
      const statements = Object.values<any>(consumer).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements.map((st) => st.Action)).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'kms:Decrypt']);
      expect(statements[2].Condition.StringEquals).toEqual({
        'kms:ViaService': envA ? 'secretsmanager.us-east-1.amazonaws.com' : { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        'kms:EncryptionContext:SecretARN': { 'Fn::ImportValue': expect.stringMatching(/^A:ExportsOutputRefKeySecret/) },
      });
      const secretSide = Template.fromStack(a);
      expect(JSON.stringify(secretSide.findResources('AWS::KMS::Key'))).not.toContain('Consumer');
      secretSide.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    });

    test.each([
      ['the AWS managed key', false],
      ['a customer key', true],
    ])('GIVEN a consumer in another account and %s WHEN grantRead is called THEN it is refused, saying what a reader in another account needs', (_, withKey) => {
      const app = new App();
      const a = new Stack(app, 'A', { env: ENV });
      const b = new Stack(app, 'B', { env: { account: '210987654321', region: 'us-east-1' } });
      const key = new RotatingAccessKey(a, 'Key', { user: importedUser(a), encryptionKey: withKey ? new kms.Key(a, 'Cmk') : undefined });
      const role = new iam.Role(b, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), roleName: 'backup-reader' });
      expect(() => key.grantRead(role)).toThrow(
        'grantRead (Python: grant_read): the grantee is in account 210987654321 and the secret A/Key/Secret in account 123456789012: grantRead grants within the '
        + "secret's account only. A reader in another account needs the secret encrypted with a customer-managed key (encryptionKey (Python: encryption_key); Secrets "
        + "Manager's AWS managed key cannot be used from another account), a statement naming it in the secret's resource policy and in the "
        + "key's policy, and an identity policy in its own account");
    });
  });

  describe('grantRead where the accounts cannot be compared at synth', () => {
    // An env-agnostic stack and a principal imported by ARN: aws-cdk-lib cannot tell whether the
    // principal is of this account, so it writes the secret's (and the key's) resource policy too.
    // Those statements must carry the same limits as the principal's: a resource policy that names a
    // principal grants on its own, within one account as well.
    test.each([
      ['of another account', 'arn:aws:iam::222222222222:role/partner-sync'],
      ['that may be of this account', 'arn:aws:iam::123456789012:role/shipper'],
    ])('GIVEN a role %s imported by ARN WHEN grantRead THEN the secret\'s resource policy allows the AWSCURRENT version only, and the key\'s policy names no reader', (_, arn) => {
      const stack = new Stack(new App(), 'Agnostic');
      const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), encryptionKey: new kms.Key(stack, 'Cmk') });
      key.grantRead(iam.Role.fromRoleArn(stack, 'Reader', arn, { mutable: false }));

      const template = Template.fromStack(stack);
      const [, secretPolicy] = only(template, 'AWS::SecretsManager::ResourcePolicy');
      const reads = secretPolicy.Properties.ResourcePolicy.Statement.filter((st: any) => st.Action === 'secretsmanager:GetSecretValue');
      expect(reads).toHaveLength(1);
      expect(reads[0].Condition).toEqual({
        StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' },
        Null: { 'secretsmanager:VersionId': 'true' },
      });
      // The key's policy does not name the reader: a statement there would grant on its own and could not be
      // limited to this secret, so it would open every secret the key encrypts.
      const [, cmk] = only(template, 'AWS::KMS::Key');
      expect(JSON.stringify(cmk.Properties.KeyPolicy)).not.toContain(arn);
      expect(() => appOf(stack).synth()).not.toThrow();
    });
  });

  test('GIVEN an explicit rotator WHEN synthesized THEN it serves the key', () => {
    const stack = newStack();
    const rotator = new AccessKeyRotator(stack, 'Custom', { lifecycleConcurrency: 8 });
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), rotator });
    expect(key.rotator).toBe(rotator);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('Custom::AccessKeyRotation', { ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CustomFunction'), 'Arn'] } });
  });
});

describe('the shared AccessKeyRotator', () => {
  test('GIVEN three keys WHEN synthesized THEN one function, rule, alarm and departures resource serve them, with a rotation resource each', () => {
    const stack = newStack();
    for (const name of ['a', 'b', 'c']) new RotatingAccessKey(stack, name, { user: importedUser(stack, name) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('Custom::AccessKeyRotation', 3);
    template.resourceCountIs('Custom::AccessKeyDepartures', 1);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(registryEntries(template)).toHaveLength(3);
  });

  test('GIVEN a key WHEN synthesized THEN the function: newest Node.js runtime, arm64, JSON logs into its own log group kept a year, no async retries', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 300,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('AccessKeyRotatorLogs') } },
      VpcConfig: Match.absent(),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com', SourceAccount: '123456789012', Action: 'lambda:InvokeFunction',
    });
  });

  test('GIVEN a key WHEN synthesized THEN the function\'s environment names its bus, its concurrency, its stack, its own resource, the registry digest and the first rotation\'s wait', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    const [functionId, fn] = only(template, 'AWS::Lambda::Function');
    expect(fn.Properties.Environment.Variables).toStrictEqual({
      EVENT_BUS_NAME: 'default',
      LIFECYCLE_CONCURRENCY: '4',
      ROTATOR_STACK_ID: { Ref: 'AWS::StackId' },
      ROTATOR_REGISTRY_RESOURCE: functionId,
      ROTATOR_REGISTRY_DIGEST: fn.Metadata[REGISTRY_METADATA_KEY].digest,
      // The default timeout of 5 minutes, less 30 seconds.
      ROTATOR_FIRST_ROTATION_WAIT_SECONDS: '270',
      ROTATOR_KEY_CHECK_WINDOW_SECONDS: '3600',
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    });
    expect(fn.Metadata[REGISTRY_METADATA_KEY].version).toBe(1);
  });

  test.each([
    ['rate(6 hours)', events.Schedule.rate(Duration.hours(6)), '21600'],
    ['rate(15 minutes)', events.Schedule.rate(Duration.minutes(15)), '900'],
    ['rate(2 days), bounded to a day', events.Schedule.rate(Duration.days(2)), '86400'],
    ['a cron: an hour', events.Schedule.cron({ minute: '5' }), '3600'],
  ])('GIVEN a lifecycle schedule of %s THEN the daily check of current keys runs in the window of one lifecycle period after midnight', (_, schedule, seconds) => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), rotator: new AccessKeyRotator(stack, 'Rotator', { lifecycleSchedule: schedule }) });
    const [, fn] = only(Template.fromStack(stack), 'AWS::Lambda::Function');
    expect(fn.Properties.Environment.Variables.ROTATOR_KEY_CHECK_WINDOW_SECONDS).toBe(seconds);
  });

  test('GIVEN a key WHEN synthesized THEN the role\'s own inline policy: logs, its own stack, audit events of this library, ListSecrets, failure metrics in its namespace; no separate default policy', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) => id.includes('DefaultPolicy'))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [{
        PolicyName: 'Rotation',
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessKeyRotatorLogs'), 'Arn'] } }),
            {
              Sid: 'ReadOwnStack',
              Effect: 'Allow',
              Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:ListStackResources'],
              Resource: { Ref: 'AWS::StackId' },
            },
            {
              Sid: 'PutAuditEvents',
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
              Condition: { 'ForAllValues:StringEquals': { 'events:source': ['cdk-rotating-access-keys'] } },
            },
            { Sid: 'FindManagedSecrets', Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' },
            { Sid: 'CheckCurrentKeysDaily', Effect: 'Allow', Action: ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'], Resource: '*' },
            {
              Sid: 'CountFailures',
              Effect: 'Allow',
              Action: 'cloudwatch:PutMetricData',
              Resource: '*',
              Condition: { StringEquals: { 'cloudwatch:namespace': 'cdk-rotating-access-keys' } },
            },
          ],
        },
      }],
    });
  });

  test('GIVEN a key WHEN synthesized THEN the lifecycle runs hourly with {"action":"lifecycle"}', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: FUNCTION_ARN, Input: '{"action":"lifecycle"}', RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  test('GIVEN every prop WHEN synthesized THEN schedule, concurrency, event bus, alarm topic, log retention, timeout and VPC apply', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const bus = new events.EventBus(stack, 'Audit');
    const topic = new sns.Topic(stack, 'Alarms');
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const rotator = AccessKeyRotator.configure(stack, {
      lifecycleSchedule: events.Schedule.rate(Duration.minutes(30)),
      lifecycleConcurrency: 10,
      eventBus: bus,
      alarmTopic: topic,
      logRetention: 30,
      timeout: Duration.minutes(10),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
    });
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    expect(AccessKeyRotator.of(stack)).toBe(rotator);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(30 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 600,
      VpcConfig: {
        SubnetIds: [{ Ref: Match.stringLikeRegexp('VpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('VpcPrivateSubnet2') }],
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }],
      },
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('Audit') }, LIFECYCLE_CONCURRENCY: '10' }) },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors', Threshold: 1, AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [Match.objectLike({
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Audit'), 'Arn'] },
          })]),
        },
      })],
    });
  });

  test('GIVEN a key WHEN synthesized THEN its registration policy grants the keys of its user and the rotation of its secret, before the departures and the guards', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    const [, policy] = only(template, 'AWS::IAM::ManagedPolicy');
    expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^AccessKeyRotatorRole/) }]);
    expect(policy.Properties.PolicyDocument.Statement).toStrictEqual([
      {
        Sid: 'ManageKeysOfRegisteredUsers',
        Effect: 'Allow',
        Action: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:UpdateAccessKey', 'iam:GetAccessKeyLastUsed'],
        Resource: BOB_ARN,
      },
      {
        Sid: 'RotateRegisteredSecrets',
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:RotateSecret',
          'secretsmanager:CancelRotateSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource',
        ],
        Resource: { Ref: expect.stringMatching(/^KeySecret/) },
      },
    ]);
    expect(policy.DependsOn).toBeUndefined();
  });

  test('GIVEN 60 keys WHEN synthesized THEN registrations fill managed policies by size: two statements each, one ARN per user and secret, under IAM\'s 6,144 characters', () => {
    const stack = newStack();
    for (let i = 0; i < 60; i++) new RotatingAccessKey(stack, `K${i}`, { user: importedUser(stack, `user${i}`) });
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
    expect(policies.length).toBeGreaterThan(1);
    const users: unknown[] = [];
    for (const p of policies) {
      const [keys, secrets] = p.Properties.PolicyDocument.Statement;
      expect([keys.Sid, secrets.Sid]).toEqual(['ManageKeysOfRegisteredUsers', 'RotateRegisteredSecrets']);
      expect(keys.Resource.length).toBe(secrets.Resource.length);
      expect(p.DependsOn).toBeUndefined();
      users.push(...keys.Resource);
    }
    expect(users).toHaveLength(60);
  });

  test('GIVEN a key WHEN synthesized THEN the guards deny tagging anything but the rotation state, untagging a hold and rotating through another function', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const [, guards] = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('AccessKeyRotatorGuards'))!;
    expect(guards.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^AccessKeyRotatorRole/) }]);
    const bySid = Object.fromEntries(guards.Properties.PolicyDocument.Statement.map((st: { Sid: string }) => [st.Sid, st]));
    expect(Object.keys(bySid)).toEqual([
      'TagOnlyRotationState', 'UntagOnlyRotationState', 'NameTheTags', 'RotateOnlyThroughThisFunction',
      'RotateThroughItself', 'ReleaseDepartingUsers', 'ReleaseDepartingSecrets',
    ]);
    for (const sid of ['TagOnlyRotationState', 'UntagOnlyRotationState', 'NameTheTags', 'RotateOnlyThroughThisFunction']) {
      expect([bySid[sid].Effect, bySid[sid].Resource]).toEqual(['Deny', '*']);
    }
    expect(bySid.UntagOnlyRotationState.Condition['ForAnyValue:StringNotLike']['aws:TagKeys']).not.toContain('access-key-rotation:hold');
    expect(bySid.TagOnlyRotationState.Condition['ForAnyValue:StringNotLike']['aws:TagKeys']).toContain('access-key-rotation:hold');
    expect(bySid.NameTheTags.Condition).toEqual({ Null: { 'aws:TagKeys': 'true' } });
    expect(bySid.RotateOnlyThroughThisFunction.Condition.StringNotEquals['secretsmanager:RotationLambdaARN'])
      .toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AccessKeyRotatorFunction/), 'Arn'] });
  });

  test('GIVEN a key WHEN synthesized THEN the guards let the function invoke itself (RotateSecret needs it), and nothing else', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^AccessKeyRotatorGuards'),
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'RotateThroughItself', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessKeyRotatorFunction'), 'Arn'] },
        }]),
      },
    });
  });

  test('GIVEN a key WHEN synthesized THEN the guards keep departing users and secrets reachable through the departures resource\'s attributes', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    const [departuresId] = only(template, 'Custom::AccessKeyDepartures');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^AccessKeyRotatorGuards'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ReleaseDepartingUsers',
            Effect: 'Allow',
            Action: ['iam:ListAccessKeys', 'iam:DeleteAccessKey', 'iam:GetAccessKeyLastUsed'],
            Resource: { 'Fn::Split': ['\n', { 'Fn::GetAtt': [departuresId, 'UserArns'] }] },
          },
          {
            Sid: 'ReleaseDepartingSecrets',
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:CancelRotateSecret'],
            Resource: { 'Fn::Split': ['\n', { 'Fn::GetAtt': [departuresId, 'SecretArns'] }] },
          },
        ]),
      },
    });
  });

  test('GIVEN two keys WHEN synthesized THEN the departures resource lists "<secret ARN> <user ARN>" of each, a line each in one string, through the function', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'A', { user: importedUser(stack, 'bob') });
    new RotatingAccessKey(stack, 'B', { user: importedUser(stack, 'carol'), removalPolicy: RemovalPolicy.DESTROY });
    const [, departures] = only(Template.fromStack(stack), 'Custom::AccessKeyDepartures');
    expect(departures.Properties).toStrictEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^AccessKeyRotatorFunction/), 'Arn'] },
      Registrations: {
        'Fn::Join': ['', [
          { Ref: expect.stringMatching(/^ASecret/) }, ' arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:user/bob\n',
          { Ref: expect.stringMatching(/^BSecret/) }, ' arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:user/carol\n',
        ]],
      },
    });
    // After every registration policy: a rollback puts the departures back while the policies still name what it undoes.
    expect(departures.DependsOn).toEqual([expect.stringMatching(/^AccessKeyRotatorRegistrations0/)]);
  });

  test('GIVEN 320 keys WHEN synthesized THEN past 10 managed policies (IAM\'s default quota per role) the stack is warned', () => {
    // Only long names get there under 500 resources; lift CDK's limit to reach it with short ones.
    const stack = new Stack(new App({ context: { '@aws-cdk/core:stackResourceLimit': 1000 } }), 'Stack', { env: ENV });
    for (let i = 0; i < 320; i++) new RotatingAccessKey(stack, `K${i}`, { user: importedUser(stack, `user${i}`) });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('needs more than 10 managed policies'))).toHaveLength(1);
  });
});

describe('RotatingAccessKeyUser', () => {
  test('GIVEN every user prop WHEN synthesized THEN the user has its name, path, groups, policies and boundary, and rotating keys', () => {
    const stack = newStack();
    const group = new iam.Group(stack, 'Readers');
    const boundary = new iam.ManagedPolicy(stack, 'Boundary', {
      statements: [new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })],
    });
    const user = new RotatingAccessKeyUser(stack, 'Backup', {
      userName: 'backup-server',
      path: '/service/',
      groups: [group],
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      inlinePolicies: {
        Backups: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] })] }),
      },
      permissionsBoundary: boundary,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::User', {
      UserName: 'backup-server',
      Path: '/service/',
      Groups: [{ Ref: Match.stringLikeRegexp('Readers') }],
      ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
      PermissionsBoundary: { Ref: Match.stringLikeRegexp('Boundary') },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: 'Backups',
      Users: [{ Ref: Match.stringLikeRegexp('BackupUser') }],
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: { 'Fn::Join': ['', ['{"userName":"', { Ref: Match.stringLikeRegexp('BackupUser') }, '"}']] } });
    template.hasResourceProperties('Custom::AccessKeyRotation', { UserArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupUser'), 'Arn'] } });
    expect(user.secret).toBe(user.accessKey.secret);
    expect(user.accessKey.user).toBe(user.user);
  });

  test('GIVEN key options WHEN synthesized THEN they pass through to the rotating key', () => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'Svc', {
      schedule: KeyRotationSchedule.every(Duration.days(7)),
      rotationWindow: Duration.hours(2),
      deactivateAfter: Duration.days(1),
      deleteAfter: Duration.days(4),
      secretName: 'access-keys/svc',
      foreignKeyPolicy: ForeignKeyPolicy.DELETE_INACTIVE,
      rotateOnDeploy: false,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'access-keys/svc' });
    template.hasResourceProperties('Custom::AccessKeyRotation', { ScheduleExpression: 'rate(7 days)', WindowHours: 2 });
    expect(registryEntries(template)[0]).toMatchObject({ deactivateAfterSeconds: 86400, foreignKeyPolicy: 'DELETE_INACTIVE' });
  });

  test.each([
    [RemovalPolicy.RETAIN, 'Retain', 'RETAIN'],
    [RemovalPolicy.DESTROY, 'Delete', 'DESTROY'],
  ])('GIVEN removalPolicy %s WHEN synthesized THEN it applies to the user, the secret and the rotation resource', (removalPolicy, deletionPolicy, removal) => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'Svc', { removalPolicy });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::IAM::User', { DeletionPolicy: deletionPolicy });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: deletionPolicy });
    template.hasResourceProperties('Custom::AccessKeyRotation', { Removal: removal });
    expect(registryEntries(template)[0].removal).toBe(removal);
    template.resourceCountIs('Custom::AccessKeyRemoval', 0);
  });

  test('GIVEN DESTROY WHEN synthesized THEN the rotation resource references the user and the secret, so CloudFormation deletes it (and the keys) before either', () => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'Svc', { removalPolicy: RemovalPolicy.DESTROY });
    const [, rotation] = only(Template.fromStack(stack), 'Custom::AccessKeyRotation');
    expect(rotation.Properties.UserArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SvcUser/), 'Arn'] });
    expect(rotation.Properties.SecretArn).toEqual({ Ref: expect.stringMatching(/^SvcAccessKeySecret/) });
  });

  test('GIVEN grantRead WHEN synthesized THEN the grantee reads the secret as RotatingAccessKey.grantRead allows', () => {
    const stack = newStack();
    const user = new RotatingAccessKeyUser(stack, 'Svc');
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.AccountRootPrincipal() });
    expect(user.grantRead(role).success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Condition: Match.objectLike({ Null: { 'secretsmanager:VersionId': 'true' } }) }),
          Match.objectLike({ Action: 'secretsmanager:DescribeSecret' }),
        ],
      },
    });
  });
});

describe('compliance warnings at synth', () => {
  // The silent alarm's warning has its own tests (operators.test.ts).
  const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .map((w) => String(w.entry.data)).filter((w) => !w.includes('alarmWithoutAction'));

  test('GIVEN the defaults WHEN synthesized THEN there is no warning: every active key stays under 90 days', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    expect(warningsOf(stack)).toEqual([]);
  });

  test('GIVEN an active key that can pass 90 days WHEN synthesized THEN the warning explains it with its numbers', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack), schedule: KeyRotationSchedule.every(Duration.days(80)), deactivateAfter: Duration.days(10),
    });
    expect(warningsOf(stack)).toEqual([expect.stringContaining(
      'an active key can reach 91 days (rotation interval 80 + rotation window 1 + deactivateAfter (Python: deactivate_after) and postponement 10), '
      + 'more than the 90 days of Security Hub IAM.3')]);
  });

  test('GIVEN postponement and a rotation window WHEN synthesized THEN they count towards the age', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack),
      schedule: KeyRotationSchedule.every(Duration.days(80)),
      rotationWindow: Duration.hours(4),
      deactivateAfter: Duration.days(7),
      postponeDeactivationWhileInUse: Duration.days(3),
    });
    expect(warningsOf(stack)).toEqual([expect.stringContaining('an active key can reach 90.2 days')]);
  });

  test('GIVEN a cron whose spacing cannot be told WHEN synthesized THEN it is flagged for a human to check', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), schedule: KeyRotationSchedule.expression('cron(0 4 1 1/3 ? *)') });
    // The old key's timeline cannot be checked either (validation.test.ts).
    expect(warningsOf(stack)).toEqual([
      expect.stringContaining("cannot tell how close two rotations of 'cron(0 4 1 1/3 ? *)' can be"),
      expect.stringContaining("cannot tell the longest time between two rotations of 'cron(0 4 1 1/3 ? *)'"),
    ]);
  });

  test('GIVEN a warning WHEN it is acknowledged THEN it is gone', () => {
    const stack = newStack();
    const key = new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack), schedule: KeyRotationSchedule.every(Duration.days(89)),
    });
    CoreAnnotations.of(key).acknowledgeWarning('cdk-rotating-access-keys:activeKeyAge', 'accepted by the security team');
    expect(warningsOf(stack)).toEqual([]);
  });
});
