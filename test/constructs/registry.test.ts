/**
 * The registry as the function will read it: the synthesized Metadata of the
 * rotation function, resolved as CloudFormation would (IntrinsicResolver) and
 * parsed by the function's own parser (`parseRegistry`); the environment that
 * points the function at it; the custom resources that carry each
 * registration (one Custom::AccessKeyRotation each, one Custom::AccessKeyDepartures
 * per stack); and what may not enter it at all (validated at synth).
 */
import { App, CfnElement, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import {
  AccessKeyRotator, ForeignKeyPolicy, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyOptions, RotatingAccessKeyUser,
} from '../../src';
import {
  Defaults, DEPARTURES_RESOURCE_TYPE, Env, parseRegistry, Registration, REGISTRY_METADATA_KEY, REGISTRY_VERSION, RegistryDocument,
  ROTATION_RESOURCE_TYPE,
} from '../../src/rotation/contract';
import { IntrinsicResolver, Json, JsonObject, Resources, TEST_ENV } from '../support/intrinsics';

const ENV = { account: TEST_ENV.account, region: TEST_ENV.region };
const STACK_ID = `arn:aws:cloudformation:${ENV.region}:${ENV.account}:stack/Registry/0f6e1c2a-1111-4000-8000-00000000abcd`;

type Template = { Resources: Resources };

function synth(app: App, stack: Stack): Template {
  return app.synth().getStackByName(stack.stackName).template as Template;
}
const logicalIdOf = (stack: Stack, c: IConstruct) => stack.resolve(stack.getLogicalId(
  (CfnElement.isCfnElement(c) ? c : c.node.defaultChild) as CfnElement)) as string;
const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

// ---------------------------------------------------------------------------
// A stack with every kind of registration
// ---------------------------------------------------------------------------

const app = new App();
const stack = new Stack(app, 'Registry', { env: ENV });
const cmk = new kms.Key(stack, 'Cmk');
// A user the stack creates, with a path; DESTROY; every other prop at its default.
const created = new RotatingAccessKeyUser(stack, 'Created', { userName: 'backup-server', path: '/service/', removalPolicy: RemovalPolicy.DESTROY });
// An existing user imported by name; every prop at its default (RETAIN).
const byName = new RotatingAccessKey(stack, 'ByName', { user: iam.User.fromUserName(stack, 'CarolUser', 'carol') });
// An existing user imported by ARN, with a path; every prop set.
const byArn = new RotatingAccessKey(stack, 'ByArn', {
  user: iam.User.fromUserArn(stack, 'DaveUser', 'arn:aws:iam::123456789012:user/onprem/dave'),
  schedule: KeyRotationSchedule.expression('cron(0 1 ? * SUN *)'),
  rotationWindow: Duration.hours(4),
  rotateOnDeploy: false,
  deactivateAfter: Duration.days(3),
  deleteAfter: Duration.hours(36),
  postponeDeactivationWhileInUse: Duration.days(2),
  foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
  encryptionKey: cmk,
  secretName: 'access-keys/dave',
  removalPolicy: RemovalPolicy.DESTROY,
});
// A RETAIN registration with a schedule in hours and the other foreign-key policy.
const retained = new RotatingAccessKey(stack, 'Retained', {
  user: iam.User.fromUserName(stack, 'ErinUser', 'erin'),
  schedule: KeyRotationSchedule.every(Duration.hours(12)),
  rotationWindow: Duration.hours(1),
  // Deleted before the next rotation, 11 hours at the least after this one.
  deactivateAfter: Duration.hours(4),
  deleteAfter: Duration.hours(5),
  foreignKeyPolicy: ForeignKeyPolicy.DELETE_INACTIVE,
  removalPolicy: RemovalPolicy.RETAIN,
});

const template = synth(app, stack);
const resolver = new IntrinsicResolver(template.Resources, { ...TEST_ENV, stackId: STACK_ID });
const rotator = AccessKeyRotator.of(stack);
const functionId = logicalIdOf(stack, rotator.function);
const fn = template.Resources[functionId];
const variables = ((fn.Properties?.Environment as JsonObject).Variables) as JsonObject;
const registry: RegistryDocument = parseRegistry(resolver.resolve(fn.Metadata as Json));
const secretArn = (key: RotatingAccessKey) => resolver.resolveString({ Ref: logicalIdOf(stack, key.secret) });
const guardsId = logicalIdOf(stack, rotator.node.findChild('Guards'));
const policyId = logicalIdOf(stack, rotator.node.findChild('Registrations0'));

const EXPECTED: Array<[string, RotatingAccessKey, Registration]> = [
  ['a created user with a path, DESTROY, defaults', created.accessKey, {
    secretArn: secretArn(created.accessKey),
    userArn: 'arn:aws:iam::123456789012:user/service/backup-server',
    deactivateAfterSeconds: Defaults.deactivateAfterSeconds,
    deleteAfterSeconds: Defaults.deleteAfterSeconds,
    postponeWhileInUseSeconds: Defaults.postponeWhileInUseSeconds,
    foreignKeyPolicy: Defaults.foreignKeyPolicy,
    removal: 'DESTROY',
    scheduleExpression: Defaults.scheduleExpression,
    rotateOnDeploy: Defaults.rotateOnDeploy,
  }],
  ['a user imported by name, RETAIN, defaults', byName, {
    secretArn: secretArn(byName),
    userArn: 'arn:aws:iam::123456789012:user/carol',
    deactivateAfterSeconds: 7 * 86400,
    deleteAfterSeconds: 14 * 86400,
    postponeWhileInUseSeconds: 0,
    foreignKeyPolicy: ForeignKeyPolicy.FAIL,
    removal: 'RETAIN',
    scheduleExpression: 'rate(30 days)',
    rotateOnDeploy: true,
  }],
  ['a user imported by ARN with a path, DESTROY, every prop set', byArn, {
    secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/dave-AbCdEf',
    userArn: 'arn:aws:iam::123456789012:user/onprem/dave',
    deactivateAfterSeconds: 3 * 86400,
    deleteAfterSeconds: 36 * 3600,
    postponeWhileInUseSeconds: 2 * 86400,
    foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
    removal: 'DESTROY',
    scheduleExpression: 'cron(0 1 ? * SUN *)',
    windowHours: 4,
    rotateOnDeploy: false,
  }],
  ['a user imported by name, RETAIN, rotating every 12 hours', retained, {
    secretArn: secretArn(retained),
    userArn: 'arn:aws:iam::123456789012:user/erin',
    deactivateAfterSeconds: 4 * 3600,
    deleteAfterSeconds: 5 * 3600,
    postponeWhileInUseSeconds: 0,
    foreignKeyPolicy: ForeignKeyPolicy.DELETE_INACTIVE,
    removal: 'RETAIN',
    scheduleExpression: 'rate(12 hours)',
    windowHours: 1,
    rotateOnDeploy: true,
  }],
];

describe('the registry in the function\'s Metadata, as the function parses it', () => {
  test('GIVEN four registrations WHEN the resolved Metadata is parsed THEN it is version 1 with four entries in registration order', () => {
    expect(registry.version).toBe(REGISTRY_VERSION);
    expect(registry.registrations.map((r) => r.userArn)).toEqual(EXPECTED.map(([, , e]) => e.userArn));
  });

  test.each(EXPECTED.map(([name, key, entry], i) => ({ name, key, entry, i })))(
    'GIVEN $name WHEN parsed THEN its entry states the secret, the user and every setting', ({ entry, i }) => {
      // toStrictEqual: no field more or less than expected (windowHours only where a window is set).
      expect(registry.registrations[i]).toStrictEqual(entry);
    });

  test('GIVEN the customer key WHEN the registry is read THEN it holds no key: the function reaches it through Secrets Manager', () => {
    expect(JSON.stringify(fn.Metadata)).not.toMatch(/Cmk|kms/);
    expect(template.Resources[logicalIdOf(stack, byArn.secret)].Properties?.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack, cmk), 'Arn'] });
  });

  test('GIVEN a secret renamed (or a user renamed) WHEN synthesized again THEN the digest changes, though the registrations as the template states them (references) do not: a warm function never keeps the old ARNs', () => {
    const synthesized = (secretName: string, userName: string) => {
      const a = new App();
      const s = new Stack(a, 'Registry', { env: ENV });
      new RotatingAccessKeyUser(s, 'Alice', { userName, secretName });
      const [, f] = ofType(synth(a, s), 'AWS::Lambda::Function')[0];
      return (f.Metadata as JsonObject)[REGISTRY_METADATA_KEY] as JsonObject;
    };
    const first = synthesized('access-keys/alice', 'alice');
    const renamed = synthesized('access-keys/alice-2', 'alice');
    const otherUser = synthesized('access-keys/alice', 'alicia');
    expect(renamed.registrations).toEqual(first.registrations);
    expect(renamed.digest).not.toBe(first.digest);
    expect(otherUser.digest).not.toBe(first.digest);
    expect(synthesized('access-keys/alice', 'alice').digest).toBe(first.digest);
  });

  test('GIVEN the same app synthesized again THEN the digest is the same; GIVEN one more registration THEN it changes', () => {
    const digestOf = (extra: boolean) => {
      const a = new App();
      const s = new Stack(a, 'Registry', { env: ENV });
      new RotatingAccessKey(s, 'ByName', { user: iam.User.fromUserName(s, 'CarolUser', 'carol') });
      if (extra) new RotatingAccessKey(s, 'Other', { user: iam.User.fromUserName(s, 'OtherUser', 'other') });
      const t = synth(a, s);
      const [, f] = ofType(t, 'AWS::Lambda::Function')[0];
      return ((f.Metadata as JsonObject)[REGISTRY_METADATA_KEY] as JsonObject).digest;
    };
    expect(digestOf(false)).toBe(digestOf(false));
    expect(digestOf(true)).not.toBe(digestOf(false));
  });

  test('GIVEN a rotator without registrations WHEN parsed THEN the registry is empty and valid', () => {
    // A rotator that serves no key fails the synthesis (validation.test.ts); its template, unvalidated, is what the function would read.
    const a = new App();
    const s = new Stack(a, 'Empty', { env: ENV });
    AccessKeyRotator.configure(s);
    const t = a.synth({ skipValidation: true }).getStackByName(s.stackName).template as Template;
    const [, f] = ofType(t, 'AWS::Lambda::Function')[0];
    const doc = parseRegistry(new IntrinsicResolver(t.Resources).resolve(f.Metadata as Json));
    expect(doc.registrations).toEqual([]);
    const [[, departures]] = ofType(t, DEPARTURES_RESOURCE_TYPE);
    expect(departures.Properties?.Registrations).toEqual('');
  });
});

