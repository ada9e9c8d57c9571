/**
 * cdk-nag suppressions for findings the library causes on purpose, written as
 * the metadata each cdk-nag major reads, so the library does not depend on
 * cdk-nag. Internal: not exported from index.
 *
 * - cdk-nag 2.x reads the CloudFormation metadata `cdk_nag.rules_to_suppress`
 *   of the resource (`{ id, reason, applies_to }`).
 * - cdk-nag 3.x reads construct metadata of type `aws:cdk:acknowledged-rules`
 *   (aws-cdk-lib's `Validations.ACKNOWLEDGED_RULES_METADATA_KEY`) on the
 *   resource or an ancestor: a map from rule id to reason, where a granular
 *   finding is `id[finding]` (e.g. `AwsSolutions-IAM5[Resource::*]`). It is
 *   written directly, not with `Validations.of(...).acknowledge()`, which
 *   aws-cdk-lib before 2.257 lacks and 2.257 refuses for findings holding
 *   `::` twice (an S3 or a managed policy ARN).
 */
import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The construct metadata type cdk-nag 3 reads acknowledgements from (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY`). */
const ACKNOWLEDGED_RULES_METADATA_KEY = 'aws:cdk:acknowledged-rules';

/** One suppressed rule, with the evidence for it. */
export interface NagSuppression {
  /** The rule, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;

  /** Why the finding is acceptable: 10 characters or more (cdk-nag's minimum), plain ASCII. */
  readonly reason: string;

  /**
   * For a granular rule, exactly the findings suppressed, compared by cdk-nag
   * for equality (e.g. `Resource::*`, `Action::kms:ReEncrypt*`); without it, every
   * finding of the rule on the resource is for cdk-nag 2, and only a finding
   * reported under the bare rule id is for cdk-nag 3 (which has no such wildcard).
   */
  readonly appliesTo?: string[];
}

/**
 * Suppresses cdk-nag findings on one resource: `scope` itself when it is a
 * CloudFormation resource, else its default child. Adds to the suppressions the
 * resource already has (cdk-nag's own `NagSuppressions` included), without duplicates,
 * and acknowledges the same findings for cdk-nag 3.
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

  resource.node.addMetadata(ACKNOWLEDGED_RULES_METADATA_KEY, acknowledgements(suppressions));
}

/**
 * The suppressions as cdk-nag 3 acknowledgements: rule id (`id[finding]` for
 * each finding of a granular rule) to reason.
 */
function acknowledgements(suppressions: NagSuppression[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const { id, reason, appliesTo } of suppressions) {
    for (const ruleId of appliesTo ? appliesTo.map((finding) => `${id}[${finding}]`) : [id]) result[ruleId] = reason;
  }
  return result;
}
