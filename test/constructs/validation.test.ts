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
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AccessKeyRotator, AccessKeyRotatorProps, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyOptions,
  RotatingAccessKeyUser, RotatingAccessKeyUserProps,
} from '../../src';

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

  test('GIVEN hours 1 and 22 on Mondays only WHEN the schedule is made THEN it is accepted: the days are not consecutive', () => {
    expect(() => KeyRotationSchedule.expression('cron(0 1,22 ? * MON *)')).not.toThrow();
  });
});

describe('RotatingAccessKey', () => {
  test.each<[string, RotatingAccessKeyOptions, string]>([
    ['deactivateAfter of zero', { deactivateAfter: Duration.seconds(0) }, 'deactivateAfter must be from 1 hour to 1000 days, got 0 seconds'],
    ['deactivateAfter of 30 minutes', { deactivateAfter: Duration.minutes(30) }, 'deactivateAfter must be from 1 hour to 1000 days, got 30 minutes'],
    ['deactivateAfter of 1001 days', { deactivateAfter: Duration.days(1001) }, 'deactivateAfter must be from 1 hour to 1000 days, got 1001 days'],
    ['deleteAfter of zero', { deleteAfter: Duration.seconds(0) }, 'deleteAfter must be from 1 hour to 1000 days, got 0 seconds'],
    ['deleteAfter of 1200 days', { deleteAfter: Duration.days(1200) }, 'deleteAfter must be from 1 hour to 1000 days, got 1200 days'],
    ['postponing 91 days', { postponeDeactivationWhileInUse: Duration.days(91) }, 'postponeDeactivationWhileInUse must be at most 90 days, got 91 days'],
    ['a 30-minute window', { rotationWindow: Duration.minutes(30) }, 'rotationWindow must be 1 to 24 whole hours, got 30 minutes'],
    ['a 25-hour window', { rotationWindow: Duration.hours(25) }, 'rotationWindow must be 1 to 24 whole hours, got 1 day 1 hour'],
    ['a 90-minute window', { rotationWindow: Duration.minutes(90) }, 'rotationWindow must be 1 to 24 whole hours, got 1 hour 30 minutes'],
    ['a window longer than the interval', { schedule: KeyRotationSchedule.every(Duration.hours(6)), rotationWindow: Duration.hours(7) },
      "rotationWindow (7 hours) must not extend into the next rotation window: 'rate(6 hours)' opens one every 6 hours; "
      + 'shorten rotationWindow to at most 6 hours'],
    ['a window crossing midnight UTC', { schedule: KeyRotationSchedule.expression('cron(0 20 ? * SUN *)'), rotationWindow: Duration.hours(6) },
      "rotationWindow (6 hours) must end by midnight UTC: 'cron(0 20 ? * SUN *)' opens a window at 20:00 UTC, and Secrets Manager refuses "
      + 'a window that extends into the next UTC day; shorten rotationWindow to at most 4 hours, or open it earlier'],
    ['a window crossing midnight from the last of two daily hours', { schedule: KeyRotationSchedule.expression('cron(0 4/12 * * ? *)'), rotationWindow: Duration.hours(9) },
      "rotationWindow (9 hours) must end by midnight UTC: 'cron(0 4/12 * * ? *)' opens a window at 16:00 UTC"],
    ['a window into the next one of the same day', { schedule: KeyRotationSchedule.expression('cron(0 0,6 * * ? *)'), rotationWindow: Duration.hours(7) },
      "rotationWindow (7 hours) must not extend into the next rotation window: 'cron(0 0,6 * * ? *)' opens windows 6 hours apart; "
      + 'shorten rotationWindow to at most 6 hours'],
    ['a secret name with a space', { secretName: 'access keys/bob' },
      "secretName must be 1 to 512 letters, digits or /_+=.@- characters, got 'access keys/bob'"],
    ['a secret name of 513 characters', { secretName: 'a'.repeat(513) }, 'secretName must be 1 to 512'],
    ['RemovalPolicy.SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      'removalPolicy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got snapshot'],
  ])('GIVEN %s WHEN a RotatingAccessKey is made THEN it is refused, naming the prop and the value', (_, options, message) => {
    expect(() => keyWith(options)).toThrow(message);
  });

  test.each<[string, RotatingAccessKeyOptions]>([
    ['a window as long as a rate in hours', { schedule: KeyRotationSchedule.every(Duration.hours(6)), rotationWindow: Duration.hours(6) }],
    ['a whole-day window on a rate in days', { schedule: KeyRotationSchedule.every(Duration.days(1)), rotationWindow: Duration.hours(24) }],
    ['a whole-day window from midnight', { schedule: KeyRotationSchedule.expression('cron(0 0 * * ? *)'), rotationWindow: Duration.hours(24) }],
    ['a window ending at midnight', { schedule: KeyRotationSchedule.expression('cron(0 4/12 * * ? *)'), rotationWindow: Duration.hours(8) }],
  ])('GIVEN %s WHEN a RotatingAccessKey is made THEN it is accepted, as Secrets Manager accepts it', (_, options) => {
    expect(() => keyWith(options)).not.toThrow();
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
    ['a user name with a space', { userName: 'backup server' }, "userName must be 1 to 64 letters, digits or +=,.@_- characters, got 'backup server'"],
    ['a user name of 65 characters', { userName: 'u'.repeat(65) }, 'userName must be 1 to 64'],
    ['a path without slashes', { path: 'service' }, "path must start and end with '/' and hold at most 512 printable characters, got 'service'"],
    ['a path with a space', { path: '/my service/' }, "got '/my service/'"],
    ['a lifecycle prop of the key', { deleteAfter: Duration.minutes(1) }, 'deleteAfter must be from 1 hour to 1000 days, got 1 minute'],
  ])('GIVEN %s WHEN a RotatingAccessKeyUser is made THEN it is refused', (_, props, message) => {
    expect(() => new RotatingAccessKeyUser(newStack(), 'Svc', props)).toThrow(message);
  });
});

describe('AccessKeyRotator', () => {
  test.each<[string, (stack: Stack) => AccessKeyRotatorProps, string]>([
    ['no concurrency', () => ({ lifecycleConcurrency: 0 }), 'lifecycleConcurrency must be a whole number from 1 to 20, got 0'],
    ['concurrency 21', () => ({ lifecycleConcurrency: 21 }), 'lifecycleConcurrency must be a whole number from 1 to 20, got 21'],
    ['fractional concurrency', () => ({ lifecycleConcurrency: 2.5 }), 'lifecycleConcurrency must be a whole number from 1 to 20, got 2.5'],
    ['a 30-second timeout', () => ({ timeout: Duration.seconds(30) }), 'timeout must be from 1 to 15 minutes, got 30 seconds'],
    ['a 16-minute timeout', () => ({ timeout: Duration.minutes(16) }), 'timeout must be from 1 to 15 minutes, got 16 minutes'],
    ['subnets without a VPC', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
      'vpcSubnets needs vpc: the function is placed in a VPC only when vpc is set'],
    ['security groups without a VPC', (stack) => ({
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-12345678')],
    }), 'securityGroups needs vpc'],
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
    + 'for a foreign one); keep one, and let the other consumers read its secret with grantRead';
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
