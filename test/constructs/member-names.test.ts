/**
 * Every language reads its own language (issue 14): the errors and warnings
 * the constructs raise name members of an API (props, methods, properties) in
 * the jsii spelling, which TypeScript and Java use and Go and .NET capitalise,
 * and at its first mention in a message add the Python spelling where it
 * differs: `deactivateAfter (Python: deactivate_after)` (docs/DEVELOPING.md,
 * "Messages that name a member"). Each message still names the field and the
 * value. A table of every kind of message the constructs raise, each checked
 * for the convention.
 */
import { App, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  AccessKeyRotator, AccessKeyRotatorProps, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyOptions, RotatingAccessKeyUser,
} from '../../src';
import { member, pythonName } from '../../src/member-names';

const ENV = { account: '123456789012', region: 'us-east-1' };
const newStack = (app = new App(), id = 'Stack', env = ENV) => new Stack(app, id, { env });
const bob = (stack: Stack) => iam.User.fromUserName(stack, 'User', 'bob');

/** Python's spelling as jsii makes it, written apart from the library's: the words of each camelCase segment, joined by '_'. */
function python(name: string): string {
  return name.split('.').map((s) => (/^[a-z]/.test(s) ? s.match(/[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])/g)!.join('_').toLowerCase() : s)).join('.');
}

/**
 * The words of a message that name a member: dotted names with a segment in
 * camelCase (`deactivateAfter`, `vpc.addInterfaceEndpoint`). Quoted values
 * (the user's own) and the `[ack: id]` CDK appends to a warning are not names.
 */
function memberMentions(message: string): { name: string; index: number }[] {
  // A quote opens where no letter comes before it ("the secret's" is no quote).
  const text = message.replace(/(?<![A-Za-z])'[^']*'/g, (q) => ' '.repeat(q.length)).replace(/\[ack: [^\]]*\]/g, (a) => ' '.repeat(a.length));
  return [...text.matchAll(/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/g)]
    .filter((m) => m[0].split('.').some((s) => /^[a-z][a-z0-9]*[A-Z]/.test(s)))
    .map((m) => ({ name: m[0], index: m.index! }));
}

/** The convention: the first mention of each member carries its Python spelling; every Python spelling is the right one. */
function expectLanguageNeutral(message: string): void {
  const seen = new Set<string>();
  const missing: string[] = [];
  for (const { name, index } of memberMentions(message)) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (!message.startsWith(` (Python: ${python(name)})`, index + name.length)) missing.push(name);
  }
  expect({ message, missing }).toEqual({ message, missing: [] });
}

