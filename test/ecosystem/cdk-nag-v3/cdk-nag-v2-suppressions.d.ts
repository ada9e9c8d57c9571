/**
 * Types of ./cdk-nag-v2-suppressions.js: cdk-nag 2's `NagSuppressions.addResourceSuppressionsByPath`,
 * the only call the example makes. No imports: the repository's typecheck reads this file too.
 */
export interface NagPackSuppression {
  readonly id: string;
  readonly reason: string;
  readonly appliesTo?: string[];
}

export declare const NagSuppressions: {
  /** `stack` is an aws-cdk-lib Stack; `path` the construct path of the suppressed construct. */
  addResourceSuppressionsByPath(stack: object, path: string, suppressions: NagPackSuppression[]): void;
};
