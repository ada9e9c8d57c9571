/**
 * The audit events the rotation function sends to EventBridge: their source
 * and detail types, for rules and for notification routing.
 */
import { EVENT_SOURCE, EventType } from './rotation/contract';

/**
 * The source and the detail types of the library's EventBridge events. Each
 * event's detail names the secret (`secretArn`), the user (`userName`), the
 * key (`accessKeyId`, never the secret access key), the `reason`, and the
 * registration's `owner` when one is set.
 */
export class AccessKeyEvents {
  /** The `source` of every event. */
  public static readonly SOURCE: string = EVENT_SOURCE;
  /** A new key was created and stored as AWSPENDING. */
  public static readonly CREATED: string = EventType.CREATED;
  /** The new key became AWSCURRENT; the old key starts its grace period. */
  public static readonly PROMOTED: string = EventType.PROMOTED;
  /** An old key was made inactive (after its grace period, a revoke, or found inactive). */
  public static readonly DEACTIVATED: string = EventType.DEACTIVATED;
  /** An old key was deleted (or found deleted). */
  public static readonly DELETED: string = EventType.DELETED;
  /** An emergency revoke replaced a key and deactivated the old one at once. */
  public static readonly REVOKED: string = EventType.REVOKED;
  /** A consumer still used the old key after the new one was promoted: the early notice to its owner. */
  public static readonly STILL_IN_USE: string = EventType.STILL_IN_USE;
  /** The lifecycle holds off: an old key is active again under (or without) an operator's hold. */
  public static readonly HELD: string = EventType.HELD;
  /**
   * A registration's keys moved to the secret that takes its place (a renamed
   * secret, a moved construct): the new secret serves the user's current key at once.
   */
  public static readonly HANDED_OVER: string = EventType.HANDED_OVER;
  /**
   * A registered secret's rotation set-up had drifted from the registry (turned
   * off, another function, other rules) and was put back, or the secret held no
   * key of its user and was rotated: someone changed what the stack deployed.
   */
  public static readonly RESTORED: string = EventType.RESTORED;
  /**
   * A registration with `RemovalPolicy.RETAIN` left the stack (or the stack
   * was deleted): its user keeps the keys it had, Active ones included, and
   * nothing rotates, deactivates or deletes them any more. The detail names
   * them (`accessKeyIds` Active, `inactiveAccessKeyIds`); retire them by hand
   * once no consumer uses them (docs/OPERATIONS.md, "Removing a user").
   */
  public static readonly RETAINED: string = EventType.RETAINED;
  /**
   * A registration in `RotationMode.OBSERVE` would have changed IAM: a key past its schedule would be
   * rotated (and what that rotation would do to each key), or an old key would be deactivated or deleted.
   * Nothing was changed; the detail's `action` and `reason` say what enforcing would do.
   */
  public static readonly OBSERVED: string = EventType.OBSERVED;
  /**
   * The registration's delivery function (`deliveryFunction`) succeeded for a new key, before the key was
   * promoted. The detail names the key (`accessKeyId`) and the function (`deliveredTo`).
   */
  public static readonly DELIVERED: string = EventType.DELIVERED;
  /** A rotation step failed. */
  public static readonly ROTATION_FAILED: string = EventType.ROTATION_FAILED;
  /** The lifecycle could not carry out a transition. */
  public static readonly LIFECYCLE_FAILED: string = EventType.LIFECYCLE_FAILED;
  /** A request the registry does not allow was refused (a forged event, an unregistered secret). */
  public static readonly REFUSED: string = EventType.REFUSED;

  /**
   * Sent by an `AccessKeyWatch`: an active access key that no secret of the library serves is older than the
   * watch's `reportUnmanagedKeysAfter`. The detail names the user (`userName`, `userArn`), the key's slot in IAM's
   * credential report (`keySlot`, 1 or 2; the report has no key ids), its age (`ageDays`, `createdAt`) and its
   * last use (`lastUsedAt`, `lastUsedService`, `lastUsedRegion`, or `lastUsed: "never"`).
   */
  public static readonly UNMANAGED: string = EventType.UNMANAGED;

  /** Every detail type the library sends. */
  public static readonly ALL: string[] = Object.values(EventType);

  /**
   * Detail types that call for a person: failures, refusals, holds, a consumer still on an old key, drift put back,
   * keys a removed RETAIN registration left unrotated, and old keys nothing rotates (the watch's).
   */
  public static readonly NEEDS_ATTENTION: string[] = [
    EventType.ROTATION_FAILED, EventType.LIFECYCLE_FAILED, EventType.REFUSED, EventType.HELD, EventType.STILL_IN_USE, EventType.RESTORED,
    EventType.RETAINED, EventType.UNMANAGED,
  ];

  private constructor() {}
}
