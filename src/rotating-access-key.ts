/**
 * Rotating access keys for an existing IAM user: a metadata-only secret whose
 * first rotation (at deploy) creates the first key, the registration of that
 * secret and user (with its lifecycle settings) in the stack's registry, and
 * the custom resource that turns Secrets Manager's rotation on — and, when
 * the registration leaves the stack with DESTROY, deletes its keys.
 */
import { Annotations, CfnResource, CustomResource, Duration, RemovalPolicy, SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { accessKeyEventRule } from './access-key-event-rule';
import { AccessKeyEventRuleOptions, AccessKeyRotator } from './access-key-rotator';
import { ForeignKeyPolicy } from './foreign-key-policy';
import { KeyRotationSchedule, rotationWindowProblem } from './key-rotation-schedule';
import { checkTimeline } from './key-timeline';
import { member } from './member-names';
import { suppressNagFindings } from './nag-suppressions';
import {
  accountOf, Limits, REGISTRATION_METADATA_KEY, Removal, ROTATION_RESOURCE_TYPE, RotationEntry, RotationProperties, secretDescription, Stage, Tags,
  userArnProblem, userNameOf,
} from './rotation/contract';
import { RotationMode } from './rotation-mode';
const IAM3_MAX_ACTIVE_DAYS = 90;

/**
 * Why cdk-nag's SMG4 (a secret without rotation) does not apply: written on
 * every secret, so short; docs/SECURITY.md says the rest.
 */
const ROTATION_IS_ON = 'Rotated by its Custom::AccessKeyRotation (docs/SECURITY.md)';

/**
 * The rotating keys of each app (by the root of its construct tree), in the
 * order they were made: one user's keys may be rotated by one construct only.
 * Weak, so an app's list goes with the app.
 */
const KEYS_BY_APP = new WeakMap<IConstruct, AppKeys>();

/** An app's keys, and (once validation asks) an index of them by user and by user name. */
interface AppKeys {
  readonly keys: RotatingAccessKey[];
  index?: KeyIndex;
}

interface KeyIndex {
  /** Keys indexed so far (keys are only ever added). */
  readonly count: number;
  readonly position: Map<RotatingAccessKey, number>;
  readonly identity: Map<RotatingAccessKey, UserIdentity>;
  readonly byUser: Map<iam.IUser, RotatingAccessKey[]>;
  readonly byName: Map<string, RotatingAccessKey[]>;
}

/**
 * The index of an app's keys, made once when the first key is validated (the
 * tree is complete by then): each key's user identity is worked out once,
 * and a key is compared only with the keys of its user or its user's name.
 */
function indexOf(app: AppKeys): KeyIndex {
  if (app.index?.count === app.keys.length) return app.index;
  const index: KeyIndex = { count: app.keys.length, position: new Map(), identity: new Map(), byUser: new Map(), byName: new Map() };
  const add = <K>(map: Map<K, RotatingAccessKey[]>, k: K, key: RotatingAccessKey) => {
    const list = map.get(k);
    if (list) list.push(key);
    else map.set(k, [key]);
  };
  app.keys.forEach((key, i) => {
    const identity = userIdentity(key);
    index.position.set(key, i);
    index.identity.set(key, identity);
    add(index.byUser, key.user, key);
    if (identity.name !== undefined) add(index.byName, identity.name, key);
  });
  app.index = index;
  return index;
}

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
   * The window in which a scheduled rotation runs, 1 to 24 whole hours. As
   * Secrets Manager requires, it ends before the next window opens and by
   * midnight UTC of the day it opens (a window opened at 20:00 UTC by a cron
   * schedule is at most 4 hours).
   *
   * @default - Secrets Manager's default: until the end of the scheduled UTC day, or 1 hour for a schedule in hours
   */
  readonly rotationWindow?: Duration;

  /**
   * Rotate when the registration is deployed (which creates the first key)
   * and when its schedule changes.
   *
   * @default true
   */
  readonly rotateOnDeploy?: boolean;

  /**
   * Whether the library changes IAM for this key (`ENFORCE`), or only reports what it would change
   * (`OBSERVE`: Secrets Manager's rotation stays off, nothing is created, deactivated or deleted, and
   * `Access Key Change Observed` events say what enforcing would do). Switching from `OBSERVE` to
   * `ENFORCE` is a normal template change: rotation is turned on (and, with `rotateOnDeploy`, a first
   * rotation runs when the user has room for a key).
   *
   * @default RotationMode.ENFORCE
   */
  readonly mode?: RotationMode;

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
   * The old key must be deleted before the next rotation, which would delete
   * it early (IAM allows two keys per user): `deactivateAfter` +
   * `postponeDeactivationWhileInUse` + `deleteAfter` + two lifecycle periods
   * must fit in the shortest time between two rotations less the rotation
   * window, or the construct throws, naming the largest `deleteAfter` that fits.
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
   * How long before the old key's deactivation its use is checked: when a
   * consumer still uses it, an `Access Key Still In Use` event (naming the
   * `owner`) warns in time to move to the new key. From 1 hour to
   * `deactivateAfter`.
   *
   * @default - half of deactivateAfter
   */
  readonly earlyNotice?: Duration;

  /**
   * Who uses the key — a team, an address, a chat channel — carried in every
   * audit event of this key, so that rules can route notifications to its
   * owner. 1 to 256 printable ASCII characters; never a secret.
   *
   * @default - events name no owner
   */
  readonly owner?: string;

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
   * What happens to the secret and the keys when the construct leaves the
   * stack (or the stack is deleted). `DESTROY` deletes the keys the secret
   * holds (so the user can be deleted) and the secret; `RETAIN` keeps both and
   * turns rotation off. Switching between the two deletes nothing.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The rotation function. To configure the stack's shared one instead, call
   * `AccessKeyRotator.configure(stack, props)` before the stack's first key.
   *
   * @default AccessKeyRotator.of(this) - the stack's shared one
   */
  readonly rotator?: AccessKeyRotator;

  /**
   * A Lambda function that hands each new key to a system that cannot read
   * the secret (a CI system's secret store, a SaaS, an appliance). Every
   * rotation invokes it synchronously in Secrets Manager's `setSecret` step,
   * before the new key becomes AWSCURRENT, with the secret's ARN, the new
   * version's id, the stage `AWSPENDING`, the user and the new key's id
   * (`KeyDeliveryRequest`), never the secret access key: the function reads
   * the version itself with `GetSecretValue` and `VersionStage: 'AWSPENDING'`,
   * which the construct grants it on this secret only (and no other stage).
   *
   * The key is promoted only after the function succeeded. When it fails
   * (throws, or does not answer within the rotation function's time), the
   * rotation fails, Secrets Manager retries it, the current key stays current
   * and the alarm fires; an emergency revoke goes on regardless and reports
   * the failed delivery. The function must be idempotent (a retry delivers
   * the same version again) and in the secret's account and Region, and must
   * finish well within the rotator's `timeout`.
   *
   * @default - no delivery: consumers read the secret
   */
  readonly deliveryFunction?: lambda.IFunction;
}

