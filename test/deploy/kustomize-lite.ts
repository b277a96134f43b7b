import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { K8sDoc } from '../support/k8s-manifests';

/**
 * Just enough of kustomize (`kubectl apply -k`) to render deploy/k8s and its overlays in the test,
 * without a kustomize binary: resources (files, and directories holding a kustomization.yaml),
 * namespace, labels (metadata labels only, as `labels:` without includeSelectors does),
 * images (name → newName/newTag), secretGenerator (the Secret, unhashed and with no data: the
 * token file is git-ignored) and JSON 6902 patches with a kind/name target. Anything else in a
 * kustomization is an error, so a feature the renderer does not know cannot pass unchecked.
 */

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  labels?: { pairs: Record<string, string> }[];
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  secretGenerator?: { name: string; files: string[] }[];
  patches?: { target: { kind: string; name: string }; patch?: string; path?: string }[];
}

const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images', 'secretGenerator', 'patches']);

/** Kinds that carry no namespace. */
const CLUSTER_SCOPED = new Set(['Namespace']);

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** Applies RFC 6902 add/replace/remove ops (the subset kustomize users write) in place; throws on a path that does not exist. */
export function applyJsonPatch(target: Record<string, unknown>, ops: JsonPatchOp[]): void {
  for (const { op, path, value } of ops) {
    const keys = path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop();
    if (last === undefined) throw new Error(`patch path ${path} names the whole object`);
    let at: unknown = target;
    for (const k of keys) {
      at = Array.isArray(at) ? at[Number(k)] : (at as Record<string, unknown> | undefined)?.[k];
      if (at === undefined || at === null || typeof at !== 'object') throw new Error(`patch path ${path}: no ${k}`);
    }
    if (Array.isArray(at)) {
      const i = last === '-' ? at.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > at.length || (op !== 'add' && i >= at.length)) throw new Error(`patch path ${path}: no index ${last}`);
      if (op === 'add') at.splice(i, 0, structuredClone(value));
      else if (op === 'replace') at[i] = structuredClone(value);
      else if (op === 'remove') at.splice(i, 1);
      else throw new Error(`patch op ${op} is not supported`);
    } else {
      const o = at as Record<string, unknown>;
      if (op !== 'add' && !(last in o)) throw new Error(`patch path ${path}: no ${last}`);
      if (op === 'add' || op === 'replace') o[last] = structuredClone(value);
      else if (op === 'remove') delete o[last];
      else throw new Error(`patch op ${op} is not supported`);
    }
  }
}

function podSpecs(object: Record<string, unknown>): { containers?: { image?: string }[]; initContainers?: { image?: string }[] }[] {
  const spec = object['spec'] as { template?: { spec?: Record<string, unknown> } } | undefined;
  return spec?.template?.spec ? [spec.template.spec as never] : [];
}

/** kustomize's image name: the reference without its tag or digest. */
function imageName(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Renders the kustomization in `dir` (files named relative to REPO-style `root` in K8sDoc.file). */
export function renderKustomization(dir: string, root: string = dir): K8sDoc[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) throw new Error(`${relative(root, dir) || '.'}/kustomization.yaml: kustomize-lite does not render ${unknown.join(', ')}`);
  if (k.kind !== 'Kustomization') throw new Error(`${dir}: kind ${k.kind} is not Kustomization`);

  const docs: K8sDoc[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    if (statSync(path).isDirectory()) {
      docs.push(...renderKustomization(path, root));
      continue;
    }
    for (const d of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (d.errors.length > 0) throw new Error(`${r}: ${d.errors.map((e) => e.message).join('; ')}`);
      const object = d.toJS() as Record<string, unknown> | null;
      if (object === null) continue;
      const meta = (object['metadata'] ?? {}) as { name?: string };
      docs.push({ file: relative(root, path), apiVersion: String(object['apiVersion']), kind: String(object['kind']), name: meta.name ?? '', object });
    }
  }
  for (const g of k.secretGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const f of g.files) {
      const [key, file] = f.includes('=') ? (f.split('=') as [string, string]) : [f, f];
      const p = join(dir, file);
      data[key] = existsSync(p) ? readFileSync(p).toString('base64') : '';
    }
    docs.push({ file: relative(root, join(dir, 'kustomization.yaml')), apiVersion: 'v1', kind: 'Secret', name: g.name, object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: g.name }, type: 'Opaque', data } });
  }
  for (const p of k.patches ?? []) {
    const ops = parse(p.patch ?? readFileSync(join(dir, p.path ?? ''), 'utf8')) as unknown;
    if (!Array.isArray(ops)) throw new Error(`${dir}: only JSON 6902 patches (a list of ops) are rendered`);
    const targets = docs.filter((d) => d.kind === p.target.kind && d.name === p.target.name);
    if (targets.length === 0) throw new Error(`${dir}: patch target ${p.target.kind}/${p.target.name} not found`);
    for (const t of targets) applyJsonPatch(t.object, ops as JsonPatchOp[]);
  }
  for (const d of docs) {
    const meta = ((d.object['metadata'] ??= {}) as { namespace?: string; labels?: Record<string, string> });
    if (k.namespace && !CLUSTER_SCOPED.has(d.kind)) meta.namespace = k.namespace;
    for (const l of k.labels ?? []) meta.labels = { ...meta.labels, ...l.pairs };
    for (const spec of podSpecs(d.object)) {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        const img = k.images?.find((i) => c.image !== undefined && imageName(c.image) === i.name);
        if (!img || c.image === undefined) continue;
        const tag = c.image.slice(imageName(c.image).length + 1);
        c.image = `${img.newName ?? img.name}${img.newTag ? `:${img.newTag}` : tag ? `:${tag}` : ''}`;
      }
    }
  }
  return docs;
}
