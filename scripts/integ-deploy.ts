/**
 * `npx projen integ:deploy`: the real-account check in one command, for a
 * sandbox account (docs/REAL-ACCOUNT.md).
 *
 * 1. Says which account, principal and Region the current AWS credentials
 *    reach, and stops when the Region is not bootstrapped for the CDK or when
 *    the integ app's users already exist (a run left behind, or someone's users).
 * 2. Runs integ-runner without --dry-run on test/integ.rotating-access-keys.ts:
 *    it deploys the stacks, runs their assertions, and deletes the stacks
 *    (also when an assertion failed).
 * 3. After the deletion, checks what integ-tests cannot check once its own
 *    stack is gone: the stacks are deleted, both users are gone (so are their
 *    keys: IAM deletes no user that still has keys), and every secret of the
 *    app is deleted or scheduled for deletion.
 * Exits non-zero when any of them fails.
 */
import { spawnSync } from 'child_process';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { LIBRARY, secretDescription } from '../src/rotation/contract';
import { CREATED_USER_NAME, EXISTING_USER_NAME, STACK_NAMES } from '../test/support/integ-names';

const USERS = [CREATED_USER_NAME, EXISTING_USER_NAME];

const errorName = (e: unknown) => (e as { name?: string }).name ?? '';

async function region(): Promise<string> {
  const fromEnv = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  // The Region of the profile in use (~/.aws/config), as the SDK and the CDK CLI resolve it.
  const configured = await new STSClient({}).config.region().catch(() => undefined);
  if (!configured) throw new Error('no AWS Region: set AWS_REGION (or a region in the profile)');
  return configured;
}

async function userExists(iam: IAMClient, userName: string): Promise<boolean> {
  try {
    await iam.send(new GetUserCommand({ UserName: userName }));
    return true;
  } catch (e) {
    if (errorName(e) === 'NoSuchEntityException' || errorName(e) === 'NoSuchEntity') return false;
    throw e;
  }
}

async function stackStatus(cfn: CloudFormationClient, stackName: string): Promise<string | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0]?.StackStatus;
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) return undefined;
    throw e;
  }
}

/** What is left after the deletion: one line per problem, none when the DESTROY removal did its work. */
async function leftovers(regionName: string): Promise<string[]> {
  const cfn = new CloudFormationClient({ region: regionName });
  const iam = new IAMClient({ region: regionName });
  const secrets = new SecretsManagerClient({ region: regionName });
  const problems: string[] = [];
  for (const stack of STACK_NAMES) {
    const status = await stackStatus(cfn, stack);
    if (status !== undefined && status !== 'DELETE_COMPLETE') problems.push(`stack ${stack} is ${status}`);
  }
  for (const user of USERS) {
    if (!(await userExists(iam, user))) continue;
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
    const listed = (keys.AccessKeyMetadata ?? []).map((k) => `${k.AccessKeyId} (${k.Status})`).join(', ') || 'none';
    problems.push(`user ${user} still exists; its access keys: ${listed}`);
  }
  // The library's secrets, found by their description (it names the user), including those scheduled for deletion.
  let token: string | undefined;
  do {
    const page = await secrets.send(new ListSecretsCommand({
      IncludePlannedDeletion: true,
      Filters: [{ Key: 'description', Values: [LIBRARY] }],
      NextToken: token,
    }));
    for (const s of page.SecretList ?? []) {
      const ours = USERS.some((u) => s.Description === secretDescription(u));
      if (ours && s.DeletedDate === undefined) problems.push(`secret ${s.Name} (${s.Description}) is not deleted`);
    }
    token = page.NextToken;
  } while (token);
  return problems;
}

async function main(): Promise<number> {
  const regionName = await region();
  const me = await new STSClient({ region: regionName }).send(new GetCallerIdentityCommand({}));
  console.log(`integ:deploy: account ${me.Account}, as ${me.Arn}, Region ${regionName}`);

  const cfn = new CloudFormationClient({ region: regionName });
  if ((await stackStatus(cfn, 'CDKToolkit')) === undefined) {
    console.error(`integ:deploy: Region ${regionName} of account ${me.Account} is not bootstrapped: run npx cdk bootstrap aws://${me.Account}/${regionName}`);
    return 2;
  }
  const iam = new IAMClient({ region: regionName });
  for (const user of USERS) {
    if (await userExists(iam, user)) {
      console.error(`integ:deploy: IAM user ${user} already exists in account ${me.Account}; the check creates it. `
        + 'Delete it (and its keys) if a run left it behind, or use another account');
      return 2;
    }
  }

  const started = Date.now();
  const run = spawnSync('npx', [
    'integ-runner', '--language', 'typescript',
    // Deploy even when the snapshot matches; one Region, the credentials' own; the app as it is now.
    '--force', '--parallel-regions', regionName, '--no-update-workflow',
    ...process.argv.slice(2),
  ], { stdio: 'inherit', env: { ...process.env, AWS_REGION: regionName } });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`integ:deploy: integ-runner ${run.status === 0 ? 'passed' : `failed (exit ${run.status ?? run.signal})`} in ${minutes} min`);

  const problems = await leftovers(regionName);
  if (problems.length > 0) {
    console.error('integ:deploy: after the stacks were deleted (RemovalPolicy.DESTROY), something is left:');
    for (const p of problems) console.error(`  ${p}`);
  } else {
    console.log('integ:deploy: after deletion: the stacks are gone, both users are gone (with their keys), every secret is deleted or scheduled for deletion');
  }
  return run.status === 0 && problems.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`integ:deploy: ${(e as Error).message}`);
  process.exit(2);
});