/**
 * What a delivery function (`deliveryFunction`) receives as its event: where
 * the new key is, and whose it is. Never the secret access key.
 */
export interface KeyDeliveryRequest {
  /** The secret holding the new key. */
  readonly secretArn: string;

  /** The version holding the new key (the rotation's `ClientRequestToken`). */
  readonly versionId: string;

  /** The stage to read the version by: always `AWSPENDING` (the only stage the delivery function may read). */
  readonly versionStage: string;

  /** The IAM user whose key it is. */
  readonly userName: string;

  /** The IAM user's ARN. */
  readonly userArn: string;

  /** The new key's id (the secret holds it, with the secret access key, in `accessKeyId` and `secretAccessKey`). */
  readonly accessKeyId: string;
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

  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: RotatingAccessKeyProps) {
    super(scope, id);
    const schedule = props.schedule ?? KeyRotationSchedule.every(Duration.days(30));
    const deactivateAfter = props.deactivateAfter ?? Duration.days(7);
    const deleteAfter = props.deleteAfter ?? Duration.days(14);
    const postpone = props.postponeDeactivationWhileInUse ?? Duration.seconds(0);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    validate(scope, props, schedule, deactivateAfter, deleteAfter, postpone, removalPolicy);
    validateNotice(props, deactivateAfter);

    this.user = props.user;
    this.rotator = props.rotator ?? AccessKeyRotator.of(this);
    checkTimeline(this, props, { schedule, deactivateAfter, deleteAfter, postpone }, this.rotator);
    const keysOfApp = KEYS_BY_APP.get(this.node.root) ?? { keys: [] };
    KEYS_BY_APP.set(this.node.root, keysOfApp);
    keysOfApp.keys.push(this);
    this.node.addValidation({ validate: () => this.sameUserAsAnEarlierKey(keysOfApp) });

    const secret = new secretsmanager.Secret(this, 'Secret', {
      description: secretDescription(props.user.userName),
      secretName: props.secretName,
      encryptionKey: props.encryptionKey,
      // Metadata only: the first rotation creates the first key.
      secretObjectValue: { userName: SecretValue.unsafePlainText(props.user.userName) },
      removalPolicy,
    });
    this.secret = secret;
    this.encryptionKey = props.encryptionKey;

    const removal = removalPolicy === RemovalPolicy.DESTROY ? Removal.DESTROY : Removal.RETAIN;
    const windowHours = props.rotationWindow?.toHours();
    const rotateOnDeploy = props.rotateOnDeploy ?? true;
    // Written only when observing: a registration of an earlier version, without the field, enforces.
    const observe = props.mode === RotationMode.OBSERVE ? { mode: RotationMode.OBSERVE } : {};
    const foreignKeyPolicy = props.foreignKeyPolicy ?? ForeignKeyPolicy.FAIL;
    const delivery = props.deliveryFunction;
    const ready = this.rotator._register({
      user: props.user,
      secret,
      encryptionKey: props.encryptionKey,
      deliveryFunction: delivery,
      entry: {
        secretArn: secret.secretArn,
        userArn: props.user.userArn,
        deactivateAfterSeconds: deactivateAfter.toSeconds(),
        deleteAfterSeconds: deleteAfter.toSeconds(),
        postponeWhileInUseSeconds: postpone.toSeconds(),
        foreignKeyPolicy,
        removal,
        scheduleExpression: schedule.expressionString,
        ...(windowHours === undefined ? {} : { windowHours }),
        rotateOnDeploy,
        ...(props.earlyNotice === undefined ? {} : { noticeBeforeSeconds: props.earlyNotice.toSeconds() }),
        ...(props.owner === undefined ? {} : { owner: props.owner }),
        ...observe,
        ...(delivery ? { deliveryFunctionArn: delivery.functionArn } : {}),
      },
    });

    // Turns Secrets Manager's rotation on (rotating once at deploy, which
    // creates the first key); when the registration leaves the stack, turns it
    // off and, with DESTROY, deletes the keys, before CloudFormation deletes the user.
    // Its properties are what the function checks against the registry and its physical id (the secret, the
    // user, the removal policy) and what makes CloudFormation send an update when the schedule changes; the
    // rest of the configuration (rotateOnDeploy included) is read from the registry only.
    const rotation = new CustomResource(this, 'Rotation', {
      serviceToken: this.rotator.function.functionArn,
      resourceType: ROTATION_RESOURCE_TYPE,
      properties: {
        [RotationProperties.SECRET]: secret.secretArn,
        [RotationProperties.USER]: props.user.userArn,
        [RotationProperties.REMOVAL]: removal,
        [RotationProperties.SCHEDULE]: schedule.expressionString,
        ...(windowHours === undefined ? {} : { [RotationProperties.WINDOW]: windowHours }),
        ...(props.mode === RotationMode.OBSERVE ? { [RotationProperties.MODE]: RotationMode.OBSERVE } : {}),
      },
    });
    // CloudFormation's defaults for a custom resource (Delete on removal and on replacement): not written out.
    const rotationResource = rotation.node.defaultChild as CfnResource;
    // Its own registration, as the registry states it (the same references, resolved by CloudFormation, changed only by a
    // stack update): a Create reads it with the call that verifies the event, instead of the whole registry.
    const entry: RotationEntry = {
      secretArn: secret.secretArn,
      userArn: props.user.userArn,
      removal,
      scheduleExpression: schedule.expressionString,
      ...(windowHours === undefined ? {} : { windowHours }),
      rotateOnDeploy,
      foreignKeyPolicy,
      ...observe,
    };
    rotationResource.addMetadata(REGISTRATION_METADATA_KEY, entry);
    rotationResource.cfnOptions.deletionPolicy = undefined;
    rotationResource.cfnOptions.updateReplacePolicy = undefined;
    // The guards (and through the departures, its registration policy) must exist before the first rotation, and outlive its removal.
    rotation.node.addDependency(ready);
    if (delivery) {
      // The first rotation (at deploy) delivers: the function and its grant must exist before it.
      const grant = this.grantReadPending(delivery);
      rotation.node.addDependency(delivery);
      grant.applyBefore(rotation);
    }
    suppressNagFindings(secret, [{ id: 'AwsSolutions-SMG4', reason: ROTATION_IS_ON }]);

    this.annotateCompliance(schedule, props.rotationWindow, deactivateAfter, postpone);
  }

  /**
   * Lets a principal read the current key from the secret: `GetSecretValue`
   * of the AWSCURRENT version only (not the previous key, not a version by
   * id), `DescribeSecret`, and, with a customer-managed key, decrypting
   * through Secrets Manager for this secret only.
   *
   * The grantee is in the secret's account (in this stack or another one of
   * the app): the statements go on the grantee's own policy only, and the
   * secret's and the key's policies are left as they are, so a consumer in
   * another stack adds no reference back to it (no dependency cycle). A
   * grantee in another Region of the account gets the secret's ARN as its
   * name and `-??????` (Secrets Manager's suffix, which that Region's stack
   * cannot know): that needs `secretName`, or `crossRegionReferences` on the
   * grantee's stack (which a customer-managed key needs too), or it throws.
   * Those statements rely on the key's policy delegating to the account's IAM policies, as
   * the default policy of a `kms.Key` does; for a key whose policy does not,
   * add the grantee to the key's policy as well. A grantee known to be of
   * another account is refused: Secrets Manager's AWS managed key cannot be
   * used from another account, and the secret's resource policy and the key's
   * policy would have to name it, in the secret's account (the recipe
   * "Another account reads the key" in docs/RECIPES.md shows how). Where the accounts
   * cannot be compared at synth (an env-agnostic stack and a principal
   * imported by ARN), aws-cdk-lib writes the secret's resource policy too;
   * that statement carries the same limits (AWSCURRENT only). Decrypting is
   * granted on the grantee's own policy only, never in the key's policy, which
   * could not limit it to this secret.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const granteeAccount = grantee.grantPrincipal.principalAccount;
    const secretAccount = Stack.of(this).account;
    const known = (account?: string) => account !== undefined && !Token.isUnresolved(account);
    if (known(granteeAccount) && known(secretAccount) && granteeAccount !== secretAccount) {
      throw new Error(`${member('grantRead')}: the grantee is in account ${granteeAccount} and the secret ${this.secret.node.path} in account `
        + `${secretAccount}: grantRead grants within the secret's account only. A reader in another account needs the secret encrypted with a `
        + `customer-managed key (${member('encryptionKey')}; Secrets Manager's AWS managed key cannot be used from another account), a statement `
        + 'naming it in the secret\'s resource policy and in the key\'s policy, and an identity policy in its own account');
    }
    const secretArn = this.readableArn(grantee);
    // A request without VersionStage reads AWSCURRENT; one naming a version by id is refused.
    const currentOnly = {
      StringEqualsIfExists: { 'secretsmanager:VersionStage': Stage.CURRENT },
      Null: { 'secretsmanager:VersionId': 'true' },
    };
    const read = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [secretArn],
      resource: this.secret,
      conditions: currentOnly,
    });
    // Where aws-cdk-lib cannot tell the grantee's account from the secret's (an env-agnostic stack
    // and a principal imported by ARN), it also writes the secret's resource policy, without the
    // conditions; a resource policy naming a principal grants on its own, so it gets them too.
    read.resourceStatements.forEach(st => st.addConditions(currentOnly));
    const grant = read.combine(iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['secretsmanager:DescribeSecret'],
      resourceArns: [secretArn],
      resource: this.secret,
    }));
    if (!this.encryptionKey) return grant;
    // Decrypting goes on the grantee's own policy only, never on the key's: a key-policy statement naming the grantee
    // would grant on its own, and could not be limited to this secret (naming the secret there makes the key and the
    // secret refer to each other, a cycle), so it would open every secret the key encrypts. A grantee whose policy
    // cannot be written (a role imported as immutable) gets no decrypt: the grant fails closed and says so.
    return grant.combine(this.grantDecryptThroughSecretsManager(grantee, this.encryptionKey));
  }

  /** Decrypting with the secret's customer-managed key, through Secrets Manager and for this secret only, on the grantee's own policy. */
  private grantDecryptThroughSecretsManager(grantee: iam.IGrantable, key: kms.IKey): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [key.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
          'kms:EncryptionContext:SecretARN': this.secret.secretArn,
        },
      },
    });
  }

  /**
   * Lets a principal rotate this key now (the CLI's `rotate`): Secrets
   * Manager's `RotateSecret` on this secret, through this stack's rotation
   * function only; `lambda:InvokeFunction` on that function, which Secrets
   * Manager requires of whoever calls `RotateSecret` (see docs/SECURITY.md for
   * what it is worth); and the reads the CLI makes to confirm that the secret
   * is registered (`DescribeSecret`, the function's configuration, the
   * registry in its stack). Neither the key nor the secret's value, and no
   * `RotateSecret` that sets new rotation rules or puts the rotation off
   * (`secretsmanager:ModifyRotationRules`, `secretsmanager:RotateImmediately`):
   * the schedule is the registry's.
   */
  public grantRotate(grantee: iam.IGrantable): iam.Grant {
    const fn = this.rotator.function.functionArn;
    return this.grantRegistryReads(grantee).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:RotateSecret'],
      resourceArns: [this.secret.secretArn],
      conditions: {
        StringEqualsIfExists: { 'secretsmanager:RotationLambdaARN': fn },
        // Rotate now, on the registry's schedule: new rules or a rotation put off would move the schedule out of its reach.
        BoolIfExists: { 'secretsmanager:ModifyRotationRules': 'false', 'secretsmanager:RotateImmediately': 'true' },
      },
    })).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [fn],
    }));
  }

  /**
   * Lets a principal revoke this key (the CLI's `revoke`): what `grantRotate`
   * gives, and tagging the secret with the revoke request only, so that the
   * rotation it starts deactivates the old key at once.
   */
  public grantRevoke(grantee: iam.IGrantable): iam.Grant {
    return this.grantRotate(grantee).combine(this.grantTags(grantee, 'secretsmanager:TagResource', [Tags.REVOKE]));
  }

  /**
   * Lets a principal operate this key with the CLI: `status` (the user's keys,
   * when each was last used, the registry), `rotate`, `revoke`, `deactivate`,
   * `activate`, `release` and `delete` — IAM's key actions on this user only,
   * and the operator's hold and revoke tags on this secret only. Not the
   * secret's value: `grantRead` gives that.
   */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    return this.grantRevoke(grantee)
      .combine(this.grantTags(grantee, 'secretsmanager:TagResource', [Tags.HOLD, Tags.REVOKE]))
      .combine(this.grantTags(grantee, 'secretsmanager:UntagResource', [Tags.HOLD, Tags.REVOKE]))
      .combine(iam.Grant.addToPrincipal({
        grantee,
        actions: ['iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey'],
        resourceArns: [this.user.userArn],
      }))
      .combine(iam.Grant.addToPrincipal({
        grantee,
        actions: ['cloudformation:ListStackResources'],
        resourceArns: [Stack.of(this.rotator).stackId],
      }));
  }

  /**
   * A rule on this key's audit events (their resource is this secret), on the
   * bus they are sent to.
   */
  public onAccessKeyEvent(id: string, options: AccessKeyEventRuleOptions = {}): events.Rule {
    return accessKeyEventRule(this, id, this.rotator._eventRuleBus, options, [this.secret.secretArn]);
  }

  /**
   * Two constructs rotating one user's keys would fight over IAM's two keys
   * per user (each treats the other's key as foreign): refused, once, on the
   * later of the two. Users are the same when they are one construct, or when
   * their names (IAM's are case-insensitive) are known and equal in one account:
   * the same concrete account, or the same stack. A name in stacks whose
   * account is not known at synth may or may not be the same user: a warning.
   */
  private sameUserAsAnEarlierKey(keysOfApp: AppKeys): string[] {
    const index = indexOf(keysOfApp);
    const me = index.identity.get(this)!;
    const mine = index.position.get(this)!;
    // Only keys of the same user, or of a user of the same name, can be found the same or unknown.
    const candidates = new Set([...index.byUser.get(this.user) ?? [], ...me.name === undefined ? [] : index.byName.get(me.name) ?? []]);
    const earlierKeys = [...candidates].filter((k) => index.position.get(k)! < mine).sort((a, b) => index.position.get(a)! - index.position.get(b)!);
    for (const earlier of earlierKeys) {
      const other = index.identity.get(earlier)!;
      const same = this.user === earlier.user ? 'same'
        : me.name === undefined || me.name !== other.name ? 'different'
          : me.account !== undefined && other.account !== undefined ? (me.account === other.account ? 'same' : 'different')
            : me.stack === other.stack ? 'same' : 'unknown';
      const user = me.name === undefined ? `the user ${this.user.node.path}` : `the user '${me.displayName}'`;
      const account = me.account === undefined ? '' : ` of account ${me.account}`;
      if (same === 'same') {
        return [`${user}${account} has rotating access keys from both ${earlier.node.path} and ${this.node.path}: one user's keys can be `
          + 'rotated by one construct only (IAM allows two keys per user, and each rotation would take the other\'s key for a foreign one); '
          + `keep one, and let the other consumers read its secret with ${member('grantRead')}`];
      }
      if (same === 'unknown') {
        Annotations.of(this).addWarningV2('cdk-rotating-access-keys:sameUserName',
          `${user} also has rotating access keys from ${earlier.node.path}, in a stack whose account is not known at synth: if both stacks `
          + 'deploy to one account, they rotate one user\'s keys twice and fight over them; keep one, or acknowledge this warning if the '
          + 'stacks deploy to different accounts');
      }
    }
    return [];
  }

  /**
   * The secret's ARN as the grantee's policy can name it. In the grantee's
   * Region, the ARN itself; from another Region of the account, the ARN its
   * stack can know: its name and Secrets Manager's six-character suffix as
   * `-??????` (aws-cdk-lib's own rule, `arnForPolicies`), or the full ARN when
   * the grantee's stack reads references across Regions. Where neither works
   * (no `secretName`, or a customer-managed key whose ARN another Region's
   * stack cannot name), it refuses, saying what to set.
   */
  private readableArn(grantee: iam.IGrantable): string {
    const secretStack = Stack.of(this);
    const consumer = Construct.isConstruct(grantee) ? Stack.of(grantee) : undefined;
    const known = (region: string) => !Token.isUnresolved(region);
    const crossRegion = consumer !== undefined && known(consumer.region) && known(secretStack.region) && consumer.region !== secretStack.region
      // A stack with crossRegionReferences imports the secret's ARN (and its key's) through SSM parameters: any reference works.
      && !(consumer as unknown as { _crossRegionReferences?: boolean })._crossRegionReferences;
    if (crossRegion) {
      const where = `${member('grantRead')}: the grantee is in Region ${consumer.region} and the secret ${this.secret.node.path} in ${secretStack.region}`;
      const name = (this.secret.node.defaultChild as secretsmanager.CfnSecret).name;
      if (name === undefined || Token.isUnresolved(name)) {
        throw new Error(`${where}: a policy in another Region can name the secret only by its name; set ${member('secretName')} on ${this.node.path}, `
          + `or set ${member('crossRegionReferences')} to true on the grantee's stack ${consumer.node.path}`);
      }
      if (this.encryptionKey) {
        throw new Error(`${where}, encrypted with a customer-managed key, whose ARN a policy in another Region cannot name; `
          + `set ${member('crossRegionReferences')} to true on the grantee's stack ${consumer.node.path}`);
      }
    }
    // aws-cdk-lib's SecretBase.arnForPolicies (protected): resolved in the policy's stack, the ARN with `-??????` wherever
    // that stack knows only the name.
    return (this.secret as unknown as { arnForPolicies?: string }).arnForPolicies ?? this.secret.secretArn;
  }

  /**
   * The delivery function's read: `GetSecretValue` of this secret's AWSPENDING version only (a request must name the
   * stage: one without it reads AWSCURRENT, and is denied), and with a customer-managed key, decrypting through
   * Secrets Manager for this secret only. On the function's own policy; a function whose role cannot be written (one
   * imported by ARN) gets nothing, and the warning says what to add.
   */
  private grantReadPending(fn: lambda.IFunction): iam.Grant {
    const secretArn = this.readableArn(fn);
    let grant = iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [secretArn],
      conditions: { StringEquals: { 'secretsmanager:VersionStage': Stage.PENDING } },
    });
    if (this.encryptionKey) grant = grant.combine(this.grantDecryptThroughSecretsManager(fn, this.encryptionKey));
    // An imported function's principal takes any statement (and only warns): its role is what counts.
    if (!grant.success || fn.role === undefined) {
      Annotations.of(this).addWarningV2('cdk-rotating-access-keys:deliveryFunctionNotGranted',
        `the delivery function ${fn.node.path} has no role this stack can add to (it is imported): allow it `
        + `secretsmanager:GetSecretValue on ${this.node.path}'s secret with the condition secretsmanager:VersionStage = ${Stage.PENDING}`
        + `${this.encryptionKey ? ', and kms:Decrypt of its key through Secrets Manager' : ''}, or every delivery fails`);
    }
    return grant;
  }

  /** What the CLI reads to find a secret's registration: the secret, the rotation function's configuration, the registry. */
  private grantRegistryReads(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:DescribeSecret'],
      resourceArns: [this.secret.secretArn],
    }).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:GetFunctionConfiguration'],
      resourceArns: [this.rotator.function.functionArn],
    })).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudformation:DescribeStackResource'],
      resourceArns: [Stack.of(this.rotator).stackId],
    }));
  }

  /** Tagging (or untagging) this secret with these tag keys and no other. */
  private grantTags(grantee: iam.IGrantable, action: string, keys: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [action],
      resourceArns: [this.secret.secretArn],
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': keys },
        'Null': { 'aws:TagKeys': 'false' },
      },
    });
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
        + `+ ${member('deactivateAfter')} and postponement ${days(grace)}), more than the ${IAM3_MAX_ACTIVE_DAYS} days of Security Hub IAM.3 `
        + 'and CIS; rotate more often or shorten deactivateAfter');
    }
  }
}

