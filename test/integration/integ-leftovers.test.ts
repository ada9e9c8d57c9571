/**
 * The real-account check's last step (scripts/integ-leftovers.ts), against
 * moto: after integ-runner deleted the stacks, a user still there is named
 * with its keys, a secret of the check's users not deleted is named, and a
 * secret scheduled for deletion, or another user's, is not.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { leftovers } from '../../scripts/integ-leftovers';
import { secretDescription } from '../../src/rotation/contract';
import { CREATED_USER_NAME, EXISTING_USER_NAME, STACK_NAMES } from '../support/integ-names';
import { MotoServer } from '../support/moto';

let moto: MotoServer;
let standIn: string | undefined;
beforeAll(async () => {
  moto = await MotoServer.start();
  // CloudFormation's calls go to moto too: the stacks here are plain ones, which moto deploys.
  standIn = process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = moto.endpoint;
});
afterAll(async () => {
  if (standIn === undefined) delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
  else process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = standIn;
  await moto?.stop();
});
beforeEach(async () => { await moto.reset(); });

const REGION = 'us-east-1';
const cfn = () => new CloudFormationClient({ region: REGION });

test('nothing left: no finding', async () => {
  expect(await leftovers(REGION)).toEqual([]);
});

test('a user left behind is named with its keys; a stack not deleted is named', async () => {
  const iam = new IAMClient({ region: REGION });
  await iam.send(new CreateUserCommand({ UserName: EXISTING_USER_NAME }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: EXISTING_USER_NAME }));
  await cfn().send(new CreateStackCommand({
    StackName: STACK_NAMES[0],
    TemplateBody: JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }),
  }));
  const found = await leftovers(REGION);
  expect(found).toEqual(expect.arrayContaining([
    expect.stringMatching(new RegExp(`^stack ${STACK_NAMES[0]} is CREATE_COMPLETE$`)),
    `user ${EXISTING_USER_NAME} still exists; its access keys: ${key.AccessKey!.AccessKeyId} (Active)`,
  ]));
  expect(found).toHaveLength(2);
});

test('a secret of the check\'s users not deleted is named; one scheduled for deletion, or another user\'s, is not', async () => {
  const sm = new SecretsManagerClient({ region: REGION });
  await sm.send(new CreateSecretCommand({ Name: 'CreatedAccessKeySecret-left', Description: secretDescription(CREATED_USER_NAME), SecretString: '{}' }));
  await sm.send(new CreateSecretCommand({ Name: 'ImportedSecret-gone', Description: secretDescription(EXISTING_USER_NAME), SecretString: '{}' }));
  await sm.send(new DeleteSecretCommand({ SecretId: 'ImportedSecret-gone', RecoveryWindowInDays: 7 }));
  await sm.send(new CreateSecretCommand({ Name: 'someone-else', Description: secretDescription('backup-server'), SecretString: '{}' }));
  expect(await leftovers(REGION)).toEqual([
    `secret CreatedAccessKeySecret-left (${secretDescription(CREATED_USER_NAME)}) is not deleted`,
  ]);
});
