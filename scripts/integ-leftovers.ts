/**
 * What the real-account check finds left after integ-runner deleted its stacks
 * (scripts/integ-deploy.ts): with `RemovalPolicy.DESTROY`, nothing. Tested
 * against moto in test/integration/integ-leftovers.test.ts.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LIBRARY, secretDescription } from '../src/rotation/contract';
import { CREATED_USER_NAME, EXISTING_USER_NAME, STACK_NAMES } from '../test/support/integ-names';

const USERS = [CREATED_USER_NAME, EXISTING_USER_NAME];

const errorName = (e: unknown) => (e as { name?: string }).name ?? '';

export async function userExists(iam: IAMClient, userName: string): Promise<boolean> {
  try {
    await iam.send(new GetUserCommand({ UserName: userName }));
    return true;
  } catch (e) {
    if (errorName(e) === 'NoSuchEntityException' || errorName(e) === 'NoSuchEntity') return false;
    throw e;
  }
}

export async function stackStatus(cfn: CloudFormationClient, stackName: string): Promise<string | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0]?.StackStatus;
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) return undefined;
    throw e;
  }
}

/** What is left after the deletion: one line per problem, none when the DESTROY removal did its work. */
export async function leftovers(regionName: string): Promise<string[]> {
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
