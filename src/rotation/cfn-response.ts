/**
 * Answering CloudFormation for a custom resource: a PUT of a small JSON body
 * to the presigned `ResponseURL`. The URL arrives in the event, which anyone
 * allowed to invoke the function can write, so it is checked first: HTTPS,
 * CloudFormation's response bucket for this region and partition, no
 * redirects, a timeout. Reasons are generic; the details go to the logs.
 */

/** The body CloudFormation reads; it refuses one over 4,096 bytes. */
export interface CloudFormationResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export const MAX_RESPONSE_BYTES = 4096;

/** Partition → the DNS suffix of its S3 endpoints. */
const DNS_SUFFIX: Record<string, string> = {
  'aws': 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
  'aws-us-gov': 'amazonaws.com',
};

/**
 * Why a ResponseURL is not CloudFormation's response bucket for the region
 * and partition of `stackId`, or undefined when it is. The bucket is
 * `cloudformation-custom-resource-response-<region without dashes>`,
 * addressed virtual-hosted (global or regional endpoint) or path-style.
 */
export function responseUrlProblem(responseUrl: unknown, stackId: string): string | undefined {
  const [, partition, , region] = stackId.split(':');
  const suffix = DNS_SUFFIX[partition];
  if (!suffix || !region) return `the stack id ${stackId} names no known partition and region`;
  if (typeof responseUrl !== 'string') return 'ResponseURL is not a string';
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return 'ResponseURL is not a URL';
  }
  if (url.protocol !== 'https:') return `ResponseURL must use https, got ${url.protocol}`;
  if (url.username || url.password || url.port) return 'ResponseURL must not carry credentials or a port';
  const bucket = `cloudformation-custom-resource-response-${region.replace(/-/g, '')}`;
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const endpoint = `s3(?:[.-]${escaped(region)})?\\.${escaped(suffix)}`;
  const virtualHosted = new RegExp(`^${escaped(bucket)}\\.${endpoint}$`);
  const pathStyle = new RegExp(`^${endpoint}$`);
  if (virtualHosted.test(url.hostname)) return undefined;
  if (pathStyle.test(url.hostname) && url.pathname.startsWith(`/${bucket}/`)) return undefined;
  return `ResponseURL host ${url.hostname} is not CloudFormation's response bucket ${bucket} in ${region}`;
}

export interface ResponseTransport {
  put(url: string, body: string): Promise<void>;
}

/** The real transport: one PUT, redirects refused, 10 seconds at most. */
export const fetchTransport: ResponseTransport = {
  async put(url, body) {
    const res = await fetch(url, {
      method: 'PUT',
      body,
      headers: { 'content-type': '' },
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`CloudFormation's response bucket answered HTTP ${res.status}`);
  },
};

/** Serializes a response, refusing one CloudFormation would refuse. */
export function responseBody(response: CloudFormationResponse): string {
  const body = JSON.stringify({ ...response, Reason: response.Reason?.slice(0, 1000) });
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    throw new Error(`the response to CloudFormation would be ${Buffer.byteLength(body)} bytes; it accepts at most ${MAX_RESPONSE_BYTES}`);
  }
  return body;
}
