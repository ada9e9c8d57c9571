/**
 * The CLI's guard before anything turns a key off: the key must not be
 * AWSCURRENT or AWSPENDING of any secret of this library the operator can
 * see. A registry can be imitated (a function and a stack that name any
 * user), and a look-alike secret can label a user's live key as its previous
 * one; the staging labels of the secrets consumers read cannot be changed
 * without the power to replace their values. So whatever a registration
 * says a key is, the labels of every library secret decide whether someone
 * is served by it, and no option overrides them.
 */
import { CliAws } from './cli-aws';
import { isAccessDenied } from './errors';
import { SECRET_DESCRIPTION_PREFIX, Stage } from '../rotation/contract';
import type { VersionLabels } from '../rotation/gateway';
import { keyAtStage } from '../rotation/model';

/** A key a secret serves, and at which stage. */
export interface Serving {
  readonly accessKeyId: string;
  readonly secretArn: string;
  readonly secretName: string;
  readonly stage: typeof Stage.CURRENT | typeof Stage.PENDING;
}

export interface ServedCheck {
  readonly serving: Serving[];
  /** False when ListSecrets was denied: only the operator's own secret was checked. */
  readonly listed: boolean;
}

/** A secret as far as the check needs it: its ARN and its versions' staging labels. */
export interface LabelledSecret {
  readonly arn: string;
  readonly versions: VersionLabels;
}

/** The stages at which a secret's versions serve a key (its key label on the version with AWSCURRENT or AWSPENDING). */
export function servingStages(versions: VersionLabels, accessKeyId: string): Serving['stage'][] {
  return ([Stage.CURRENT, Stage.PENDING] as const).filter((stage) => keyAtStage(versions, stage) === accessKeyId);
}

/** Which of the secrets serve which of the keys. */
export function serving(secrets: LabelledSecret[], accessKeyIds: string[]): Serving[] {
  const out: Serving[] = [];
  for (const secret of secrets) {
    for (const accessKeyId of accessKeyIds) {
      for (const stage of servingStages(secret.versions, accessKeyId)) {
        // The name as the ARN ends (with Secrets Manager's suffix), as `status` shows it.
        out.push({ accessKeyId, secretArn: secret.arn, secretName: secret.arn.split(':secret:')[1] ?? secret.arn, stage });
      }
    }
  }
  return out;
}

/**
 * The library's secrets that serve any of the keys: every page of ListSecrets
 * filtered by the library's description prefix, and the operator's own
 * secret as just read (fresher than a listing, and visible even when
 * ListSecrets is denied).
 */
export async function findServing(aws: CliAws, accessKeyIds: string[], own: LabelledSecret): Promise<ServedCheck> {
  const secrets: LabelledSecret[] = [own];
  let listed = true;
  try {
    for await (const s of aws.listSecrets(SECRET_DESCRIPTION_PREFIX)) {
      if (s.arn !== own.arn) secrets.push({ arn: s.arn, versions: s.versions });
    }
  } catch (e) {
    if (!isAccessDenied(e)) throw e;
    listed = false;
  }
  return { serving: serving(secrets, accessKeyIds), listed };
}
