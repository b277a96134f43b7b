;; Forward conv of a single-channel NHWC image (conv1 of the model of record: 28×28×1 → 26×26×32),
;; stride 1, no padding: y[p, co] = Σ_{kh,kw} x[b, oh + kh, ow + kw] · w[kh, kw, co]. XNNPACK runs
;; this as an indirect GEMM with K = 9, which wastes most of its tile; here 4 output pixels × 8
;; output channels are held in 8 v128 accumulators, each tap one splat of x per pixel times two
;; vectors of w. Pixels run over (b, oh, ow) flattened, 4 at a time; a last group of fewer repeats
;; the last pixel (same values to the same place). CO a multiple of 8.
;; Build: npx tsx libs/engine/scripts/build-simd.ts
(module
  (import "env" "memory" (memory 1))
  ;; byte offset in x of pixel p's top-left tap
  (func $base (param $p i32) (param $H i32) (param $W i32) (param $OH i32) (param $OW i32) (result i32)
    (local $t i32)
    (local.set $t (i32.div_u (local.get $p) (local.get $OW)))
    (i32.shl
      (i32.add
        (i32.mul
          (i32.add (i32.mul (i32.div_u (local.get $t) (local.get $OH)) (local.get $H)) (i32.rem_u (local.get $t) (local.get $OH)))
          (local.get $W))
        (i32.rem_u (local.get $p) (local.get $OW)))
      (i32.const 2)))
  (func (export "conv1ch")
    (param $xs i32) (param $ws i32) (param $ys i32) (param $B i32) (param $H i32) (param $W i32)
    (param $OH i32) (param $OW i32) (param $CO i32) (param $KH i32) (param $KW i32)
    (local $P i32) (local $p i32) (local $last i32) (local $cb i32) (local $co i32) (local $kh i32) (local $kw i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $y0 i32) (local $y1 i32) (local $y2 i32) (local $y3 i32)
    (local $xo i32) (local $wp i32) (local $rowskip i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local.set $P (i32.mul (i32.mul (local.get $B) (local.get $OH)) (local.get $OW)))
    (local.set $last (i32.sub (local.get $P) (i32.const 1)))
    (local.set $cb (i32.shl (local.get $CO) (i32.const 2)))
    ;; from the end of a filter row of x to the start of the next
    (local.set $rowskip (i32.shl (i32.sub (local.get $W) (local.get $KW)) (i32.const 2)))
    (local.set $p (i32.const 0))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.ge_u (local.get $p) (local.get $P)))
      (local.set $x0 (i32.add (local.get $xs) (call $base (local.get $p) (local.get $H) (local.get $W) (local.get $OH) (local.get $OW))))
      (local.set $y0 (i32.add (local.get $ys) (i32.mul (local.get $p) (local.get $cb))))
      (local.set $x1 (local.get $x0)) (local.set $y1 (local.get $y0))
      (local.set $x2 (local.get $x0)) (local.set $y2 (local.get $y0))
      (local.set $x3 (local.get $x0)) (local.set $y3 (local.get $y0))
      (if (i32.lt_u (local.get $p) (local.get $last)) (then
        (local.set $x1 (i32.add (local.get $xs) (call $base (i32.add (local.get $p) (i32.const 1)) (local.get $H) (local.get $W) (local.get $OH) (local.get $OW))))
        (local.set $y1 (i32.add (local.get $y0) (local.get $cb)))
        (local.set $x2 (local.get $x1)) (local.set $y2 (local.get $y1))
        (local.set $x3 (local.get $x1)) (local.set $y3 (local.get $y1))))
      (if (i32.lt_u (i32.add (local.get $p) (i32.const 1)) (local.get $last)) (then
        (local.set $x2 (i32.add (local.get $xs) (call $base (i32.add (local.get $p) (i32.const 2)) (local.get $H) (local.get $W) (local.get $OH) (local.get $OW))))
        (local.set $y2 (i32.add (local.get $y1) (local.get $cb)))
        (local.set $x3 (local.get $x2)) (local.set $y3 (local.get $y2))))
      (if (i32.lt_u (i32.add (local.get $p) (i32.const 2)) (local.get $last)) (then
        (local.set $x3 (i32.add (local.get $xs) (call $base (i32.add (local.get $p) (i32.const 3)) (local.get $H) (local.get $W) (local.get $OH) (local.get $OW))))
        (local.set $y3 (i32.add (local.get $y2) (local.get $cb)))))
      (local.set $co (i32.const 0))
      (block $cdone (loop $cloop
        (br_if $cdone (i32.ge_u (local.get $co) (local.get $cb)))
        (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $xo (i32.const 0))
        (local.set $wp (i32.add (local.get $ws) (local.get $co)))
        (local.set $kh (local.get $KH))
        (loop $hloop
          (local.set $kw (local.get $KW))
          (loop $wloop
            (local.set $b0 (v128.load (local.get $wp)))
            (local.set $b1 (v128.load offset=16 (local.get $wp)))
            (local.set $av (v128.load32_splat (i32.add (local.get $x0) (local.get $xo))))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat (i32.add (local.get $x1) (local.get $xo))))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat (i32.add (local.get $x2) (local.get $xo))))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat (i32.add (local.get $x3) (local.get $xo))))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
            (local.set $wp (i32.add (local.get $wp) (local.get $cb)))
            (local.set $kw (i32.sub (local.get $kw) (i32.const 1)))
            (br_if $wloop (local.get $kw)))
          (local.set $xo (i32.add (local.get $xo) (local.get $rowskip)))
          (local.set $kh (i32.sub (local.get $kh) (i32.const 1)))
          (br_if $hloop (local.get $kh)))
        (v128.store (i32.add (local.get $y0) (local.get $co)) (local.get $c00))
        (v128.store offset=16 (i32.add (local.get $y0) (local.get $co)) (local.get $c01))
        (v128.store (i32.add (local.get $y1) (local.get $co)) (local.get $c10))
        (v128.store offset=16 (i32.add (local.get $y1) (local.get $co)) (local.get $c11))
        (v128.store (i32.add (local.get $y2) (local.get $co)) (local.get $c20))
        (v128.store offset=16 (i32.add (local.get $y2) (local.get $co)) (local.get $c21))
        (v128.store (i32.add (local.get $y3) (local.get $co)) (local.get $c30))
        (v128.store offset=16 (i32.add (local.get $y3) (local.get $co)) (local.get $c31))
        (local.set $co (i32.add (local.get $co) (i32.const 32)))
        (br $cloop)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $ploop)))
  )
)
