/**
 * What the rotation does with access keys on the user that it did not create
 * (made by hand in the console, by another tool, or left over from before).
 *
 * Shared by the constructs and the rotation function, so it imports nothing.
 */
export enum ForeignKeyPolicy {
  /**
   * Fail the rotation with an error and an audit event that name the key;
   * change nothing. The default: a key the library does not own is never
   * deleted or deactivated without an explicit choice.
   */
  FAIL = 'FAIL',

  /**
   * Delete foreign keys that are already inactive (each deletion is audited);
   * fail as `FAIL` does while a foreign key is still active.
   */
  DELETE_INACTIVE = 'DELETE_INACTIVE',

  /**
   * Take over one hand-made key: inactive foreign keys are deleted, and one
   * active foreign key is treated as the secret's previous key, so after the
   * first rotation it is deactivated after the grace period and deleted later,
   * exactly like a key the library created. Fails when the user has two
   * active foreign keys (deactivate one first).
   */
  ADOPT = 'ADOPT',
}
