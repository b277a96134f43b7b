/**
 * The bench's network: Linux network namespaces joined by veth pairs to one bridge, every link
 * shaped with `tbf` on both of its ends (this machine's kernel has no `netem`, so links have a rate
 * and no added delay). Everything lives inside namespaces the bench makes, the bridge included, so
 * nothing touches the machine's own network: no route leaves the private /24, there is no default
 * route and no NAT. Every name starts with `dtn-`, which is how stale leftovers are found.
 *
 * Each worker has a link of its own without a process of its own: all synthetic workers live in one
 * namespace that holds one veth per worker, each worker's socket binds its own address, and a
 * source-address routing rule sends its packets out of its own veth (ARP is answered only on the
 * interface that owns the address). So the server's link carries N workers' traffic at the link
 * rate while each worker has the same rate to itself, as on N machines.
 */
import { NsBatch, sh, shQuiet } from './sh';

export const PREFIX = 'dtn-';
const BRIDGE_NS = 'dtn-br';
const BRIDGE = 'dtn-br0';
export const SERVER_NS = 'dtn-ps';
export const WORKER_NS = 'dtn-wk';
const SUBNET = '10.77.0';
export const SERVER_IP = `${SUBNET}.1`;
/** Shard k (1-based) is at .10+k; workers from .100 on. */
export const shardIp = (k: number): string => `${SUBNET}.${10 + k}`;
export const shardNs = (k: number): string => `dtn-sh${k}`;
export const workerIp = (i: number): string => `${SUBNET}.${100 + i}`;
/** Workers the /24 holds after the first 100 addresses. */
export const MAX_WORKERS = 150;

export interface TopologySpec {
  workers: number;
  shards: number;
  /** Link rate of every endpoint (server, shards, each worker), Mbit/s, each direction. */
  linkMbit: number;
}

export interface Topology {
  spec: TopologySpec;
  /** Every shaped interface as `ns/dev`, for the record. */
  shaped: string[];
}

