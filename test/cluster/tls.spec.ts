import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, SMALL_RUN } from './cluster-harness';

const TOKEN = 'tls-test-token-0123';

/** A self-signed certificate for 127.0.0.1 (it is its own CA). */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { cert, key };
}

describe('TLS (real processes)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('serves wss://; a worker that trusts the certificate via --ca trains, one that does not is refused', async () => {
    const { cert, key } = selfSigned(await cluster.tempDir('tls'));
    const s = await cluster.server([...SMALL_RUN, '--workers', '1', '--epochs', '1', '--train-limit', '512', '--test-limit', '200', '--tls-cert', cert, '--tls-key', key, '--json', '--log-level', 'info'], 'server', { DTRAIN_TOKEN: TOKEN });
    expect(s.url).toMatch(/^wss:\/\//);

    // Without the CA the certificate is not trusted: the worker never connects and gives up.
    const untrusting = cluster.worker(s.url, 'untrusting', ['--give-up-ms', '2000'], { DTRAIN_TOKEN: TOKEN });
    const refused = await untrusting.exit(60_000);
    expect(refused.code).not.toBe(0);
    expect(untrusting.stderr.join('\n')).toMatch(/WORKER_ERR_GAVE_UP/);
    expect(s.proc.logs('worker joined')).toHaveLength(0);

    const trusting = cluster.worker(s.url, 'trusting', ['--ca', cert], { DTRAIN_TOKEN: TOKEN });
    expect((await s.proc.exit(120_000)).code).toBe(0);
    expect((await trusting.exit(30_000)).code).toBe(0);
    expect(trusting.lastJson()).toMatchObject({ reason: 'finished', connections: 1 });
    expect(s.proc.lastJson()['version'] as number).toBeGreaterThan(0);
  });
});
