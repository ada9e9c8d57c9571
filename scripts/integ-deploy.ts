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
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { leftovers, stackStatus, userExists } from './integ-leftovers';
import { CREATED_USER_NAME, EXISTING_USER_NAME } from '../test/support/integ-names';

const USERS = [CREATED_USER_NAME, EXISTING_USER_NAME];

async function region(): Promise<string> {
  const fromEnv = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  // The Region of the profile in use (~/.aws/config), as the SDK and the CDK CLI resolve it.
  const configured = await new STSClient({}).config.region().catch(() => undefined);
  if (!configured) throw new Error('no AWS Region: set AWS_REGION (or a region in the profile)');
  return configured;
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
