/**
 * RotatingAccessKey and RotatingAccessKeyUser, prop by prop, with fine-grained
 * Template assertions; the shared AccessKeyRotator they create on demand.
 */
import { Annotations as CoreAnnotations, App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  AccessKeyRotator, ForeignKeyPolicy, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyUser,
} from '../../src';

const ENV = { account: '123456789012', region: 'us-east-1' };
const newStack = () => new Stack(new App(), 'Stack', { env: ENV });
const importedUser = (stack: Stack, name = 'bob') => iam.User.fromUserName(stack, `User-${name}`, name);
const secretTags = (template: Template) => {
  const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
  return Object.fromEntries((secret.Properties.Tags as { Key: string; Value: unknown }[]).map((t) => [t.Key, t.Value]));
};

describe('RotatingAccessKey defaults', () => {
  const stack = newStack();
  const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
  const template = Template.fromStack(stack);

  test('the secret holds metadata only: the user name, no key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{"userName":"bob"}' });
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
  });

  test('the secret is retained with the keys when the construct leaves the stack', () => {
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('Custom::AccessKeyRemoval', 0);
  });

  test('the lifecycle settings are tags: 7 days to deactivate, 14 more to delete, no postponing, FAIL on foreign keys', () => {
    expect(secretTags(template)).toEqual({
      'access-key-rotation:user': 'bob',
      'access-key-rotation:deactivate-after-seconds': '604800',
      'access-key-rotation:delete-after-seconds': '1209600',
      'access-key-rotation:postpone-while-in-use-seconds': '0',
      'access-key-rotation:foreign-keys': 'FAIL',
    });
  });

  test('Secrets Manager rotates every 30 days through the shared function, and once at deploy', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('KeySecret') },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessKeyRotatorFunction'), 'Arn'] },
      RotateImmediatelyOnUpdate: true,
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('the first rotation waits for the function and its permissions', () => {
    const [schedule] = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));
    expect(schedule.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AccessKeyRotatorFunction[0-9A-F]+$/)]));
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AccessKeyRotatorRegistrations0/)]));
  });

  test('exposes the user, the secret and the stack\'s rotator', () => {
    expect(key.user.userName).toBe('bob');
    expect(key.secret).toBeDefined();
    expect(key.rotator).toBe(AccessKeyRotator.of(stack));
  });
});

