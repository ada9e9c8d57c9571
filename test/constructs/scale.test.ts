/**
 * Resources per user and the most users one stack holds under
 * CloudFormation's 500-resource limit, against the baseline users write
 * today (iam.User + iam.AccessKey + a Secret holding the key's GetAtt), and
 * which resources every stack pays for once. Synthesized as the CLI does
 * (with the CDKMetadata resource).
 *
 * Budget: 240 users per stack with RotatingAccessKey, 160 with
 * RotatingAccessKeyUser. The figures below are measured; where one is under
 * the budget, the test says so rather than hiding it (see BUDGET).
 */
import { App, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RotatingAccessKey, RotatingAccessKeyUser } from '../../src';

type Layout = (stack: Stack, i: number) => void;

const BASELINE = 'baseline: User + AccessKey + Secret';
const RETAIN = 'RotatingAccessKey, existing user, RETAIN';
const DESTROY = 'RotatingAccessKey, existing user, DESTROY';
const USER = 'RotatingAccessKeyUser, DESTROY';

const LAYOUTS: Record<string, Layout> = {
  [BASELINE]: (stack, i) => {
    const user = new iam.User(stack, `U${i}`);
    const key = new iam.AccessKey(stack, `K${i}`, { user });
    new secretsmanager.Secret(stack, `S${i}`, { secretStringValue: key.secretAccessKey });
  },
  [RETAIN]: (stack, i) => {
    new RotatingAccessKey(stack, `K${i}`, { user: iam.User.fromUserName(stack, `U${i}`, `user${i}`) });
  },
  [DESTROY]: (stack, i) => {
    new RotatingAccessKey(stack, `K${i}`, { user: iam.User.fromUserName(stack, `U${i}`, `user${i}`), removalPolicy: RemovalPolicy.DESTROY });
  },
  [USER]: (stack, i) => {
    new RotatingAccessKeyUser(stack, `K${i}`, { removalPolicy: RemovalPolicy.DESTROY });
  },
};

/** The most users per stack the project budgets for. */
const BUDGET: Record<string, number> = { [RETAIN]: 240, [DESTROY]: 240, [USER]: 160 };

interface Synthesized {
  /** Resource count, or undefined when CDK refuses the stack (over 500). */
  readonly count?: number;
  /** `<path under the stack> <type>` of every resource. */
  readonly resources: string[];
}

function synthesize(layout: Layout, n: number): Synthesized {
  const app = new App({ analyticsReporting: true });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  for (let i = 0; i < n; i++) layout(stack, i);
  try {
    const count = Object.keys(app.synth().getStackByName('Stack').template.Resources).length;
    const resources = stack.node.findAll().filter(CfnResource.isCfnResource)
      .map((r) => `${r.node.path.slice('Stack/'.length)} ${r.cfnResourceType}`);
    return { count, resources };
  } catch (e) {
    if (/Number of resources .* is greater than allowed maximum of 500/.test((e as Error).message)) return { resources: [] };
    throw e;
  }
}
const resources = (layout: Layout, n: number) => synthesize(layout, n).count;

/** The largest n whose stack synthesizes. */
function mostUsers(layout: Layout): number {
  let lo = 1;
  let hi = 500;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (resources(layout, mid) === undefined) hi = mid - 1; else lo = mid;
  }
  return lo;
}

