;; Adam's element loop (libs/training/src/adam.ts adamKernel) in f64x2 SIMD, bit-identical to it:
;; every product, sum, square root and quotient is the same IEEE double operation in the same order,
;; and each stored value is rounded once to float32, as a Float32Array store rounds.
;;
;;   m ← β1·m + c1·g,  v ← β2·v + (c2·g)·g,  w ← w − (lrHat·m) / (√(v·ib2) + ε)   (m, v unrounded in w's update)
;;
;; w, g, m, v: float32 arrays at byte offsets into the imported memory, 16-byte aligned; `n` a multiple
;; of 4 (the caller does the rest). With `mask` ≠ 0, k holds one byte per element and an element whose
;; byte is 0 keeps its w, m and v.
(module
  (import "env" "mem" (memory 1))
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $k i32) (param $n i32) (param $mask i32)
    (param $b1 f64) (param $b2 f64) (param $c1 f64) (param $c2 f64) (param $lr f64) (param $ib2 f64) (param $eps f64)
    (local $i i32) (local $o i32)
    (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128) (local $LR v128) (local $IB2 v128) (local $EPS v128)
    (local $G v128) (local $M v128) (local $V v128) (local $W v128) (local $K v128)
    (local $gl v128) (local $gh v128) (local $ml v128) (local $mh v128) (local $vl v128) (local $vh v128)
    (local $Mo v128) (local $Vo v128) (local $Wo v128)
    (local.set $B1 (f64x2.splat (local.get $b1)))
    (local.set $B2 (f64x2.splat (local.get $b2)))
    (local.set $C1 (f64x2.splat (local.get $c1)))
    (local.set $C2 (f64x2.splat (local.get $c2)))
    (local.set $LR (f64x2.splat (local.get $lr)))
    (local.set $IB2 (f64x2.splat (local.get $ib2)))
    (local.set $EPS (f64x2.splat (local.get $eps)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $G (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $M (v128.load (i32.add (local.get $m) (local.get $o))))
        (local.set $V (v128.load (i32.add (local.get $v) (local.get $o))))
        (local.set $W (v128.load (i32.add (local.get $w) (local.get $o))))
        (local.set $gl (f64x2.promote_low_f32x4 (local.get $G)))
        (local.set $gh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $G) (local.get $G))))
        ;; m
        (local.set $ml (f64x2.add
          (f64x2.mul (local.get $B1) (f64x2.promote_low_f32x4 (local.get $M)))
          (f64x2.mul (local.get $C1) (local.get $gl))))
        (local.set $mh (f64x2.add
          (f64x2.mul (local.get $B1) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $M) (local.get $M))))
          (f64x2.mul (local.get $C1) (local.get $gh))))
        ;; v
        (local.set $vl (f64x2.add
          (f64x2.mul (local.get $B2) (f64x2.promote_low_f32x4 (local.get $V)))
          (f64x2.mul (f64x2.mul (local.get $C2) (local.get $gl)) (local.get $gl))))
        (local.set $vh (f64x2.add
          (f64x2.mul (local.get $B2) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $V) (local.get $V))))
          (f64x2.mul (f64x2.mul (local.get $C2) (local.get $gh)) (local.get $gh))))
        ;; w, from the unrounded m and v
        (local.set $Wo (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.sub
            (f64x2.promote_low_f32x4 (local.get $W))
            (f64x2.div (f64x2.mul (local.get $LR) (local.get $ml))
                       (f64x2.add (f64x2.sqrt (f64x2.mul (local.get $vl) (local.get $IB2))) (local.get $EPS)))))
          (f32x4.demote_f64x2_zero (f64x2.sub
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $W) (local.get $W)))
            (f64x2.div (f64x2.mul (local.get $LR) (local.get $mh))
                       (f64x2.add (f64x2.sqrt (f64x2.mul (local.get $vh) (local.get $IB2))) (local.get $EPS)))))))
        (local.set $Mo (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $ml)) (f32x4.demote_f64x2_zero (local.get $mh))))
        (local.set $Vo (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $vl)) (f32x4.demote_f64x2_zero (local.get $vh))))
        (if (local.get $mask)
          (then
            ;; one byte per element → an all-ones lane where it is non-zero
            (local.set $K (i32x4.ne
              (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (i32.add (local.get $k) (local.get $i)))))
              (v128.const i32x4 0 0 0 0)))
            (local.set $Wo (v128.bitselect (local.get $Wo) (local.get $W) (local.get $K)))
            (local.set $Mo (v128.bitselect (local.get $Mo) (local.get $M) (local.get $K)))
            (local.set $Vo (v128.bitselect (local.get $Vo) (local.get $V) (local.get $K)))))
        (v128.store (i32.add (local.get $w) (local.get $o)) (local.get $Wo))
        (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $Mo))
        (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $Vo))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))))
