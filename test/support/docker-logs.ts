import type Dockerode from 'dockerode';

/**
 * Splits a non-TTY container log buffer into stdout and stderr. Docker frames each chunk with an
 * 8-byte header: stream id (1 = stdout, 2 = stderr), three zero bytes, big-endian payload length.
 */
export function demuxDockerLogs(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const stream = buf[at];
    const len = buf.readUInt32BE(at + 4);
    const payload = buf.subarray(at + 8, at + 8 + len);
    (stream === 2 ? err : out).push(payload);
    at += 8 + len;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Everything a container has printed so far (it may be running or exited). */
export async function containerOutput(container: Dockerode.Container): Promise<{ stdout: string; stderr: string }> {
  const buf = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demuxDockerLogs(buf);
}
