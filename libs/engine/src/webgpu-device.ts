import { existsSync, readdirSync } from 'node:fs';

/** What ran a WebGPU backend: the adapter's own description (vendor, architecture, device). */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, lavapipe, WARP): correct but slow; `auto` never picks it. */
  software: boolean;
}

interface AdapterLike {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>>;
  requestAdapterInfo?: () => Promise<unknown>;
}

const SOFTWARE = /swiftshader|lavapipe|llvmpipe|lvp_icd|warp|software/i;

/** Vulkan ICD manifests the loader reads on Linux (where GPU drivers register themselves). */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * Whether probing for a hardware WebGPU adapter is worth it here, without loading Dawn (which
 * prints warnings when there is no Vulkan at all): on Linux, a hardware Vulkan driver's ICD
 * manifest is installed; elsewhere Dawn's own backends (Metal, D3D12) decide.
 */
export function mayHaveHardwareGpu(env: Record<string, string | undefined> = process.env): boolean {
  if (process.platform !== 'linux') return true;
  const listed = env['VK_ICD_FILENAMES'] ?? env['VK_DRIVER_FILES'];
  if (listed) return listed.split(':').some((f) => f !== '' && !SOFTWARE.test(f));
  return ICD_DIRS.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json') && !/lvp|swiftshader/i.test(f)));
}

/**
 * Makes `navigator.gpu` exist in Node through the `webgpu` package (Dawn's Node binding, an
 * optional dependency), and returns the adapter TF.js's WebGPU backend will get. Throws when the
 * package does not load, when there is no adapter, or when only a software one is there and
 * `allowSoftware` is false.
 */
export async function installWebGpu(opts: { allowSoftware: boolean }): Promise<WebGpuAdapterInfo> {
  const pkg = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ pkg)) as { create(flags: string[]): { requestAdapter(): Promise<AdapterLike | null> }; globals: Record<string, unknown> };
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu, userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
  }
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<AdapterLike | null> } } }).navigator.gpu;
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (is a Vulkan driver installed? VK_ICD_FILENAMES can point at one)');
  // tfjs-backend-webgpu 4.22 calls requestAdapterInfo(), which current WebGPU replaced by `info`.
  const proto = Object.getPrototypeOf(adapter) as AdapterLike;
  if (typeof proto.requestAdapterInfo !== 'function') {
    Object.defineProperty(proto, 'requestAdapterInfo', { value: async function (this: AdapterLike) { return this.info; }, configurable: true });
  }
  const i = adapter.info ?? {};
  const info: WebGpuAdapterInfo = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '', software: false };
  info.software = SOFTWARE.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
  if (info.software && !opts.allowSoftware) throw new Error(`only a software WebGPU adapter (${describeAdapter(info)}); ask for --backend webgpu to use it`);
  return info;
}

export function describeAdapter(i: WebGpuAdapterInfo): string {
  return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ') || 'unnamed adapter';
}