/**
 * A key's user as far as synth can tell: its name (lower case, as IAM
 * compares names) when it is known, and its account when it is concrete;
 * otherwise the stack whose account it is.
 */
interface UserIdentity {
  readonly name?: string;
  readonly displayName?: string;
  readonly account?: string;
  readonly stack: Stack;
}

function userIdentity(key: RotatingAccessKey): UserIdentity {
  const user = key.user;
  const known = (v: unknown): string | undefined => (typeof v === 'string' && !Token.isUnresolved(v) ? v : undefined);
  const arn = known(user.userArn);
  const cfn = user.node.defaultChild;
  const name = arn !== undefined ? userNameOf(arn)
    : known(user.userName) ?? (cfn instanceof iam.CfnUser ? known(cfn.userName) : undefined);
  const stack = Stack.of(user);
  const account = arn !== undefined ? accountOf(arn) : known(stack.account);
  return { name: name?.toLowerCase(), displayName: name, account, stack };
}

function days(hours: number): string {
  return String(Math.round(hours / 24 * 10) / 10);
}

function validateNotice(props: RotatingAccessKeyProps, deactivateAfter: Duration): void {
  const notice = props.earlyNotice;
  if (notice && !notice.isUnresolved()) {
    const { min, max } = Limits.noticeBeforeSeconds;
    const s = notice.toSeconds();
    if (s < min || s > max) throw new Error(`${member('earlyNotice')} must be from 1 hour to 1000 days, got ${notice.toHumanString()}`);
    if (!deactivateAfter.isUnresolved() && s > deactivateAfter.toSeconds()) {
      throw new Error(`${member('earlyNotice')} must be at most ${member('deactivateAfter')}, got ${notice.toHumanString()} and `
        + `${deactivateAfter.toHumanString()}: the use of the old key is checked that long before its deactivation`);
    }
  }
  const owner = props.owner;
  if (owner !== undefined && !Token.isUnresolved(owner) && !/^[\x20-\x7e]{1,256}$/.test(owner)) {
    throw new Error(`owner must be 1 to 256 printable ASCII characters, got '${owner}'`);
  }
}

