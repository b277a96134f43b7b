/** The .wat sources beside this file, by base name (also the keys of SIMD_BYTES). */
export const SIMD_SOURCES = ['max-pool-grad', 'filter-grad', 'bias', 'transpose', 'winograd', 'gemm', 'conv-one-channel', 'filter-grad-one-channel', 'gemm-fma', 'conv-one-channel-fma', 'filter-grad-one-channel-fma', 'pool-bias-relu'] as const;
