// The gobwas echo fixture as the driver benchmarks run it: built once, epoll model, pinned to core 0 (the
// driver under test goes on core 1), on a free loopback port. Used by bench-driver-ab and bench-driver-cost.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { buildGobwasFixture } from '../../dist/targets/fixture-build.js';

export function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the fixture and resolves once it says `ready`; `stop()` ends it (call it in a `finally`). */
export async function startPinnedFixture({ cpu = 0 } = {}) {
  const binary = await buildGobwasFixture();
  const port = await freePort();
  const child = spawn('taskset', ['-c', String(cpu), binary, '--port', String(port), '--model', 'epoll'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`the gobwas fixture exited with ${code} before it was ready`)));
  });
  return { url: `ws://127.0.0.1:${port}/`, port, stop: () => child.kill('SIGTERM') };
}