describe('RotatingAccessKey props', () => {
  test.each([
    [KeyRotationSchedule.every(Duration.days(14)), 'rate(14 days)'],
    [KeyRotationSchedule.every(Duration.days(1)), 'rate(1 day)'],
    [KeyRotationSchedule.every(Duration.hours(6)), 'rate(6 hours)'],
    [KeyRotationSchedule.expression('rate(10 days)'), 'rate(10 days)'],
    [KeyRotationSchedule.expression('cron(0 4 ? * SUN *)'), 'cron(0 4 ? * SUN *)'],
  ])('schedule %# becomes %s', (schedule, expression) => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), schedule });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: expression },
    });
  });

  test('rotationWindow becomes the rule\'s Duration in hours; rotateOnDeploy false waits for the schedule', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), rotationWindow: Duration.hours(4), rotateOnDeploy: false });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotateImmediatelyOnUpdate: false,
      RotationRules: { ScheduleExpression: 'rate(30 days)', Duration: '4h' },
    });
  });

  test('lifecycle Durations and the foreign key policy are written as tags the function reads', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack),
      deactivateAfter: Duration.days(2),
      deleteAfter: Duration.hours(36),
      postponeDeactivationWhileInUse: Duration.days(3),
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
    });
    expect(secretTags(Template.fromStack(stack))).toMatchObject({
      'access-key-rotation:deactivate-after-seconds': '172800',
      'access-key-rotation:delete-after-seconds': '129600',
      'access-key-rotation:postpone-while-in-use-seconds': '259200',
      'access-key-rotation:foreign-keys': 'ADOPT',
    });
  });

  test('secretName names the secret', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), secretName: 'access-keys/bob' });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'access-keys/bob' });
  });

  test('encryptionKey encrypts the secret, and the function may use that key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Cmk');
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cmk'), 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Policy', {
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

  test('RemovalPolicy.DESTROY deletes the secret, and the keys first through the removal resource', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Kept', { user: importedUser(stack, 'kept') });
    new RotatingAccessKey(stack, 'Gone', { user: importedUser(stack, 'gone'), removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('Custom::AccessKeyRemoval', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessKeyRotatorFunction'), 'Arn'] },
      Secrets: [{ Ref: Match.stringLikeRegexp('GoneSecret') }],
    });
  });

  test('grantRead lets a principal read the secret', () => {
    const stack = newStack();
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    key.grantRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: [Match.objectLike({
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: { Ref: Match.stringLikeRegexp('KeySecret') },
        })],
      },
    });
  });

  test('an explicit rotator serves the key', () => {
    const stack = newStack();
    const rotator = new AccessKeyRotator(stack, 'Custom', { lifecycleConcurrency: 8 });
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), rotator });
    expect(key.rotator).toBe(rotator);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('the shared AccessKeyRotator', () => {
  test('one function serves every key of a stack', () => {
    const stack = newStack();
    for (const name of ['a', 'b', 'c']) new RotatingAccessKey(stack, name, { user: importedUser(stack, name) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
  });

  test('the function: newest Node.js runtime, arm64, JSON logs into its own log group kept a year, no async retries', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('AccessKeyRotatorLogs') } },
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: 'default', LIFECYCLE_CONCURRENCY: '4' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com', SourceAccount: '123456789012', Action: 'lambda:InvokeFunction',
    });
  });

  test('the lifecycle runs hourly with {"action":"lifecycle"}', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Input: '{"action":"lifecycle"}', RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  test('every prop: schedule, concurrency, event bus, alarm topic, log retention, timeout, VPC', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const bus = new events.EventBus(stack, 'Audit');
    const topic = new sns.Topic(stack, 'Alarms');
    const rotator = new AccessKeyRotator(stack, AccessKeyRotator.ID, {
      lifecycleSchedule: events.Schedule.rate(Duration.minutes(30)),
      lifecycleConcurrency: 10,
      eventBus: bus,
      alarmTopic: topic,
      logRetention: 30,
      timeout: Duration.minutes(10),
      vpc,
    });
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    expect(AccessKeyRotator.of(stack)).toBe(rotator);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(30 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 600,
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('Audit') }, LIFECYCLE_CONCURRENCY: '10' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors', Threshold: 1, AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Audit'), 'Arn'] },
        })]),
      },
    });
  });

  test('registrations fill managed policies by size: two statements each, one ARN per user and secret, under IAM\'s 6,144 characters', () => {
    const stack = newStack();
    for (let i = 0; i < 60; i++) new RotatingAccessKey(stack, `K${i}`, { user: importedUser(stack, `user${i}`) });
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
    expect(policies.length).toBeGreaterThan(1);
    const users: unknown[] = [];
    for (const p of policies) {
      const [keys, secrets] = p.Properties.PolicyDocument.Statement;
      expect([keys.Sid, secrets.Sid]).toEqual(['ManageKeysOfRegisteredUsers', 'RotateRegisteredSecrets']);
      expect(keys.Resource.length).toBe(secrets.Resource.length);
      users.push(...keys.Resource);
    }
    expect(users).toHaveLength(60);
  });

  test('guards deny tagging anything but the rotation state, untagging a hold, and rotating through another function', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const guards = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .find((p) => p.Properties.PolicyName.includes('Guards'))!;
    const bySid = Object.fromEntries(guards.Properties.PolicyDocument.Statement.map((st: { Sid: string }) => [st.Sid, st]));
    expect(Object.keys(bySid)).toEqual(['TagOnlyRotationState', 'UntagOnlyRotationState', 'NameTheTags', 'RotateOnlyThroughThisFunction']);
    for (const st of Object.values<{ Effect: string; Resource: string }>(bySid)) expect([st.Effect, st.Resource]).toEqual(['Deny', '*']);
    expect(bySid.UntagOnlyRotationState.Condition['ForAnyValue:StringNotLike']['aws:TagKeys']).not.toContain('access-key-rotation:hold');
    expect(bySid.RotateOnlyThroughThisFunction.Condition.StringNotEquals['secretsmanager:RotationLambdaARN'])
      .toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AccessKeyRotatorFunction/), 'Arn'] });
  });

  test('past 10 managed policies (IAM\'s default quota per role) the stack is warned', () => {
    // Only long names get there under 500 resources; lift CDK's limit to reach it with short ones.
    const stack = new Stack(new App({ context: { '@aws-cdk/core:stackResourceLimit': 1000 } }), 'Stack', { env: ENV });
    for (let i = 0; i < 320; i++) new RotatingAccessKey(stack, `K${i}`, { user: importedUser(stack, `user${i}`) });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('needs more than 10 managed policies'))).toHaveLength(1);
  });
});

