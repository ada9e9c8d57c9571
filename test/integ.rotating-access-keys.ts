/**
 * The real-account check: a user created with rotating keys (DESTROY), and
 * rotating keys for an existing user imported by name, with assertions that
 * run against them once deployed.
 *
 * `npx projen integ` (part of `npx projen test`) synthesizes this app and
 * compares it with test/integ.rotating-access-keys.ts.snapshot/: no account
 * needed. `npx projen integ:deploy` deploys it to the current AWS credentials'
 * account and Region, runs the assertions below, deletes everything and then
 * checks that nothing is left (scripts/integ-deploy.ts). docs/REAL-ACCOUNT.md
 * says how, what it costs, and which facts of docs/SECURITY.md each assertion
 * settles.
 *
 * The assertions, in order for each user:
 * 1. rotation is on (DescribeSecret) and the first rotation is done: the user
 *    has one active key, and the secret has an AWSCURRENT version;
 * 2. the AWSCURRENT key authenticates as its user: a probe function reads the
 *    secret and calls STS GetCallerIdentity signed with the key pair; the
 *    version also carries the key's id as a staging label, and no value is
 *    staged AWSPENDING (no rotation left unfinished);
 * and once for the stack:
 * 3. the registry resolves: DescribeStackResource on the rotation function,
 *    as the function calls it, returns Metadata naming each secret's and each
 *    user's ARN, resolved;
 * then, for the created user:
 * 4. a revoke, made as the CLI's `revoke` makes it (the revoke tag, then
 *    RotateSecret) by a function that holds `grantRevoke` only, deactivates
 *    the old key: IAM lists it Inactive, STS refuses it, and the new key is
 *    AWSCURRENT (with the revoke's label) and authenticates; the old one is
 *    AWSPREVIOUS, its label listed by ListSecretVersionIds;
 * 5. the next lifecycle run (invoked with the scheduled event, not waited for)
 *    deletes the revoked key: the user has one key left, the new one.
 * The imported user's registration names a delivery function, which every
 * rotation of that key invokes before promoting it: it reads the pending
 * version by the stage its grant allows, checks it holds the key the event
 * names, and fails unless reading the current version (by its stage, and by
 * default) is denied. A failed delivery fails the rotation and so the
 * deployment: assertions 1 and 2 of that user passing prove that real IAM
 * judges the grant as the policy simulation does (test/integration/delivery.test.ts).
 * Deleting the stacks with DESTROY must remove the keys and both users; that
 * is checked after integ-runner has deleted them (scripts/integ-leftovers.ts).
 */
import { ExpectedResult, IApiCall, IntegTest, InvocationType, Match } from '@aws-cdk/integ-tests-alpha';
import { App, CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AccessKeyRotator, RotatingAccessKey, RotatingAccessKeyUser } from '../src';
// The users' names are fixed, so that the check after deletion can ask IAM for them.
import { CREATED_USER_NAME, EXISTING_USER_NAME, STACK_NAMES } from './support/integ-names';
import { LIFECYCLE_ACTION, REGISTRY_METADATA_KEY, Stage, Tags } from '../src/rotation/contract';


/** How long an assertion waits for something asynchronous (a rotation Secrets Manager runs, IAM's propagation). */
const WAIT = { totalTimeout: Duration.minutes(10), interval: Duration.seconds(20) };
const KEY_ID = '^AKIA[A-Z0-9]{12,124}$';

const app = new App();

// The "existing" user lives in its own stack, deployed first and deleted last.
const existing = new Stack(app, STACK_NAMES[0]);
const existingUser = new iam.User(existing, 'User', { userName: EXISTING_USER_NAME });
existingUser.applyRemovalPolicy(RemovalPolicy.DESTROY);

const stack = new Stack(app, STACK_NAMES[1]);
stack.addDependency(existing);
const created = new RotatingAccessKeyUser(stack, 'Created', { userName: CREATED_USER_NAME, removalPolicy: RemovalPolicy.DESTROY });
/**
 * The delivery function of the imported user's key: the check of its own grant is what it delivers. It reads the
 * pending version by the event's stage (AWSPENDING), requires the key the event names (and no secret in the event),
 * then requires that reading the current version, by its stage or with none, is denied. Anything else throws, which
 * fails the rotation.
 */
