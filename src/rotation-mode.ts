/**
 * Whether the library changes IAM for a registration, or only says what it would change.
 *
 * Shared by the constructs and the rotation function, so it imports nothing.
 */
export enum RotationMode {
  /**
   * Rotate on the schedule, deactivate and delete old keys on the timeline: the library's normal work.
   */
  ENFORCE = 'ENFORCE',

  /**
   * Deploy, register and report, but change nothing in IAM: Secrets Manager's rotation stays off,
   * a rotation started by hand is refused before it creates a key, and the lifecycle sends
   * `Access Key Change Observed` events for what it would do (rotate a key past its schedule,
   * deactivate or delete an old key) instead of doing it. The place to start when adopting users
   * whose keys were made by hand; switching to `ENFORCE` is a normal template change.
   */
  OBSERVE = 'OBSERVE',
}
