import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { modelModule } from './k8s-manifests';

/** A virtual file inside test/, so `kubernetes-models` resolves from test's node_modules. */
const VIRTUAL_FILE = join(dirname(fileURLToPath(import.meta.url)), '__k8s_strict_fields__.ts');

/**
 * The OpenAPI schemas allow unknown properties, so a misspelt field (`readinesProbe`) passes
 * them and is silently dropped by a lenient API server. This check assigns each object, as an
 * object literal, to kubernetes-models' TypeScript interface of its kind: TypeScript's excess
 * property check then rejects every field the API does not define, at any depth, and wrong
 * scalar types too. Returns the messages per object index; empty arrays when clean.
 */
export function strictFieldErrors(objects: { apiVersion: string; kind: string; object: unknown }[]): string[][] {
  // Each object owns two spans of the file, its import and its literal; a diagnostic is
  // attributed to the object whose span starts last before it.
  let source = '';
  const spans: { start: number; index: number }[] = [];
  const add = (index: number, text: string): void => {
    spans.push({ start: source.length, index });
    source += text + '\n';
  };
  objects.forEach((o, i) => add(i, `import type { I${o.kind} as T${i} } from '${modelModule(o.apiVersion, o.kind)}';`));
  objects.forEach((o, i) => add(i, `export const m${i}: T${i} = ${JSON.stringify(o.object, null, 1)};`));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, ...rest) =>
    file === VIRTUAL_FILE ? ts.createSourceFile(file, source, lang) : getSourceFile(file, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file === VIRTUAL_FILE || fileExists(file);
  const program = ts.createProgram([VIRTUAL_FILE], options, host);
  const sf = program.getSourceFile(VIRTUAL_FILE)!;
  const out = objects.map((): string[] => []);
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    const at = d.start ?? 0;
    const span = spans.findLast((s) => s.start <= at) ?? spans[0]!;
    out[span.index]!.push(ts.flattenDiagnosticMessageText(d.messageText, ' '));
  }
  return out;
}