const delivery = new lambda.Function(stack, 'Delivery', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  timeout: Duration.seconds(30),
  description: 'integ: a delivery function that checks its grant is AWSPENDING of its secret only',
  code: lambda.Code.fromInline(`
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const secrets = new SecretsManagerClient({});
exports.handler = async (event) => {
  if ('secretAccessKey' in event || 'SecretString' in event) throw new Error('the event carries a secret');
  const read = (stage, versionId) => secrets.send(new GetSecretValueCommand({ SecretId: event.secretArn, VersionStage: stage, VersionId: versionId }));
  const pending = JSON.parse((await read(event.versionStage, event.versionId)).SecretString || '{}');
  if (pending.accessKeyId !== event.accessKeyId || pending.userName !== event.userName) {
    throw new Error('the pending version holds key ' + pending.accessKeyId + ', not ' + event.accessKeyId);
  }
  for (const stage of ['${Stage.CURRENT}', undefined]) {
    const denied = await read(stage).then(() => false, (e) => e.name === 'AccessDeniedException');
    if (!denied) throw new Error('reading ' + (stage || 'without a stage') + ' was not denied: the grant is wider than ${Stage.PENDING}');
  }
  return { delivered: event.accessKeyId };
};
`),
});
const imported = new RotatingAccessKey(stack, 'Imported', {
  user: iam.User.fromUserName(stack, 'ExistingUser', EXISTING_USER_NAME),
  removalPolicy: RemovalPolicy.DESTROY,
  deliveryFunction: delivery,
});
const rotator = AccessKeyRotator.of(stack);

const assertions = new Stack(app, STACK_NAMES[2]);
const integ = new IntegTest(app, 'RotatingAccessKeys', {
  testCases: [stack],
  assertionStack: assertions,
  diffAssets: true,
});

/**
 * The probe: reads a secret's value at a stage (the only thing its role may do
 * in Secrets Manager, on these two secrets only) and calls STS
 * GetCallerIdentity signed with the key pair it holds, retrying for IAM's
 * eventual consistency until the outcome asked for (`authenticated` or
 * `refused`) or a minute has passed. It returns what it saw, never the secret
 * access key: the key's id, the version's staging labels (sorted), whether the
 * labels name the key, whether a value is staged AWSPENDING, and the caller's
 * ARN or the error's name.
 */
const probe = new lambda.Function(assertions, 'KeyProbe', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  timeout: Duration.minutes(2),
  description: 'integ assertion: does a rotating access key secret authenticate as its user?',
  code: lambda.Code.fromInline(`
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const secrets = new SecretsManagerClient({});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.handler = async (event) => {
  const stage = event.stage === 'AWSPREVIOUS' ? 'AWSPREVIOUS' : 'AWSCURRENT';
  const want = event.until === 'refused' ? 'refused' : 'authenticated';
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: event.secretArn, VersionStage: stage }));
  const value = JSON.parse(out.SecretString || '{}');
  const labels = [...(out.VersionStages || [])].sort();
  // A rotation left unfinished keeps a value staged AWSPENDING; none is there once a rotation is done.
  let pending = 'value';
  try {
    await secrets.send(new GetSecretValueCommand({ SecretId: event.secretArn, VersionStage: 'AWSPENDING' }));
  } catch (e) {
    pending = e.name === 'ResourceNotFoundException' ? 'none' : e.name;
  }
  const sts = new STSClient({ maxAttempts: 1, credentials: { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey } });
  let seen = { outcome: 'none' };
  for (let attempt = 0; attempt < 12; attempt++) {
    try {
      const id = await sts.send(new GetCallerIdentityCommand({}));
      seen = { outcome: 'authenticated', arn: id.Arn };
    } catch (e) {
      seen = { outcome: 'refused', error: e.name };
    }
    if (seen.outcome === want) break;
    await sleep(5000);
  }
  return { accessKeyId: value.accessKeyId, userName: value.userName, labels, labelledWithKeyId: labels.includes(value.accessKeyId), pending, ...seen };
};
`),
});
probe.addToRolePolicy(new iam.PolicyStatement({
  actions: ['secretsmanager:GetSecretValue'],
  resources: [created.secret.secretArn, imported.secret.secretArn],
}));

