;; The BSP step sum's element loops (libs/training/src/step-sum.ts) in f64x2 SIMD, bit-identical to
;; them: the same IEEE double products and sums, each stored result rounded once to float32.
;; acc: float64 array; g, out: float32 arrays; byte offsets into the imported memory, 16-byte aligned;
;; `n` a multiple of 4 (the caller does the rest).
(module
  (import "env" "mem" (memory 1))

  ;; acc[i] += g[i] · w
  (func (export "addw") (param $acc i32) (param $g i32) (param $n i32) (param $w f64)
    (local $i i32) (local $a i32) (local $W v128) (local $G v128)
    (local.set $W (f64x2.splat (local.get $w)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $G (v128.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
        (v128.store (local.get $a)
          (f64x2.add (v128.load (local.get $a)) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $G)) (local.get $W))))
        (v128.store offset=16 (local.get $a)
          (f64x2.add (v128.load offset=16 (local.get $a))
            (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $G) (local.get $G))) (local.get $W))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; out[i] = f32((acc[i] + g[i] · w) · inv)   (acc is left without this push)
  (func (export "meanlast") (param $out i32) (param $acc i32) (param $g i32) (param $n i32) (param $w f64) (param $inv f64)
    (local $i i32) (local $a i32) (local $W v128) (local $INV v128) (local $G v128)
    (local.set $W (f64x2.splat (local.get $w)))
    (local.set $INV (f64x2.splat (local.get $inv)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $G (v128.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul
              (f64x2.add (v128.load (local.get $a)) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $G)) (local.get $W)))
              (local.get $INV)))
            (f32x4.demote_f64x2_zero (f64x2.mul
              (f64x2.add (v128.load offset=16 (local.get $a))
                (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $G) (local.get $G))) (local.get $W)))
              (local.get $INV)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; out[i] = f32(acc[i] · inv)
  (func (export "scale") (param $out i32) (param $acc i32) (param $n i32) (param $inv f64)
    (local $i i32) (local $a i32) (local $INV v128)
    (local.set $INV (f64x2.splat (local.get $inv)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load (local.get $a)) (local.get $INV)))
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load offset=16 (local.get $a)) (local.get $INV)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))))
