/**
 * What the CLI hands to consumers: the current key of a secret, each field
 * checked against IAM's formats before anything is written, then quoted for
 * the format that carries it — POSIX shell words for `env`, an INI profile
 * for the credentials file, RFC 4180 fields for the key file, JSON for
 * `credential_process`, and, for the two formats that have no quoting at all
 * (s3fs's password file, the legacy key file), the checks alone: they leave
 * no `:`, `=` or line break that could end a field or start another line. Whoever may write the secret's value
 * (`PutSecretValue`) can put anything in it: a value that fails a check is
 * refused as not a key of this library, and nothing is written. The writers
 * take only a checked key, so no unchecked value can reach them.
 */
import { CliError, ExitCode } from './errors';
import { isKeyLabel } from '../rotation/contract';
import { ConfigurationError, parseCredentials } from '../rotation/model';

export type ExportFormat = 'env' | 'credentials' | 'csv' | 'credential-process' | 's3fs' | 'legacy-key-file';
export const EXPORT_FORMATS: ExportFormat[] = ['env', 'credentials', 'csv', 'credential-process', 's3fs', 'legacy-key-file'];

/**
 * IAM's formats. An access key id is what `isKeyLabel` accepts (`AKIA` and 12 to 124 capital letters
 * or digits: within the API reference's `[\w]+` of 16 to 128 characters, and the prefix IAM gives a
 * user's long-term key). The API reference gives no pattern for the secret access key; every one IAM
 * issues, and every example in its documentation, is 40 characters of A-Z a-z 0-9 + /. A user name is
 * the API reference's `[\w+=,.@-]` of 1 to 64 characters.
 */
const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/]{40}$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
/** What the function writes (`Date.toISOString()`), or any ISO 8601 time with seconds and a zone. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
/**
 * A profile name the credentials file and every AWS SDK read back as written: a letter or digit,
 * then up to 63 letters, digits and `_ . + @ -` (no space, bracket, `=`, `;`, `#` or line break, so
 * nothing can end the section header or start another line; never `__proto__`, which the SDKs refuse).
 */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+@-]{0,63}$/;
export const PROFILE_NAME_TEXT = 'a letter or digit, then up to 63 letters, digits and _ . + @ -';

declare const checked: unique symbol;

/** A key whose every field passed IAM's formats: the only input the writers take. */
export interface CheckedKey {
  readonly [checked]: true;
  readonly userName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly createdAt: string;
}

/** A value for an error message: quoted and escaped (a line break shows as \n), cut short. */
function show(value: string): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function refuse(where: string, field: string, problem: string): never {
  throw new CliError(ExitCode.REFUSED, `${where}: field ${field} ${problem}: not a key of this library; nothing was written`);
}

/**
 * Parses and checks a secret's AWSCURRENT value; `undefined` when it holds
 * metadata only (no key yet). `expectedUser`, when the registration is known,
 * must be the value's user (IAM's names are case-insensitive). The secret
 * access key is never shown, whatever it holds.
 */
export function checkKey(secretString: string | undefined, where: string, expectedUser?: string): CheckedKey | undefined {
  let stored;
  try {
    stored = parseCredentials(secretString, where);
  } catch (e) {
    if (e instanceof ConfigurationError) throw new CliError(ExitCode.REFUSED, `${e.message}: not a key of this library; nothing was written`);
    throw e;
  }
  if (!stored) return undefined;
  const { userName, accessKeyId, secretAccessKey, createdAt } = stored;
  if (!isKeyLabel(accessKeyId)) refuse(where, 'accessKeyId', `is not an IAM access key id (AKIA and 12 to 124 capital letters or digits), got ${show(accessKeyId)}`);
  if (!SECRET_ACCESS_KEY.test(secretAccessKey)) refuse(where, 'secretAccessKey', 'is not 40 characters of A-Z a-z 0-9 + / (its value is not shown)');
  if (!USER_NAME.test(userName)) refuse(where, 'userName', `is not an IAM user name (1 to 64 of A-Z a-z 0-9 _ + = , . @ -), got ${show(userName)}`);
  if (!ISO_TIME.test(createdAt) || Number.isNaN(new Date(createdAt).getTime())) {
    refuse(where, 'createdAt', `is not an ISO 8601 time, got ${show(createdAt)}`);
  }
  if (expectedUser !== undefined && userName.toLowerCase() !== expectedUser.toLowerCase()) {
    refuse(where, 'userName', `is ${show(userName)}, but the secret is registered for user ${expectedUser}`);
  }
  return { userName, accessKeyId, secretAccessKey, createdAt } as CheckedKey;
}

/** A profile name for the credentials format, or a refusal that names it. */
export function checkProfileName(name: string, from: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new CliError(ExitCode.REFUSED, `${from} ${show(name)} cannot name a credentials profile: it must be ${PROFILE_NAME_TEXT}; `
      + 'choose one with --profile-name; nothing was written');
  }
  return name;
}

/** A POSIX shell word that stands for exactly `s`: single quotes, each quote in it written as '\''. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, '\'\\\'\'')}'`;
}

/** An RFC 4180 field: quoted, with quotes doubled, when it holds a comma, a quote or a line break. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The key in a format a tool reads. For `credentials`, the profile name must have passed `checkProfileName`. */
export function exportCredentials(format: ExportFormat, key: CheckedKey, options: { profileName: string; expiration: Date }): string {
  switch (format) {
    case 'env':
      return `export AWS_ACCESS_KEY_ID=${shellQuote(key.accessKeyId)}\nexport AWS_SECRET_ACCESS_KEY=${shellQuote(key.secretAccessKey)}\n`;
    case 'credentials':
      // INI has no quoting: the checks leave nothing that could end a line, a header or a value.
      return `[${checkProfileName(options.profileName, 'the profile name')}]\n`
        + `aws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
    case 'csv':
      // The columns of the IAM console's "Download .csv file".
      return `Access key ID,Secret access key\n${csvField(key.accessKeyId)},${csvField(key.secretAccessKey)}\n`;
    case 's3fs':
      // s3fs's password file (passwd_file, ~/.passwd-s3fs), which s3fs reads only when no one else can: written with --out, mode 0600.
      return `${key.accessKeyId}:${key.secretAccessKey}\n`;
    case 'legacy-key-file':
      // The key file of the AWS command line tools that came before the AWS CLI (AWS_CREDENTIAL_FILE).
      return `AWSAccessKeyId=${key.accessKeyId}\nAWSSecretKey=${key.secretAccessKey}\n`;
    case 'credential-process':
      return `${JSON.stringify({
        Version: 1, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, Expiration: options.expiration.toISOString(),
      })}\n`;
  }
}
