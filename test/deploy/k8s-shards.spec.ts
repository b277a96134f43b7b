import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/constants';
import type { K8sDoc } from '../support/k8s-manifests';
import { loadManifests, schemaErrors } from '../support/k8s-manifests';
import { strictFieldErrors } from '../support/k8s-strict-fields';
import { applyJsonPatch, renderKustomization } from './kustomize-lite';

const K8S_DIR = join(REPO_ROOT, 'deploy/k8s');
const SHARDS_DIR = join(K8S_DIR, 'shards');

interface Probe {
  tcpSocket?: { port: string | number };
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; securityContext?: Record<string, unknown>; volumes?: { name: string; secret?: { secretName: string } }[] };
}
interface Workload {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: { replicas?: number; serviceName?: string; podManagementPolicy?: string; selector?: { matchLabels: Record<string, string> }; template: PodTemplate };
}
interface ServiceSpec {
  clusterIP?: string;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string | number }[];
}

function find<T = Record<string, unknown>>(docs: K8sDoc[], kind: string, name: string): T {
  const d = docs.find((x) => x.kind === kind && x.name === name);
  if (!d) throw new Error(`no ${kind}/${name} in the rendered manifests`);
  return d.object as T;
}

function flag(args: string[] | undefined, name: string): string | undefined {
  return args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/k8s/shards: the sharded overlay (kubectl apply -k deploy/k8s/shards)', () => {
  let base: K8sDoc[];
  let sharded: K8sDoc[];
  let shardSts: Workload;
  let shardSvc: ServiceSpec;
  let server: Workload;
  beforeAll(() => {
    base = renderKustomization(K8S_DIR);
    sharded = renderKustomization(SHARDS_DIR);
    shardSts = find<Workload>(sharded, 'StatefulSet', 'dtrain-shard');
    shardSvc = find<{ spec: ServiceSpec }>(sharded, 'Service', 'dtrain-shard').spec;
    server = find<Workload>(sharded, 'StatefulSet', 'dtrain-server');
  });

  it('renders the base plus the shard StatefulSet and its headless Service, all valid and strict', () => {
    const names = (docs: K8sDoc[]) => docs.map((d) => `${d.kind}/${d.name}`).sort();
    expect(names(sharded)).toEqual([...names(base), 'Service/dtrain-shard', 'StatefulSet/dtrain-shard'].sort());
    const strict = strictFieldErrors(sharded);
    sharded.forEach((d, i) => {
      expect(schemaErrors(d.apiVersion, d.kind, d.object), `${d.file} ${d.kind}/${d.name}`).toEqual([]);
      expect(strict[i], `${d.file} ${d.kind}/${d.name}`).toEqual([]);
    });
  });

  it('leaves the default single-server: the base server has no --shards, the overlay only adds it', () => {
    const baseServer = find<Workload>(base, 'StatefulSet', 'dtrain-server');
    expect(flag(baseServer.spec.template.spec.containers[0]!.args, 'shards')).toBeUndefined();
    const args = server.spec.template.spec.containers[0]!.args!;
    expect(args.filter((a) => !a.startsWith('--shards='))).toEqual(baseServer.spec.template.spec.containers[0]!.args);
    expect(args.filter((a) => a.startsWith('--shards='))).toHaveLength(1);
    // Everything else about the server is the base's.
    const strip = (w: Workload) => ({ ...w, spec: { ...w.spec, template: { ...w.spec.template, spec: { ...w.spec.template.spec, containers: w.spec.template.spec.containers.map(({ args: _a, ...c }) => c) } } } });
    expect(strip(server)).toEqual(strip(baseServer));
  });

  it('lists one --shards URL per shard replica: <statefulset>-<ordinal>.<headless service>:<port>', () => {
    const urls = flag(server.spec.template.spec.containers[0]!.args, 'shards')!.split(',').map((u) => new URL(u));
    expect(shardSts.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(urls).toHaveLength(shardSts.spec.replicas!);
    const shard = shardSts.spec.template.spec.containers[0]!;
    const port = shard.ports!.find((p) => p.name === shardSvc.ports[0]!.targetPort)!;
    expect(flag(shard.args, 'port')).toBe(String(port.containerPort));
    urls.forEach((u, i) => {
      expect(u.protocol).toBe('ws:');
      // Resolvable from every pod of the namespace, so the workers (who get these URLs from the server) reach them too.
      expect(u.hostname).toBe(`${shardSts.metadata.name}-${i}.${shardSts.spec.serviceName!}`);
      expect(Number(u.port)).toBe(shardSvc.ports[0]!.port);
    });
  });

  it('give each shard pod a stable DNS name: a headless governing Service selecting the shard pods only', () => {
    expect(shardSts.spec.serviceName).toBe('dtrain-shard');
    expect(shardSvc.clusterIP).toBe('None');
    expect(shardSts.spec.podManagementPolicy).toBe('Parallel');
    const labels = shardSts.spec.template.metadata.labels;
    expect(selects(shardSvc.selector, labels)).toBe(true);
    expect(selects(shardSts.spec.selector!.matchLabels, labels)).toBe(true);
    // Neither Service picks up the other's pods, and no other workload matches the shard selector.
    const serverSvc = find<{ spec: ServiceSpec }>(sharded, 'Service', 'dtrain-server').spec;
    expect(selects(serverSvc.selector, labels)).toBe(false);
    for (const d of sharded.filter((x) => (x.kind === 'StatefulSet' || x.kind === 'Job') && x.name !== 'dtrain-shard')) {
      expect(selects(shardSvc.selector, (d.object as unknown as Workload).spec.template.metadata.labels), `${d.kind}/${d.name}`).toBe(false);
    }
  });

  it('run the shards like the server: non-root, read-only root, no capabilities, requests and limits, TCP probes, the token from the Secret', () => {
    const spec = shardSts.spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    const c = spec.containers[0]!;
    expect(c.args?.[0]).toBe('shard');
    expect(flag(c.args, 'host')).toBe('0.0.0.0');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    for (const r of ['cpu', 'memory']) {
      expect(c.resources?.requests?.[r], `requests.${r}`).toBeDefined();
      expect(c.resources?.limits?.[r], `limits.${r}`).toBeDefined();
    }
    // No health endpoint on a shard: TCP on the named port.
    for (const p of [c.startupProbe, c.livenessProbe, c.readinessProbe]) expect(p).toMatchObject({ tcpSocket: { port: 'ws' } });
    const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as { secretGenerator: { name: string }[] };
    const tokenVolume = spec.volumes!.find((v) => v.secret)!;
    expect(tokenVolume.secret!.secretName).toBe(kustomization.secretGenerator[0]!.name);
    const serverToken = server.spec.template.spec.volumes!.find((v) => v.secret)!;
    expect(tokenVolume.secret).toEqual(serverToken.secret);
    expect(flag(c.args, 'token-file')).toBe(`${c.volumeMounts!.find((m) => m.name === tokenVolume.name)!.mountPath}/token`);
    expect(c.volumeMounts!.some((m) => m.mountPath === '/tmp')).toBe(true);
  });

  it('come back after a lost shard: the server resumes from its volume, restarted by its StatefulSet', () => {
    const c = server.spec.template.spec.containers[0]!;
    expect(c.args).toContain('--resume');
    expect(flag(c.args, 'checkpoint-dir')).toMatch(/^\/data\//);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
  });

  it('share one namespace, the part-of label and one image across every workload', () => {
    for (const d of sharded.filter((x) => x.kind !== 'Namespace')) {
      const meta = d.object['metadata'] as Workload['metadata'];
      expect(meta.namespace, `${d.kind}/${d.name}`).toBe('dtrain');
      expect(meta.labels?.['app.kubernetes.io/part-of'], `${d.kind}/${d.name}`).toBe('dtrain');
    }
    const images = new Set(sharded.filter((x) => x.kind === 'StatefulSet' || x.kind === 'Job').flatMap((d) => (d.object as unknown as Workload).spec.template.spec.containers.map((c) => c.image)));
    expect([...images]).toEqual(['dtrain:local']);
  });

  it('list every manifest of deploy/k8s/shards in its kustomization', () => {
    const k = parse(readFileSync(join(SHARDS_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    const files = readdirSync(SHARDS_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(k.resources.filter((r) => r !== '../').sort()).toEqual(files.sort());
    expect(k.resources).toContain('../');
  });
});

describe('kustomize-lite, the renderer above', () => {
  it('renders deploy/k8s as the files say, plus the namespace, the label and the generated Secret', () => {
    const rendered = renderKustomization(K8S_DIR);
    const files = loadManifests(K8S_DIR);
    expect(rendered.filter((d) => d.kind !== 'Secret').map((d) => `${d.kind}/${d.name}`).sort()).toEqual(files.map((d) => `${d.kind}/${d.name}`).sort());
    expect(rendered.filter((d) => d.kind === 'Secret').map((d) => d.name)).toEqual(['dtrain-token']);
    const sts = find<Workload>(rendered, 'StatefulSet', 'dtrain-server');
    expect(sts.metadata.namespace).toBe('dtrain');
    expect(sts.spec.template.spec.containers[0]!.image).toBe('dtrain:local');
  });

  it('applies JSON 6902 add/replace/remove and refuses a path that is not there', () => {
    const o = { spec: { args: ['a', 'b'], n: 1 } } as Record<string, unknown>;
    applyJsonPatch(o, [
      { op: 'add', path: '/spec/args/-', value: 'c' },
      { op: 'add', path: '/spec/args/0', value: 'z' },
      { op: 'replace', path: '/spec/n', value: 2 },
      { op: 'remove', path: '/spec/args/1' },
    ]);
    expect(o).toEqual({ spec: { args: ['z', 'b', 'c'], n: 2 } });
    expect(() => applyJsonPatch(o, [{ op: 'add', path: '/spec/containers/0/args/-', value: 'x' }])).toThrow(/no containers/);
    expect(() => applyJsonPatch(o, [{ op: 'replace', path: '/spec/args/7', value: 'x' }])).toThrow(/no index 7/);
    expect(() => applyJsonPatch(o, [{ op: 'move', path: '/spec/n' }])).toThrow(/not supported/);
  });
});
