;; MaxPoolGrad for 2x2 windows, stride 2, no padding, NHWC float32, channels a multiple of 4.
;; Works in place on the TF.js wasm backend's own memory (imported), so no tensor is copied.
;; Tie rule as the cpu backend: the first maximum in row-major window order wins (strict '>'),
;; and NaN never wins a comparison.
;; Build: npx tsx libs/engine/scripts/build-simd.ts  (writes ../simd-bytes.ts; a test checks it is current)
(module
  (import "env" "memory" (memory 1))
  (func (export "pool2x2grad")
    (param $xs i32) (param $ds i32) (param $out i32)
    (param $B i32) (param $H i32) (param $W i32) (param $C i32) (param $OH i32) (param $OW i32)
    (local $cb i32) (local $row i32) (local $b i32) (local $oh i32) (local $ow i32) (local $c i32)
    (local $bBase i32) (local $p00 i32) (local $q i32) (local $pd i32) (local $xa i32) (local $oa i32)
    (local $v01 v128) (local $v10 v128) (local $v11 v128) (local $g v128) (local $m v128)
    (local $c1 v128) (local $c2 v128) (local $c3 v128)
    ;; byte strides: one pixel's channels, one input row
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $row (i32.mul (local.get $W) (local.get $cb)))
    (local.set $pd (local.get $ds))
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $bBase (i32.mul (i32.mul (local.get $b) (local.get $H)) (local.get $row)))
      (local.set $oh (i32.const 0))
      (block $ohdone (loop $ohloop
        (br_if $ohdone (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $ow (i32.const 0))
        (block $owdone (loop $owloop
          (br_if $owdone (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $p00
            (i32.add (local.get $bBase)
              (i32.add
                (i32.mul (i32.shl (local.get $oh) (i32.const 1)) (local.get $row))
                (i32.mul (i32.shl (local.get $ow) (i32.const 1)) (local.get $cb)))))
          (local.set $c (i32.const 0))
          (block $cdone (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cb)))
            (local.set $q (i32.add (local.get $p00) (local.get $c)))
            (local.set $xa (i32.add (local.get $xs) (local.get $q)))
            (local.set $oa (i32.add (local.get $out) (local.get $q)))
            (local.set $m (v128.load (local.get $xa)))
            (local.set $v01 (v128.load (i32.add (local.get $xa) (local.get $cb))))
            (local.set $v10 (v128.load (i32.add (local.get $xa) (local.get $row))))
            (local.set $v11 (v128.load (i32.add (local.get $xa) (i32.add (local.get $row) (local.get $cb)))))
            (local.set $g (v128.load (i32.add (local.get $pd) (local.get $c))))
            ;; running first-max: a later cell wins only if strictly greater
            (local.set $c1 (f32x4.gt (local.get $v01) (local.get $m)))
            (local.set $m (v128.bitselect (local.get $v01) (local.get $m) (local.get $c1)))
            (local.set $c2 (f32x4.gt (local.get $v10) (local.get $m)))
            (local.set $m (v128.bitselect (local.get $v10) (local.get $m) (local.get $c2)))
            (local.set $c3 (f32x4.gt (local.get $v11) (local.get $m)))
            ;; winner masks: 11 if c3; 10 if c2 and not c3; 01 if c1 and neither; 00 otherwise
            (v128.store (local.get $oa)
              (v128.andnot (local.get $g) (v128.or (v128.or (local.get $c1) (local.get $c2)) (local.get $c3))))
            (v128.store (i32.add (local.get $oa) (local.get $cb))
              (v128.and (v128.andnot (local.get $g) (v128.or (local.get $c2) (local.get $c3))) (local.get $c1)))
            (v128.store (i32.add (local.get $oa) (local.get $row))
              (v128.and (v128.andnot (local.get $g) (local.get $c3)) (local.get $c2)))
            (v128.store (i32.add (local.get $oa) (i32.add (local.get $row) (local.get $cb)))
              (v128.and (local.get $g) (local.get $c3)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $cloop)))
          (local.set $pd (i32.add (local.get $pd) (local.get $cb)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $owloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop)))
  )
)
