/**
 * The stacks the synth figures compare: n users with our constructs, and the
 * baseline users write today (iam.User + iam.AccessKey + a Secret holding the
 * key's `Fn::GetAtt SecretAccessKey`). Compiled to JavaScript with the
 * library before anything is timed, so no TypeScript compiler is measured.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RotatingAccessKey, RotatingAccessKeyUser } from '../src';

export type Layout = (stack: Stack, i: number) => void;

export const LAYOUTS: Record<string, Layout> = {
  baseline: (stack, i) => {
    const user = new iam.User(stack, `U${i}`);
    const key = new iam.AccessKey(stack, `K${i}`, { user });
    new secretsmanager.Secret(stack, `S${i}`, { secretStringValue: key.secretAccessKey });
  },
  RotatingAccessKeyUser: (stack, i) => {
    new RotatingAccessKeyUser(stack, `K${i}`);
  },
  RotatingAccessKey: (stack, i) => {
    new RotatingAccessKey(stack, `K${i}`, { user: iam.User.fromUserName(stack, `U${i}`, `user${i}`) });
  },
};

/** An app with one stack of `n` users laid out by `layout`, as `cdk synth` would build it. */
export function buildApp(layout: string, n: number, outdir?: string): App {
  const app = new App({ outdir, analyticsReporting: true });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const add = LAYOUTS[layout];
  if (!add) throw new Error(`unknown layout ${layout}: one of ${Object.keys(LAYOUTS).join(', ')}`);
  for (let i = 0; i < n; i++) add(stack, i);
  return app;
}