function validate(
  scope: Construct, props: RotatingAccessKeyProps, schedule: KeyRotationSchedule, deactivateAfter: Duration, deleteAfter: Duration,
  postpone: Duration, removalPolicy: RemovalPolicy,
): void {
  const inRange = (name: string, d: Duration, min: number, max: number, range: string) => {
    if (d.isUnresolved()) return;
    const s = d.toSeconds();
    if (s < min || s > max) throw new Error(`${member(name)} must be ${range}, got ${d.toHumanString()}`);
  };
  const range = (l: { min: number; max: number; text: string }) => [l.min, l.max, l.text] as const;
  inRange('deactivateAfter', deactivateAfter, ...range(Limits.deactivateAfterSeconds));
  inRange('deleteAfter', deleteAfter, ...range(Limits.deleteAfterSeconds));
  inRange('postponeDeactivationWhileInUse', postpone, ...range(Limits.postponeWhileInUseSeconds));
  const window = props.rotationWindow;
  if (window && !window.isUnresolved()) {
    const hours = window.toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
      throw new Error(`${member('rotationWindow')} must be 1 to 24 whole hours, got ${window.toHumanString()}`);
    }
    const problem = rotationWindowProblem(schedule, hours);
    if (problem) throw new Error(`${member('rotationWindow')} of ${window.toHumanString()} ${problem}`);
  }
  const name = props.secretName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
    throw new Error(`${member('secretName')} must be 1 to 512 letters, digits or /_+=.@- characters, got '${name}'`);
  }
  if (removalPolicy !== RemovalPolicy.DESTROY && removalPolicy !== RemovalPolicy.RETAIN) {
    throw new Error(`${member('removalPolicy')} must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got ${removalPolicy}`);
  }
  validateUser(props.user, Stack.of(scope));
  validateDelivery(props.deliveryFunction, Stack.of(scope));
}

