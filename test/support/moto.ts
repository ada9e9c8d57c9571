/**
 * Starts moto's server (the AWS API emulator) on a free 127.0.0.1 port for a
 * test file or the demo, points the AWS SDK at it through the standard
 * `AWS_ENDPOINT_URL` variable, resets it between tests and stops it after.
 * Beside it, the CloudFormation stand-in answers the three CloudFormation
 * calls moto cannot (`AWS_ENDPOINT_URL_CLOUDFORMATION`).
 * Fails loudly when moto cannot start: integration tests are never skipped.
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { CloudFormationStandIn } from './cloudformation';

let active: CloudFormationStandIn | undefined;
let activeServer: MotoServer | undefined;

/**
 * Moves IAM's clock (keys' creation and last use) to a simulated time, when
 * the running server has a settable clock; otherwise IAM keeps real time.
 */
export function syncIamClock(at: Date): void {
  activeServer?.trySetClock(at);
}

/** The CloudFormation stand-in of the running AWS stand-in (one per test file or demo). */
export function activeCloudFormation(): CloudFormationStandIn {
  if (!active) throw new Error('no AWS stand-in is running: call MotoServer.start() first');
  return active;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface MotoOptions {
  /**
   * Start moto with a settable IAM clock (test/support/moto_server.py): keys'
   * creation and last use are stamped with the time given to `setClock`.
   */
  readonly clock?: boolean;
  /** moto's port (a free one by default). */
  readonly port?: number;
  /** The CloudFormation stand-in's port (a free one by default). */
  readonly cloudFormationPort?: number;
}

export class MotoServer {
  /** Starts a server and sets the SDK's environment to use it. */
  static async start(options: MotoOptions = {}): Promise<MotoServer> {
    const port = options.port ?? await freePort();
    const python = process.env.PYTHON ?? 'python3';
    // moto's request recorder writes to a file: one of its own per server.
    const dir = mkdtempSync(path.join(tmpdir(), 'moto-'));
    const recording = path.join(dir, 'recording');
    const clockFile = options.clock ? path.join(dir, 'clock') : undefined;
    // moto with Secrets Manager's rotation set-up kept as Secrets Manager keeps it (and the clock, when asked): see moto_server.py.
    const child = spawn(python, [path.join(__dirname, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MOTO_RECORDER_FILEPATH: recording, ...(clockFile ? { MOTO_CLOCK_FILE: clockFile } : {}) },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000); });
    const standIn = await CloudFormationStandIn.start(options.cloudFormationPort).catch((e) => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      throw e;
    });
    const server = new MotoServer(child, `http://127.0.0.1:${port}`, standIn, dir, clockFile);
    active = server.cloudFormation;
    activeServer = server;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`moto's server exited with code ${child.exitCode}; run 'bash scripts/ensure-moto.sh'. Its output:\n${stderr}`);
      }
      try {
        const res = await fetch(`${server.endpoint}/moto-api/data.json`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`moto's server did not answer on ${server.endpoint} within 30s. Its output:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
    delete process.env.AWS_PROFILE;
    await server.reset();
    return server;
  }

  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
    readonly cloudFormation: CloudFormationStandIn,
    private readonly dir: string,
    private readonly clockFile?: string,
  ) {}

  /** Sets IAM's clock when this server has one; returns whether it did. */
  trySetClock(at: Date): boolean {
    if (!this.clockFile) return false;
    writeFileSync(this.clockFile, at.toISOString());
    return true;
  }

  /** The time IAM stamps keys' creation and last use with (a server started with `clock: true`). */
  setClock(at: Date): void {
    if (!this.clockFile) throw new Error('this moto server was started without a settable clock: MotoServer.start({ clock: true })');
    writeFileSync(this.clockFile, at.toISOString());
  }

  /** IAM back on real time (a server started with `clock: true`). */
  useRealClock(): void {
    if (this.clockFile) writeFileSync(this.clockFile, '');
  }

  /** Forgets the requests recorded so far (`requests()` then lists only later ones); resources stay. */
  async restartRecording(): Promise<void> {
    await this.post('/moto-api/recorder/reset-recording', undefined);
    await this.post('/moto-api/recorder/start-recording', undefined);
  }

  /** Forgets every resource and every recorded request; Lambda functions are registered without Docker. */
  async reset(): Promise<void> {
    this.cloudFormation.reset();
    // IAM back on real time until a simulated clock moves it.
    if (this.clockFile) writeFileSync(this.clockFile, '');
    await this.post('/moto-api/reset', undefined);
    await this.post('/moto-api/config', { lambda: { use_docker: false } });
    await this.restartRecording();
  }

  /**
   * The JSON-protocol requests moto received since the last reset (Secrets
   * Manager, EventBridge, Lambda...), by action: what a test of the shipped
   * bundle asserts where moto keeps no state to show it (it ignores a
   * RotateSecret's schedule expression and a CancelRotateSecret). With `queryProtocol`, the query-protocol
   * requests too (IAM, STS), by their `Action`, with the form's fields as the body.
   */
  async requests(options: { queryProtocol?: boolean } = {}): Promise<{ action: string; body: Record<string, unknown> }[]> {
    const res = await fetch(`${this.endpoint}/moto-api/recorder/download-recording`);
    const out: { action: string; body: Record<string, unknown> }[] = [];
    for (const line of (await res.text()).split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { headers: Record<string, string>; body?: string; body_encoded?: boolean };
      const target = r.headers['X-Amz-Target'] ?? r.headers['x-amz-target'];
      const body = r.body ? (r.body_encoded ? Buffer.from(r.body, 'base64').toString() : r.body) : '';
      if (target) {
        out.push({ action: target.split('.').pop()!, body: JSON.parse(body || '{}') });
      } else if (options.queryProtocol) {
        const form = Object.fromEntries(new URLSearchParams(body));
        if (form.Action) out.push({ action: form.Action, body: form });
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.cloudFormation.stop();
    if (active === this.cloudFormation) active = undefined;
    if (activeServer === this) activeServer = undefined;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    // Its request recording and clock file.
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async post(route: string, body: unknown): Promise<void> {
    const res = await fetch(`${this.endpoint}${route}`, {
      method: 'POST',
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`moto ${route} answered ${res.status}`);
  }
}
