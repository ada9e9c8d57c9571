/**
 * A deployment of N registrations (RotatingAccessKeyUser), played as
 * CloudFormation plays it (test/support/deployment.ts: every call the shipped
 * bundle makes judged against its role of that moment) against moto and the
 * CloudFormation stand-in, which counts every call and the bytes of each answer.
 *
 * - Counted: every invocation is a cold start (CloudFormation creates the
 *   rotation resources in parallel and Secrets Manager rotates them at once,
 *   so Lambda scales out): what one registration's Create costs CloudFormation
 *   in calls and bytes, and what the whole deployment costs per registration
 *   (the rotation steps still read the registry at a cold start). The Create's
 *   figures do not depend on N, so they are measured at two small sizes, which
 *   also shows that they stay the same.
 * - Full mode only: N = 240 (RotatingAccessKeys of imported users, the most a
 *   stack holds) behind a proxy that enforces Secrets Manager's request quotas
 *   (50 a second for RotateSecret, for its other writes and for TagResource):
 *   every secret must end with a working key, no step failed.
 */
import { CreateUserCommand } from '@aws-sdk/client-iam';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RotatingAccessKey, RotatingAccessKeyUser } from '../src';
import { ROTATION_RESOURCE_TYPE } from '../src/rotation/contract';
import { captureAnswers } from '../test/support/bundle';
import { DeploymentPlayer, Invocation, Operation } from '../test/support/deployment';
import type { MotoServer } from '../test/support/moto';
import { MotoProxy, SECRETS_MANAGER_QUOTAS } from '../test/support/moto-proxy';
import { stackOf } from '../test/support/stack-shapes';

const userName = (i: number) => `user-${String(i).padStart(3, '0')}`;

/** A stack of `n` RotatingAccessKeyUsers, or of `n` RotatingAccessKeys of imported users (2 resources each: 240 fit in a stack). */
export function usersStack(n: number, layout: 'RotatingAccessKeyUser' | 'RotatingAccessKey' = 'RotatingAccessKeyUser') {
  return stackOf({
    extra: (stack: Stack) => {
      for (let i = 0; i < n; i++) {
        const id = `User${String(i).padStart(3, '0')}`;
        if (layout === 'RotatingAccessKeyUser') new RotatingAccessKeyUser(stack, id, { userName: userName(i) });
        else new RotatingAccessKey(stack, id, { user: iam.User.fromUserName(stack, `${id}Imported`, userName(i)) });
      }
    },
  });
}

export interface DeploymentCost {
  readonly n: number;
  /** The most CloudFormation calls one registration's Create made. */
  readonly createCalls: number;
  /** The most bytes of CloudFormation answers one registration's Create read. */
  readonly createBytes: number;
  /** CloudFormation calls of the whole deployment (every invocation), per registration. */
  readonly callsPerRegistration: number;
  /** The most bytes of CloudFormation answers one rotation step read (its cold start's registry). */
  readonly stepBytes: number;
  readonly seconds: number;
}

/** Every invocation of an operation. */
const invocations = (operation: Operation): Invocation[] => operation.phases.flatMap((p) => p.invocations);
const bytes = (i: Invocation) => i.cloudFormation.reduce((sum, c) => sum + c.bytes, 0);

/** Problems of a finished deployment: denied calls, failed resources or steps, secrets without a working key. */
async function problems(player: DeploymentPlayer, operation: Operation): Promise<string[]> {
  const phases = operation.phases;
  return [
    ...operation.status === 'CREATE_COMPLETE' ? [] : [`the stack ended ${operation.status}`],
    ...phases.flatMap((p) => p.decisions.filter((d) => d.verdict !== 'Allowed').map((d) => `denied: ${d.call}: ${d.why}`)),
    ...phases.flatMap((p) => p.failures),
    ...phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `${r.secretArn}: ${r.failed!.step}: ${r.failed!.error}`)),
    ...await player.currentKeysServe(),
  ];
}

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  // The bundle logs every step as JSON on stdout; the bench's own lines go there too.
  const log = console.log;
  console.log = () => undefined;
  try {
    return await run();
  } finally {
    console.log = log;
  }
}

/** Deploys stacks of each size, every invocation a cold start; returns what each cost CloudFormation. */
export async function deploymentCosts(moto: MotoServer, sizes: number[]): Promise<DeploymentCost[]> {
  captureAnswers();
  const player = await DeploymentPlayer.start(moto, { coldStarts: 'invocation' });
  const costs: DeploymentCost[] = [];
  try {
    for (const n of sizes) {
      await player.reset();
      const started = Date.now();
      const operation = await quietly(() => player.create(usersStack(n)));
      const found = await problems(player, operation);
      if (found.length > 0) throw new Error(`the deployment of ${n} registrations failed:\n${found.slice(0, 10).join('\n')}`);
      const all = invocations(operation);
      const creates = all.filter((i) => i.request === `Create ${ROTATION_RESOURCE_TYPE}`);
      const steps = all.filter((i) => !i.request.includes(' '));
      costs.push({
        n,
        createCalls: Math.max(...creates.map((i) => i.cloudFormation.length)),
        createBytes: Math.max(...creates.map(bytes)),
        callsPerRegistration: all.reduce((sum, i) => sum + i.cloudFormation.length, 0) / n,
        stepBytes: Math.max(...steps.map(bytes)),
        seconds: (Date.now() - started) / 1000,
      });
    }
  } finally {
    await player.stop();
  }
  return costs;
}

export interface QuotaDeployment {
  readonly n: number;
  /** Requests the proxy refused with Secrets Manager's ThrottlingException (each retried by the SDK). */
  readonly throttled: number;
  readonly problems: string[];
  readonly seconds: number;
}

/** A deployment of `n` registrations (RotatingAccessKey of imported users) behind a proxy that enforces Secrets Manager's request quotas. */
export async function deployUnderQuotas(moto: MotoServer, n: number): Promise<QuotaDeployment> {
  captureAnswers();
  await moto.reset();
  const proxy = await MotoProxy.start(moto.endpoint);
  proxy.quotas.push(...SECRETS_MANAGER_QUOTAS);
  const player = await DeploymentPlayer.start(moto, { upstream: proxy.endpoint });
  try {
    await player.reset();
    for (let i = 0; i < n; i++) await player.iam.send(new CreateUserCommand({ UserName: userName(i) }));
    const started = Date.now();
    const operation = await quietly(() => player.create(usersStack(n, 'RotatingAccessKey')));
    return { n, throttled: proxy.throttled, problems: await problems(player, operation), seconds: (Date.now() - started) / 1000 };
  } finally {
    await player.stop();
    await proxy.stop();
  }
}
