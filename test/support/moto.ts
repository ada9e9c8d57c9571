/**
 * Starts moto's server (the AWS API emulator) on a free 127.0.0.1 port for a
 * test file or the demo, points the AWS SDK at it through the standard
 * `AWS_ENDPOINT_URL` variable, resets it between tests and stops it after.
 * Fails loudly when moto cannot start: integration tests are never skipped.
 */
import { ChildProcess, spawn } from 'child_process';
import { AddressInfo, createServer } from 'net';

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

export class MotoServer {
  /** Starts a server and sets the SDK's environment to use it. */
  static async start(): Promise<MotoServer> {
    const port = await freePort();
    const python = process.env.PYTHON ?? 'python3';
    const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000); });
    const server = new MotoServer(child, `http://127.0.0.1:${port}`);
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

  private constructor(private readonly child: ChildProcess, readonly endpoint: string) {}

  /** Forgets every resource; Lambda functions are registered without Docker. */
  async reset(): Promise<void> {
    await this.post('/moto-api/reset', undefined);
    await this.post('/moto-api/config', { lambda: { use_docker: false } });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${this.endpoint}${path}`, {
      method: 'POST',
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`moto ${path} answered ${res.status}`);
  }
}