/** The rotation function invokes a delivery function of its own account and Region only (no resource policy, one client). */
function validateDelivery(fn: lambda.IFunction | undefined, stack: Stack): void {
  if (!fn) return;
  const known = (v: string) => !Token.isUnresolved(v);
  for (const [what, theirs, ours] of [['account', fn.env.account, stack.account], ['Region', fn.env.region, stack.region]] as const) {
    if (known(theirs) && known(ours) && theirs !== ours) {
      throw new Error(`${member('deliveryFunction')} must be a function of the secret's ${what} (${ours}), got ${fn.node.path} in ${theirs}`);
    }
  }
}

/**
 * The user's ARN becomes the function's IAM scope and its registry entry: it
 * must name one user of the stack's account, no wildcard, no other account.
 * A literal ARN (iam.User.fromUserArn) is judged as given; otherwise the name,
 * as given to iam.User.fromUserName when that is what made the user.
 */
function validateUser(user: iam.IUser, stack: Stack): void {
  const arn = user.userArn;
  if (!Token.isUnresolved(arn)) {
    const problem = userArnProblem(arn);
    if (problem) throw new Error(`user must be one IAM user, got the ARN '${arn}': ${problem}`);
    if (!Token.isUnresolved(stack.account) && accountOf(arn) !== stack.account) {
      throw new Error(`user must be in the stack's account ${stack.account}, got the ARN '${arn}' of account ${accountOf(arn)}`);
    }
    return;
  }
  const name = nameGivenToFromUserName(user) ?? user.userName;
  if (Token.isUnresolved(name)) return;
  if (/[*?]/.test(name)) {
    throw new Error(`user must be one IAM user, got the user name '${name}': a wildcard would give the rotation function every matching user's keys`);
  }
  if (name.includes('/')) {
    throw new Error(`user must be one IAM user, got the user name '${name}': a name cannot hold '/'; for a user with a path use ${member('iam.User.fromUserArn')} with its ARN`);
  }
  if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
    throw new Error(`user must be one IAM user, got the user name '${name}': names are 1 to 64 letters, digits or +=,.@_- characters`);
  }
}

/**
 * The name iam.User.fromUserName was given, when the user's ARN is exactly
 * what it makes of a name holding '/' (its userName keeps only the last
 * segment, so 'onprem/nas-sync' would silently become user nas-sync at path
 * /onprem/); undefined otherwise.
 */
function nameGivenToFromUserName(user: iam.IUser): string | undefined {
  const given = /:user\/([^:]*)$/.exec(user.userArn)?.[1];
  if (given === undefined || !given.includes('/') || Token.isUnresolved(given)) return undefined;
  const made = Stack.of(user).formatArn({ service: 'iam', region: '', resource: 'user', resourceName: given });
  return made === user.userArn ? given : undefined;
}