/**
 * The revoker: the CLI's `revoke` as two calls (docs/SECURITY.md, "Revoking
 * without invoking the function"): the revoke tag with the time of the
 * request, then RotateSecret with the secret's own function. Its role holds
 * `grantRevoke` on the created user's key and nothing else, as an operator's
 * would. The request's time is the invocation's: a tag written at synth would
 * be older than the hour a revoke request is good for.
 */
const revoker = new lambda.Function(assertions, 'Revoker', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  timeout: Duration.minutes(1),
  description: 'integ assertion: revoke a rotating access key as the CLI does',
  code: lambda.Code.fromInline(`
const { SecretsManagerClient, TagResourceCommand, RotateSecretCommand } = require('@aws-sdk/client-secrets-manager');
const secrets = new SecretsManagerClient({});
exports.handler = async (event) => {
  const requestedAt = new Date().toISOString();
  await secrets.send(new TagResourceCommand({ SecretId: event.secretArn, Tags: [{ Key: '${Tags.REVOKE}', Value: 'requested-at=' + requestedAt }] }));
  const out = await secrets.send(new RotateSecretCommand({ SecretId: event.secretArn }));
  return { requestedAt, rotationStarted: typeof out.VersionId === 'string' };
};
`),
});
created.grantRevoke(revoker);

const invokeProbe = (secretArn: string, stage: string, until: 'authenticated' | 'refused'): IApiCall => integ.assertions.invokeFunction({
  functionName: probe.functionName,
  invocationType: InvocationType.REQUEST_RESPONSE,
  payload: JSON.stringify({ secretArn, stage, until }),
});

/** What the rotation function reads: its own resource's Metadata, by stack name and logical id. */
const registry = integ.assertions.awsApiCall('CloudFormation', 'describeStackResource', {
  StackName: stack.stackName,
  LogicalResourceId: stack.resolve(stack.getLogicalId(rotator.function.node.defaultChild as CfnElement)),
}).expect(ExpectedResult.objectLike({
  StackResourceDetail: {
    ResourceType: 'AWS::Lambda::Function',
    Metadata: Match.serializedJson(Match.objectLike({
      [REGISTRY_METADATA_KEY]: Match.objectLike({
        registrations: [
          Match.objectLike({ secretArn: created.secret.secretArn, userArn: created.user.userArn, removal: 'DESTROY' }),
          Match.objectLike({ secretArn: imported.secret.secretArn, userArn: existingUser.userArn, removal: 'DESTROY' }),
        ],
      }),
    })),
  },
}));

const chains: Record<string, IApiCall> = {};
for (const [name, secretArn, userName, userArn] of [
  ['created', created.secret.secretArn, CREATED_USER_NAME, created.user.userArn],
  ['imported', imported.secret.secretArn, EXISTING_USER_NAME, existingUser.userArn],
] as const) {
  // 1. Rotation is on, and the first rotation (run at deploy) is done: one active key, an AWSCURRENT version (the
  // metadata-only version the secret was created with is AWSPREVIOUS now).
  const rotationOn = integ.assertions.awsApiCall('SecretsManager', 'describeSecret', { SecretId: secretArn })
    .expect(ExpectedResult.objectLike({ RotationEnabled: true }));
  const oneKey = integ.assertions.awsApiCall('IAM', 'listAccessKeys', { UserName: userName })
    .expect(ExpectedResult.objectLike({ AccessKeyMetadata: [{ UserName: userName, Status: 'Active' }] }))
    .waitForAssertions(WAIT);
  const firstRotationDone = integ.assertions.awsApiCall('SecretsManager', 'listSecretVersionIds', { SecretId: secretArn })
    .expect(ExpectedResult.objectLike({ Versions: Match.arrayWith([Match.objectLike({ VersionStages: Match.arrayWith([Stage.CURRENT]) })]) }))
    .waitForAssertions(WAIT);
  // 2. The AWSCURRENT key authenticates as its user; its version is labelled with the key's id; nothing is pending.
  const authenticates = invokeProbe(secretArn, Stage.CURRENT, 'authenticated')
    .expect(ExpectedResult.objectLike({
      Payload: Match.serializedJson(Match.objectLike({
        outcome: 'authenticated',
        arn: userArn,
        userName,
        accessKeyId: Match.stringLikeRegexp(KEY_ID),
        labels: [Match.stringLikeRegexp(KEY_ID), Stage.CURRENT],
        labelledWithKeyId: true,
        pending: 'none',
      })),
    }));
  chains[name] = rotationOn.next(oneKey).next(firstRotationDone).next(authenticates);
}
chains.imported.next(registry);