describe('RotatingAccessKeyUser', () => {
  test('creates the user with its path, groups, policies and boundary, and rotating keys for it', () => {
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
    expect(user.secret).toBe(user.accessKey.secret);
    expect(user.accessKey.user).toBe(user.user);
  });

  test.each([
    [RemovalPolicy.RETAIN, 'Retain', 0],
    [RemovalPolicy.DESTROY, 'Delete', 1],
  ])('removalPolicy %s applies to the user and the secret', (removalPolicy, deletionPolicy, removals) => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'Svc', { removalPolicy });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::IAM::User', { DeletionPolicy: deletionPolicy });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: deletionPolicy });
    template.resourceCountIs('Custom::AccessKeyRemoval', removals);
  });

  test('with DESTROY the removal resource depends on the user, so the keys go before the user', () => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'Svc', { removalPolicy: RemovalPolicy.DESTROY });
    const [removal] = Object.values(Template.fromStack(stack).findResources('Custom::AccessKeyRemoval'));
    expect(removal.DependsOn).toEqual([expect.stringMatching(/^SvcUser/)]);
    expect(removal.Properties.Secrets).toEqual([{ Ref: expect.stringMatching(/^SvcAccessKeySecret/) }]);
  });

  test('grantRead reads the secret', () => {
    const stack = newStack();
    const user = new RotatingAccessKeyUser(stack, 'Svc');
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.AccountRootPrincipal() });
    expect(user.grantRead(role).success).toBe(true);
  });
});

describe('compliance warnings at synth', () => {
  const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .map((w) => String(w.entry.data));

  test('the defaults keep every active key under 90 days: no warning', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    expect(warningsOf(stack)).toEqual([]);
  });

  test('an active key that can pass 90 days is explained with its numbers', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack), schedule: KeyRotationSchedule.every(Duration.days(80)), deactivateAfter: Duration.days(10),
    });
    expect(warningsOf(stack)).toEqual([expect.stringContaining(
      'an active key can reach 91 days (rotation interval 80 + rotation window 1 + deactivateAfter and postponement 10), '
      + 'more than the 90 days of Security Hub IAM.3')]);
  });

  test('postponement and the rotation window count towards the age', () => {
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

  test('a grace period as long as the interval keeps two keys active: warned', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack), schedule: KeyRotationSchedule.every(Duration.days(7)), deactivateAfter: Duration.days(7),
    });
    expect(warningsOf(stack)).toEqual([expect.stringContaining('two keys are active all the time')]);
  });

  test('a cron whose spacing cannot be told is flagged for a human to check', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), schedule: KeyRotationSchedule.expression('cron(0 4 1 1/3 ? *)') });
    expect(warningsOf(stack)).toEqual([expect.stringContaining("cannot tell the longest time between two rotations of 'cron(0 4 1 1/3 ? *)'")]);
  });

  test('the warnings can be acknowledged', () => {
    const stack = newStack();
    const key = new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack), schedule: KeyRotationSchedule.every(Duration.days(89)),
    });
    CoreAnnotations.of(key).acknowledgeWarning('cdk-rotating-access-keys:activeKeyAge', 'accepted by the security team');
    expect(warningsOf(stack)).toEqual([]);
  });
});
