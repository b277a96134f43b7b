import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);

/** One Kubernetes object from a manifest file. */
export interface K8sDoc {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  object: Record<string, unknown>;
}

/** Files under deploy/k8s that are not API objects (kustomize's own config). */
const NOT_API_OBJECTS = new Set(['kustomization.yaml']);

/** Parses every *.yaml in `dir` (multi-document files included); a YAML error is thrown, not skipped. */
export function loadManifests(dir: string): K8sDoc[] {
  const docs: K8sDoc[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !NOT_API_OBJECTS.has(f)).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      const object = d.toJS() as Record<string, unknown> | null;
      if (object === null) continue;
      const meta = (object['metadata'] ?? {}) as { name?: string };
      docs.push({ file, apiVersion: String(object['apiVersion']), kind: String(object['kind']), name: meta.name ?? '', object });
    }
  }
  return docs;
}

/** kubernetes-models' module for an apiVersion/kind, e.g. apps/v1 StatefulSet → kubernetes-models/apps/v1/StatefulSet. */
export function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/**
 * Validates one object against the Kubernetes OpenAPI schema that kubernetes-models carries
 * (compiled ajv validators): required fields, types, enums, formats. An apiVersion/kind it has
 * no schema for is an error too. Returns the messages; empty when valid.
 */
export function schemaErrors(apiVersion: string, kind: string, object: unknown): string[] {
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (require(modelModule(apiVersion, kind)) as Record<string, new (data: unknown) => { validate(): void }>)[kind]!;
  } catch {
    return [`no schema for ${apiVersion} ${kind}`];
  }
  if (typeof Model !== 'function') return [`no schema for ${apiVersion} ${kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    return errors ? errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim()) : [(err as Error).message];
  }
}
