import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// A throw-away certificate authority for wss:// tests, generated with the `openssl` CLI at test time: a
// self-signed CA and a server certificate it signs, valid for 127.0.0.1 and localhost. Nothing is committed.

export interface TestCa {
  dir: string;
  /** PEM of the CA: what `--ca FILE` trusts. */
  caCertPath: string;
  caCert: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** Deletes the folder. */
  remove(): void;
}

const run = promisify(execFile);

export async function createTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-test-ca-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  try {
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=wsbench test CA',
      '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr');
    writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2',
      '-extfile', 'server.ext', '-out', 'server.pem');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const err = error as Error & { stderr?: string; code?: string };
    const hint = err.code === 'ENOENT' ? 'openssl is not installed (Debian: apt-get install openssl)' : err.stderr?.trim() || err.message;
    throw new Error(`Could not create the test CA: ${hint}`, { cause: error });
  }
  return {
    dir,
    caCertPath: file('ca.pem'),
    caCert: readFileSync(file('ca.pem'), 'utf8'),
    serverCertPath: file('server.pem'),
    serverKeyPath: file('server-key.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
