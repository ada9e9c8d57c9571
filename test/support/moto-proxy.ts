/**
 * A proxy in front of moto's server, for processes under test (the CLI) that
 * reach AWS through the standard AWS_ENDPOINT_URL:
 *
 * - Faults moto cannot produce (access denied, throttling), at the wire: the
 *   chosen actions get the error AWS would send — JSON for Secrets
 *   Manager-style protocols, XML for IAM, STS and CloudFormation.
 * - Documented behaviours of Secrets Manager that moto lacks: RotateSecret
 *   with no RotationLambdaARN rotates with the function already configured
 *   (moto instead forgets the function and moves AWSCURRENT to an empty
 *   version), so the proxy adds the configured function to such a request;
 *   and the quota of 50 tags per secret (keys starting with `aws:` not
 *   counted), which moto does not enforce: a TagResource that would pass it is
 *   refused, as Secrets Manager refuses it; and the date of each version,
 *   which Secrets Manager keeps from its creation (to the millisecond) where
 *   moto dates every version at the time it is listed; and an access key's
 *   creation date to the whole second, as IAM gives it.
 *
 * Every other request is forwarded unchanged. A caller may answer requests
 * itself (`intercept`) and be told of moto's answers (`answered`): the
 * sandbox (demo/sandbox.ts) runs the rotation function where Lambda would.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

/** IAM dates an access key to the whole second (moto keeps microseconds): `<CreateDate>` rounded down, as IAM gives it. */
function wholeSeconds(xml: Buffer): Buffer {
  return Buffer.from(xml.toString().replace(/<CreateDate>([^<]+)<\/CreateDate>/g, (_, d: string) => {
    const t = new Date(d);
    return Number.isNaN(t.getTime()) ? `<CreateDate>${d}</CreateDate>` : `<CreateDate>${new Date(Math.floor(t.getTime() / 1000) * 1000).toISOString()}</CreateDate>`;
  }));
}

/** Secrets Manager's quota of tags per secret. */
const TAGS_PER_SECRET = 50;

/** A request quota: at most `perSecond` requests of these actions in any second, as a service enforces it per account and Region. */
export interface Quota {
  readonly name: string;
  readonly actions: readonly string[];
  readonly perSecond: number;
}

/**
 * Secrets Manager's request quotas that cannot be raised (Secrets Manager User Guide, "Quotas"): 50 a second for
 * RotateSecret and CancelRotateSecret, for the writes (PutSecretValue, UpdateSecretVersionStage, UpdateSecret,
 * PutResourcePolicy...) and for TagResource and UntagResource.
 */
export const SECRETS_MANAGER_QUOTAS: readonly Quota[] = [
  { name: 'rotation', actions: ['RotateSecret', 'CancelRotateSecret'], perSecond: 50 },
  { name: 'writes', actions: ['PutSecretValue', 'UpdateSecretVersionStage', 'UpdateSecret', 'PutResourcePolicy', 'DeleteResourcePolicy', 'RestoreSecret'], perSecond: 50 },
  { name: 'tags', actions: ['TagResource', 'UntagResource'], perSecond: 50 },
];

export interface Fault {
  /** The error code AWS sends (`AccessDenied`, `AccessDeniedException`, `Throttling`...). */
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  /** Answer only this many requests with the fault, then let the action through again (every request by default). */
  readonly times?: number;
}

/** A request as the proxy received it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  /** The action: a JSON protocol's `X-Amz-Target` operation, a query protocol's `Action`, else `<method> <url>`. */
  readonly action: string;
  readonly body: Buffer;
}

/** An answer the proxy sends instead of moto's. */
export interface ProxyReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

export interface ProxyOptions {
  /** The port to listen on (a free one by default). */
  readonly port?: number;
  /** Answers a request itself (a service moto stands in for poorly), or returns undefined to forward it. */
  readonly intercept?: (request: ProxiedRequest) => Promise<ProxyReply | undefined>;
  /** Told of every request moto answered with success, with moto's answer, once the caller has it. */
  readonly answered?: (request: ProxiedRequest, answer: Buffer) => void;
}

