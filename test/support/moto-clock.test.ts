/**
 * The demo's moto launcher (moto_server.py): IAM stamps keys' creation and
 * last use with the time it is given, and nothing else changes.
 */
import { CreateAccessKeyCommand, CreateUserCommand, GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { MotoServer } from './moto';

let moto: MotoServer;
beforeAll(async () => { moto = await MotoServer.start({ clock: true }); });
afterAll(async () => { await moto?.stop(); });

test('GIVEN a time set WHEN a key is created and used THEN IAM reports that creation and last-use time', async () => {
  const iam = new IAMClient({});
  moto.setClock(new Date('2031-05-06T07:08:09Z'));
  await iam.send(new CreateUserCommand({ UserName: 'clocked' }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'clocked' }))).AccessKey!;
  expect((await iam.send(new ListAccessKeysCommand({ UserName: 'clocked' }))).AccessKeyMetadata![0].CreateDate).toEqual(new Date('2031-05-06T07:08:09Z'));

  moto.setClock(new Date('2031-06-01T00:00:00Z'));
  const sts = new STSClient({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
  await sts.send(new GetCallerIdentityCommand({}));
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId! }));
  expect(used.AccessKeyLastUsed?.LastUsedDate).toEqual(new Date('2031-06-01T00:00:00Z'));
});

test('GIVEN a server started without the clock WHEN a time is set THEN it says how to start one that has it', async () => {
  const plain = await MotoServer.start();
  try {
    expect(() => plain.setClock(new Date())).toThrow(/started without a settable clock: MotoServer.start\(\{ clock: true \}\)/);
  } finally {
    await plain.stop();
  }
});
