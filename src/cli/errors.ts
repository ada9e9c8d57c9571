/**
 * The CLI's exit codes (documented in docs/CLI.md: scripts rely on them) and
 * the translation of AWS errors into one line that says what to do.
 */
import { RegistryError } from '../rotation/contract';
import { NotFound } from '../rotation/gateway';

export const ExitCode = {
  OK: 0,
  /** Anything unexpected. */
  ERROR: 1,
  /** Bad arguments or options. */
  USAGE: 2,
  /** No such secret, user, key or stack, or a secret this library does not manage. */
  NOT_FOUND: 3,
  /** AWS denied a call: the message names the action. */
  ACCESS_DENIED: 4,
  /** No credentials, or credentials AWS does not accept. */
  NO_CREDENTIALS: 5,
  /** AWS kept throttling after the retries. */
  THROTTLED: 6,
  /** Refused as unsafe, or not confirmed: nothing was changed. */
  REFUSED: 7,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** An error the CLI reports as one line, with its exit code. */
export class CliError extends Error {
  constructor(readonly exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnauthorizedException']);
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'InvalidSignatureException',
]);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ThrottledException']);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NoSuchEntity', 'NoSuchEntityException']);

/** Whether AWS denied the call. */
export function isAccessDenied(e: unknown): boolean {
  return DENIED.has((e as { name?: string })?.name ?? '');
}

/** The action an AWS error was raised by, as IAM names it (set by the CLI's clients), if known. */
export function actionOf(e: unknown): string | undefined {
  const message = (e as Error)?.message ?? '';
  return /not authorized to perform: ([\w-]+:\w+)/.exec(message)?.[1] ?? (e as { $action?: string })?.$action;
}

/** Turns any error into the CLI's one-line report and exit code. */
export function classify(e: unknown): CliError {
  if (e instanceof CliError) return e;
  const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const name = err?.name ?? '';
  const message = err?.message ?? String(e);
  const action = actionOf(e);
  if (e instanceof NotFound || NOT_FOUND.has(name)) return new CliError(ExitCode.NOT_FOUND, `${message.replace(/\.$/, '')}`);
  if (DENIED.has(name)) {
    return new CliError(ExitCode.ACCESS_DENIED, `access denied${action ? ` to ${action}` : ''}: ${message.replace(/\.$/, '')}. `
      + 'Ask for the permission (the constructs\' grantOperate, grantRevoke, grantRotate and grantRead give exactly what each command needs)');
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new CliError(ExitCode.NO_CREDENTIALS, 'no AWS credentials found: sign in (aws sso login, aws configure), pass --profile, '
      + 'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new CliError(ExitCode.NO_CREDENTIALS, `AWS does not accept these credentials (${name}${action ? ` on ${action}` : ''}): `
      + 'they are wrong or expired; sign in again or pass another --profile');
  }
  if (THROTTLED.has(name)) {
    return new CliError(ExitCode.THROTTLED, `AWS is throttling ${action ?? 'the requests'} (${name}) after retries: wait a minute and run it again`);
  }
  if (/^Region is missing/.test(message)) {
    return new CliError(ExitCode.USAGE, 'no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or set the profile\'s region '
      + '(aws configure set region <region>, with --profile for a named profile)');
  }
  if (e instanceof RegistryError) return new CliError(ExitCode.ERROR, `the stack's registry: ${message}`);
  const code = err?.code ?? err?.cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(message)) {
    return new CliError(ExitCode.ERROR, `cannot reach AWS${action ? ` for ${action}` : ''} (${code ?? message}): check the network, --region and --endpoint-url`);
  }
  return new CliError(ExitCode.ERROR, `${name && name !== 'Error' ? `${name}: ` : ''}${message}`);
}
