import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/constants';
import type { K8sDoc } from '../support/k8s-manifests';
import { loadManifests, schemaErrors } from '../support/k8s-manifests';
import { strictFieldErrors } from '../support/k8s-strict-fields';

const K8S_DIR = join(REPO_ROOT, 'deploy/k8s');

interface Container {
  name: string;
  args?: string[];
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }; volumes?: { name: string; secret?: { secretName: string } }[] };
}

function find(docs: K8sDoc[], kind: string, name: string): Record<string, unknown> & { spec: Record<string, unknown> } {
  const d = docs.find((x) => x.kind === kind && x.name === name);
  if (!d) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return d.object as Record<string, unknown> & { spec: Record<string, unknown> };
}

function flag(args: string[] | undefined, name: string): string | undefined {
  return args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

describe('deploy/k8s manifests', () => {
  let docs: K8sDoc[];
  let strict: string[][];
  beforeAll(() => {
    docs = loadManifests(K8S_DIR);
    strict = strictFieldErrors(docs);
  });

  it('are valid against the Kubernetes OpenAPI schema (kubernetes-models, ajv)', () => {
    expect(docs.map((d) => `${d.kind}/${d.name}`).sort()).toEqual([
      'ConfigMap/dtrain-config',
      'Job/dtrain-worker',
      'Namespace/dtrain',
      'Service/dtrain-server',
      'StatefulSet/dtrain-server',
    ]);
    for (const d of docs) expect(schemaErrors(d.apiVersion, d.kind, d.object), `${d.file} ${d.kind}/${d.name}`).toEqual([]);
  });

  it('use no field the API does not define (strict, like kubectl --validate=strict)', () => {
    docs.forEach((d, i) => expect(strict[i], `${d.file} ${d.kind}/${d.name}`).toEqual([]));
  });

  it('and the validators do reject a misspelt field, a wrong type and a missing required field', () => {
    const sts = find(docs, 'StatefulSet', 'dtrain-server');
    const template = sts.spec['template'] as PodTemplate;
    const [c] = template.spec.containers;
    const { readinessProbe, ...rest } = c!;
    const typo = structuredClone({ ...sts, spec: { ...sts.spec, template: { ...template, spec: { ...template.spec, containers: [{ ...rest, readinesProbe: readinessProbe }] } } } });
    const wrongType = structuredClone({ ...sts, spec: { ...sts.spec, replicas: 'one' } });
    const { selector: _selector, ...noSelector } = sts.spec;
    const missing = structuredClone({ ...sts, spec: noSelector });
    const [typoErrs, typeErrs] = strictFieldErrors([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', object: typo },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', object: wrongType },
    ]);
    expect(typoErrs!.join('\n')).toMatch(/readinesProbe/);
    expect(schemaErrors('apps/v1', 'StatefulSet', wrongType)).toEqual(['/spec/replicas must be integer']);
    expect(typeErrs!.length).toBeGreaterThan(0);
    expect(schemaErrors('apps/v1', 'StatefulSet', missing)).toEqual(['/spec must have required property selector']);
    expect(schemaErrors('example.com/v1', 'Widget', {})).toEqual(['no schema for example.com/v1 Widget']);
  });

  it('give the workers a stable DNS name for the server: the StatefulSet pod under its headless Service', () => {
    const svc = find(docs, 'Service', 'dtrain-server');
    const sts = find(docs, 'StatefulSet', 'dtrain-server');
    const worker = find(docs, 'Job', 'dtrain-worker');
    const svcSpec = svc.spec as { clusterIP: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
    const template = sts.spec['template'] as PodTemplate;
    expect(sts.spec['serviceName']).toBe('dtrain-server');
    expect(svcSpec.clusterIP).toBe('None');
    expect(template.metadata.labels).toMatchObject(svcSpec.selector);
    const wTemplate = worker.spec['template'] as PodTemplate;
    expect(wTemplate.metadata.labels).not.toMatchObject(svcSpec.selector);

    const server = template.spec.containers[0]!;
    const port = server.ports!.find((p) => p.name === svcSpec.ports[0]!.targetPort)!;
    expect(flag(server.args, 'port')).toBe(String(port.containerPort));
    const url = new URL(flag(wTemplate.spec.containers[0]!.args, 'server')!);
    expect(url.protocol).toBe('ws:');
    // <statefulset>-<ordinal>.<governing service>: resolvable from any namespace-local pod.
    expect(url.hostname).toBe(`dtrain-server-0.${sts.spec['serviceName'] as string}`);
    expect(Number(url.port)).toBe(svcSpec.ports[0]!.port);
  });

  it('probe the server on its health endpoints on the named port', () => {
    const c = (find(docs, 'StatefulSet', 'dtrain-server').spec['template'] as PodTemplate).spec.containers[0]!;
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'ws' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ws' });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'ws' });
  });

  it('resolve every $(VAR) in the arguments from the container env or its ConfigMap', () => {
    const configMaps = new Map(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.name, Object.keys((d.object['data'] ?? {}) as object)]));
    for (const d of docs.filter((x) => x.kind === 'StatefulSet' || x.kind === 'Job')) {
      for (const c of ((d.object['spec'] as { template: PodTemplate }).template.spec.containers)) {
        const known = new Set([...(c.env ?? []).map((e) => e.name), ...(c.envFrom ?? []).flatMap((e) => configMaps.get(e.configMapRef?.name ?? '') ?? [])]);
        for (const ref of (c.args ?? []).join(' ').matchAll(/\$\(([A-Z0-9_]+)\)/g)) expect(known.has(ref[1]!), `${d.kind}/${d.name}: $(${ref[1]})`).toBe(true);
        for (const e of c.envFrom ?? []) expect(configMaps.has(e.configMapRef!.name), `configMap ${e.configMapRef!.name}`).toBe(true);
      }
    }
  });

  it('start as many workers as the server waits for, each with a stable id from its completion index', () => {
    const cm = find(docs, 'ConfigMap', 'dtrain-config');
    const job = find(docs, 'Job', 'dtrain-worker');
    const n = Number((cm['data'] as Record<string, string>)['DTRAIN_WORKERS']);
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: n, parallelism: n });
    const c = (job.spec['template'] as PodTemplate).spec.containers[0]!;
    expect(flag(c.args, 'worker-id')).toBe('worker-$(WORKER_INDEX)');
    expect(c.env).toContainEqual({ name: 'WORKER_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
  });

  it('run every container as non-root with a read-only root, requests and limits, and the token from the Secret', () => {
    const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as { secretGenerator: { name: string; files: string[] }[] };
    const secretName = kustomization.secretGenerator[0]!.name;
    for (const d of docs.filter((x) => x.kind === 'StatefulSet' || x.kind === 'Job')) {
      const spec = (d.object['spec'] as { template: PodTemplate }).template.spec;
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      const tokenVolume = spec.volumes?.find((v) => v.secret);
      expect(tokenVolume?.secret?.secretName).toBe(secretName);
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        for (const r of ['cpu', 'memory']) {
          expect(c.resources?.requests?.[r], `${d.name} requests.${r}`).toBeDefined();
          expect(c.resources?.limits?.[r], `${d.name} limits.${r}`).toBeDefined();
        }
        const mount = c.volumeMounts?.find((m) => m.name === tokenVolume!.name);
        expect(flag(c.args, 'token-file')).toBe(`${mount!.mountPath}/token`);
        expect(c.volumeMounts?.some((m) => m.mountPath === '/tmp')).toBe(true);
      }
    }
  });

  it('keep checkpoints and the model on the server’s persistent volume', () => {
    const sts = find(docs, 'StatefulSet', 'dtrain-server');
    const claims = sts.spec['volumeClaimTemplates'] as { metadata: { name: string } }[];
    const c = (sts.spec['template'] as PodTemplate).spec.containers[0]!;
    const dataMount = c.volumeMounts!.find((m) => m.name === claims[0]!.metadata.name)!;
    expect(flag(c.args, 'checkpoint-dir')!.startsWith(dataMount.mountPath + '/')).toBe(true);
    expect(flag(c.args, 'out')!.startsWith(dataMount.mountPath + '/')).toBe(true);
    expect(c.args).toContain('--resume');
  });

  it('are all listed in kustomization.yaml, and the token file stays out of git', () => {
    const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[]; secretGenerator: { files: string[] }[] };
    const files = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    const tokenFile = kustomization.secretGenerator[0]!.files[0]!.split('=').pop()!;
    expect(readFileSync(join(K8S_DIR, '.gitignore'), 'utf8').split('\n')).toContain(tokenFile);
  });
});
