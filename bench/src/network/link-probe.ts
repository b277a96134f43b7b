/**
 * Checks that a shaped link carries what it should, and measures its goodput (payload bytes per
 * line-rate byte) for the analytic model: one TCP stream from worker 0's address to the server's
 * namespace for about a second. Two plain `node -e` programs, one in each namespace (no TF.js,
 * no tsx: they start in ~50 ms).
 */
import { SERVER_IP, SERVER_NS, WORKER_NS, workerIp } from './topology';
import { Child } from './child';

const SINK = `const net=require('net');net.createServer(s=>{let n=0,t0=0;s.on('data',d=>{if(!t0)t0=process.hrtime.bigint();n+=d.length});s.on('end',()=>{const ms=Number(process.hrtime.bigint()-t0)/1e6;console.log(JSON.stringify({bytes:n,ms}));process.exit(0)})}).listen(Number(process.argv[2]),process.argv[1],()=>console.error('listening'));`;
const SOURCE = `const net=require('net');const b=Buffer.alloc(1<<20);let left=Number(process.argv[4]);const s=net.connect({host:process.argv[1],port:Number(process.argv[2]),localAddress:process.argv[3]},()=>{const w=()=>{while(left>0){left--;if(!s.write(b))return s.once('drain',w)}s.end()};w()});s.on('close',()=>process.exit(0));`;

export interface LinkProbe {
  link_mbit: number;
  bytes: number;
  ms: number;
  goodput_mbit: number;
  /** goodput / line rate. */
  goodput: number;
}

export async function probeLink(linkMbit: number): Promise<LinkProbe> {
  const port = '7990';
  // About one second of traffic at the line rate, at least 16 MB.
  const mb = Math.max(16, Math.round(linkMbit / 8));
  const sink = new Child('link sink', 'ip', ['netns', 'exec', SERVER_NS, process.execPath, '-e', SINK, SERVER_IP, port], process.env);
  try {
    await sink.waitForStderr(/listening/, 10_000);
    const source = new Child('link source', 'ip', ['netns', 'exec', WORKER_NS, process.execPath, '-e', SOURCE, SERVER_IP, port, workerIp(0), String(mb)], process.env);
    await source.exit(60_000);
    await sink.exit(10_000);
    const r = sink.lastJson<{ bytes: number; ms: number }>();
    if (!r || r.bytes === 0) throw new Error(`link probe got no bytes: ${sink.stderr.join(' | ')}`);
    const goodputMbit = (r.bytes * 8) / (r.ms * 1e3);
    return { link_mbit: linkMbit, bytes: r.bytes, ms: Math.round(r.ms), goodput_mbit: Math.round(goodputMbit), goodput: Math.round((goodputMbit / linkMbit) * 1000) / 1000 };
  } finally {
    sink.kill();
  }
}