function thrown(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

const keyWith = (options: RotatingAccessKeyOptions) => () => {
  const stack = newStack();
  new RotatingAccessKey(stack, 'Key', { user: bob(stack), ...options });
};
const rotatorWith = (props: AccessKeyRotatorProps) => () => new AccessKeyRotator(newStack(), 'Rotator', props);

describe('the helper', () => {
  test.each([
    ['deactivateAfter', 'deactivateAfter (Python: deactivate_after)'],
    ['postponeDeactivationWhileInUse', 'postponeDeactivationWhileInUse (Python: postpone_deactivation_while_in_use)'],
    ['iam.User.fromUserArn', 'iam.User.fromUserArn (Python: iam.User.from_user_arn)'],
    ['vpc.addInterfaceEndpoint', 'vpc.addInterfaceEndpoint (Python: vpc.add_interface_endpoint)'],
    ['owner', 'owner'],
    ['AccessKeyRotator.configure', 'AccessKeyRotator.configure'],
    ['RemovalPolicy.DESTROY', 'RemovalPolicy.DESTROY'],
  ])('GIVEN %s THEN it is named as %s', (name, named) => {
    expect(member(name)).toBe(named);
    expect(pythonName(name)).toBe(python(name));
  });

  test('GIVEN a message that names a member without its Python spelling THEN the check finds it', () => {
    expect(memberMentions("deactivateAfter must be from 1 hour to 1000 days, got 'myValue' [ack: x:activeKeyAge]").map((m) => m.name))
      .toEqual(['deactivateAfter']);
    expect(() => expectLanguageNeutral('set secretName on Stack/Key')).toThrow();
    expect(() => expectLanguageNeutral('set secretName (Python: secret_nam) on Stack/Key')).toThrow();
    expect(() => expectLanguageNeutral('set secretName (Python: secret_name) on Stack/Key, then secretName again')).not.toThrow();
  });
});

describe('errors', () => {
  test.each<[string, () => unknown, string]>([
    // [what, the call, the field and the value the message must still name]
    ['deactivateAfter out of range', keyWith({ deactivateAfter: Duration.minutes(30) }), 'deactivateAfter (Python: deactivate_after) must be from 1 hour to 1000 days, got 30 minutes'],
    ['deleteAfter out of range', keyWith({ deleteAfter: Duration.days(1200) }), 'got 1200 days'],
    ['postponeDeactivationWhileInUse out of range', keyWith({ postponeDeactivationWhileInUse: Duration.days(91) }), 'got 91 days'],
    ['a rotationWindow of half an hour', keyWith({ rotationWindow: Duration.minutes(30) }), 'got 30 minutes'],
    ['a rotationWindow into the next window', keyWith({ schedule: KeyRotationSchedule.every(Duration.hours(6)), rotationWindow: Duration.hours(7) }),
      'rotationWindow (Python: rotation_window) of 7 hours must not extend into the next rotation window'],
    ['a bad secretName', keyWith({ secretName: 'access keys/bob' }), "got 'access keys/bob'"],
    ['a removalPolicy of SNAPSHOT', keyWith({ removalPolicy: RemovalPolicy.SNAPSHOT }), 'got snapshot'],
    ['an earlyNotice under an hour', keyWith({ earlyNotice: Duration.minutes(30) }), 'got 30 minutes'],
    ['an earlyNotice past deactivateAfter', keyWith({ earlyNotice: Duration.days(8) }), 'got 8 days and 7 days'],
    ['an owner that is not printable ASCII', keyWith({ owner: 'équipe' }), "got 'équipe'"],
    ['a timeline that does not fit', keyWith({ schedule: KeyRotationSchedule.every(Duration.days(7)), deactivateAfter: Duration.days(7) }),
      'set deleteAfter to 1 hour and deactivateAfter to at most'],
    ['a user name with a path', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'onprem/nas') });
    }, "got the user name 'onprem/nas'"],
    ['a bad userName', () => new RotatingAccessKeyUser(newStack(), 'User', { userName: 'backup server' }), "got 'backup server'"],
    ['an unknown event type', () => new AccessKeyRotator(newStack(), 'Rotator').onAccessKeyEvent('Bad', { eventTypes: ['Access Key Exploded'] }),
      "got 'Access Key Exploded'"],
    ['no event type', () => new AccessKeyRotator(newStack(), 'Rotator').onAccessKeyEvent('Bad', { eventTypes: [] }), 'must name at least one event type'],
    ['lifecycleConcurrency out of range', rotatorWith({ lifecycleConcurrency: 21 }), 'got 21'],
    ['a timeout over 15 minutes', rotatorWith({ timeout: Duration.minutes(16) }), 'got 16 minutes'],
    ['vpcSubnets without vpc', rotatorWith({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }), 'needs vpc'],
    ['a schedule every 3 hours', () => KeyRotationSchedule.every(Duration.hours(3)), 'got 3 hours'],
    ['a second shared rotator', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: bob(stack) });
      AccessKeyRotator.configure(stack);
    }, 'AccessKeyRotator.configure(stack, props)'],
    ['grantRead to another account', () => {
      const app = new App();
      const key = new RotatingAccessKey(newStack(app, 'A'), 'Key', { user: bob(newStack(app, 'U')) });
      key.grantRead(new iam.Role(newStack(app, 'B', { account: '210987654321', region: 'us-east-1' }), 'Reader', {
        assumedBy: new iam.AccountRootPrincipal(), roleName: 'reader',
      }));
    }, 'the grantee is in account 210987654321'],
    ['grantRead to another Region, no secretName', () => {
      const app = new App();
      const home = newStack(app, 'Home');
      const key = new RotatingAccessKey(home, 'Key', { user: bob(home) });
      key.grantRead(new iam.Role(newStack(app, 'Away', { account: ENV.account, region: 'eu-west-1' }), 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
    }, 'the grantee is in Region eu-west-1'],
    ['grantRead to another Region, a customer-managed key', () => {
      const app = new App();
      const home = newStack(app, 'Home');
      const key = new RotatingAccessKey(home, 'Key', { user: bob(home), secretName: 'access-keys/bob', encryptionKey: new kms.Key(home, 'Cmk') });
      key.grantRead(new iam.Role(newStack(app, 'Away', { account: ENV.account, region: 'eu-west-1' }), 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
    }, 'encrypted with a customer-managed key'],
    ['two keys for one user', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'First', { user: iam.User.fromUserName(stack, 'FirstUser', 'bob') });
      new RotatingAccessKey(stack, 'Second', { user: iam.User.fromUserName(stack, 'SecondUser', 'bob') });
      (stack.node.root as App).synth();
    }, "the user 'bob' of account 123456789012 has rotating access keys from both Stack/First and Stack/Second"],
    ['a deactivateAfter that resolves out of range', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: bob(stack), deactivateAfter: Duration.seconds(Lazy.number({ produce: () => 30 })) });
      (stack.node.root as App).synth();
    }, "got 30 seconds (the registry's field 'deactivateAfterSeconds')"],
  ])('GIVEN %s THEN the error names each member with its Python spelling, and the value', (_, make, named) => {
    const message = thrown(make);
    expect(message).toContain(named);
    expectLanguageNeutral(message);
  });
});

