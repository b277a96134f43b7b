import { setFlagsFromString } from 'node:v8';
import { base64Bytes, envVar } from '../../runtime-env';
import { SIMD_BYTES } from './simd-bytes';

/** Modules that need relaxed SIMD: loaded on their own, and only replace a plain-SIMD export when they compile. */
const RELAXED_MODULES: Record<string, string> = { 'gemm-fma': 'gemm', 'conv-one-channel-fma': 'conv1ch', 'filter-grad-one-channel-fma': 'filtergrad1ch' };

/** Exports of our SIMD module; pointers are byte offsets into the TF.js wasm heap. */
export interface SimdKernels {
  /** true when `gemm`, `conv1ch` and `filtergrad1ch` are the *-fma.wat modules (relaxed SIMD FMA). */
  fma: boolean;
  /** max-pool-grad.wat */
  pool2x2grad(xs: number, ds: number, out: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  /** filter-grad.wat (adds into `out`, which the caller zeroes) */
  filtergrad(xs: number, ds: number, out: number, B: number, H: number, W: number, C: number, OH: number, OW: number, CO: number, KH: number, KW: number, SH: number, SW: number): void;
  /** bias.wat: out[r, j] = x[r, j] + b[j] */
  addrow(xs: number, bs: number, out: number, outer: number, inner: number): void;
  /** bias.wat: out[j] += Σ_r x[r, j] (caller zeroes `out`) */
  colsum(xs: number, out: number, outer: number, inner: number): void;
  /** transpose.wat: dst[n·dstBatch + c·dstRow + r] = src[n·srcBatch + r·srcRow + c]; rows, cols multiples of 4; strides in floats */
  transpose(src: number, dst: number, count: number, rows: number, cols: number, srcBatch: number, srcRow: number, dstBatch: number, dstRow: number): void;
  /** winograd.wat: V = Bᵀ d B per 4×4 input patch into [16][tiles][C] (`ks` floats between matrices); `zero` = C zero floats */
  wgin(xs: number, vs: number, zero: number, B: number, H: number, W: number, C: number, TH: number, TW: number, padT: number, padL: number, ks: number): void;
  /** winograd.wat: Y = max(lo, Aᵀ M A + bias) per tile into NHWC; `sink` = CO scratch floats for the ragged edge */
  wgout(ms: number, ys: number, sink: number, bias: number, lo: number, B: number, OH: number, OW: number, CO: number, TH: number, TW: number, ks: number): void;
  /** winograd.wat: A dy Aᵀ per 2×2 block of dy into [16][CO][TP] (transposed; TP = T rounded up to 4, extra tiles 0); `zero` = CO zero floats */
  wgdyt(ds: number, mt: number, zero: number, OH: number, OW: number, CO: number, TH: number, TW: number, T: number, TP: number): void;
  /** conv-one-channel.wat: y[p, co] = Σ x[b, oh + kh, ow + kw] · w[kh, kw, co], single input channel, stride 1, no padding; CO % 8 = 0 */
  conv1ch(xs: number, ws: number, ys: number, B: number, H: number, W: number, OH: number, OW: number, CO: number, KH: number, KW: number): void;
  /** filter-grad-one-channel.wat: dW[kh, kw, 0, co] += Σ x[b, oh + kh, ow + kw] · dy[b, oh, ow, co]; one input channel, KW = 3, stride 1, valid; CO % 8 = 0 (caller zeroes `out`) */
  filtergrad1ch(xs: number, ds: number, out: number, B: number, H: number, W: number, OH: number, OW: number, CO: number, KH: number): void;
  /** pool-bias-relu.wat: out[b, oh, ow, c] = max over the 2×2/2 window of relu(z + bias[c]); C % 4 = 0, (H, W) the conv output's size, (OH, OW) the pool's */
  poolbiasrelu(zs: number, bs: number, out: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  /** pool-bias-relu.wat: that function's gradient with respect to z (dy to the first maximum of z + bias when it is > 0); cells outside every window are not written */
  poolbiasrelugrad(zs: number, bs: number, ds: number, out: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  /** gemm.wat: C = A·B (C += A·B when `acc` is 1), A(m, k) at a + 4(m·sam + k·sak), B and C row-major (ldb, ldc floats); M % 4 = 0, N % 8 = 0, K ≥ 1; K in chunks of `kc` */
  gemm(a: number, sam: number, sak: number, b: number, ldb: number, c: number, ldc: number, M: number, K: number, N: number, kc: number, acc: number): void;
}

/** Floats of B that gemm.wat keeps hot per K chunk (16 KB, half a typical L1d; chunks of 64–128 rows measured best at N = 32). */
const GEMM_CHUNK_FLOATS = 4096;
/** Fewest K rows per chunk: below that C's reloads between chunks cost more (dense dx, N = 1600: 8 rows 0.87 ms, 32 rows 0.74 ms). */
const GEMM_MIN_CHUNK = 32;

/** gemm.wat's `kc` for a B operand of `n` columns. */
export const gemmChunk = (n: number): number => Math.max(GEMM_MIN_CHUNK, Math.floor(GEMM_CHUNK_FLOATS / n));

/** The slice of the WebAssembly JS API we use (the project's TS lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
/** A WebAssembly.Memory, opaque here: we only hand it to our module as its import. */
export type WasmMemory = object;

/** One instance per wasm memory (there is one per backend); undefined = cannot run here, use JS. */
const instances = new WeakMap<WasmMemory, SimdKernels | undefined>();

/**
 * Our hand-written SIMD kernels, instantiated on the TF.js wasm backend's own memory so they read
 * and write tensors where they lie. Undefined when that memory is not reachable (a different build
 * of the backend) or the engine lacks wasm SIMD; callers then use their JS path.
 */
export function simdKernels(memory: WasmMemory | undefined): SimdKernels | undefined {
  if (!memory) return undefined;
  if (instances.has(memory)) return instances.get(memory);
  let kernels: SimdKernels | undefined;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const exports: Record<string, unknown> = { fma: false };
    for (const [name, b64] of Object.entries(SIMD_BYTES)) {
      if (name in RELAXED_MODULES) continue;
      // Synchronous compile is fine for modules of a few hundred bytes.
      const instance = new wasm.Instance(new wasm.Module(base64Bytes(b64)), { env: { memory } });
      Object.assign(exports, instance.exports as Record<string, unknown>);
      if (Object.keys(instance.exports as object).length === 0) throw new Error(`${name} exports nothing`);
    }
    for (const [name, replaces] of Object.entries(RELAXED_MODULES)) {
      const fn = relaxedExport(wasm, memory, name, replaces);
      if (fn) Object.assign(exports, { [replaces]: fn, fma: true });
    }
    kernels = exports as unknown as SimdKernels;
  } catch {
    kernels = undefined;
  }
  instances.set(memory, kernels);
  return kernels;
}

/**
 * A relaxed-SIMD module's export, or undefined where relaxed SIMD does not compile. V8 ships it on
 * from 11.4 (Node 22); on Node 20 (V8 11.3) it is behind --experimental-wasm-relaxed-simd, which V8
 * reads when it compiles a module, so we turn it on first (it only enables that wasm proposal).
 */
function relaxedExport(wasm: WasmApi, memory: WasmMemory, name: string, exportName: string): unknown {
  const bytes = SIMD_BYTES[name];
  // DTRAIN_WASM_FMA=0: plain SIMD only, so results do not depend on whether a machine fuses multiply-adds.
  if (!bytes || envVar('DTRAIN_WASM_FMA') === '0') return undefined;
  const compile = (): unknown => {
    const instance = new wasm.Instance(new wasm.Module(base64Bytes(bytes)), { env: { memory } });
    return (instance.exports as Record<string, unknown>)[exportName];
  };
  try {
    return compile();
  } catch {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      return compile();
    } catch {
      return undefined;
    }
  }
}