/** Is this process able to make namespaces? Undefined when yes; else why not. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  try {
    sh('ip', ['-V']);
    sh('tc', ['-V']);
  } catch {
    return 'no `ip`/`tc` (iproute2) on this machine';
  }
  const probe = `${PREFIX}probe`;
  try {
    shQuiet('ip', ['netns', 'del', probe]);
    sh('ip', ['netns', 'add', probe]);
    sh('ip', ['-n', probe, 'link', 'add', `${PREFIX}pa`, 'type', 'veth', 'peer', 'name', `${PREFIX}pb`]);
    sh('tc', ['-n', probe, 'qdisc', 'add', 'dev', `${PREFIX}pa`, 'root', 'tbf', 'rate', '1gbit', 'burst', '128kb', 'limit', '1mb']);
    return undefined;
  } catch (err) {
    return `\`ip netns\` / tbf unusable here: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    shQuiet('ip', ['netns', 'del', probe]);
  }
}

/** Namespaces named dtn-* (ours, from this run or a crashed one). */
function ourNamespaces(): string[] {
  const out = sh('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(PREFIX));
}

/**
 * Removes every dtn-* namespace (with whatever bench process is still inside: the pids `ip netns
 * pids` lists there are the bench's own, from a run that did not get to clean up) and any dtn-*
 * link left in the root namespace. Deleting a namespace deletes its veths and bridge with it.
 */
export function cleanupStale(): string[] {
  const removed: string[] = [];
  for (const ns of ourNamespaces()) {
    let pids: number[] = [];
    try {
      pids = sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // A namespace whose mount is gone still deletes.
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    shQuiet('ip', ['netns', 'del', ns]);
    removed.push(ns);
  }
  const links = sh('ip', ['-o', 'link', 'show']);
  for (const m of links.matchAll(/^\d+:\s+(dtn-[^:@\s]+)/gm)) {
    shQuiet('ip', ['link', 'del', m[1] as string]);
    removed.push(m[1] as string);
  }
  return removed;
}

/** tbf on one end: a token bucket at the rate, a burst of 1 ms of it (≥ one 64 KB GSO packet), 20 ms of queue. */
function tbf(dev: string, mbit: number): string {
  const bytesPerMs = (mbit * 1e6) / 8 / 1000;
  const burst = Math.max(96 * 1024, Math.round(bytesPerMs));
  const limit = Math.max(1 << 20, Math.round(bytesPerMs * 20));
  return `qdisc add dev ${dev} root tbf rate ${mbit}mbit burst ${burst} limit ${limit}`;
}

/** Writes a sysctl inside a namespace (the /proc/sys/net a process there sees is its namespace's). */
function nsSysctls(ns: string, kv: Record<string, string>): void {
  const script = Object.entries(kv)
    .map(([k, v]) => `echo ${v} > /proc/sys/${k.replace(/\./g, '/')}`)
    .join(' && ');
  sh('ip', ['netns', 'exec', ns, 'sh', '-c', script]);
}

/** One endpoint namespace (server or shard) with one veth to the bridge. */
function endpoint(ip: NsBatch, ns: string, dev: string, peer: string, addr: string): void {
  ip.add('', `link add ${dev} netns ${ns} type veth peer name ${peer} netns ${BRIDGE_NS}`);
  ip.add(ns, `addr add ${addr}/24 dev ${dev}`);
  ip.add(ns, `link set ${dev} up`);
  ip.add(BRIDGE_NS, `link set ${peer} master ${BRIDGE}`);
  ip.add(BRIDGE_NS, `link set ${peer} up`);
}

/** Builds the whole network; on any failure tears down what was made and throws. */
export function createTopology(spec: TopologySpec): Topology {
  if (spec.workers > MAX_WORKERS) throw new Error(`at most ${MAX_WORKERS} workers fit the bench's /24 (asked ${spec.workers})`);
  const nss = [BRIDGE_NS, SERVER_NS, WORKER_NS, ...Array.from({ length: spec.shards }, (_, k) => shardNs(k + 1))];
  try {
    for (const ns of nss) sh('ip', ['netns', 'add', ns]);
    // Multi-homed worker namespace: answer ARP only on the interface that owns the address, and do not
    // drop packets whose reverse path is "another" interface on the same subnet.
    nsSysctls(WORKER_NS, {
      'net.ipv4.conf.all.arp_ignore': '1',
      'net.ipv4.conf.all.arp_announce': '2',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.arp_ignore': '1',
      'net.ipv4.conf.default.arp_announce': '2',
      'net.ipv4.conf.default.rp_filter': '0',
    });
    const ip = new NsBatch('ip');
    const tc = new NsBatch('tc');
    for (const ns of nss) ip.add(ns, 'link set lo up');
    ip.add(BRIDGE_NS, `link add ${BRIDGE} type bridge`);
    ip.add(BRIDGE_NS, `link set ${BRIDGE} up`);
    const shaped: string[] = [];
    const shape = (ns: string, dev: string, peer: string): void => {
      tc.add(ns, tbf(dev, spec.linkMbit));
      tc.add(BRIDGE_NS, tbf(peer, spec.linkMbit));
      shaped.push(`${ns}/${dev}`, `${BRIDGE_NS}/${peer}`);
    };
    endpoint(ip, SERVER_NS, 'dtn-s0', 'dtn-bs0', SERVER_IP);
    shape(SERVER_NS, 'dtn-s0', 'dtn-bs0');
    for (let k = 1; k <= spec.shards; k++) {
      endpoint(ip, shardNs(k), `dtn-h${k}`, `dtn-bh${k}`, shardIp(k));
      shape(shardNs(k), `dtn-h${k}`, `dtn-bh${k}`);
    }
    for (let i = 0; i < spec.workers; i++) {
      const dev = `dtn-w${i}`;
      const peer = `dtn-bw${i}`;
      ip.add('', `link add ${dev} netns ${WORKER_NS} type veth peer name ${peer} netns ${BRIDGE_NS}`);
      // No prefix route in the main table: the only way out for this address is its own rule below.
      ip.add(WORKER_NS, `addr add ${workerIp(i)}/24 dev ${dev} noprefixroute`);
      ip.add(WORKER_NS, `link set ${dev} up`);
      ip.add(WORKER_NS, `route add ${SUBNET}.0/24 dev ${dev} src ${workerIp(i)} table ${100 + i}`);
      ip.add(WORKER_NS, `rule add from ${workerIp(i)} table ${100 + i} pref ${1000 + i}`);
      ip.add(BRIDGE_NS, `link set ${peer} master ${BRIDGE}`);
      ip.add(BRIDGE_NS, `link set ${peer} up`);
      shape(WORKER_NS, dev, peer);
    }
    ip.run();
    tc.run();
    return { spec, shaped };
  } catch (err) {
    destroyTopology();
    throw err;
  }
}

/** Removes every namespace of ours (and so every veth, qdisc and the bridge). */
export function destroyTopology(): void {
  cleanupStale();
}
