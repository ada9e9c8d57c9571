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

/** Reads a version's value; every secret access key read is known to the redactor before anything can print it. */
export async function readCredentials(
  ctx: RotatorContext, secretArn: string, stage: string, versionId?: string,
): Promise<StoredCredentials | undefined> {
  const raw = await ctx.gateway.getSecretString(secretArn, stage, versionId);
  const creds = parseCredentials(raw, `${stage} version of ${secretArn}`);
  ctx.redactor.add(creds?.secretAccessKey);
  return creds;
}