describe('the function\'s environment points at the registry', () => {
  test('GIVEN the function WHEN its environment is read THEN the registry digest is the Metadata\'s digest', () => {
    expect(variables[Env.REGISTRY_DIGEST]).toBe(registry.digest);
  });

  test('GIVEN the function WHEN its environment is read THEN the registry resource is the function\'s own logical id, which carries the Metadata', () => {
    expect(variables[Env.REGISTRY_RESOURCE]).toBe(functionId);
    expect(template.Resources[variables[Env.REGISTRY_RESOURCE] as string].Metadata).toHaveProperty([REGISTRY_METADATA_KEY]);
    expect(ofType(template, 'AWS::Lambda::Function')).toHaveLength(1);
  });

  test('GIVEN the function WHEN its environment is read THEN the stack id is CloudFormation\'s AWS::StackId', () => {
    expect(variables[Env.STACK_ID]).toEqual({ Ref: 'AWS::StackId' });
    expect(resolver.resolve(variables[Env.STACK_ID])).toBe(STACK_ID);
  });
});

describe('one Custom::AccessKeyRotation per registration', () => {
  const rotations = ofType(template, ROTATION_RESOURCE_TYPE);

  test('GIVEN four registrations THEN there are four rotation resources, one per secret', () => {
    expect(rotations).toHaveLength(EXPECTED.length);
    expect(rotations.map(([id]) => id).sort()).toEqual(EXPECTED.map(([, key]) => logicalIdOf(stack, key.node.findChild('Rotation'))).sort());
  });

  test.each(EXPECTED.map(([name, key, entry]) => ({ name, key, entry })))(
    'GIVEN $name THEN its rotation resource states what the registry states, through the function', ({ key, entry }) => {
      const resource = template.Resources[logicalIdOf(stack, key.node.findChild('Rotation'))];
      expect(resource.Properties?.ServiceToken).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
      expect(resource.Properties?.SecretArn).toEqual({ Ref: logicalIdOf(stack, key.secret) });
      const { ServiceToken: _, ...properties } = resolver.resolve(resource.Properties as Json) as JsonObject;
      expect(properties).toStrictEqual({
        SecretArn: entry.secretArn,
        UserArn: entry.userArn,
        Removal: entry.removal,
        ScheduleExpression: entry.scheduleExpression,
        ...(entry.windowHours === undefined ? {} : { WindowHours: entry.windowHours }),
      });
    });

  test.each(EXPECTED.map(([name, key]) => ({ name, key })))(
    'GIVEN $name THEN its rotation resource depends on the guards (which wait, through the departures, for its registration policy), and is deleted with the stack', ({ key }) => {
      const resource = template.Resources[logicalIdOf(stack, key.node.findChild('Rotation'))] as Resources[string] & { DeletionPolicy?: string };
      expect([resource.DependsOn].flat()).toEqual([guardsId]);
      const departuresId = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'Custom::AccessKeyDepartures')!;
      expect([template.Resources[departuresId].DependsOn].flat()).toContain(policyId);
      expect(template.Resources[policyId].DependsOn).toBeUndefined();
      // CloudFormation's default (Delete), not written out.
      expect(resource.DeletionPolicy).toBeUndefined();
      expect(resource).not.toHaveProperty('UpdateReplacePolicy');
    });

  test('GIVEN a created user THEN its rotation resource references the user, so CloudFormation deletes the keys before the user', () => {
    const resource = template.Resources[logicalIdOf(stack, created.accessKey.node.findChild('Rotation'))];
    expect(resource.Properties?.UserArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack, created.user), 'Arn'] });
  });
});

