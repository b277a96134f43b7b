/**
 * The wire shape of a (possibly compressed) flat tensor is the protocol's: one declaration, shared
 * by the codecs here and the frame validation there (libs/protocol, validate-tensor.ts: every
 * structural check of an incoming tensor). `int8`: element i decodes to data[i] · scales[⌊i / chunk⌋].
 * `int4|3|2`: the same with biased 4/3/2-bit codes packed without gaps (see packed-int.ts). `sign`:
 * ±scales[⌊i / chunk⌋] by bit i (see sign.ts). `topk`: the listed entries, strictly ascending
 * indices, every other element 0. Every variant owns its arrays (never aliases the encoder's input).
 */
export type { EncodedTensor } from '@dtrain/protocol';
