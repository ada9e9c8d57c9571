/**
 * How the constructs' errors and warnings name a member of an API (a prop, a
 * method, a property), so that a reader in every jsii language finds it: the
 * jsii spelling, which TypeScript and Java use as it is and Go and .NET
 * capitalise (`deactivateAfter`, `DeactivateAfter`), followed by the Python
 * spelling where it differs (`deactivate_after`), the one a reader cannot get
 * by capitalising: `deactivateAfter (Python: deactivate_after)`. Not part of
 * the library's API (index.ts does not export it); docs/DEVELOPING.md states
 * the convention.
 */

/**
 * The Python spelling jsii gives a member: each segment of a dotted name that
 * starts with a lower-case letter in snake_case (`iam.User.fromUserArn` is
 * `iam.User.from_user_arn`); types and constants (`RemovalPolicy.DESTROY`) keep theirs.
 */
export function pythonName(name: string): string {
  return name.split('.').map((segment) => (/^[a-z]/.test(segment)
    ? segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase()
    : segment)).join('.');
}

/** A member as messages name it: `deactivateAfter (Python: deactivate_after)`, or the name alone where Python spells it the same (`owner`). */
export function member(name: string): string {
  const python = pythonName(name);
  return python === name ? name : `${name} (Python: ${python})`;
}
