/**
 * The GitHub Actions delivery recipe (docs/DELIVERY.md, "Recipe: GitHub Actions repository secrets"): the delivery function of
 * examples/delivery/github-actions-secrets.ts, called as the rotation function calls it, against moto's
 * Secrets Manager (reached only through AWS_ENDPOINT_URL) and a stand-in of GitHub's REST API.
 *
 * The stand-in does what GitHub does for the calls the function makes: it holds a Curve25519 key pair,
 * serves the public key, opens each PUT's sealed box with the private key and keeps the plaintext by
 * secret name (201 when created, 204 when updated). It refuses a request without the token (401), without
 * the API version header (400), an unknown repository (404), and can be told to fail or to be slow.
 */
import { randomUUID } from 'crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import sodium from 'libsodium-wrappers';
import { DeliveryEvent, handler } from '../../examples/delivery/github-actions-secrets';
import { MotoServer } from '../support/moto';

const REPOSITORY = 'my-org/my-repo';
const TOKEN = 'github_pat_11AAAAAAA0stand1in2token3for4tests';
const USER = 'ci-deployer';
const USER_ARN = `arn:aws:iam::123456789012:user/${USER}`;
// Keys as IAM makes them: 20-character ids, 40-character secrets.
// Made-up key pairs (the id and its secret on lines of their own).
const CURRENT = {
  accessKeyId: 'AKIAOLDOLDOLDOLD0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYCURRENTKEY',
};
const PENDING = {
  accessKeyId: 'AKIANEWNEWNEWNEWNEW2',
  secretAccessKey: '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',
};

/** Of the requests of `method`, let `after` pass, then answer the next one `status` (after `delayMs`), or just late. */
interface Failure { readonly method: string; readonly status?: number; readonly message?: string; readonly delayMs?: number; after?: number }

/** GitHub's REST API for one repository's Actions secrets. */
class GitHubStandIn {
  static async start(): Promise<GitHubStandIn> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const standIn = new GitHubStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => { void standIn.handle(req, res); });
    return standIn;
  }

  /** Plaintext by secret name, as the sealed boxes opened. */
  readonly secrets = new Map<string, string>();
  readonly requests: { method: string; path: string; headers: IncomingMessage['headers'] }[] = [];
  private readonly keys = sodium.crypto_box_keypair();
  private readonly keyId = '568250167242549743';
  private failures: Failure[] = [];
  private constructor(private readonly server: Server, readonly url: string) {}

  fail(planned: Failure): void {
    this.failures.push({ ...planned });
  }

  reset(): void {
    this.secrets.clear();
    this.requests.length = 0;
    this.failures = [];
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const path = req.url ?? '';
    this.requests.push({ method: req.method ?? '', path, headers: req.headers });
    const answer = (status: number, json?: unknown) => {
      if (json === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    const planned = this.failures.find((f) => f.method === req.method);
    if (planned && planned.after) {
      planned.after--;
    } else if (planned) {
      this.failures.splice(this.failures.indexOf(planned), 1);
      if (planned.delayMs) await new Promise((r) => setTimeout(r, planned.delayMs));
      if (planned.status) return answer(planned.status, { message: planned.message ?? 'Server Error' });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return answer(401, { message: 'Bad credentials' });
    if (req.headers['x-github-api-version'] !== '2022-11-28') return answer(400, { message: 'Unsupported API version' });
    const prefix = `/repos/${REPOSITORY}/actions/secrets/`;
    if (!path.startsWith(prefix)) return answer(404, { message: 'Not Found' });
    const name = path.slice(prefix.length);
    if (req.method === 'GET' && name === 'public-key') {
      return answer(200, { key_id: this.keyId, key: sodium.to_base64(this.keys.publicKey, sodium.base64_variants.ORIGINAL) });
    }
    if (req.method !== 'PUT' || !/^[A-Z_][A-Z0-9_]*$/.test(name)) return answer(404, { message: 'Not Found' });
    const { encrypted_value: sealed, key_id: keyId } = JSON.parse(body) as { encrypted_value: string; key_id: string };
    if (keyId !== this.keyId) return answer(422, { message: 'Bad request - key_id' });
    let plaintext: string;
    try {
      const box = sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL);
      plaintext = sodium.crypto_box_seal_open(box, this.keys.publicKey, this.keys.privateKey, 'text');
    } catch {
      return answer(422, { message: 'Bad request - encrypted_value' });
    }
    const created = !this.secrets.has(name);
    this.secrets.set(name, plaintext);
    return answer(created ? 201 : 204);
  }
}

let moto: MotoServer;
let github: GitHubStandIn;
let logged: string[];
const secretsManager = () => new SecretsManagerClient({});

beforeAll(async () => {
  await sodium.ready;
  moto = await MotoServer.start();
  github = await GitHubStandIn.start();
});
afterAll(async () => {
  await github?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  github.reset();
  logged = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(' ')); });
  }
  Object.assign(process.env, { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPOSITORY });
  for (const name of ['ACCESS_KEY_ID_SECRET_NAME', 'SECRET_ACCESS_KEY_SECRET_NAME', 'GITHUB_TIMEOUT_MS']) delete process.env[name];
});
afterEach(() => { jest.restoreAllMocks(); });