describe('the stack\'s Custom::AccessKeyDepartures', () => {
  test('GIVEN four registrations THEN one departures resource lists each as "<secret ARN> <user ARN>", through the function', () => {
    const departures = ofType(template, DEPARTURES_RESOURCE_TYPE);
    expect(departures).toHaveLength(1);
    const [[id, resource]] = departures;
    expect(id).toBe(logicalIdOf(stack, rotator.node.findChild('Departures')));
    expect(resource.Properties?.ServiceToken).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    expect(resolver.resolve(resource.Properties?.Registrations as Json)).toEqual(registry.registrations.map((r) => `${r.secretArn} ${r.userArn}\n`).join(''));
  });
});

describe('what the redesign removed', () => {
  test('GIVEN the template THEN no secret has tags: the configuration lives in the registry only', () => {
    const secrets = ofType(template, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(EXPECTED.length);
    for (const [, secret] of secrets) expect(secret.Properties).not.toHaveProperty('Tags');
  });

  test('GIVEN the template THEN there is no Custom::AccessKeyRemoval and no AWS::SecretsManager::RotationSchedule', () => {
    expect(ofType(template, 'Custom::AccessKeyRemoval')).toEqual([]);
    expect(ofType(template, 'AWS::SecretsManager::RotationSchedule')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// What may not enter the registry
// ---------------------------------------------------------------------------

const newStack = () => {
  const a = new App();
  return { app: a, stack: new Stack(a, 'Stack', { env: ENV }) };
};

describe('users that cannot be registered are refused at synth, naming user and the value', () => {
  test.each<[string, (s: Stack) => iam.IUser, string]>([
    ['a wildcard user name', (s) => iam.User.fromUserName(s, 'x', '*'),
      "user must be one IAM user, got the user name '*': a wildcard would give the rotation function every matching user's keys"],
    ['a user name with ?', (s) => iam.User.fromUserName(s, 'x', 'ci-?'), "user must be one IAM user, got the user name 'ci-?': a wildcard"],
    ['a wildcard after a path, by name', (s) => iam.User.fromUserName(s, 'x', 'service/*'), "user must be one IAM user, got the user name 'service/*': a wildcard"],
    ['an ARN whose name is a wildcard', (s) => iam.User.fromUserArn(s, 'x', 'arn:aws:iam::123456789012:user/service/*'),
      "user must be one IAM user, got the ARN 'arn:aws:iam::123456789012:user/service/*': a wildcard would give the function every matching user's keys"],
    ['an ARN with a wildcard in its path', (s) => iam.User.fromUserArn(s, 'x', 'arn:aws:iam::123456789012:user/ser*/bob'),
      "user must be one IAM user, got the ARN 'arn:aws:iam::123456789012:user/ser*/bob': a wildcard"],
    ['a name with a path given to fromUserName', (s) => iam.User.fromUserName(s, 'x', 'onprem/nas-sync'),
      "user must be one IAM user, got the user name 'onprem/nas-sync': a name cannot hold '/'; for a user with a path use iam.User.fromUserArn"],
    ['a user of another account', (s) => iam.User.fromUserArn(s, 'x', 'arn:aws:iam::210987654321:user/alice'),
      "user must be in the stack's account 123456789012, got the ARN 'arn:aws:iam::210987654321:user/alice' of account 210987654321"],
    ['a user name with a space', (s) => iam.User.fromUserName(s, 'x', 'nas sync'),
      "user must be one IAM user, got the user name 'nas sync': names are 1 to 64 letters, digits or +=,.@_- characters"],
    ['a user name with #', (s) => iam.User.fromUserName(s, 'x', 'nas#1'),
      "user must be one IAM user, got the user name 'nas#1': names are 1 to 64 letters, digits or +=,.@_- characters"],
    ['a user name of 65 characters', (s) => iam.User.fromUserName(s, 'x', 'u'.repeat(65)),
      `user must be one IAM user, got the user name '${'u'.repeat(65)}': names are 1 to 64 letters`],
  ])('GIVEN %s WHEN a RotatingAccessKey is made for it THEN it is refused', (_, user, message) => {
    const { stack: s } = newStack();
    expect(() => new RotatingAccessKey(s, 'Key', { user: user(s) })).toThrow(message);
  });

  test('GIVEN an env-agnostic stack WHEN a name with a path is given to fromUserName THEN it is refused there too', () => {
    const s = new Stack(new App(), 'Agnostic');
    expect(() => new RotatingAccessKey(s, 'Key', { user: iam.User.fromUserName(s, 'x', 'onprem/nas-sync') }))
      .toThrow("got the user name 'onprem/nas-sync'");
  });

  test.each<[string, (s: Stack) => iam.IUser]>([
    ['a name', (s) => iam.User.fromUserName(s, 'x', 'nas-sync')],
    ['an ARN with a path', (s) => iam.User.fromUserArn(s, 'x', 'arn:aws:iam::123456789012:user/onprem/nas-sync')],
    ['a name with every allowed character', (s) => iam.User.fromUserName(s, 'x', 'a+b=c,d.e@f_g-h')],
  ])('GIVEN %s WHEN a RotatingAccessKey is made for it THEN it is accepted', (_, user) => {
    const { stack: s } = newStack();
    expect(() => new RotatingAccessKey(s, 'Key', { user: user(s) })).not.toThrow();
  });
});

describe('settings given as tokens are checked once CDK resolves them', () => {
  const lazySeconds = (n: number) => Duration.seconds(Lazy.number({ produce: () => n }));
  const lazyHours = (n: number) => Duration.hours(Lazy.number({ produce: () => n }));

  test.each<[string, RotatingAccessKeyOptions, string]>([
    ['deactivateAfter resolving to 30 seconds', { deactivateAfter: lazySeconds(30) },
      'Stack/Key/Secret: deactivateAfter (Python: deactivate_after) must be from 1 hour to 1000 days, got 30 seconds (the registry\'s field \'deactivateAfterSeconds\')'],
    ['deleteAfter resolving to 1001 days', { deleteAfter: lazySeconds(1001 * 86400) },
      'Stack/Key/Secret: deleteAfter (Python: delete_after) must be from 1 hour to 1000 days, got 86486400 seconds (the registry\'s field \'deleteAfterSeconds\')'],
    ['postponeDeactivationWhileInUse resolving to 91 days', { postponeDeactivationWhileInUse: lazySeconds(91 * 86400) },
      'Stack/Key/Secret: postponeDeactivationWhileInUse (Python: postpone_deactivation_while_in_use) must be at most 90 days, got 7862400 seconds'],
    ['rotationWindow resolving to 25 hours', { rotationWindow: lazyHours(25) },
      'Stack/Key/Secret: rotationWindow (Python: rotation_window) must be 1 to 24 whole hours, got 25 hours (the registry\'s field \'windowHours\')'],
    ['rotationWindow resolving to 1.5 hours', { rotationWindow: lazyHours(1.5) }, 'rotationWindow (Python: rotation_window) must be 1 to 24 whole hours, got 1.5 hours'],
  ])('GIVEN %s WHEN the construct is made THEN nothing is thrown; WHEN the app is synthesized THEN it is refused', (_, options, message) => {
    const { app: a, stack: s } = newStack();
    expect(() => new RotatingAccessKey(s, 'Key', { user: iam.User.fromUserName(s, 'User', 'bob'), ...options })).not.toThrow();
    expect(() => a.synth()).toThrow(message);
  });

  test('GIVEN Lazy settings that resolve in range WHEN synthesized THEN the registry holds the resolved numbers', () => {
    const { app: a, stack: s } = newStack();
    new RotatingAccessKey(s, 'Key', {
      user: iam.User.fromUserName(s, 'User', 'bob'), deactivateAfter: lazySeconds(7200), rotationWindow: lazyHours(2),
    });
    const t = synth(a, s);
    const [, f] = ofType(t, 'AWS::Lambda::Function')[0];
    const [entry] = parseRegistry(new IntrinsicResolver(t.Resources).resolve(f.Metadata as Json)).registrations;
    expect(entry).toMatchObject({ deactivateAfterSeconds: 7200, windowHours: 2 });
    const [[, rotation]] = ofType(t, ROTATION_RESOURCE_TYPE);
    expect(rotation.Properties?.WindowHours).toBe(2);
  });
});

describe('a user defined in another stack of the app', () => {
  test('GIVEN the user in a Users stack and its keys in a Keys stack WHEN synthesized THEN the registry names the user by the export CloudFormation resolves, like every other reference to it', () => {
    const a = new App();
    const users = new Stack(a, 'Users', { env: ENV });
    const keys = new Stack(a, 'Keys', { env: ENV });
    const user = new iam.User(users, 'Backup');
    new RotatingAccessKey(keys, 'Key', { user });
    const t = synth(a, keys);

    const [, f] = ofType(t, 'AWS::Lambda::Function')[0];
    const metadata = JSON.stringify(f.Metadata);
    const [[, rotation]] = ofType(t, ROTATION_RESOURCE_TYPE);
    const userArn = rotation.Properties?.UserArn as JsonObject;
    expect(Object.keys(userArn)).toEqual(['Fn::ImportValue']);
    expect(metadata).toContain(JSON.stringify(userArn));
    // Nothing in the Keys stack refers to a resource of the Users stack by its logical id.
    expect(metadata).not.toContain('"Fn::GetAtt"');
  });
});
