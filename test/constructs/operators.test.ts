/**
 * The constructs' operator surface: failure metrics, rules on the audit
 * events, the warning for an alarm that notifies nobody, and the owner and
 * early-notice settings that reach the registry. (What the grants allow and
 * deny is proven by policy simulation in least-privilege.test.ts.)
 */
import { Annotations as CdkAnnotations, App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AccessKeyEvents, AccessKeyRotator, RotatingAccessKey, RotatingAccessKeyUser } from '../../src';
import { EVENT_SOURCE, EventType, Metrics, REGISTRY_METADATA_KEY } from '../../src/rotation/contract';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const newStack = () => new Stack(new App(), 'Stack', { env: ENV });
const importedUser = (stack: Stack, name = 'bob') => iam.User.fromUserName(stack, `User-${name}`, name);
const SILENT = 'cdk-rotating-access-keys:alarmWithoutAction';

function registry(stack: Stack): Record<string, unknown>[] {
  const fn = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>)
    .find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[REGISTRY_METADATA_KEY]);
  return fn.Metadata[REGISTRY_METADATA_KEY].registrations;
}

describe('AccessKeyEvents', () => {
  test('GIVEN the exported constants THEN they are exactly the source and detail types the library sends (the rotator and the watch)', () => {
    expect(AccessKeyEvents.SOURCE).toBe(EVENT_SOURCE);
    expect(AccessKeyEvents.ALL).toEqual(Object.values(EventType));
    expect(new Set(AccessKeyEvents.ALL).size).toBe(AccessKeyEvents.ALL.length);
    const named = [
      AccessKeyEvents.CREATED, AccessKeyEvents.PROMOTED, AccessKeyEvents.DEACTIVATED, AccessKeyEvents.DELETED, AccessKeyEvents.REVOKED,
      AccessKeyEvents.STILL_IN_USE, AccessKeyEvents.HELD, AccessKeyEvents.HANDED_OVER, AccessKeyEvents.RESTORED, AccessKeyEvents.ROTATION_FAILED,
      AccessKeyEvents.LIFECYCLE_FAILED, AccessKeyEvents.REFUSED, AccessKeyEvents.RETAINED, AccessKeyEvents.UNMANAGED, AccessKeyEvents.OBSERVED,
      AccessKeyEvents.DELIVERED,
    ];
    expect(named.sort()).toEqual([...AccessKeyEvents.ALL].sort());
    for (const t of AccessKeyEvents.NEEDS_ATTENTION) expect(AccessKeyEvents.ALL).toContain(t);
  });
});

describe('failure metrics', () => {
  test('GIVEN the rotator WHEN its failure metrics are asked for THEN they are the namespace, names and dimension the function puts, summed over 5 minutes', () => {
    const stack = newStack();
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const fnName = stack.resolve(key.rotator.function.functionName);
    for (const [metric, name] of [
      [key.rotator.metricRotationFailures(), Metrics.ROTATION_FAILURES],
      [key.rotator.metricLifecycleFailures(), Metrics.LIFECYCLE_FAILURES],
    ] as const) {
      expect(metric.namespace).toBe('cdk-rotating-access-keys');
      expect(metric.metricName).toBe(name);
      expect(stack.resolve(metric.dimensions)).toEqual({ FunctionName: fnName });
      expect(metric.statistic).toBe('Sum');
      expect(metric.period.toMinutes()).toBe(5);
    }
  });

  test('GIVEN options WHEN a failure metric is asked for THEN they apply', () => {
    const stack = newStack();
    const rotator = new AccessKeyRotator(stack, 'AccessKeyRotator');
    const metric = rotator.metricRotationFailures({ period: Duration.hours(1), label: 'failed rotations' });
    expect(metric.period.toHours()).toBe(1);
    expect(metric.label).toBe('failed rotations');
  });
});

