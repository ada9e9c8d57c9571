/**
 * Bad props fail at synth with an error naming the prop and the value.
 * Tokens are not judged when the construct is made: the settings that enter
 * the registry are checked once CDK resolves them (registry.test.ts), the rest
 * is left for CloudFormation to judge. Users that cannot be registered are
 * refused in registry.test.ts.
 */
import { Annotations as CdkAnnotations, App, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AccessKeyRotator, AccessKeyRotatorProps, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyOptions,
  RotatingAccessKeyUser, RotatingAccessKeyUserProps,
} from '../../src';
import { rotationWindowProblem } from '../../src/key-rotation-schedule';
import { shortestRotationGap } from '../../src/key-timeline';

const newStack = () => new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });

function keyWith(options: RotatingAccessKeyOptions): void {
  const stack = newStack();
  new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob'), ...options });
}

describe('KeyRotationSchedule', () => {
  test.each([
    ['every 3 hours, below Secrets Manager\'s minimum', () => KeyRotationSchedule.every(Duration.hours(3)),
      'interval must be between 4 hours and 1000 days, got 3 hours'],
    ['every 1001 days, above the maximum', () => KeyRotationSchedule.every(Duration.days(1001)),
      'interval must be between 4 hours and 1000 days, got 1001 days'],
    ['every 4.5 hours', () => KeyRotationSchedule.every(Duration.minutes(270)),
      'interval must be a whole number of hours, got 4 hours 30 minutes'],
    ['rate(2 hours)', () => KeyRotationSchedule.expression('rate(2 hours)'), 'got 2 hours'],
    ['rate(0 days)', () => KeyRotationSchedule.expression('rate(0 days)'), 'got 0 days'],
    ['rate(1001 days)', () => KeyRotationSchedule.expression('rate(1001 days)'), 'got 1001 days'],
    ['a phrase', () => KeyRotationSchedule.expression('every 30 days'),
      "expected 'rate(N hours|days)' or 'cron(...)', got 'every 30 days'"],
    ['rate in minutes', () => KeyRotationSchedule.expression('rate(300 minutes)'),
      "expected 'rate(N hours|days)' or 'cron(...)', got 'rate(300 minutes)'"],
    ['a five-field cron', () => KeyRotationSchedule.expression('cron(0 4 * * ?)'),
      "a cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got 5 in 'cron(0 4 * * ?)'"],
    ['an hourly cron', () => KeyRotationSchedule.expression('cron(0 * * * ? *)'),
      "Secrets Manager rotates at most every 4 hours, but the hours field '*' starts rotations 1 hour apart; "
      + "list hours at least 4 apart, e.g. cron(0 0/4 * * ? *), got 'cron(0 * * * ? *)'"],
    ['a cron every 2 hours', () => KeyRotationSchedule.expression('cron(0 */2 * * ? *)'), "the hours field '*/2' starts rotations 2 hours apart"],
    ['a cron listing hours 2 apart', () => KeyRotationSchedule.expression('cron(0 1,3,12 ? * MON *)'), "the hours field '1,3,12' starts rotations 2 hours apart"],
    ['a daily cron at 22:00 and 01:00 (3 hours apart across midnight)', () => KeyRotationSchedule.expression('cron(0 1,22 * * ? *)'),
      "the hours field '1,22' starts rotations 3 hours apart"],
    ['a cron every 30 minutes', () => KeyRotationSchedule.expression('cron(0/30 * * * ? *)'),
      "the minutes field must be 0, as Secrets Manager's rotation windows open on the hour; '0/30' is not, got 'cron(0/30 * * * ? *)'"],
    ['a cron at 04:15', () => KeyRotationSchedule.expression('cron(15 4 * * ? *)'), 'the minutes field must be 0'],
    ['a cron for one year', () => KeyRotationSchedule.expression('cron(0 4 * * ? 2026)'),
      "the year field must be *, as Secrets Manager requires; '2026' is not, got 'cron(0 4 * * ? 2026)'"],
    ['a cron at hour 24', () => KeyRotationSchedule.expression('cron(0 24 * * ? *)'),
      "the hours field must name hours from 0 to 23; '24' does not, got 'cron(0 24 * * ? *)'"],
  ])('GIVEN %s WHEN the schedule is made THEN it is refused', (_, make, message) => {
    expect(make).toThrow(message);
  });

  test.each([
    ['cron(0 4 * * ? *)', 1],
    ['cron(0 4 ? * MON *)', 7],
    ['cron(0 4 1 * ? *)', 31],
  ])('GIVEN %s WHEN its interval is read THEN the longest gap is %d days', (expression, days) => {
    expect(KeyRotationSchedule.expression(expression).interval?.toDays()).toBe(days);
  });

  test.each([
    ['cron(0 0/4 * * ? *)', 4],
    ['cron(0 4/12 * * ? *)', 12],
    ['cron(0 2,22 * * ? *)', 20],
  ])('GIVEN %s, rotations at least 4 hours apart WHEN the schedule is made THEN it is accepted, and its longest gap is %d hours', (expression, hours) => {
    expect(KeyRotationSchedule.expression(expression).interval?.toHours()).toBe(hours);
  });

  test.each<[string, number | undefined]>([
    ['rate(12 hours)', 12],
    ['rate(30 days)', 30 * 24],
    ['cron(0 4 * * ? *)', 24],
    ['cron(0 2,22 * * ? *)', 4],
    ['cron(0 1 ? * SUN *)', 7 * 24],
    ['cron(0 1 ? * MON,FRI *)', 3 * 24],
    ['cron(0 1 ? * 2-6 *)', 24],
    ['cron(0 1,13 ? * SUN *)', 12],
    ['cron(0 4 1 * ? *)', 28 * 24],
    ['cron(0 0 1,20 * ? *)', 9 * 24],
    ['cron(0 0 30,31 * ? *)', 24],
    ['cron(0 4 1 1/3 ? *)', undefined],
    ['cron(0 4 L * ? *)', undefined],
    ['cron(0 4 ? * 2#1 *)', undefined],
  ])('GIVEN %s WHEN its shortest gap is read THEN two windows open %s hours apart at the least', (expression, hours) => {
    expect(shortestRotationGap(KeyRotationSchedule.expression(expression))?.toHours()).toBe(hours);
  });

  test('GIVEN hours 1 and 22 on Mondays only WHEN the schedule is made THEN it is accepted: the days are not consecutive', () => {
    expect(() => KeyRotationSchedule.expression('cron(0 1,22 ? * MON *)')).not.toThrow();
  });
});

