/**
 * Rotating access keys across an AWS Organization, two ways: a StackSet
 * (cdk-stacksets) and per-account stacks through CDK Pipelines. Pick one;
 * `npx cdk synth` here works offline. See docs/OPERATIONS.md and docs/RECIPES.md's
 * "Many accounts".
 */
import { App } from 'aws-cdk-lib';
import { AccessKeysPipeline } from './pipeline';
import { AccessKeysStackSet } from './stackset';

const app = new App();
const env = { account: '111111111111', region: 'us-east-1' }; // the delegated administrator or tooling account

new AccessKeysStackSet(app, 'AccessKeysStackSet', {
  env,
  organizationId: 'o-exampleorgid',
  organizationalUnits: ['ou-exam-workloads'],
  assetBucketPrefix: 'example-access-keys-assets',
});

new AccessKeysPipeline(app, 'AccessKeysPipeline', {
  env,
  repository: 'example/platform-access-keys',
  connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000',
  accounts: ['222222222222', '333333333333'],
});

app.synth();