describe('onAccessKeyEvent', () => {
  test('GIVEN the rotator WHEN a rule is made with no options THEN it matches every detail type of the library\'s source on the default bus', () => {
    const stack = newStack();
    const key = new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    key.rotator.onAccessKeyEvent('All');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['cdk-rotating-access-keys'], 'detail-type': AccessKeyEvents.ALL },
      EventBusName: Match.absent(),
      State: 'ENABLED',
    });
  });

  test('GIVEN a key WHEN a rule for the failures is made with a target THEN it matches that key\'s secret only, and targets the topic', () => {
    const stack = newStack();
    const key = new RotatingAccessKeyUser(stack, 'Backup', { userName: 'backup' });
    const topic = new sns.Topic(stack, 'Oncall');
    key.onAccessKeyEvent('Failures', { eventTypes: AccessKeyEvents.NEEDS_ATTENTION, target: new targets.SnsTopic(topic) });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['cdk-rotating-access-keys'],
        'detail-type': AccessKeyEvents.NEEDS_ATTENTION,
        'resources': [{ Ref: stack.resolve(stack.getLogicalId(key.secret.node.defaultChild as any)) }],
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('Oncall') } })],
    });
  });

  test('GIVEN a custom event bus WHEN a rule is made THEN it is on that bus', () => {
    const stack = newStack();
    const bus = new events.EventBus(stack, 'Audit');
    const rotator = new AccessKeyRotator(stack, 'AccessKeyRotator', { eventBus: bus });
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), rotator });
    rotator.onAccessKeyEvent('OnBus', { eventTypes: [AccessKeyEvents.PROMOTED] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('Audit') },
      EventPattern: { 'detail-type': ['Access Key Promoted'] },
    });
  });

  test('GIVEN an extra pattern WHEN a rule is made THEN it is merged into the library\'s pattern', () => {
    const stack = newStack();
    const rotator = AccessKeyRotator.configure(stack);
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    rotator.onAccessKeyEvent('Team', { eventPattern: { detail: { owner: ['team-storage'] } } });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['cdk-rotating-access-keys'], detail: { owner: ['team-storage'] } },
    });
  });

  test.each([
    ['an unknown detail type', ['Access Key Exploded'], /eventTypes \(Python: event_types\) must hold values of AccessKeyEvents .* got 'Access Key Exploded'/],
    ['an empty list', [], /eventTypes \(Python: event_types\) must name at least one event type/],
  ])('GIVEN %s WHEN a rule is made THEN it is refused naming the value', (_, eventTypes, message) => {
    const stack = newStack();
    const rotator = new AccessKeyRotator(stack, 'AccessKeyRotator');
    expect(() => rotator.onAccessKeyEvent('Bad', { eventTypes })).toThrow(message);
  });
});

describe('the warning for an alarm that notifies nobody', () => {
  const silentWarnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('alarmWithoutAction'));

  test('GIVEN no alarmTopic WHEN synthesized THEN one warning says that a failure notifies nobody and what to do', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    const found = silentWarnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Stack/AccessKeyRotator/FailureAlarm');
    expect(String(found[0].entry.data)).toContain('a failure notifies nobody: set alarmTopic');
  });

  test('GIVEN an alarmTopic, or an action added to the alarm later WHEN synthesized THEN there is no such warning', () => {
    const stack = newStack();
    AccessKeyRotator.configure(stack, { alarmTopic: new sns.Topic(stack, 'Topic') });
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    expect(silentWarnings(stack)).toHaveLength(0);

    const other = newStack();
    const rotator = AccessKeyRotator.configure(other);
    new RotatingAccessKey(other, 'Key', { user: importedUser(other) });
    (rotator.alarm as any).addAlarmAction({ bind: () => ({ alarmActionArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' }) });
    expect(silentWarnings(other)).toHaveLength(0);
  });

  test.each(['rotator', 'stack'])('GIVEN the warning acknowledged on the %s WHEN synthesized THEN it is gone', (where) => {
    const stack = newStack();
    const rotator = AccessKeyRotator.configure(stack);
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    CdkAnnotations.of(where === 'stack' ? stack : rotator).acknowledgeWarning(SILENT, 'failures reach on-call through onAccessKeyEvent');
    expect(silentWarnings(stack)).toHaveLength(0);
  });
});

describe('owner and earlyNotice', () => {
  test('GIVEN an owner and an early notice WHEN synthesized THEN the registry carries both', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', {
      user: importedUser(stack), owner: 'team-storage@example.com', earlyNotice: Duration.days(5), deactivateAfter: Duration.days(7),
    });
    expect(registry(stack)[0]).toMatchObject({ owner: 'team-storage@example.com', noticeBeforeSeconds: 5 * 86_400 });
  });

  test('GIVEN neither WHEN synthesized THEN the registry has neither field', () => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: importedUser(stack) });
    expect(registry(stack)[0]).not.toHaveProperty('owner');
    expect(registry(stack)[0]).not.toHaveProperty('noticeBeforeSeconds');
  });

  test.each([
    ['an early notice longer than the grace period', { earlyNotice: Duration.days(8) }, /earlyNotice \(Python: early_notice\) must be at most deactivateAfter \(Python: deactivate_after\), got 8 days and 7 days/],
    ['an early notice under an hour', { earlyNotice: Duration.minutes(30) }, /earlyNotice \(Python: early_notice\) must be from 1 hour to 1000 days, got 30 minutes/],
    ['an empty owner', { owner: '' }, /owner must be 1 to 256 printable ASCII characters, got ''/],
    ['an owner with a line break', { owner: 'a\nb' }, /owner must be 1 to 256 printable ASCII characters/],
  ])('GIVEN %s WHEN constructed THEN it is refused naming the prop and the value', (_, props, message) => {
    const stack = newStack();
    expect(() => new RotatingAccessKey(stack, 'Key', { user: importedUser(stack), ...props })).toThrow(message);
  });
});