/** The registration's secret with its current key and a pending one (as createSecret leaves it), and the token's secret. */
async function given(options: { pendingKey?: typeof PENDING & { userName?: string }; token?: string } = {}): Promise<DeliveryEvent> {
  const sm = secretsManager();
  const value = (k: typeof PENDING & { userName?: string }) => JSON.stringify({ userName: USER, ...k, createdAt: new Date().toISOString() });
  const secret = await sm.send(new CreateSecretCommand({ Name: `access-keys/${USER}`, SecretString: value(CURRENT) }));
  const versionId = randomUUID();
  await sm.send(new PutSecretValueCommand({
    SecretId: secret.ARN, SecretString: value(options.pendingKey ?? PENDING), VersionStages: ['AWSPENDING'], ClientRequestToken: versionId,
  }));
  const token = await sm.send(new CreateSecretCommand({ Name: 'github-token', SecretString: options.token ?? TOKEN }));
  process.env.GITHUB_TOKEN_SECRET_ARN = token.ARN;
  return { secretArn: secret.ARN!, versionId, versionStage: 'AWSPENDING', userName: USER, userArn: USER_ARN, accessKeyId: PENDING.accessKeyId };
}

/** Whether `text` holds any 8 characters in a row of `secret`. */
function leaks(text: string, secret: string): boolean {
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) return true;
  return false;
}

