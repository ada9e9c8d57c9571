/**
 * Resources per user and the most users one stack holds under
 * CloudFormation's 500-resource limit, against the baseline users write
 * today (iam.User + iam.AccessKey + a Secret holding the key's GetAtt).
 * Synthesized as the CLI does (with the CDKMetadata resource).
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RotatingAccessKey, RotatingAccessKeyUser } from '../../src';

type Layout = (stack: Stack, i: number) => void;

const LAYOUTS: Record<string, Layout> = {
  'baseline: User + AccessKey + Secret': (stack, i) => {
    const user = new iam.User(stack, `U${i}`);
    const key = new iam.AccessKey(stack, `K${i}`, { user });
    new secretsmanager.Secret(stack, `S${i}`, { secretStringValue: key.secretAccessKey });
  },
  'RotatingAccessKey, existing user, RETAIN': (stack, i) => {
    new RotatingAccessKey(stack, `K${i}`, { user: iam.User.fromUserName(stack, `U${i}`, `user${i}`) });
  },
  'RotatingAccessKey, existing user, DESTROY': (stack, i) => {
    new RotatingAccessKey(stack, `K${i}`, { user: iam.User.fromUserName(stack, `U${i}`, `user${i}`), removalPolicy: RemovalPolicy.DESTROY });
  },
  'RotatingAccessKeyUser, DESTROY': (stack, i) => {
    new RotatingAccessKeyUser(stack, `K${i}`, { removalPolicy: RemovalPolicy.DESTROY });
  },
};

/** Resource count of a stack with n users, or undefined when CDK refuses it (over 500). */
function resources(layout: Layout, n: number): number | undefined {
  const app = new App({ analyticsReporting: true });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  for (let i = 0; i < n; i++) layout(stack, i);
  try {
    return Object.keys(app.synth().getStackByName('Stack').template.Resources).length;
  } catch (e) {
    if (/Number of resources .* is greater than allowed maximum of 500/.test((e as Error).message)) return undefined;
    throw e;
  }
}

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

const results: Record<string, { perUser: number; fixed: number; most: number }> = {};

test.each(Object.keys(LAYOUTS))('%s: resources per user and the most users a stack holds', (name) => {
  const layout = LAYOUTS[name];
  const one = resources(layout, 1)!;
  // Over 40 users: registrations share one managed policy per 20 users.
  const fortyOne = resources(layout, 41)!;
  const perUser = (fortyOne - one) / 40;
  const most = mostUsers(layout);
  results[name] = { perUser, fixed: Math.round(one - perUser), most };
  expect(resources(layout, most)).toBeLessThanOrEqual(500);
  expect(resources(layout, most + 1)).toBeUndefined();
});

afterAll(() => {
  const baseline = results['baseline: User + AccessKey + Secret'];
  const lines = Object.entries(results).map(([name, r]) =>
    `${name.padEnd(44)} ${r.perUser.toFixed(2).padStart(5)} per user  ${String(r.fixed).padStart(3)} fixed  ${String(r.most).padStart(4)} users  ${(r.most / baseline.most).toFixed(2)}x baseline`);
  console.log(`Resources per stack (CloudFormation limit 500):\n${lines.join('\n')}`);
});

test('the figures the README reports', () => {
  expect(results['baseline: User + AccessKey + Secret'].most).toBe(166);
  expect(results['RotatingAccessKey, existing user, RETAIN'].perUser).toBeGreaterThanOrEqual(2);
  expect(results['RotatingAccessKey, existing user, RETAIN'].perUser).toBeLessThan(2.05);
  expect(results['RotatingAccessKey, existing user, RETAIN'].most).toBe(240);
  expect(results['RotatingAccessKey, existing user, DESTROY'].most).toBe(239);
  expect(results['RotatingAccessKeyUser, DESTROY'].most).toBe(160);
});
