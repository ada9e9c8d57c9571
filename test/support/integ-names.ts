/**
 * The names the real-account check (test/integ.rotating-access-keys.ts) gives
 * what it deploys, shared with the check after its deletion
 * (scripts/integ-deploy.ts), which asks AWS for them by name.
 */

/** The user the check creates with rotating keys. */
export const CREATED_USER_NAME = 'integ-rotating-access-keys-created';
/** The "existing" user, created by a stack of its own and imported by name. */
export const EXISTING_USER_NAME = 'integ-rotating-access-keys-existing';
/** The stacks, in the order integ-runner deploys them (and the reverse of the order it deletes them). */
export const STACK_NAMES = ['RotatingAccessKeysIntegExistingUser', 'RotatingAccessKeysInteg', 'RotatingAccessKeysIntegAssertions'] as const;
