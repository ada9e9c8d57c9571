/**
 * Integration snapshot of the constructs: a user created with rotating keys
 * (DESTROY), and rotating keys for an existing user imported by name.
 *
 * `integ-runner --language typescript` (the test task) synthesizes this app
 * and compares it with test/integ.rotating-access-keys.ts.snapshot/. Deployed
 * (integ-runner without --dry-run, with AWS credentials), the assertions check
 * that the deploy-time rotation created one active key for each user and that
 * the secrets have rotation on; everything, keys included, is removed after.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RotatingAccessKey, RotatingAccessKeyUser } from '../src';

const app = new App();

// The "existing" user lives in its own stack, deployed first and deleted last.
const existing = new Stack(app, 'RotatingAccessKeysIntegExistingUser');
const existingUserName = 'integ-rotating-access-keys-existing';
new iam.User(existing, 'User', { userName: existingUserName }).applyRemovalPolicy(RemovalPolicy.DESTROY);

const stack = new Stack(app, 'RotatingAccessKeysInteg');
stack.addDependency(existing);
const created = new RotatingAccessKeyUser(stack, 'Created', { removalPolicy: RemovalPolicy.DESTROY });
const imported = new RotatingAccessKey(stack, 'Imported', {
  user: iam.User.fromUserName(stack, 'ExistingUser', existingUserName),
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'RotatingAccessKeys', {
  testCases: [stack],
  diffAssets: true,
});

for (const [secret, userName] of [
  [created.secret, created.user.userName],
  [imported.secret, existingUserName],
] as const) {
  integ.assertions.awsApiCall('SecretsManager', 'describeSecret', { SecretId: secret.secretArn })
    .expect(ExpectedResult.objectLike({ RotationEnabled: true }));
  // The first rotation runs after deploy, asynchronously: wait for its key.
  integ.assertions.awsApiCall('IAM', 'listAccessKeys', { UserName: userName })
    .expect(ExpectedResult.objectLike({ AccessKeyMetadata: [{ UserName: userName, Status: 'Active' }] }))
    .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
}

app.synth();