/** Resources a stack has once, whatever its users: not under a user's construct, and not a registration policy (one per ~29 users). */
function fixedResources(layout: Layout): string[] {
  return synthesize(layout, 1).resources
    .filter((r) => !/^[KUS]0\//.test(r) && !/^AccessKeyRotator\/Registrations\d+\//.test(r))
    .map((r) => r.replace(/[0-9A-F]{8}(?=[/ ])/g, ''))
    .sort();
}

/** Registration managed policies of a stack of n users. */
function policies(layout: Layout, n: number): number {
  return synthesize(layout, n).resources.filter((r) => / AWS::IAM::ManagedPolicy$/.test(r) && r.startsWith('AccessKeyRotator/')).length;
}

const results: Record<string, { perUser: number; fixed: number; policies: number; most: number }> = {};

test.each(Object.keys(LAYOUTS))('GIVEN %s WHEN stacks of 1 to 500 users are synthesized THEN resources per user and the most users a stack holds are measured', (name) => {
  const layout = LAYOUTS[name];
  const one = resources(layout, 1)!;
  // Over 40 users: registrations share one managed policy per ~29 users.
  const fortyOne = resources(layout, 41)!;
  const perUser = (fortyOne - one) / 40;
  const most = mostUsers(layout);
  results[name] = { perUser, fixed: fixedResources(layout).length, policies: policies(layout, most), most };
  expect(resources(layout, most)).toBeLessThanOrEqual(500);
  expect(resources(layout, most + 1)).toBeUndefined();
});

afterAll(() => {
  const baseline = results[BASELINE];
  const lines = Object.entries(results).map(([name, r]) =>
    `${name.padEnd(44)} ${r.perUser.toFixed(2).padStart(5)} per user  ${String(r.fixed).padStart(3)} fixed  ${String(r.most).padStart(4)} users`
    + ` (${r.policies} registration policies)`
    + `  ${(r.most / baseline.most).toFixed(2)}x baseline${BUDGET[name] ? `  (budget ${BUDGET[name]})` : ''}`);
  console.log(`Resources per stack (CloudFormation limit 500):\n${lines.join('\n')}`);
});

test('GIVEN a stack with one registration WHEN its resources are listed THEN these eleven are paid once per stack', () => {
  const rotator = [
    'AccessKeyRotator/Departures/Default Custom::AccessKeyDepartures',
    'AccessKeyRotator/FailureAlarm/Resource AWS::CloudWatch::Alarm',
    'AccessKeyRotator/Function/EventInvokeConfig/Resource AWS::Lambda::EventInvokeConfig',
    'AccessKeyRotator/Function/InvokedBySecretsManager AWS::Lambda::Permission',
    'AccessKeyRotator/Function/Resource AWS::Lambda::Function',
    'AccessKeyRotator/Guards/Resource AWS::IAM::Policy',
    'AccessKeyRotator/Lifecycle/AllowEventRuleStackAccessKeyRotatorFunction AWS::Lambda::Permission',
    'AccessKeyRotator/Lifecycle/Resource AWS::Events::Rule',
    'AccessKeyRotator/Logs/Resource AWS::Logs::LogGroup',
    'AccessKeyRotator/Role/Resource AWS::IAM::Role',
    'CDKMetadata/Default AWS::CDK::Metadata',
  ];
  expect(fixedResources(LAYOUTS[RETAIN])).toEqual(rotator);
  expect(fixedResources(LAYOUTS[DESTROY])).toEqual(rotator);
  expect(fixedResources(LAYOUTS[USER])).toEqual(rotator);
});

test('GIVEN one registration WHEN its resources are listed THEN it pays a secret and a rotation resource (and the user, for RotatingAccessKeyUser)', () => {
  const perRegistration = (layout: Layout) => synthesize(layout, 1).resources.filter((r) => /^[KU]0\//.test(r))
    .map((r) => r.replace(/[0-9A-F]{8}(?=[/ ])/g, '')).sort();
  expect(perRegistration(LAYOUTS[RETAIN])).toEqual(['K0/Rotation/Default Custom::AccessKeyRotation', 'K0/Secret/Resource AWS::SecretsManager::Secret']);
  expect(perRegistration(LAYOUTS[DESTROY])).toEqual(perRegistration(LAYOUTS[RETAIN]));
  expect(perRegistration(LAYOUTS[USER])).toEqual([
    'K0/AccessKey/Rotation/Default Custom::AccessKeyRotation', 'K0/AccessKey/Secret/Resource AWS::SecretsManager::Secret', 'K0/User/Resource AWS::IAM::User',
  ]);
});

test('GIVEN the measurements THEN they are the figures docs/CONFIGURATION.md reports', () => {
  expect(results[BASELINE]).toEqual({ perUser: 3, fixed: 1, policies: 0, most: 166 });
  // 11 fixed resources (the role's own statements are an inline policy of the role, not a resource).
  // RotatingAccessKey: 240 users are 480 resources and 9 registration policies (29 registrations
  // each), 500 in all. RotatingAccessKeyUser: 160 users are 480 resources and 8 policies (20 each:
  // generated user names are counted at their longest), 499.
  expect(results[RETAIN]).toMatchObject({ fixed: 11, policies: 9 });
  expect(results[DESTROY]).toMatchObject({ fixed: 11, policies: 9 });
  expect(results[USER]).toMatchObject({ fixed: 11, policies: 8 });
  // Two resources per registration, plus a 29th of a managed policy.
  expect(results[RETAIN].perUser).toBeGreaterThanOrEqual(2);
  expect(results[RETAIN].perUser).toBeLessThan(2.05);
  expect(results[DESTROY].perUser).toBe(results[RETAIN].perUser);
  expect(results[USER].perUser).toBe(results[RETAIN].perUser + 1);
  expect(results[RETAIN].most).toBe(240);
  expect(results[DESTROY].most).toBe(240);
  expect(results[USER].most).toBe(160);
});

test('GIVEN the budget THEN every layout meets it', () => {
  for (const layout of [RETAIN, DESTROY, USER]) expect(results[layout].most).toBeGreaterThanOrEqual(BUDGET[layout]);
});
