;; Conv2DBackpropFilter computed directly, NHWC float32, 'valid' padding (every window inside the
;; image), any stride, output channels a multiple of 4:
;;   dW[kh, kw, ci, co] += x[b, oh*SH + kh, ow*SW + kw, ci] * dy[b, oh, ow, co]
;; For each output pixel and kernel row, the KW*C inputs it touches are one contiguous run of x;
;; each is broadcast and multiplied into dy's CO channels, accumulated into `out` ([KH, KW, C, CO],
;; zeroed by the caller), which stays in L1 when small. That is the case this kernel is for: few
;; input channels (the first conv layer), where im2col + XNNPACK move far more data than they compute.
;; Build: npx tsx libs/engine/scripts/build-simd.ts
(module
  (import "env" "memory" (memory 1))
  (func (export "filtergrad")
    (param $xs i32) (param $ds i32) (param $out i32)
    (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $OH i32) (param $OW i32) (param $CO i32)
    (param $KH i32) (param $KW i32) (param $SH i32) (param $SW i32)
    (local $cob i32) (local $runb i32) (local $pixb i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $j i32)
    (local $dyp i32) (local $accp i32) (local $xp i32) (local $xend i32) (local $a i32)
    (local $xv v128)
    ;; byte sizes: dy's channels at one pixel, one kernel row's input run, one input pixel
    (local.set $cob (i32.shl (local.get $CO) (i32.const 2)))
    (local.set $pixb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $runb (i32.mul (local.get $KW) (local.get $pixb)))
    (local.set $dyp (local.get $ds))
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $oh (i32.const 0))
      (block $ohdone (loop $ohloop
        (br_if $ohdone (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $ow (i32.const 0))
        (block $owdone (loop $owloop
          (br_if $owdone (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $accp (local.get $out))
          (local.set $kh (i32.const 0))
          (block $khdone (loop $khloop
            (br_if $khdone (i32.ge_u (local.get $kh) (local.get $KH)))
            ;; xp = &x[b, oh*SH + kh, ow*SW, 0]
            (local.set $xp
              (i32.add (local.get $xs)
                (i32.mul (local.get $pixb)
                  (i32.add
                    (i32.mul
                      (i32.add (i32.mul (local.get $b) (local.get $H))
                               (i32.add (i32.mul (local.get $oh) (local.get $SH)) (local.get $kh)))
                      (local.get $W))
                    (i32.mul (local.get $ow) (local.get $SW))))))
            (local.set $xend (i32.add (local.get $xp) (local.get $runb)))
            (block $xdone (loop $xloop
              (br_if $xdone (i32.ge_u (local.get $xp) (local.get $xend)))
              (local.set $xv (f32x4.splat (f32.load (local.get $xp))))
              (local.set $j (i32.const 0))
              (block $jdone (loop $jloop
                (br_if $jdone (i32.ge_u (local.get $j) (local.get $cob)))
                (local.set $a (i32.add (local.get $accp) (local.get $j)))
                (v128.store (local.get $a)
                  (f32x4.add (v128.load (local.get $a))
                    (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $dyp) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $jloop)))
              (local.set $accp (i32.add (local.get $accp) (local.get $cob)))
              (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
              (br $xloop)))
            (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
            (br $khloop)))
          (local.set $dyp (i32.add (local.get $dyp) (local.get $cob)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $owloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop)))
  )
)
