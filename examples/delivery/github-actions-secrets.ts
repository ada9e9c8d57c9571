/**
 * A delivery function (docs/DELIVERY.md, "Recipe: GitHub Actions repository secrets"): during a rotation's setSecret step it
 * writes the new key into a GitHub repository's Actions secrets. It is invoked with the key's id and the
 * pending version's id, never the secret itself; it reads the secret from Secrets Manager, encrypts it
 * with the repository's public key (libsodium's sealed box) and writes it with GitHub's REST API.
 *
 * It throws on any failure, so the rotation fails and is retried later while the old key stays current,
 * and it may be called again for the same version: writing the same values twice is harmless.
 * Nothing it logs or throws contains the secret access key or the GitHub token.
 *
 * Environment: GITHUB_REPOSITORY (owner/repo), GITHUB_TOKEN_SECRET_ARN (a secret whose SecretString is a
 * token allowed to write the repository's Actions secrets), and optionally GITHUB_API_URL
 * (https://api.github.com), ACCESS_KEY_ID_SECRET_NAME (AWS_ACCESS_KEY_ID),
 * SECRET_ACCESS_KEY_SECRET_NAME (AWS_SECRET_ACCESS_KEY) and GITHUB_TIMEOUT_MS (8000 per request: three of them fit the
 * function's 30-second timeout).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import sodium from 'libsodium-wrappers';

// The event's type; in your app: `import type { KeyDeliveryRequest } from 'cdk-rotating-access-keys'` (erased when bundled).
import type { KeyDeliveryRequest } from '../../src';

/** What the rotation function sends: which key, where to read it; never the key's secret. */
export type DeliveryEvent = KeyDeliveryRequest;

const FIELDS: Record<keyof DeliveryEvent, RegExp> = {
  secretArn: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
  versionId: /^[\w-]{32,64}$/,
  versionStage: /^AWSPENDING$/,
  userName: /^[\w+=,.@-]{1,64}$/,
  userArn: /^arn:aws[a-z-]*:iam::\d{12}:user\/.+$/,
  accessKeyId: /^AKIA[A-Z0-9]{12,124}$/,
};
const SECRET_NAME = /^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/i;

export async function handler(event: DeliveryEvent): Promise<void> {
  for (const [field, pattern] of Object.entries(FIELDS)) {
    const value: unknown = (event as unknown as Record<string, unknown> | null)?.[field];
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`the delivery payload's ${field} is ${JSON.stringify(value)?.slice(0, 100)}, not a valid ${field}`);
    }
  }
  const repository = setting('GITHUB_REPOSITORY', undefined, /^[\w.-]+\/[\w.-]+$/);
  const idName = setting('ACCESS_KEY_ID_SECRET_NAME', 'AWS_ACCESS_KEY_ID', SECRET_NAME);
  const secretName = setting('SECRET_ACCESS_KEY_SECRET_NAME', 'AWS_SECRET_ACCESS_KEY', SECRET_NAME);
  const secretsManager = new SecretsManagerClient({}); // AWS_ENDPOINT_URL, AWS_REGION... as every SDK reads them

  // The pending version, by its id and its stage: the function may read only AWSPENDING of this secret.
  const pending = await secretsManager.send(new GetSecretValueCommand({
    SecretId: event.secretArn, VersionId: event.versionId, VersionStage: 'AWSPENDING',
  }));
  const key = parseKey(pending.SecretString);
  if (key.accessKeyId !== event.accessKeyId || key.userName !== event.userName) {
    throw new Error(`version ${event.versionId} of ${event.secretArn} holds access key ${String(key.accessKeyId)} of ${String(key.userName)}, `
      + `but the payload names ${event.accessKeyId} of ${event.userName}: nothing delivered`);
  }
  const tokenSecret = await secretsManager.send(new GetSecretValueCommand({
    SecretId: setting('GITHUB_TOKEN_SECRET_ARN', undefined, /^arn:/),
  }));
  const github = new GitHub(tokenSecret.SecretString?.trim() ?? '', repository);

  const publicKey = await github.call('GET', 'actions/secrets/public-key', 200) as { key_id?: unknown; key?: unknown };
  if (typeof publicKey.key_id !== 'string' || typeof publicKey.key !== 'string') {
    throw new Error(`GitHub's public key of ${repository} has no key_id or key`);
  }
  await sodium.ready;
  const recipient = sodium.from_base64(publicKey.key, sodium.base64_variants.ORIGINAL);
  const put = (name: string, value: string) => github.call('PUT', `actions/secrets/${name}`, [201, 204], {
    encrypted_value: sodium.to_base64(sodium.crypto_box_seal(value, recipient), sodium.base64_variants.ORIGINAL),
    key_id: publicKey.key_id,
  });
  // The secret first, the key id last. A job that starts between the two writes (or after a failed second
  // one, until the retried rotation writes it again) gets a mismatched pair and fails loudly on AWS's
  // signature check, whichever the order: both keys are Active during the rotation, so it is re-run with
  // success. Writing the id last makes it the commit point: whenever the repository names the new key,
  // that key's secret is already there, and the key id AWS sees (CloudTrail, last used) tells which key
  // the repository delivers.
  await put(secretName, key.secretAccessKey);
  await put(idName, key.accessKeyId);
  console.log(JSON.stringify({ delivered: key.accessKeyId, userName: key.userName, repository, secrets: [secretName, idName] }));
}

interface Key { userName?: unknown; accessKeyId?: unknown; secretAccessKey: string }

/** The secret's JSON, without ever quoting it (a JSON.parse error would). */
function parseKey(secretString: string | undefined): Key {
  let key: Partial<Key> | undefined;
  try {
    key = JSON.parse(secretString ?? '');
  } catch {
    // falls through: not JSON
  }
  if (typeof key?.secretAccessKey !== 'string' || key.secretAccessKey === '') {
    throw new Error('the pending version is not a key\'s JSON with a secretAccessKey');
  }
  return key as Key;
}

function setting(name: string, fallback: string | undefined, pattern: RegExp): string {
  const value = process.env[name] || fallback;
  if (value === undefined || !pattern.test(value)) throw new Error(`environment variable ${name} is ${JSON.stringify(value)}, not a valid ${name}`);
  return value;
}

/** GitHub's REST API for one repository, with a token that is never logged nor put in an error. */
class GitHub {
  private readonly base = (process.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  private readonly timeout = Number(process.env.GITHUB_TIMEOUT_MS || 8_000);

  constructor(private readonly token: string, private readonly repository: string) {
    if (!token) throw new Error('the GitHub token\'s secret (GITHUB_TOKEN_SECRET_ARN) is empty');
  }

  async call(method: 'GET' | 'PUT', route: string, expected: number | number[], body?: unknown): Promise<unknown> {
    const path = `/repos/${this.repository}/${route}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          'Authorization': `Bearer ${this.token}`,
          'Accept': 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': 'cdk-rotating-access-keys-delivery',
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeout),
      });
    } catch (e) {
      const reason = (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeout} ms` : String((e as Error).cause ?? e);
      throw new Error(`GitHub ${method} ${path} failed: ${this.redact(reason)}`);
    }
    const text = await res.text();
    if (!([] as number[]).concat(expected).includes(res.status)) {
      let message = '';
      try {
        message = `: ${String(JSON.parse(text).message).slice(0, 200)}`;
      } catch {
        // not JSON: the status says enough
      }
      throw new Error(`GitHub ${method} ${path} answered ${res.status}${this.redact(message)}`);
    }
    return text ? JSON.parse(text) : undefined;
  }

  private redact(text: string): string {
    return text.split(this.token).join('***');
  }
}