describe('warnings and notes', () => {
  const messagesOf = (stack: Stack, id: string) => [
    ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(id)),
    ...Annotations.fromStack(stack).findInfo('*', Match.anyValue()),
  ].map((m) => String(m.entry.data));

  test.each<[string, () => Stack, string]>([
    ['an active key that can pass 90 days', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: bob(stack), schedule: KeyRotationSchedule.every(Duration.days(80)), deactivateAfter: Duration.days(10) });
      return stack;
    }, 'activeKeyAge'],
    ['a schedule whose interval cannot be told', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: bob(stack), schedule: KeyRotationSchedule.expression('cron(0 4 1 1/3 ? *)') });
      return stack;
    }, 'timelineUnchecked'],
    ['an alarm without action', () => {
      const stack = newStack();
      new RotatingAccessKey(stack, 'Key', { user: bob(stack) });
      return stack;
    }, 'alarmWithoutAction'],
    ['isolated subnets and no endpoint', () => {
      const stack = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      AccessKeyRotator.configure(stack, { vpc });
      new RotatingAccessKey(stack, 'Key', { user: bob(stack) });
      return stack;
    }, 'noRouteOut'],
    ['a user whose account is not known', () => {
      const app = new App();
      const a = new Stack(app, 'A');
      const b = new Stack(app, 'B');
      new RotatingAccessKey(a, 'Key', { user: iam.User.fromUserName(a, 'User', 'bob') });
      new RotatingAccessKey(b, 'Key', { user: iam.User.fromUserName(b, 'User', 'bob') });
      return b;
    }, 'sameUserName'],
  ])('GIVEN %s THEN the warning names each member with its Python spelling', (_, make, id) => {
    const messages = messagesOf(make(), id);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) expectLanguageNeutral(message);
  });
});
