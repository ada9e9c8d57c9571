/**
 * cdk-nag suppressions for findings the library causes on purpose, written as
 * the CloudFormation metadata cdk-nag reads (`cdk_nag.rules_to_suppress`), so
 * the library does not depend on cdk-nag. Internal: not exported from index.
 */
import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One suppressed rule, with the evidence for it. */
export interface NagSuppression {
  /** The rule, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;

  /** Why the finding is acceptable: 10 characters or more (cdk-nag's minimum), plain ASCII. */
  readonly reason: string;

  /**
   * For a granular rule, exactly the findings suppressed, compared by cdk-nag
   * for equality (e.g. `Resource::*`, `Action::kms:ReEncrypt*`); without it, every
   * finding of the rule on the resource is.
   */
  readonly appliesTo?: string[];
}

/**
 * Suppresses cdk-nag findings on one resource: `scope` itself when it is a
 * CloudFormation resource, else its default child. Adds to the suppressions the
 * resource already has (cdk-nag's own `NagSuppressions` included), without duplicates.
 */
export function suppressNagFindings(scope: IConstruct, suppressions: NagSuppression[]): void {
  const resource = CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new Error(`cannot suppress cdk-nag findings on ${scope.node.path}: it is not a CloudFormation resource and has none as its default child`);
  }
  // Same shape and key order as cdk-nag's NagSuppressions writes, so equal rules compare equal.
  const rules = suppressions.map(({ id, reason, appliesTo }) => {
    if (reason.length < 10) throw new Error(`the reason to suppress ${id} on ${scope.node.path} needs 10 characters or more`);
    return appliesTo ? { reason, id, applies_to: appliesTo } : { reason, id };
  });
  const existing = resource.getMetadata('cdk_nag');
  const serialised = [...existing?.rules_to_suppress ?? [], ...rules].map((r) => JSON.stringify(r));
  resource.addMetadata('cdk_nag', { ...existing, rules_to_suppress: [...new Set(serialised)].map((r) => JSON.parse(r)) });
}