export class MotoProxy {
  static async start(upstream: string, options: ProxyOptions = {}): Promise<MotoProxy> {
    const proxy = new MotoProxy(upstream, options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    proxy.endpoint = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  endpoint = '';
  /** Actions answered with a fault, by operation name (`UpdateAccessKey`, `ListSecrets`). */
  readonly faults = new Map<string, Fault>();
  /** Every action that reached the proxy, in order. */
  readonly seen: string[] = [];
  /** Request quotas enforced (none by default): a request over one is refused with ThrottlingException, as Secrets Manager refuses it. */
  readonly quotas: Quota[] = [];
  /** Requests refused for a quota. */
  throttled = 0;
  /** When the requests each quota let through arrived (ms), the last second's. */
  private readonly arrivals = new Map<string, number[]>();
  /** When each secret version the proxy saw created was created (epoch seconds, to the millisecond). */
  private readonly versionDates = new Map<string, number>();
  private readonly server: Server;

  private constructor(private readonly upstream: string, private readonly options: ProxyOptions = {}) {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((e) => {
        res.writeHead(502);
        res.end(String(e));
      });
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Dates a secret's versions as Secrets Manager does: when each was created,
   * to the millisecond (moto dates every version at the time it is listed).
   */
  private dateVersions(target: string, out: Buffer): Buffer {
    const action = target.split('.').pop();
    if (action === 'CreateSecret' || action === 'RotateSecret' || action === 'PutSecretValue') {
      const versionId = (JSON.parse(out.toString() || '{}') as { VersionId?: string }).VersionId;
      if (versionId && !this.versionDates.has(versionId)) this.versionDates.set(versionId, Date.now() / 1000);
      return out;
    }
    if (action !== 'ListSecretVersionIds') return out;
    const listed = JSON.parse(out.toString()) as { Versions?: { VersionId: string; CreatedDate?: number }[] };
    for (const v of listed.Versions ?? []) {
      const created = this.versionDates.get(v.VersionId);
      if (created !== undefined) v.CreatedDate = created;
    }
    return Buffer.from(JSON.stringify(listed));
  }

  /** The fault of a request over its quota (a sliding second), or undefined when the quota lets it through. */
  private overQuota(action: string): Fault | undefined {
    const quota = this.quotas.find((q) => q.actions.includes(action));
    if (!quota) return undefined;
    const now = Date.now();
    const recent = (this.arrivals.get(quota.name) ?? []).filter((t) => now - t < 1000);
    this.arrivals.set(quota.name, recent);
    if (recent.length >= quota.perSecond) {
      this.throttled++;
      return { code: 'ThrottlingException', message: `Rate exceeded (${quota.perSecond} ${quota.name} requests a second)` };
    }
    recent.push(now);
    return undefined;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const target = req.headers['x-amz-target'];
    const json = typeof target === 'string';
    const action = json ? target.split('.').pop()! : new URLSearchParams(body.toString()).get('Action') ?? `${req.method} ${req.url}`;
    this.seen.push(action);
    const fault = this.faults.get(action) ?? this.overQuota(action);
    if (fault?.times !== undefined) {
      if (fault.times <= 1) this.faults.delete(action);
      else this.faults.set(action, { ...fault, times: fault.times - 1 });
    }
    if (fault) {
      if (json) {
        res.writeHead(fault.status ?? 400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.code });
        res.end(JSON.stringify({ __type: fault.code, message: fault.message }));
      } else {
        res.writeHead(fault.status ?? (fault.code.startsWith('AccessDenied') ? 403 : 400), { 'content-type': 'text/xml' });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${fault.code}</Code><Message>${fault.message}</Message></Error>`
          + '<RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>');
      }
      return;
    }
    const received: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', action, body };
    const own = await this.options.intercept?.(received);
    if (own) {
      res.writeHead(own.status, own.headers);
      res.end(own.body);
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers)
      .filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
    if (target === 'secretsmanager.TagResource') {
      const request = JSON.parse(body.toString() || '{}') as { SecretId: string; Tags: { Key: string }[] };
      const described = await fetch(`${this.upstream}/`, {
        method: 'POST', headers: { ...headers, 'x-amz-target': 'secretsmanager.DescribeSecret' }, body: JSON.stringify({ SecretId: request.SecretId }),
      });
      const existing = described.ok ? ((await described.json() as { Tags?: { Key: string }[] }).Tags ?? []).map((t) => t.Key) : [];
      const after = new Set([...existing, ...request.Tags.map((t) => t.Key)].filter((k) => !k.startsWith('aws:')));
      if (after.size > TAGS_PER_SECRET) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ValidationException' });
        res.end(JSON.stringify({ __type: 'ValidationException', message: `Number of tags exceeds the limit of ${TAGS_PER_SECRET}` }));
        return;
      }
    }
    if (target === 'secretsmanager.RotateSecret') {
      const request = JSON.parse(body.toString() || '{}');
      if (!request.RotationLambdaARN) {
        const described = await fetch(`${this.upstream}/`, {
          method: 'POST', headers: { ...headers, 'x-amz-target': 'secretsmanager.DescribeSecret' }, body: JSON.stringify({ SecretId: request.SecretId }),
        });
        const configured = described.ok ? (await described.json() as { RotationLambdaARN?: string }).RotationLambdaARN : undefined;
        if (configured) body = Buffer.from(JSON.stringify({ ...request, RotationLambdaARN: configured }));
      }
    }
    const answer = await fetch(`${this.upstream}${req.url}`, {
      method: req.method,
      headers,
      body: ['GET', 'HEAD'].includes(req.method ?? '') ? undefined : body,
    });
    let out: Buffer = Buffer.from(await answer.arrayBuffer());
    if (answer.ok && typeof target === 'string') out = this.dateVersions(target, out);
    if (answer.ok && action === 'ListAccessKeys') out = wholeSeconds(out);
    res.writeHead(answer.status, Object.fromEntries([...answer.headers]
      .filter(([k]) => !['content-encoding', 'transfer-encoding', 'content-length'].includes(k))));
    res.end(out);
    if (answer.ok && this.options.answered) this.options.answered({ ...received, body }, out);
  }
}
