/**
 * The app-wide check: flags every raw `AWS::IAM::AccessKey` in the app. Such a
 * key never rotates, and its secret passes through CloudFormation (a GetAtt
 * of SecretAccessKey); `RotatingAccessKey` creates none.
 */
import { Annotations, CfnResource, IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * How a finding of `UnrotatedAccessKeyCheck` is reported.
 */
export enum FindingLevel {
  /** An error annotation: `cdk synth` and `cdk deploy` fail. */
  ERROR = 'ERROR',
  /** A warning annotation, which can be acknowledged; fails only `cdk synth --strict`. */
  WARNING = 'WARNING',
}

/**
 * Properties of `UnrotatedAccessKeyCheck`.
 */
export interface UnrotatedAccessKeyCheckProps {
  /**
   * How findings are reported.
   *
   * @default FindingLevel.ERROR
   */
  readonly level?: FindingLevel;
}

/**
 * An aspect that flags IAM access keys nothing rotates.
 *
 * @example
 * Aspects.of(app).add(new UnrotatedAccessKeyCheck());
 */
export class UnrotatedAccessKeyCheck implements IAspect {
  /** The id of the finding, for `Annotations.acknowledgeWarning`. */
  public static readonly FINDING_ID = 'cdk-rotating-access-keys:unrotatedAccessKey';

  private readonly level: FindingLevel;

  constructor(props: UnrotatedAccessKeyCheckProps = {}) {
    this.level = props.level ?? FindingLevel.ERROR;
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== iam.CfnAccessKey.CFN_RESOURCE_TYPE_NAME) return;
    const message = `${node.node.path}: an AWS::IAM::AccessKey never rotates and its secret passes through CloudFormation; `
      + 'use RotatingAccessKey (Security Hub IAM.3, CIS "rotate within 90 days")';
    if (this.level === FindingLevel.ERROR) {
      Annotations.of(node).addError(message);
    } else {
      Annotations.of(node).addWarningV2(UnrotatedAccessKeyCheck.FINDING_ID, message);
    }
  }
}
