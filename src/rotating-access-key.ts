/**
 * Rotating access keys for an existing IAM user: a metadata-only secret whose
 * first rotation (at deploy) creates the first key, Secrets Manager's rotation
 * schedule, and the lifecycle settings the shared function reads from tags.
 */
import { Annotations, Duration, RemovalPolicy, SecretValue, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AccessKeyRotator } from './access-key-rotator';
import { ForeignKeyPolicy } from './foreign-key-policy';
import { KeyRotationSchedule } from './key-rotation-schedule';

const TAG = 'access-key-rotation:';
const IAM3_MAX_ACTIVE_DAYS = 90;

/**
 * How access keys rotate; shared by `RotatingAccessKey` and `RotatingAccessKeyUser`.
 */
export interface RotatingAccessKeyOptions {
  /**
   * When Secrets Manager rotates the key.
   *
   * @default KeyRotationSchedule.every(Duration.days(30))
   */
  readonly schedule?: KeyRotationSchedule;

  /**
   * The window in which a scheduled rotation runs, 1 to 24 whole hours.
   *
   * @default - Secrets Manager's default: the rotation may run any time of the scheduled day
   */
  readonly rotationWindow?: Duration;

  /**
   * Rotate once when the stack deploys, which creates the first key.
   *
   * @default true
   */
  readonly rotateOnDeploy?: boolean;

  /**
   * How long the previous key stays active after the new one is promoted:
   * the grace period for consumers to pick up the new key. 1 hour to 1000 days.
   *
   * @default Duration.days(7)
   */
  readonly deactivateAfter?: Duration;

  /**
   * How long an inactive previous key is kept (re-activatable) before it is
   * deleted, counted from its deactivation. 1 hour to 1000 days.
   *
   * @default Duration.days(14)
   */
  readonly deleteAfter?: Duration;

  /**
   * Opt-in: while the old key is still used after the new one was promoted,
   * postpone its deactivation by up to this long (a warning event is sent
   * either way). At most 90 days.
   *
   * @default - deactivation is never postponed
   */
  readonly postponeDeactivationWhileInUse?: Duration;

  /**
   * What rotation does with keys on the user that this library did not create.
   *
   * @default ForeignKeyPolicy.FAIL
   */
  readonly foreignKeyPolicy?: ForeignKeyPolicy;

  /**
   * A customer-managed KMS key to encrypt the secret.
   *
   * @default - the AWS managed key of Secrets Manager
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The secret's name: letters, digits and `/_+=.@-`, at most 512 characters.
   *
   * @default - a name is generated
   */
  readonly secretName?: string;

  /**
   * What happens to the secret and the keys when the construct leaves the stack.
   * `DESTROY` deletes the keys this library created (so the user can be
   * deleted) and the secret; `RETAIN` keeps both.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The rotation function.
   *
   * @default AccessKeyRotator.of(this) - the stack's shared one
   */
  readonly rotator?: AccessKeyRotator;
}

/**
 * Properties of `RotatingAccessKey`.
 */
export interface RotatingAccessKeyProps extends RotatingAccessKeyOptions {
  /** The IAM user whose access keys rotate (new or imported). */
  readonly user: iam.IUser;
}

/**
 * Access keys for an IAM user, kept in a Secrets Manager secret and rotated
 * on schedule; old keys are deactivated after a grace period, deleted later.
 *
 * The secret access key never passes through CloudFormation: the secret is
 * created with metadata only, and the rotation function writes the keys.
 */
export class RotatingAccessKey extends Construct {
  /** The secret that holds the current key (JSON: userName, accessKeyId, secretAccessKey, createdAt). */
  public readonly secret: secretsmanager.ISecret;

  /** The user whose keys rotate. */
  public readonly user: iam.IUser;

  /** The rotation function that serves this key. */
  public readonly rotator: AccessKeyRotator;

  constructor(scope: Construct, id: string, props: RotatingAccessKeyProps) {
    super(scope, id);
    const schedule = props.schedule ?? KeyRotationSchedule.every(Duration.days(30));
    const deactivateAfter = props.deactivateAfter ?? Duration.days(7);
    const deleteAfter = props.deleteAfter ?? Duration.days(14);
    const postpone = props.postponeDeactivationWhileInUse ?? Duration.seconds(0);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    validate(props, schedule, deactivateAfter, deleteAfter, postpone, removalPolicy);

    this.user = props.user;
    this.rotator = props.rotator ?? AccessKeyRotator.of(this);

    const secret = new secretsmanager.Secret(this, 'Secret', {
      description: `Access key of IAM user ${props.user.userName}, rotated by cdk-rotating-access-keys`,
      secretName: props.secretName,
      encryptionKey: props.encryptionKey,
      // Metadata only: the first rotation creates the first key.
      secretObjectValue: { userName: SecretValue.unsafePlainText(props.user.userName) },
      removalPolicy,
    });
    const tags = Tags.of(secret);
    tags.add(`${TAG}user`, props.user.userName);
    tags.add(`${TAG}deactivate-after-seconds`, String(deactivateAfter.toSeconds()));
    tags.add(`${TAG}delete-after-seconds`, String(deleteAfter.toSeconds()));
    tags.add(`${TAG}postpone-while-in-use-seconds`, String(postpone.toSeconds()));
    tags.add(`${TAG}foreign-keys`, props.foreignKeyPolicy ?? ForeignKeyPolicy.FAIL);
    this.secret = secret;

    const rotation = new secretsmanager.CfnRotationSchedule(this, 'RotationSchedule', {
      secretId: secret.secretArn,
      rotationLambdaArn: this.rotator.function.functionArn,
      rotateImmediatelyOnUpdate: props.rotateOnDeploy ?? true,
      rotationRules: {
        scheduleExpression: schedule.expressionString,
        duration: props.rotationWindow ? `${props.rotationWindow.toHours()}h` : undefined,
      },
    });
    // The function's permissions must exist before the first rotation runs.
    rotation.node.addDependency(this.rotator._rotationReady);

    this.rotator.register({
      user: props.user,
      secret,
      encryptionKey: props.encryptionKey,
      deleteKeysOnRemoval: removalPolicy === RemovalPolicy.DESTROY,
    });

    this.annotateCompliance(schedule, props.rotationWindow, deactivateAfter, postpone);
  }

