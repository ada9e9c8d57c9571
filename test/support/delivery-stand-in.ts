/**
 * A stand-in for Lambda running a delivery function (moto cannot run one
 * without Docker): a proxy in front of moto answers Lambda's Invoke of the
 * delivery function itself, and passes every other request through.
 *
 * The stand-in does what a delivery function does: it reads the version the
 * payload names, by the stage it names, as its own role allows (each read is
 * judged by policy simulation against the function's role as deployed, and a
 * denied read fails the invocation as AccessDenied would), and keeps what it
 * read as "delivered". A test can make it fail, or take its time.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { IamRequest, judge, Verdict } from './authorization';
import { DeploymentPlayer } from './deployment';
import { TEST_ENV } from './intrinsics';
import { MotoServer } from './moto';
import { MotoProxy, ProxiedRequest, ProxyReply } from './moto-proxy';

/** What one invocation of the delivery function received, and what it made of it. */
export interface Delivery {
  /** The function named by the Invoke (as the rotation function named it). */
  readonly functionName: string;
  /** The payload exactly as it crossed the wire. */
  readonly payload: string;
  /** The key the function read from the version, when it read one. */
  readonly delivered?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** How the invocation ended: `ok`, or the error it reported. */
  readonly outcome: string;
}

export class DeliveryStandIn {
  /** Starts the proxy in front of moto; give `endpoint` to the player as its upstream, then `attach` the player. */
  static async start(moto: MotoServer): Promise<DeliveryStandIn> {
    const standIn = new DeliveryStandIn(moto);
    standIn.proxy = await MotoProxy.start(moto.endpoint, {
      intercept: (r) => standIn.intercept(r).catch((e) => {
        standIn.errors.push(String((e as Error).stack ?? e));
        throw e;
      }),
    });
    return standIn;
  }

  private proxy!: MotoProxy;
  private player?: DeploymentPlayer;
  private readonly secretsManager: SecretsManagerClient;
  /** Every invocation of the delivery function, in order. */
  readonly deliveries: Delivery[] = [];
  /** Problems of the stand-in itself (not the function's failures): a test expects none. */
  readonly errors: string[] = [];
  /** Every read the function asked for, with IAM's verdict on it. */
  readonly reads: { readonly request: IamRequest; readonly verdict: Verdict }[] = [];
  /** The construct id of the delivery function in the player's stack (its logical id starts with it). */
  functionId = 'Delivery';
  /** The next invocations fail with this error (the function throws) while it is set. */
  failWith?: string;
  /** Each invocation takes this long before it answers. */
  delayMs = 0;
  /** The stage the function reads by (a well-behaved one reads by the payload's `versionStage`). */
  readStage?: string;

  private constructor(moto: MotoServer) {
    this.secretsManager = new SecretsManagerClient({
      endpoint: moto.endpoint, region: TEST_ENV.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  }

  get endpoint(): string {
    return this.proxy.endpoint;
  }

  attach(player: DeploymentPlayer): void {
    this.player = player;
  }

  reset(): void {
    this.deliveries.length = 0;
    this.reads.length = 0;
    this.errors.length = 0;
    this.failWith = undefined;
    this.delayMs = 0;
    this.readStage = undefined;
  }

  async stop(): Promise<void> {
    await this.proxy.stop();
  }

  /** The delivery function's role as deployed, judging a read of a secret's version as IAM would. */
  async verdict(secretArn: string, stage?: string, versionId?: string): Promise<Verdict> {
    const request: IamRequest = {
      action: 'secretsmanager:GetSecretValue',
      resource: secretArn,
      context: {
        'secretsmanager:SecretId': secretArn,
        ...(stage === undefined ? {} : { 'secretsmanager:VersionStage': stage }),
        ...(versionId === undefined ? {} : { 'secretsmanager:VersionId': versionId }),
      },
    };
    const { verdict } = await judge(request, this.player!.role(this.deployed()!.logicalId));
    this.reads.push({ request, verdict });
    return verdict;
  }

  /** The delivery function as deployed now. */
  deployed(): { readonly logicalId: string; readonly physicalId: string; readonly arn: string } | undefined {
    const fn = [...this.player?.resources.values() ?? []]
      .find((r) => r.definition.Type === 'AWS::Lambda::Function' && new RegExp(`^${this.functionId}[0-9A-F]{8}$`).test(r.logicalId));
    return fn && { logicalId: fn.logicalId, physicalId: fn.physicalId, arn: String(fn.attributes.Arn) };
  }

  private async intercept(request: ProxiedRequest): Promise<ProxyReply | undefined> {
    const match = /^\/2015-03-31\/functions\/([^/?]+)\/invocations/.exec(request.url);
    if (request.method !== 'POST' || !match || !this.player) return undefined;
    const functionName = decodeURIComponent(match[1]);
    const deployed = this.deployed();
    if (!deployed || (functionName !== deployed.physicalId && functionName !== deployed.arn)) return undefined;
    const payload = request.body.toString();
    const answer = (outcome: string, delivered?: Delivery['delivered']): ProxyReply => {
      this.deliveries.push({ functionName, payload, delivered, outcome });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
      if (outcome === 'ok') return { status: 200, headers, body: 'null' };
      const error = JSON.stringify({ errorType: 'Error', errorMessage: outcome });
      return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body: error };
    };
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith !== undefined) return answer(this.failWith);
    const event = JSON.parse(payload) as { secretArn: string; versionId: string; versionStage: string };
    const stage = this.readStage ?? event.versionStage;
    if (await this.verdict(event.secretArn, stage, event.versionId) !== 'Allowed') {
      return answer(`AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue on ${event.secretArn} (stage ${stage})`);
    }
    const read = await this.secretsManager.send(new GetSecretValueCommand({
      SecretId: event.secretArn, VersionId: event.versionId, VersionStage: stage,
    }));
    const value = JSON.parse(read.SecretString ?? '{}') as { accessKeyId: string; secretAccessKey: string };
    return answer('ok', { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey });
  }
}
