/**
 * The stack the deployment scenarios play, in the shapes its updates give it:
 * alice and bob are users the stack creates (RotatingAccessKeyUser), carol an
 * imported user (RotatingAccessKey), dave a user an update adds. A shape names
 * the registrations present, with their options and construct ids.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { StackTemplate, synthesize } from './deployment';
import { RotatingAccessKey, RotatingAccessKeyOptions, RotatingAccessKeyUser } from '../../src';

export interface Registered extends RotatingAccessKeyOptions {
  /** The construct's id (a move changes it). */
  readonly id?: string;
}

export interface Shape {
  readonly alice?: Registered;
  readonly bob?: Registered;
  readonly carol?: Registered;
  readonly dave?: Registered;
  /** Anything else the stack holds. */
  readonly extra?: (stack: Stack) => void;
}

/** The stack as first deployed: alice DESTROY, bob RETAIN, carol (imported) with the defaults. */
export const FIRST: Shape = {
  alice: { removalPolicy: RemovalPolicy.DESTROY },
  bob: { removalPolicy: RemovalPolicy.RETAIN },
  carol: {},
};

/** carol is imported: her user must exist before the stack. */
export const IMPORTED_USERS = ['carol'];

export function stackOf(shape: Shape): StackTemplate {
  return synthesize((stack) => {
    const { alice, bob, carol, dave } = shape;
    if (alice) new RotatingAccessKeyUser(stack, alice.id ?? 'Alice', { userName: 'alice', path: '/service/', ...alice });
    if (bob) new RotatingAccessKeyUser(stack, bob.id ?? 'Bob', { userName: 'bob', ...bob });
    if (carol) new RotatingAccessKey(stack, carol.id ?? 'Carol', { user: iam.User.fromUserName(stack, 'CarolUser', 'carol'), ...carol });
    if (dave) new RotatingAccessKeyUser(stack, dave.id ?? 'Dave', { userName: 'dave', ...dave });
    shape.extra?.(stack);
  });
}