  /**
   * Lets a principal read the current key from the secret (and decrypt it).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }

  /**
   * Security Hub IAM.3 wants every active key younger than 90 days. The oldest
   * an active key gets: a full interval as current, the rotation window, then
   * the grace period (and any postponement) as previous key.
   */
  private annotateCompliance(schedule: KeyRotationSchedule, window: Duration | undefined, deactivateAfter: Duration, postpone: Duration): void {
    if ([window, deactivateAfter, postpone].some((d) => d?.isUnresolved())) return;
    if (!schedule.interval) {
      Annotations.of(this).addWarningV2('cdk-rotating-access-keys:unknownInterval',
        `cannot tell the longest time between two rotations of '${schedule.expressionString}'; make sure an active key never passes ${IAM3_MAX_ACTIVE_DAYS} days (Security Hub IAM.3)`);
      return;
    }
    const interval = schedule.interval.toHours({ integral: false });
    const windowHours = window?.toHours() ?? 24;
    const grace = deactivateAfter.toHours({ integral: false }) + postpone.toHours({ integral: false });
    const maxActiveHours = interval + windowHours + grace;
    if (maxActiveHours > IAM3_MAX_ACTIVE_DAYS * 24) {
      Annotations.of(this).addWarningV2('cdk-rotating-access-keys:activeKeyAge',
        `an active key can reach ${days(maxActiveHours)} days (rotation interval ${days(interval)} + rotation window ${days(windowHours)} `
        + `+ deactivateAfter and postponement ${days(grace)}), more than the ${IAM3_MAX_ACTIVE_DAYS} days of Security Hub IAM.3 and CIS; `
        + 'rotate more often or shorten deactivateAfter');
    }
    if (grace >= interval) {
      Annotations.of(this).addWarningV2('cdk-rotating-access-keys:twoActiveKeys',
        `the previous key stays active ${days(grace)} days, as long as a rotation interval (${days(interval)}): `
        + 'two keys are active all the time, and the next rotation deletes the previous key while it is still active; '
        + 'shorten deactivateAfter below the rotation interval');
    }
  }
}

function days(hours: number): string {
  return String(Math.round(hours / 24 * 10) / 10);
}

function validate(
  props: RotatingAccessKeyProps, schedule: KeyRotationSchedule, deactivateAfter: Duration, deleteAfter: Duration,
  postpone: Duration, removalPolicy: RemovalPolicy,
): void {
  const hour = 3600;
  const inRange = (name: string, d: Duration, min: number, max: number, range: string) => {
    if (d.isUnresolved()) return;
    const s = d.toSeconds();
    if (s < min || s > max) throw new Error(`${name} must be ${range}, got ${d.toHumanString()}`);
  };
  inRange('deactivateAfter', deactivateAfter, hour, 1000 * 24 * hour, 'from 1 hour to 1000 days');
  inRange('deleteAfter', deleteAfter, hour, 1000 * 24 * hour, 'from 1 hour to 1000 days');
  inRange('postponeDeactivationWhileInUse', postpone, 0, 90 * 24 * hour, 'at most 90 days');
  const window = props.rotationWindow;
  if (window && !window.isUnresolved()) {
    const hours = window.toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
      throw new Error(`rotationWindow must be 1 to 24 whole hours, got ${window.toHumanString()}`);
    }
    if (schedule.interval && window.toSeconds() >= schedule.interval.toSeconds()) {
      throw new Error(`rotationWindow (${window.toHumanString()}) must be shorter than the rotation interval (${schedule.interval.toHumanString()})`);
    }
  }
  const name = props.secretName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
    throw new Error(`secretName must be 1 to 512 letters, digits or /_+=.@- characters, got '${name}'`);
  }
  if (removalPolicy !== RemovalPolicy.DESTROY && removalPolicy !== RemovalPolicy.RETAIN) {
    throw new Error(`removalPolicy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got ${removalPolicy}`);
  }
}