/** The function's failure, with what it said: neither may hold any part of a key's secret or of the token. */
async function failureOf(event: DeliveryEvent): Promise<string> {
  const error = await handler(event).then(() => undefined, (e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  const said = [error!.message, String(error!.stack), ...logged].join('\n');
  for (const secret of [PENDING.secretAccessKey, CURRENT.secretAccessKey, TOKEN]) expect(leaks(said, secret)).toBe(false);
  return error!.message;
}

test('GIVEN a pending version WHEN the function delivers it THEN the repository holds exactly the pending key, not the current one', async () => {
  const event = await given();
  await handler(event);
  expect(Object.fromEntries(github.secrets)).toEqual({ AWS_ACCESS_KEY_ID: PENDING.accessKeyId, AWS_SECRET_ACCESS_KEY: PENDING.secretAccessKey });
  // Read by version id and stage (the function's grant is conditioned on AWSPENDING), then the token.
  const reads = (await moto.requests()).filter((r) => r.action === 'GetSecretValue').map((r) => r.body);
  expect(reads).toEqual([
    { SecretId: event.secretArn, VersionId: event.versionId, VersionStage: 'AWSPENDING' },
    { SecretId: process.env.GITHUB_TOKEN_SECRET_ARN },
  ]);
  // GitHub's documented calls and headers; the secret before the id.
  expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
    `GET /repos/${REPOSITORY}/actions/secrets/public-key`,
    `PUT /repos/${REPOSITORY}/actions/secrets/AWS_SECRET_ACCESS_KEY`,
    `PUT /repos/${REPOSITORY}/actions/secrets/AWS_ACCESS_KEY_ID`,
  ]);
  for (const { headers } of github.requests) {
    expect(headers).toMatchObject({ 'accept': 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': expect.stringMatching(/^cdk-rotating-access-keys/) });
  }
  expect(logged.join('\n')).toContain(PENDING.accessKeyId);
  expect(leaks(logged.join('\n'), PENDING.secretAccessKey)).toBe(false);
});

test('GIVEN exactly the documented payload WHEN the function runs THEN it needs nothing else, and the secret names can be changed', async () => {
  const { secretArn, versionId, versionStage, userName, userArn, accessKeyId } = await given();
  Object.assign(process.env, { ACCESS_KEY_ID_SECRET_NAME: 'DEPLOY_KEY_ID', SECRET_ACCESS_KEY_SECRET_NAME: 'DEPLOY_KEY_SECRET' });
  const payload = JSON.parse(JSON.stringify({ secretArn, versionId, versionStage, userName, userArn, accessKeyId }));
  expect(Object.keys(payload).sort()).toEqual(['accessKeyId', 'secretArn', 'userArn', 'userName', 'versionId', 'versionStage']);
  expect(JSON.stringify(payload)).not.toContain(PENDING.secretAccessKey);
  await handler(payload);
  expect(Object.fromEntries(github.secrets)).toEqual({ DEPLOY_KEY_ID: PENDING.accessKeyId, DEPLOY_KEY_SECRET: PENDING.secretAccessKey });
});

test('GIVEN a delivered version WHEN the function is called again for it THEN the repository holds the same values', async () => {
  const event = await given();
  await handler(event);
  const first = Object.fromEntries(github.secrets);
  await handler(event);
  expect(Object.fromEntries(github.secrets)).toEqual(first);
  expect(first.AWS_SECRET_ACCESS_KEY).toBe(PENDING.secretAccessKey);
  expect(github.requests.filter((r) => r.method === 'PUT')).toHaveLength(4);
});

test.each<[string, typeof PENDING & { userName?: string }]>([
  ['key id', { ...PENDING, accessKeyId: 'AKIAOTHEROTHEROTHER3' }],
  ['user', { ...PENDING, userName: 'someone-else' }],
])('GIVEN a payload whose %s is not the pending version\'s WHEN the function runs THEN it throws naming both and writes nothing', async (_, pendingKey) => {
  const event = await given({ pendingKey });
  expect(await failureOf(event)).toBe(`version ${event.versionId} of ${event.secretArn} holds access key ${pendingKey.accessKeyId} `
    + `of ${pendingKey.userName ?? USER}, but the payload names ${PENDING.accessKeyId} of ${USER}: nothing delivered`);
  expect(github.secrets.size).toBe(0);
  expect(github.requests).toEqual([]);
});

test('GIVEN a version that is no longer pending WHEN the function runs THEN Secrets Manager refuses it and nothing is written', async () => {
  const event = await given();
  // The payload names the current version: its id with the stage AWSPENDING matches no version.
  const { VersionId } = await secretsManager().send(new PutSecretValueCommand({
    SecretId: event.secretArn, SecretString: JSON.stringify({ userName: USER, ...PENDING }), VersionStages: ['AWSCURRENT'],
  }));
  expect(await failureOf({ ...event, versionId: VersionId! })).toMatch(/VersionStage/);
  expect(github.secrets.size).toBe(0);
});

test.each([
  ['a wrong token (401)', { token: 'github_pat_revoked' }, undefined, 'GitHub GET /repos/my-org/my-repo/actions/secrets/public-key answered 401: Bad credentials'],
  ['an unknown repository (404)', {}, { GITHUB_REPOSITORY: 'my-org/gone' }, 'GitHub GET /repos/my-org/gone/actions/secrets/public-key answered 404: Not Found'],
])('GIVEN %s WHEN the function runs THEN it throws with the method, path and status, and says no secret', async (_, setUp, env, expected) => {
  const event = await given(setUp);
  Object.assign(process.env, env);
  expect(await failureOf(event)).toBe(expected);
  expect(github.secrets.size).toBe(0);
});

test('GIVEN GitHub failing the second write (500) WHEN the rotation is retried THEN the first throws naming the write and the retry completes the pair', async () => {
  const event = await given();
  github.fail({ method: 'PUT', after: 1, status: 500, message: 'Server Error' });
  expect(await failureOf(event)).toBe('GitHub PUT /repos/my-org/my-repo/actions/secrets/AWS_ACCESS_KEY_ID answered 500: Server Error');
  // The secret is there, the id still is not: a job would fail on the signature, not use a wrong key silently.
  expect(Object.fromEntries(github.secrets)).toEqual({ AWS_SECRET_ACCESS_KEY: PENDING.secretAccessKey });
  await handler(event);
  expect(Object.fromEntries(github.secrets)).toEqual({ AWS_ACCESS_KEY_ID: PENDING.accessKeyId, AWS_SECRET_ACCESS_KEY: PENDING.secretAccessKey });
});

test('GIVEN GitHub not answering in time WHEN the function runs THEN it throws naming the request, not waiting for the Lambda timeout', async () => {
  const event = await given();
  process.env.GITHUB_TIMEOUT_MS = '300';
  github.fail({ method: 'GET', delayMs: 1_500 });
  expect(await failureOf(event)).toBe('GitHub GET /repos/my-org/my-repo/actions/secrets/public-key failed: no answer within 300 ms');
  expect(github.secrets.size).toBe(0);
});

test.each([
  ['versionStage', { versionStage: 'AWSCURRENT' }, 'the delivery payload\'s versionStage is "AWSCURRENT", not a valid versionStage'],
  ['accessKeyId', { accessKeyId: undefined }, 'the delivery payload\'s accessKeyId is undefined, not a valid accessKeyId'],
  ['secretArn', { secretArn: 'access-keys/ci-deployer' }, 'the delivery payload\'s secretArn is "access-keys/ci-deployer", not a valid secretArn'],
])('GIVEN a payload with a bad %s WHEN the function runs THEN it throws naming the field and its value', async (_, change, expected) => {
  const event = await given();
  expect(await failureOf({ ...event, ...change } as DeliveryEvent)).toBe(expected);
  expect(github.requests).toEqual([]);
  expect((await moto.requests()).filter((r) => r.action === 'GetSecretValue')).toEqual([]);
});
