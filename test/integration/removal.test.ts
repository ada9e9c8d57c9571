/**
 * The removal resource against moto: with RemovalPolicy.DESTROY, CloudFormation
 * asks the function to delete the managed keys before it deletes the users
 * (IAM refuses to delete a user that still has keys). The function answers
 * CloudFormation's presigned URL itself; a local server stands in for it.
 */
import { execFileSync } from 'child_process';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { DeleteAccessKeyCommand, DeleteUserCommand } from '@aws-sdk/client-iam';
import { MotoServer } from '../support/moto';
import { makeRotator, rotate, World } from '../support/world';

const ROOT = path.join(__dirname, '..', '..');
let moto: MotoServer;
let handler: (event: unknown) => Promise<unknown>;
let cloudFormation: Server;
let responseUrl: string;
const responses: Record<string, string>[] = [];

beforeAll(async () => {
  execFileSync('npx', ['projen', 'bundle'], { cwd: ROOT, stdio: 'ignore' });
  moto = await MotoServer.start();
  cloudFormation = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { responses.push(JSON.parse(body)); res.end(); });
  });
  await new Promise<void>((r) => cloudFormation.listen(0, '127.0.0.1', r));
  responseUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}/response`;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- load the built file as Lambda does
  handler = require(path.join(ROOT, 'assets', 'rotation', 'rotation.lambda', 'index.js')).handler;
});
afterAll(async () => {
  cloudFormation?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  responses.length = 0;
});

function cfnEvent(requestType: 'Create' | 'Update' | 'Delete', secrets: string[], oldSecrets?: string[]) {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:rotation',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1',
    RequestId: 'request-1',
    LogicalResourceId: 'AccessKeyRemoval',
    PhysicalResourceId: 'access-key-removal',
    ResourceType: 'Custom::AccessKeyRemoval',
    ResourceProperties: { ServiceToken: 'x', Secrets: secrets },
    ...(oldSecrets ? { OldResourceProperties: { ServiceToken: 'x', Secrets: oldSecrets } } : {}),
  };
}

async function managedUser(world: World, name: string) {
  await world.createUser(name);
  const arn = await world.createManagedSecret(name);
  const h = makeRotator();
  await rotate(world, h.rotator, arn);
  await rotate(world, h.rotator, arn);
  return arn;
}

test('GIVEN the stack is deleted THEN the managed keys go first, so the user can be deleted', async () => {
  const world = new World();
  const arn = await managedUser(world, 'alice');
  expect(await world.keys('alice')).toHaveLength(2);

  await handler(cfnEvent('Delete', [arn]));

  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'access-key-removal', RequestId: 'request-1' })]);
  expect(await world.keys('alice')).toEqual([]);
  await world.iam.send(new DeleteUserCommand({ UserName: 'alice' }));
});

test('GIVEN a hand-made key on the user THEN removal leaves it (never deleting what it does not own) and still answers', async () => {
  const world = new World();
  await world.createUser('bob');
  const arn = await world.createManagedSecret('bob');
  await rotate(world, makeRotator().rotator, arn);
  const foreign = await world.createForeignKey('bob');

  await handler(cfnEvent('Delete', [arn]));

  expect(responses[0].Status).toBe('SUCCESS');
  expect(await world.keys('bob')).toEqual([{ accessKeyId: foreign.accessKeyId, status: 'Active' }]);
  await world.iam.send(new DeleteAccessKeyCommand({ UserName: 'bob', AccessKeyId: foreign.accessKeyId }));
});

test('GIVEN one construct is removed from the app THEN the update deletes that user\'s keys only', async () => {
  const world = new World();
  const alice = await managedUser(world, 'alice');
  const carol = await managedUser(world, 'carol');

  await handler(cfnEvent('Update', [alice], [alice, carol]));

  expect(responses[0].Status).toBe('SUCCESS');
  expect(await world.keys('alice')).toHaveLength(2);
  expect(await world.keys('carol')).toEqual([]);
});

test('GIVEN the resource is created THEN nothing is deleted', async () => {
  const world = new World();
  const alice = await managedUser(world, 'alice');
  await handler(cfnEvent('Create', [alice]));
  expect(responses[0].Status).toBe('SUCCESS');
  expect(await world.keys('alice')).toHaveLength(2);
});

test('GIVEN a failure THEN CloudFormation is told why instead of waiting an hour', async () => {
  await handler(cfnEvent('Delete', ['arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf']));
  expect(responses).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringContaining('ResourceNotFoundException') })]);
});
