/**
 * The convenience construct: creates the IAM user too, with the usual user
 * settings, and gives it rotating access keys.
 */
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AccessKeyEventRuleOptions } from './access-key-rotator';
import { member } from './member-names';
import { RotatingAccessKey, RotatingAccessKeyOptions } from './rotating-access-key';

/**
 * Properties of `RotatingAccessKeyUser`.
 */
export interface RotatingAccessKeyUserProps extends RotatingAccessKeyOptions {
  /**
   * The user's name: 1 to 64 letters, digits or `+=,.@_-` characters.
   *
   * @default - a name is generated
   */
  readonly userName?: string;

  /**
   * The user's path: starts and ends with `/`, at most 512 characters.
   *
   * @default '/'
   */
  readonly path?: string;

  /**
   * Groups the user belongs to.
   *
   * @default - none
   */
  readonly groups?: iam.IGroup[];

  /**
   * Managed policies attached to the user.
   *
   * @default - none
   */
  readonly managedPolicies?: iam.IManagedPolicy[];

  /**
   * Inline policies of the user, by name.
   *
   * @default - none
   */
  readonly inlinePolicies?: { [name: string]: iam.PolicyDocument };

  /**
   * The permissions boundary of the user.
   *
   * @default - none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
}

/**
 * An IAM user with access keys that rotate: the user, its secret, and the
 * rotation schedule, with the old keys retired by the shared function.
 */
export class RotatingAccessKeyUser extends Construct {
  /** The IAM user. */
  public readonly user: iam.User;

  /** The user's rotating access keys. */
  public readonly accessKey: RotatingAccessKey;

  /** The secret that holds the current key. */
  public readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: RotatingAccessKeyUserProps = {}) {
    super(scope, id);
    if (props.userName !== undefined && !Token.isUnresolved(props.userName) && !/^[\w+=,.@-]{1,64}$/.test(props.userName)) {
      throw new Error(`${member('userName')} must be 1 to 64 letters, digits or +=,.@_- characters, got '${props.userName}'`);
    }
    if (props.path !== undefined && !Token.isUnresolved(props.path) && !/^\/([\x21-\x7e]{0,510}\/)?$/.test(props.path)) {
      throw new Error(`path must start and end with '/' and hold at most 512 printable characters, got '${props.path}'`);
    }
    this.user = new iam.User(this, 'User', {
      userName: props.userName,
      path: props.path,
      groups: props.groups,
      managedPolicies: props.managedPolicies,
      permissionsBoundary: props.permissionsBoundary,
    });
    // RETAIN keeps the user with its keys and secret; DESTROY removes all three.
    this.user.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    for (const [name, document] of Object.entries(props.inlinePolicies ?? {})) {
      this.user.attachInlinePolicy(new iam.Policy(this, `Policy${name}`, { policyName: name, document }));
    }
    this.accessKey = new RotatingAccessKey(this, 'AccessKey', { ...props, user: this.user });
    this.secret = this.accessKey.secret;
  }

  /**
   * Lets a principal of the secret's account read the current key from the
   * secret (and decrypt it); see `RotatingAccessKey.grantRead`.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.accessKey.grantRead(grantee);
  }

  /** Lets a principal rotate the key now (see `RotatingAccessKey.grantRotate`). */
  public grantRotate(grantee: iam.IGrantable): iam.Grant {
    return this.accessKey.grantRotate(grantee);
  }

  /** Lets a principal revoke the key (see `RotatingAccessKey.grantRevoke`). */
  public grantRevoke(grantee: iam.IGrantable): iam.Grant {
    return this.accessKey.grantRevoke(grantee);
  }

  /** Lets a principal operate the key with the CLI (see `RotatingAccessKey.grantOperate`). */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    return this.accessKey.grantOperate(grantee);
  }

  /** A rule on the key's audit events (see `RotatingAccessKey.onAccessKeyEvent`). */
  public onAccessKeyEvent(id: string, options: AccessKeyEventRuleOptions = {}): events.Rule {
    return this.accessKey.onAccessKeyEvent(id, options);
  }
}
