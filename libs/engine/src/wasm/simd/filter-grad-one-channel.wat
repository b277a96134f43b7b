;; Conv2DBackpropFilter of a single-channel NHWC input with 3-wide filter rows, stride 1, 'valid'
;; (conv1 of the model of record: 28×28×1 → 26×26×32, 3×3):
;;   dW[kh, kw, 0, co] += Σ_{b,oh,ow} x[b, oh + kh, ow + kw] · dy[b, oh, ow, co]
;; filter-grad.wat keeps every accumulator in memory (a load and a store per 4 multiply-adds);
;; here one filter row (3 taps) × 8 output channels live in 6 v128 registers while a whole output
;; row of dy streams past, and go back to `out` ([KH, 3, 1, CO], zeroed by the caller) once per row.
;; CO a multiple of 8.
;; Build: npx tsx libs/engine/scripts/build-simd.ts
(module
  (import "env" "memory" (memory 1))
  (func (export "filtergrad1ch")
    (param $xs i32) (param $ds i32) (param $out i32) (param $B i32) (param $H i32) (param $W i32)
    (param $OH i32) (param $OW i32) (param $CO i32) (param $KH i32)
    (local $cb i32) (local $rowdy i32) (local $b i32) (local $oh i32) (local $kh i32) (local $co i32)
    (local $xrow i32) (local $dyrow i32) (local $acc i32) (local $xp i32) (local $dp i32) (local $n i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128)
    (local $d0 v128) (local $d1 v128) (local $av v128)
    (local.set $cb (i32.shl (local.get $CO) (i32.const 2)))
    (local.set $rowdy (i32.mul (local.get $OW) (local.get $cb)))
    (local.set $dyrow (local.get $ds))
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $oh (i32.const 0))
      (block $hdone (loop $hloop
        (br_if $hdone (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $kh (i32.const 0))
        (block $kdone (loop $kloop
          (br_if $kdone (i32.ge_u (local.get $kh) (local.get $KH)))
          ;; &x[b, oh + kh, 0]
          (local.set $xrow (i32.add (local.get $xs)
            (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (i32.add (local.get $oh) (local.get $kh))) (local.get $W)) (i32.const 2))))
          (local.set $co (i32.const 0))
          (block $cdone (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $co) (local.get $cb)))
            ;; accumulators of dW[kh, 0..2, 0, co..co+8]
            (local.set $acc (i32.add (i32.add (local.get $out) (i32.mul (i32.mul (local.get $kh) (i32.const 3)) (local.get $cb))) (local.get $co)))
            (local.set $c00 (v128.load (local.get $acc)))
            (local.set $c01 (v128.load offset=16 (local.get $acc)))
            (local.set $c10 (v128.load (i32.add (local.get $acc) (local.get $cb))))
            (local.set $c11 (v128.load offset=16 (i32.add (local.get $acc) (local.get $cb))))
            (local.set $c20 (v128.load (i32.add (local.get $acc) (i32.shl (local.get $cb) (i32.const 1)))))
            (local.set $c21 (v128.load offset=16 (i32.add (local.get $acc) (i32.shl (local.get $cb) (i32.const 1)))))
            (local.set $xp (local.get $xrow))
            (local.set $dp (i32.add (local.get $dyrow) (local.get $co)))
            (local.set $n (local.get $OW))
            (loop $wloop
              (local.set $d0 (v128.load (local.get $dp)))
              (local.set $d1 (v128.load offset=16 (local.get $dp)))
              (local.set $av (v128.load32_splat (local.get $xp)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $d0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $d1))))
              (local.set $av (v128.load32_splat offset=4 (local.get $xp)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $d0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $d1))))
              (local.set $av (v128.load32_splat offset=8 (local.get $xp)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $d0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $d1))))
              (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
              (local.set $dp (i32.add (local.get $dp) (local.get $cb)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $wloop (local.get $n)))
            (v128.store (local.get $acc) (local.get $c00))
            (v128.store offset=16 (local.get $acc) (local.get $c01))
            (v128.store (i32.add (local.get $acc) (local.get $cb)) (local.get $c10))
            (v128.store offset=16 (i32.add (local.get $acc) (local.get $cb)) (local.get $c11))
            (v128.store (i32.add (local.get $acc) (i32.shl (local.get $cb) (i32.const 1))) (local.get $c20))
            (v128.store offset=16 (i32.add (local.get $acc) (i32.shl (local.get $cb) (i32.const 1))) (local.get $c21))
            (local.set $co (i32.add (local.get $co) (i32.const 32)))
            (br $cloop)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $kloop)))
        (local.set $dyrow (i32.add (local.get $dyrow) (local.get $rowdy)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $hloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop)))
  )
)
