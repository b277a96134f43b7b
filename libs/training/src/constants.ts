/** TF.js `tf.train.adam` defaults, so a run on the server steps exactly like a single-process TF.js run. */
export const ADAM_DEFAULT_LEARNING_RATE = 1e-3;
export const ADAM_DEFAULT_BETA1 = 0.9;
export const ADAM_DEFAULT_BETA2 = 0.999;
/** TF.js uses the float32 backend epsilon (1e-7), not Keras-Python's 1e-7-on-sqrt(v)-hat variant with 1e-8. */
export const ADAM_DEFAULT_EPSILON = 1e-7;

/** Plain SGD default step; the value `tf.train.sgd` examples use for MNIST-sized CNNs. */
export const SGD_DEFAULT_LEARNING_RATE = 0.01;
/** No momentum unless asked for: momentum 0 is exactly `tf.train.sgd`. */
export const SGD_DEFAULT_MOMENTUM = 0;

/**
 * Elements per int8 scale. Small enough that one large outlier only coarsens its own neighbourhood,
 * large enough that the float32 scales cost < 1% on top of the int8 payload (4 / 512 bytes).
 */
export const INT8_DEFAULT_CHUNK = 512;
/** Largest accepted chunk of any chunked codec: one scale per 16M elements is already pointless; bounds untrusted input. */
export const MAX_CHUNK = 1 << 24;
/** Symmetric int8 range: ±127 so that 0 is exact and the code never needs -128. */
export const INT8_LEVELS = 127;

/** Bytes per element of each dense payload type. */
export const BYTES_F32 = 4;
export const BYTES_F16 = 2;
export const BYTES_I8 = 1;
export const BYTES_U32 = 4;

/**
 * Elements per scale of the sub-byte codecs (int2/int3/int4). Smaller than int8's: with only a few
 * levels one outlier flattens its whole chunk to zero, and the scales still cost only 1/8 bit per
 * element (4 bytes / 256).
 */
export const PACKED_DEFAULT_CHUNK = 256;
/**
 * Elements per sign-codec scale (the chunk's mean |x|). A weight delta or gradient moves in similar
 * steps across a layer's neighbourhood; 512 keeps the scales at 1/16 bit per element.
 */
export const SIGN_DEFAULT_CHUNK = 512;