describe('RotatingAccessKey', () => {
  test.each<[string, RotatingAccessKeyOptions, string]>([
    ['deactivateAfter of zero', { deactivateAfter: Duration.seconds(0) }, 'deactivateAfter (Python: deactivate_after) must be from 1 hour to 1000 days, got 0 seconds'],
    ['deactivateAfter of 30 minutes', { deactivateAfter: Duration.minutes(30) }, 'deactivateAfter (Python: deactivate_after) must be from 1 hour to 1000 days, got 30 minutes'],
    ['deactivateAfter of 1001 days', { deactivateAfter: Duration.days(1001) }, 'deactivateAfter (Python: deactivate_after) must be from 1 hour to 1000 days, got 1001 days'],
    ['deleteAfter of zero', { deleteAfter: Duration.seconds(0) }, 'deleteAfter (Python: delete_after) must be from 1 hour to 1000 days, got 0 seconds'],
    ['deleteAfter of 1200 days', { deleteAfter: Duration.days(1200) }, 'deleteAfter (Python: delete_after) must be from 1 hour to 1000 days, got 1200 days'],
    ['postponing 91 days', { postponeDeactivationWhileInUse: Duration.days(91) }, 'postponeDeactivationWhileInUse (Python: postpone_deactivation_while_in_use) must be at most 90 days, got 91 days'],
    ['a 30-minute window', { rotationWindow: Duration.minutes(30) }, 'rotationWindow (Python: rotation_window) must be 1 to 24 whole hours, got 30 minutes'],
    ['a 25-hour window', { rotationWindow: Duration.hours(25) }, 'rotationWindow (Python: rotation_window) must be 1 to 24 whole hours, got 1 day 1 hour'],
    ['a 90-minute window', { rotationWindow: Duration.minutes(90) }, 'rotationWindow (Python: rotation_window) must be 1 to 24 whole hours, got 1 hour 30 minutes'],
    ['a window longer than the interval', { schedule: KeyRotationSchedule.every(Duration.hours(6)), rotationWindow: Duration.hours(7) },
      "rotationWindow (Python: rotation_window) of 7 hours must not extend into the next rotation window: 'rate(6 hours)' opens one every 6 hours; "
      + 'shorten rotationWindow to at most 6 hours'],
    ['a window crossing midnight UTC', { schedule: KeyRotationSchedule.expression('cron(0 20 ? * SUN *)'), rotationWindow: Duration.hours(6) },
      "rotationWindow (Python: rotation_window) of 6 hours must end by midnight UTC: 'cron(0 20 ? * SUN *)' opens a window at 20:00 UTC, and Secrets Manager refuses "
      + 'a window that extends into the next UTC day; shorten rotationWindow to at most 4 hours, or open it earlier'],
    ['a window crossing midnight from the last of two daily hours', { schedule: KeyRotationSchedule.expression('cron(0 4/12 * * ? *)'), rotationWindow: Duration.hours(9) },
      "rotationWindow (Python: rotation_window) of 9 hours must end by midnight UTC: 'cron(0 4/12 * * ? *)' opens a window at 16:00 UTC"],
    ['a window into the next one of the same day', { schedule: KeyRotationSchedule.expression('cron(0 0,6 * * ? *)'), rotationWindow: Duration.hours(7) },
      "rotationWindow (Python: rotation_window) of 7 hours must not extend into the next rotation window: 'cron(0 0,6 * * ? *)' opens windows 6 hours apart; "
      + 'shorten rotationWindow to at most 6 hours'],
    ['a secret name with a space', { secretName: 'access keys/bob' },
      "secretName (Python: secret_name) must be 1 to 512 letters, digits or /_+=.@- characters, got 'access keys/bob'"],
    ['a secret name of 513 characters', { secretName: 'a'.repeat(513) }, 'secretName (Python: secret_name) must be 1 to 512'],
    ['RemovalPolicy.SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      'removalPolicy (Python: removal_policy) must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got snapshot'],
  ])('GIVEN %s WHEN a RotatingAccessKey is made THEN it is refused, naming the prop and the value', (_, options, message) => {
    expect(() => keyWith(options)).toThrow(message);
  });

  // Windows as long as the time between two openings leave no room for the old key's timeline (the next test block):
  // the window check alone is asked here.
  test.each<[string, KeyRotationSchedule, number]>([
    ['a window as long as a rate in hours', KeyRotationSchedule.every(Duration.hours(6)), 6],
    ['a whole-day window on a rate in days', KeyRotationSchedule.every(Duration.days(1)), 24],
    ['a whole-day window from midnight', KeyRotationSchedule.expression('cron(0 0 * * ? *)'), 24],
    ['a window ending at midnight', KeyRotationSchedule.expression('cron(0 4/12 * * ? *)'), 8],
  ])('GIVEN %s WHEN the rotation window is checked THEN it is accepted, as Secrets Manager accepts it', (_, schedule, hours) => {
    expect(rotationWindowProblem(schedule, hours)).toBeUndefined();
  });

  test('GIVEN a rotator of another stack WHEN a RotatingAccessKey is made with it THEN it is refused', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared');
    const other = new Stack(app, 'Other');
    const rotator = new AccessKeyRotator(shared, 'Rotator');
    expect(() => new RotatingAccessKey(other, 'Key', { user: iam.User.fromUserName(other, 'U', 'bob'), rotator }))
      .toThrow("register: the secret must be in the rotator's stack Shared, got one in Other");
  });

  test('GIVEN settings as tokens WHEN the construct is made THEN they are not judged yet', () => {
    const lazy = (n: number) => Duration.seconds(Lazy.number({ produce: () => n }));
    const hours = Duration.hours(Lazy.number({ produce: () => 99 }));
    expect(() => keyWith({ deactivateAfter: lazy(0), deleteAfter: lazy(0), rotationWindow: hours, secretName: Lazy.string({ produce: () => 'x y' }) }))
      .not.toThrow();
  });

  test('GIVEN a secret name as a token WHEN synthesized THEN it is left for CloudFormation to judge', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
    new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob'), secretName: Lazy.string({ produce: () => 'x y' }) });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('RotatingAccessKeyUser', () => {
  test.each<[string, RotatingAccessKeyUserProps, string]>([
    ['a user name with a space', { userName: 'backup server' }, "userName (Python: user_name) must be 1 to 64 letters, digits or +=,.@_- characters, got 'backup server'"],
    ['a user name of 65 characters', { userName: 'u'.repeat(65) }, 'userName (Python: user_name) must be 1 to 64'],
    ['a path without slashes', { path: 'service' }, "path must start and end with '/' and hold at most 512 printable characters, got 'service'"],
    ['a path with a space', { path: '/my service/' }, "got '/my service/'"],
    ['a lifecycle prop of the key', { deleteAfter: Duration.minutes(1) }, 'deleteAfter (Python: delete_after) must be from 1 hour to 1000 days, got 1 minute'],
  ])('GIVEN %s WHEN a RotatingAccessKeyUser is made THEN it is refused', (_, props, message) => {
    expect(() => new RotatingAccessKeyUser(newStack(), 'Svc', props)).toThrow(message);
  });
});

describe('AccessKeyRotator', () => {
  test.each<[string, (stack: Stack) => AccessKeyRotatorProps, string]>([
    ['no concurrency', () => ({ lifecycleConcurrency: 0 }), 'lifecycleConcurrency (Python: lifecycle_concurrency) must be a whole number from 1 to 20, got 0'],
    ['concurrency 21', () => ({ lifecycleConcurrency: 21 }), 'lifecycleConcurrency (Python: lifecycle_concurrency) must be a whole number from 1 to 20, got 21'],
    ['fractional concurrency', () => ({ lifecycleConcurrency: 2.5 }), 'lifecycleConcurrency (Python: lifecycle_concurrency) must be a whole number from 1 to 20, got 2.5'],
    ['a 30-second timeout', () => ({ timeout: Duration.seconds(30) }), 'timeout must be from 1 to 15 minutes, got 30 seconds'],
    ['a 16-minute timeout', () => ({ timeout: Duration.minutes(16) }), 'timeout must be from 1 to 15 minutes, got 16 minutes'],
    ['subnets without a VPC', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
      'vpcSubnets (Python: vpc_subnets) needs vpc: the function is placed in a VPC only when vpc is set'],
    ['security groups without a VPC', (stack) => ({
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-12345678')],
    }), 'securityGroups (Python: security_groups) needs vpc'],
  ])('GIVEN %s WHEN an AccessKeyRotator is made THEN it is refused', (_, props, message) => {
    const stack = newStack();
    expect(() => new AccessKeyRotator(stack, 'Rotator', props(stack))).toThrow(message);
  });

  test('GIVEN configure before the first key WHEN keys name no rotator THEN they use the configured rotator, and of() finds it', () => {
    const stack = newStack();
    const rotator = AccessKeyRotator.configure(stack, { lifecycleConcurrency: 8 });
    const key = new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob') });
    const user = new RotatingAccessKeyUser(stack, 'Svc');

    expect(rotator.node.path).toBe(`Stack/${AccessKeyRotator.ID}`);
    expect([key.rotator, user.accessKey.rotator, AccessKeyRotator.of(stack)]).toEqual([rotator, rotator, rotator]);
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  const SHARED_EXISTS = 'the stack Stack already has its shared AccessKeyRotator (Stack/AccessKeyRotator), created with default properties by its '
    + 'first RotatingAccessKey or RotatingAccessKeyUser, or by an earlier call: call AccessKeyRotator.configure(stack, props) once, '
    + 'before the first RotatingAccessKey of the stack';

  test.each<[string, (stack: Stack) => void]>([
    ['configure', (stack) => AccessKeyRotator.configure(stack, { lifecycleConcurrency: 8 })],
    ['new AccessKeyRotator with the shared id', (stack) => new AccessKeyRotator(stack, AccessKeyRotator.ID, { lifecycleConcurrency: 8 })],
  ])('GIVEN a key already made WHEN the shared rotator is configured with %s THEN it is refused, saying to configure it before the first key', (_, configure) => {
    const stack = newStack();
    new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob') });
    expect(() => configure(stack)).toThrow(SHARED_EXISTS);
  });

  test('GIVEN configure called twice WHEN the second call runs THEN it is refused', () => {
    const stack = newStack();
    AccessKeyRotator.configure(stack);
    expect(() => AccessKeyRotator.configure(stack, { lifecycleConcurrency: 8 })).toThrow(SHARED_EXISTS);
  });

  test('GIVEN a rotator configured under another id WHEN the keys name no rotator THEN the synthesis fails: it serves nothing, the keys use the default one', () => {
    const stack = newStack();
    new AccessKeyRotator(stack, 'Rotator', { lifecycleConcurrency: 8 });
    new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob') });
    expect(() => Template.fromStack(stack)).toThrow(
      'the AccessKeyRotator Stack/Rotator serves no rotating access key: the keys of this stack that name no rotator use its shared rotator '
      + 'Stack/AccessKeyRotator, not this one. To configure the shared rotator, call AccessKeyRotator.configure(stack, props) before the first '
      + 'RotatingAccessKey or RotatingAccessKeyUser of the stack; to use this rotator, pass it as their rotator prop; otherwise remove it');
  });

  test('GIVEN a configured rotator and no key WHEN synthesized THEN the synthesis fails: it serves no rotating access key', () => {
    const stack = newStack();
    AccessKeyRotator.configure(stack);
    expect(() => Template.fromStack(stack)).toThrow(
      "the stack's shared AccessKeyRotator Stack/AccessKeyRotator serves no rotating access key: no RotatingAccessKey or RotatingAccessKeyUser "
      + 'of the stack uses it; add one, or remove the rotator (the first key of a stack creates it)');
  });

  test('GIVEN a second rotator that keys pass as their rotator prop, beside the shared one WHEN synthesized THEN both serve keys and nothing fails', () => {
    const stack = newStack();
    const inVpc = new AccessKeyRotator(stack, 'InVpc', { lifecycleConcurrency: 2 });
    const special = new RotatingAccessKey(stack, 'Special', { user: iam.User.fromUserName(stack, 'S', 'special'), rotator: inVpc });
    const usual = new RotatingAccessKey(stack, 'Usual', { user: iam.User.fromUserName(stack, 'U', 'usual') });

    expect(special.rotator).toBe(inVpc);
    expect(usual.rotator).toBe(AccessKeyRotator.of(stack));
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 2);
  });

  test('GIVEN a rotator made under another id in a stack without keys WHEN synthesized THEN the synthesis fails, saying how to configure the shared one', () => {
    const stack = newStack();
    new AccessKeyRotator(stack, 'Rotator');
    expect(() => Template.fromStack(stack)).toThrow(
      "the AccessKeyRotator Stack/Rotator serves no rotating access key: keys that name no rotator use the stack's shared rotator, not this one. "
      + 'To configure the shared rotator, call AccessKeyRotator.configure(stack, props)');
  });

  test('GIVEN a stack child named AccessKeyRotator that is something else WHEN the shared rotator is looked up THEN it is refused', () => {
    const stack = newStack();
    new iam.Role(stack, AccessKeyRotator.ID, { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => AccessKeyRotator.of(stack)).toThrow("the stack's child 'AccessKeyRotator' is not an AccessKeyRotator");
  });
});

describe('one user, one rotating-key construct, across the app', () => {
  const US = { account: '123456789012', region: 'us-east-1' };
  const SAME_USER = (user: string, first: string, second: string) => `${user} has rotating access keys from both ${first} and ${second}: `
    + "one user's keys can be rotated by one construct only (IAM allows two keys per user, and each rotation would take the other's key "
    + 'for a foreign one); keep one, and let the other consumers read its secret with grantRead (Python: grant_read)';
  const byName = (stack: Stack, id: string, name: string) => new RotatingAccessKey(stack, id, { user: iam.User.fromUserName(stack, `${id}User`, name) });
  const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('sameUserName'));

  test('GIVEN two RotatingAccessKeys for one user name in a stack WHEN synthesized THEN it is refused, naming the user and both constructs', () => {
    const stack = newStack();
    byName(stack, 'First', 'bob');
    byName(stack, 'Second', 'bob');
    expect(() => Template.fromStack(stack)).toThrow(SAME_USER("the user 'bob' of account 123456789012", 'Stack/First', 'Stack/Second'));
  });

  test('GIVEN one created user given to two RotatingAccessKeys WHEN synthesized THEN it is refused, naming the user construct', () => {
    const stack = newStack();
    const user = new iam.User(stack, 'Ci');
    new RotatingAccessKey(stack, 'First', { user });
    new RotatingAccessKey(stack, 'Second', { user });
    expect(() => Template.fromStack(stack)).toThrow(SAME_USER('the user Stack/Ci of account 123456789012', 'Stack/First', 'Stack/Second'));
  });

  test('GIVEN a RotatingAccessKeyUser named ci and a RotatingAccessKey for ci WHEN synthesized THEN it is refused', () => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'Ci', { userName: 'ci' });
    byName(stack, 'Again', 'ci');
    expect(() => Template.fromStack(stack)).toThrow(SAME_USER("the user 'ci' of account 123456789012", 'Stack/Ci/AccessKey', 'Stack/Again'));
  });

  test('GIVEN names that differ in case only WHEN synthesized THEN it is refused: IAM user names are case-insensitive', () => {
    const stack = newStack();
    byName(stack, 'First', 'Bob');
    byName(stack, 'Second', 'bob');
    expect(() => Template.fromStack(stack)).toThrow(SAME_USER("the user 'bob' of account 123456789012", 'Stack/First', 'Stack/Second'));
  });

  test('GIVEN the user by name in one stack and by ARN with a path in another stack of the account (another region) WHEN synthesized THEN it is refused', () => {
    const app = new App();
    const a = new Stack(app, 'A', { env: US });
    const b = new Stack(app, 'B', { env: { account: US.account, region: 'eu-west-1' } });
    byName(a, 'Nas', 'nas-sync');
    new RotatingAccessKey(b, 'Nas', { user: iam.User.fromUserArn(b, 'NasUser', 'arn:aws:iam::123456789012:user/onprem/nas-sync') });
    expect(() => app.synth()).toThrow(SAME_USER("the user 'nas-sync' of account 123456789012", 'A/Nas', 'B/Nas'));
  });

  test('GIVEN one user name in stacks of two accounts WHEN synthesized THEN both are accepted: they are two users', () => {
    const app = new App();
    const a = new Stack(app, 'A', { env: US });
    const b = new Stack(app, 'B', { env: { account: '210987654321', region: 'us-east-1' } });
    byName(a, 'Bob', 'bob');
    byName(b, 'Bob', 'bob');
    expect(() => app.synth()).not.toThrow();
    expect([...warningsOf(a), ...warningsOf(b)]).toEqual([]);
  });

  test('GIVEN one user name twice in one env-agnostic stack WHEN synthesized THEN it is refused: one stack is one account', () => {
    const stack = new Stack(new App(), 'Agnostic');
    byName(stack, 'First', 'bob');
    byName(stack, 'Second', 'bob');
    expect(() => Template.fromStack(stack)).toThrow(SAME_USER("the user 'bob'", 'Agnostic/First', 'Agnostic/Second'));
  });

  test('GIVEN one user name in two env-agnostic stacks WHEN synthesized THEN it is a warning, which can be acknowledged', () => {
    const app = new App();
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    byName(a, 'Bob', 'bob');
    byName(b, 'Bob', 'bob');
    const found = warningsOf(b);
    expect(found.map((w) => [w.id, String(w.entry.data)])).toEqual([['/B/Bob', expect.stringContaining(
      "the user 'bob' also has rotating access keys from A/Bob, in a stack whose account is not known at synth: if both stacks deploy "
      + "to one account, they rotate one user's keys twice and fight over them; keep one, or acknowledge this warning")]]);

    const acknowledged = new App();
    byName(new Stack(acknowledged, 'A'), 'Bob', 'bob');
    const other = new Stack(acknowledged, 'B');
    byName(other, 'Bob', 'bob');
    CdkAnnotations.of(other).acknowledgeWarning('cdk-rotating-access-keys:sameUserName', 'A and B deploy to different accounts');
    expect(warningsOf(other)).toEqual([]);
  });

  test('GIVEN users whose names are generated WHEN synthesized THEN they are not compared', () => {
    const stack = newStack();
    new RotatingAccessKeyUser(stack, 'One');
    new RotatingAccessKeyUser(stack, 'Two');
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

describe('the old key\'s timeline fits between two rotations', () => {
  // IAM allows two keys per user: the next rotation deletes whatever old key is still there. From its supersession to its deletion
  // the old key needs up to deactivateAfter + postponement + deleteAfter + two lifecycle periods (each transition waits for a run).
  const WEEKLY: RotatingAccessKeyOptions = {
    schedule: KeyRotationSchedule.expression('cron(0 1 ? * SUN *)'),
    rotationWindow: Duration.hours(4),
    deactivateAfter: Duration.days(3),
    postponeDeactivationWhileInUse: Duration.days(2),
  };
  const timelineWarnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('timeline|supersession'))
    .map((w) => String(w.entry.data));
  const made = (options: RotatingAccessKeyOptions, rotatorProps?: AccessKeyRotatorProps) => {
    const stack = newStack();
    if (rotatorProps) AccessKeyRotator.configure(stack, rotatorProps);
    new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob'), ...options });
    return stack;
  };

  test('GIVEN the defaults (every 30 days; 7 days, then 14) WHEN made THEN they fit, with no warning', () => {
    expect(timelineWarnings(made({}))).toEqual([]);
    expect(() => new RotatingAccessKeyUser(newStack(), 'Svc')).not.toThrow();
  });

  test('GIVEN a weekly rotation with a 4-hour window, 3 days of grace, 2 of postponement and the default 14 days of retention WHEN made '
    + 'THEN it is refused, naming each prop and value, the window, and the largest deleteAfter that fits', () => {
    expect(() => made(WEEKLY)).toThrow("the old key's timeline does not fit between two rotations of 'cron(0 1 ? * SUN *)': it needs up to "
      + 'deactivateAfter (Python: deactivate_after) 3 days + postponeDeactivationWhileInUse (Python: postpone_deactivation_while_in_use) 2 days + deleteAfter (Python: delete_after) 14 days by default + 2 lifecycle periods (1 hour each) '
      + '= 19 days 2 hours from its supersession to its deletion, but two rotations can be 6 days 20 hours apart (7 days between rotation windows, '
      + 'less rotationWindow (Python: rotation_window) of 4 hours), and the next rotation deletes the old key early to make room for the new one (IAM allows two keys per user); '
      + 'set deleteAfter to at most Duration.hours(42) (1 day 18 hours), or shorten deactivateAfter or postponeDeactivationWhileInUse, or rotate less often');
  });

  test('GIVEN deleteAfter exactly at the limit WHEN made THEN it fits; one hour more THEN it is refused', () => {
    expect(timelineWarnings(made({ ...WEEKLY, deleteAfter: Duration.hours(42) }))).toEqual([]);
    expect(() => made({ ...WEEKLY, deleteAfter: Duration.hours(43) })).toThrow('deleteAfter (Python: delete_after) 1 day 19 hours + 2 lifecycle periods (1 hour each) = 6 days 21 hours');
  });

  test('GIVEN a longer rotationWindow WHEN made THEN it counts: one hour more of window, one hour less of deleteAfter', () => {
    expect(() => made({ ...WEEKLY, rotationWindow: Duration.hours(5), deleteAfter: Duration.hours(42) }))
      .toThrow('less rotationWindow (Python: rotation_window) of 5 hours), and the next rotation deletes the old key early to make room for the new one (IAM allows two keys per user); '
        + 'set deleteAfter to at most Duration.hours(41)');
  });

  test.each<[string, RotatingAccessKeyOptions, string]>([
    ['every 30 days, no window: the rest of the UTC day, counted as 24 hours', { deleteAfter: Duration.hours(527) },
      "less Secrets Manager's default rotation window of 24 hours), and the next rotation deletes the old key early to make room for the new one (IAM allows "
      + 'two keys per user); set deleteAfter to at most Duration.hours(526)'],
    ['every 12 hours, no window: one hour', { schedule: KeyRotationSchedule.every(Duration.hours(12)), deactivateAfter: Duration.hours(4), deleteAfter: Duration.hours(6) },
      "two rotations can be 11 hours apart (12 hours between rotation windows, less Secrets Manager's default rotation window of 1 hour)"],
    ['a daily cron at 01:00, no window: until midnight UTC', { schedule: KeyRotationSchedule.expression('cron(0 1 * * ? *)') },
      "two rotations can be 1 hour apart (1 day between rotation windows, less Secrets Manager's default rotation window of 23 hours)"],
  ])('GIVEN %s WHEN made THEN Secrets Manager\'s default window counts', (_, options, message) => {
    expect(() => made(options)).toThrow(message);
  });

  test('GIVEN every 30 days with a 1-hour window WHEN deleteAfter is 23 hours longer THEN it fits, as the window is 23 hours shorter than the default', () => {
    expect(timelineWarnings(made({ rotationWindow: Duration.hours(1), deleteAfter: Duration.hours(549) }))).toEqual([]);
    expect(() => made({ rotationWindow: Duration.hours(1), deleteAfter: Duration.hours(550) })).toThrow('set deleteAfter to at most Duration.hours(549)');
  });

  test('GIVEN one more hour of postponeDeactivationWhileInUse WHEN made THEN it counts: one hour less of deleteAfter', () => {
    expect(() => made({ ...WEEKLY, postponeDeactivationWhileInUse: Duration.hours(49), deleteAfter: Duration.hours(42) }))
      .toThrow('postponeDeactivationWhileInUse (Python: postpone_deactivation_while_in_use) 2 days 1 hour');
    expect(() => made({ ...WEEKLY, postponeDeactivationWhileInUse: Duration.hours(49), deleteAfter: Duration.hours(42) }))
      .toThrow('set deleteAfter to at most Duration.hours(41)');
  });

  test.each<[string, AccessKeyRotatorProps, string]>([
    ['every 6 hours', { lifecycleSchedule: events.Schedule.rate(Duration.hours(6)) }, '2 lifecycle periods (6 hours each)'],
    ['every 6 hours', { lifecycleSchedule: events.Schedule.rate(Duration.hours(6)) }, 'set deleteAfter to at most Duration.hours(32)'],
    ['every 20 hours', { lifecycleSchedule: events.Schedule.rate(Duration.hours(20)) }, 'set deleteAfter to at most Duration.hours(4),'],
  ])('GIVEN the rotator\'s lifecycle runs %s WHEN made THEN its period counts, twice', (_, rotatorProps, message) => {
    expect(() => made({ ...WEEKLY, deleteAfter: Duration.hours(42) }, rotatorProps)).toThrow(message);
  });

  test('GIVEN a lifecycle every 30 minutes WHEN deleteAfter is one hour longer THEN it fits', () => {
    const halfHourly = { lifecycleSchedule: events.Schedule.rate(Duration.minutes(30)) };
    expect(timelineWarnings(made({ ...WEEKLY, deleteAfter: Duration.hours(43) }, halfHourly))).toEqual([]);
  });

  test('GIVEN a rotator passed as a prop, its lifecycle every 12 hours WHEN made THEN that rotator\'s period counts', () => {
    const stack = newStack();
    const rotator = new AccessKeyRotator(stack, 'Slow', { lifecycleSchedule: events.Schedule.rate(Duration.hours(12)) });
    expect(() => new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'bob'), rotator, ...WEEKLY, deleteAfter: Duration.hours(42) }))
      .toThrow('2 lifecycle periods (12 hours each)');
  });

  test.each<[string, RotatingAccessKeyOptions, string]>([
    ['rotations on Mondays and Fridays (3 days apart at the least, 7 at the most)',
      { schedule: KeyRotationSchedule.expression('cron(0 1 ? * MON,FRI *)'), rotationWindow: Duration.hours(4), deactivateAfter: Duration.days(1), deleteAfter: Duration.days(2) },
      'two rotations can be 2 days 20 hours apart (3 days between rotation windows, less rotationWindow (Python: rotation_window) of 4 hours)'],
    ['rotations at 01:00 and 13:00 on Sundays',
      { schedule: KeyRotationSchedule.expression('cron(0 1,13 ? * SUN *)'), deactivateAfter: Duration.hours(4), deleteAfter: Duration.hours(6) },
      "two rotations can be 11 hours apart (12 hours between rotation windows, less Secrets Manager's default rotation window of 1 hour)"],
    ['rotations on the 1st and the 20th (9 days apart, from the 20th of February to the 1st of March)',
      { schedule: KeyRotationSchedule.expression('cron(0 0 1,20 * ? *)'), rotationWindow: Duration.hours(1), deactivateAfter: Duration.days(3), deleteAfter: Duration.days(9) },
      '(9 days between rotation windows, less rotationWindow (Python: rotation_window) of 1 hour)'],
    ['a grace period as long as the interval, which keeps two keys active all the time',
      { schedule: KeyRotationSchedule.every(Duration.days(7)), deactivateAfter: Duration.days(7) },
      'even the shortest deleteAfter (1 hour) does not fit'],
  ])('GIVEN %s WHEN made THEN the shortest time between two rotations counts', (_, options, message) => {
    expect(() => made(options)).toThrow(message);
  });

  test('GIVEN a grace period and postponement that leave no room for even the shortest deleteAfter WHEN made THEN the message names the largest deactivateAfter', () => {
    expect(() => made({ ...WEEKLY, deactivateAfter: Duration.days(5), deleteAfter: Duration.hours(1) }))
      .toThrow('even the shortest deleteAfter (1 hour) does not fit: set deleteAfter to 1 hour and deactivateAfter to at most Duration.hours(113) (4 days 17 hours), '
        + 'or rotate less often');
  });

  test.each<[string, RotatingAccessKeyOptions]>([
    ['every 4 hours with the default 1-hour window', { schedule: KeyRotationSchedule.every(Duration.hours(4)), deactivateAfter: Duration.hours(1), deleteAfter: Duration.hours(1) }],
    ['every day with the default window, the whole UTC day', { schedule: KeyRotationSchedule.every(Duration.days(1)), deactivateAfter: Duration.hours(1), deleteAfter: Duration.hours(1) }],
  ])('GIVEN %s WHEN made THEN it is refused: no deactivateAfter and deleteAfter fit', (_, options) => {
    expect(() => made(options)).toThrow('no deactivateAfter and deleteAfter fit, as each is at least 1 hour: rotate less often');
  });

  test('GIVEN every day with a 4-hour window, 8 hours of grace and 10 of retention WHEN made THEN it fits', () => {
    expect(timelineWarnings(made({
      schedule: KeyRotationSchedule.every(Duration.days(1)),
      rotationWindow: Duration.hours(4),
      deactivateAfter: Duration.hours(8),
      deleteAfter: Duration.hours(10),
    }))).toEqual([]);
  });

  test('GIVEN a cron whose spacing cannot be told WHEN made THEN it is a warning naming what the old key needs, which can be acknowledged', () => {
    const stack = made({ schedule: KeyRotationSchedule.expression('cron(0 4 1 1/3 ? *)') });
    expect(timelineWarnings(stack)).toEqual([
      "cannot tell how close two rotations of 'cron(0 4 1 1/3 ? *)' can be: make sure that deactivateAfter (Python: deactivate_after) 7 days by default + deleteAfter (Python: delete_after) 14 days by default "
      + '+ 2 lifecycle periods (1 hour each) = 21 days 2 hours, what the old key needs from its supersession to its deletion, is at most the time between '
      + 'two rotations; otherwise the next rotation deletes the old key early to make room for the new one (IAM allows two keys per user) '
      + '[ack: cdk-rotating-access-keys:timelineUnchecked]',
    ]);
    const key = stack.node.findChild('Key');
    CdkAnnotations.of(key).acknowledgeWarning('cdk-rotating-access-keys:timelineUnchecked', 'rotations are three months apart');
    expect(timelineWarnings(stack)).toEqual([]);
  });

  test('GIVEN a lifecycle schedule that is a cron WHEN made THEN it is a warning: its period cannot be told', () => {
    const stack = made({ ...WEEKLY, deleteAfter: Duration.hours(42) }, { lifecycleSchedule: events.Schedule.cron({ minute: '0' }) });
    expect(timelineWarnings(stack)).toEqual([expect.stringContaining(
      "cannot tell how often the lifecycle runs (the schedule of Stack/AccessKeyRotator, 'cron(0 * * * ? *)', is not a rate): make sure that deactivateAfter (Python: deactivate_after) 3 days "
      + '+ postponeDeactivationWhileInUse (Python: postpone_deactivation_while_in_use) 2 days + deleteAfter (Python: delete_after) 1 day 18 hours = 6 days 18 hours, plus twice the time between two lifecycle runs, what the old '
      + "key needs from its supersession to its deletion, is at most 6 days 20 hours, how close two rotations of 'cron(0 1 ? * SUN *)' can be; otherwise")]);
  });

  test('GIVEN a lifecycle schedule that is a cron and a timeline too long even without it WHEN made THEN it is refused', () => {
    expect(() => made(WEEKLY, { lifecycleSchedule: events.Schedule.cron({ minute: '0' }) })).toThrow(
      'deleteAfter (Python: delete_after) 14 days by default = 19 days, plus twice the time between two lifecycle runs from its supersession to its deletion, '
      + 'but two rotations can be 6 days 20 hours apart');
    expect(() => made(WEEKLY, { lifecycleSchedule: events.Schedule.cron({ minute: '0' }) }))
      .toThrow('set deleteAfter to at most Duration.hours(44) (1 day 20 hours) less twice the time between two lifecycle runs');
  });

  test('GIVEN the durations as tokens WHEN made THEN the timeline is not judged', () => {
    const lazy = (d: Duration) => Duration.seconds(Lazy.number({ produce: () => d.toSeconds() }));
    for (const options of [
      { ...WEEKLY, deleteAfter: lazy(Duration.days(14)) },
      { ...WEEKLY, deactivateAfter: lazy(Duration.days(3)) },
      { ...WEEKLY, postponeDeactivationWhileInUse: lazy(Duration.days(2)) },
      { ...WEEKLY, rotationWindow: Duration.hours(Lazy.number({ produce: () => 4 })) },
    ]) {
      expect(timelineWarnings(made(options))).toEqual([]);
    }
  });

  test('GIVEN a RotatingAccessKeyUser with the weekly timeline WHEN made THEN it is refused too', () => {
    expect(() => new RotatingAccessKeyUser(newStack(), 'Svc', WEEKLY)).toThrow("the old key's timeline does not fit between two rotations of 'cron(0 1 ? * SUN *)'");
  });
});