// 4. A revoke of the created user's key, as the CLI makes it. The old key's id comes from a probe of its own:
// an assertion's response is not kept when another resource reads one of its attributes.
const oldKey = invokeProbe(created.secret.secretArn, Stage.CURRENT, 'authenticated');
const oldKeyId = oldKey.getAttString('Payload.accessKeyId');
const revoke = integ.assertions.invokeFunction({
  functionName: revoker.functionName,
  invocationType: InvocationType.REQUEST_RESPONSE,
  payload: JSON.stringify({ secretArn: created.secret.secretArn }),
}).expect(ExpectedResult.objectLike({ Payload: Match.serializedJson(Match.objectLike({ rotationStarted: true })) }));
// The rotation it starts runs asynchronously; finishSecret deactivates the old key.
const oldKeyInactive = integ.assertions.awsApiCall('IAM', 'listAccessKeys', { UserName: CREATED_USER_NAME })
  .expect(ExpectedResult.objectLike({
    AccessKeyMetadata: Match.arrayWith([Match.objectLike({ AccessKeyId: oldKeyId, Status: 'Inactive' })]),
  }))
  .waitForAssertions(WAIT);
const oldKeyRefused = invokeProbe(created.secret.secretArn, Stage.PREVIOUS, 'refused')
  .expect(ExpectedResult.objectLike({
    Payload: Match.serializedJson(Match.objectLike({
      outcome: 'refused',
      accessKeyId: oldKeyId,
      labels: [Match.stringLikeRegexp(KEY_ID), Stage.PREVIOUS],
      labelledWithKeyId: true,
    })),
  }));
const newKeyAuthenticates = invokeProbe(created.secret.secretArn, Stage.CURRENT, 'authenticated')
  .expect(ExpectedResult.objectLike({
    Payload: Match.serializedJson(Match.objectLike({
      outcome: 'authenticated',
      arn: created.user.userArn,
      // Another key than the revoked one.
      accessKeyId: Match.stringLikeRegexp(`^(?!${oldKeyId}$)AKIA[A-Z0-9]{12,124}$`),
      labels: [Stage.REVOKED_PREDECESSOR, Match.stringLikeRegexp(KEY_ID), Stage.CURRENT],
      labelledWithKeyId: true,
      pending: 'none',
    })),
  }));
// The old key's label is listed with the secret's versions too (the lifecycle reads them there).
const oldKeyLabelListed = integ.assertions.awsApiCall('SecretsManager', 'listSecretVersionIds', { SecretId: created.secret.secretArn })
  .expect(ExpectedResult.objectLike({ Versions: Match.arrayWith([Match.objectLike({ VersionStages: Match.arrayWith([oldKeyId]) })]) }));

// 5. The lifecycle (hourly) is not waited for: the scheduled event, sent now. It finds the revoked key by the
// staging labels ListSecrets lists, and deletes it.
const lifecycle = integ.assertions.invokeFunction({
  functionName: rotator.function.functionName,
  invocationType: InvocationType.REQUEST_RESPONSE,
  payload: JSON.stringify({ action: LIFECYCLE_ACTION }),
}).expect(ExpectedResult.objectLike({ StatusCode: 200, Payload: Match.serializedJson(Match.objectLike({ failed: 0 })) }));
const revokedKeyDeleted = integ.assertions.awsApiCall('IAM', 'listAccessKeys', { UserName: CREATED_USER_NAME })
  .expect(ExpectedResult.objectLike({
    AccessKeyMetadata: [{ AccessKeyId: Match.stringLikeRegexp(`^(?!${oldKeyId}$)AKIA`), Status: 'Active' }],
  }))
  .waitForAssertions(WAIT);

chains.created
  .next(oldKey)
  .next(revoke)
  .next(oldKeyInactive)
  .next(oldKeyRefused)
  .next(newKeyAuthenticates)
  .next(oldKeyLabelListed)
  .next(lifecycle)
  .next(revokedKeyDeleted);

/** The synthesized assembly, for test/constructs/integ-assertions.test.ts. */
export const assembly = app.synth();
