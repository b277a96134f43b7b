/** The .wat sources beside this file, by base name (also the keys of TRAINING_SIMD_BYTES). */
export const TRAINING_SIMD_SOURCES = ['adam', 'step-sum'] as const;
