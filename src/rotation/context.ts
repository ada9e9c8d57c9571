/**
 * What every job of the rotation function shares: the AWS port, the injected
 * clock, the registry, and one redactor behind the logs and the audit trail.
 */
import { AuditTrail, Logger, Redactor } from './audit';
import type { Gateway } from './gateway';
import { parseCredentials, StoredCredentials } from './model';
import type { RegistrySource } from './registry';

export interface RotatorContext {
  readonly gateway: Gateway;
  readonly clock: () => Date;
  readonly registry: RegistrySource;
  readonly redactor: Redactor;
  readonly logger: Logger;
  readonly audit: AuditTrail;
}

/** Parses a version's value; every secret access key read is known to the redactor before anything can print it. */
export function readCredentials(ctx: RotatorContext, raw: string | undefined, where: string): StoredCredentials | undefined {
  const creds = parseCredentials(raw, where);
  ctx.redactor.add(creds?.secretAccessKey);
  return creds;
}
