;; Batched, strided 2-D transpose of float32 in 4x4 SIMD blocks:
;;   for n < count, r < rows, c < cols:
;;     dst[n*dstBatch + c*dstRow + r] = src[n*srcBatch + r*srcRow + c]
;; Strides are in floats; rows and cols must be multiples of 4 (the caller checks).
;; Build: npx tsx libs/engine/scripts/build-simd.ts
(module
  (import "env" "memory" (memory 1))
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $count i32) (param $rows i32) (param $cols i32)
    (param $srcBatch i32) (param $srcRow i32) (param $dstBatch i32) (param $dstRow i32)
    (local $n i32) (local $r i32) (local $c i32) (local $sb i32) (local $db i32)
    (local $s i32) (local $d i32) (local $srb i32) (local $drb i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    ;; row strides in bytes
    (local.set $srb (i32.shl (local.get $srcRow) (i32.const 2)))
    (local.set $drb (i32.shl (local.get $dstRow) (i32.const 2)))
    (local.set $n (i32.const 0))
    (block $ndone (loop $nloop
      (br_if $ndone (i32.ge_u (local.get $n) (local.get $count)))
      (local.set $sb (i32.add (local.get $src) (i32.shl (i32.mul (local.get $n) (local.get $srcBatch)) (i32.const 2))))
      (local.set $db (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $n) (local.get $dstBatch)) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $rdone (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $cdone (loop $cloop
          (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
          ;; s = &src[r][c], d = &dst[c][r]
          (local.set $s (i32.add (local.get $sb) (i32.add (i32.mul (local.get $r) (local.get $srb)) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $d (i32.add (local.get $db) (i32.add (i32.mul (local.get $c) (local.get $drb)) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $r0 (v128.load (local.get $s)))
          (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $srb))))
          (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $srb) (i32.const 1)))))
          (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $srb) (i32.const 3)))))
          ;; t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = c0 d0 c1 d1, t3 = c2 d2 c3 d3
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
          (v128.store (local.get $d)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
          (v128.store (i32.add (local.get $d) (local.get $drb))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
          (v128.store (i32.add (local.get $d) (i32.shl (local.get $drb) (i32.const 1)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
          (v128.store (i32.add (local.get $d) (i32.mul (local.get $drb) (i32.const 3)))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $cloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rloop)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nloop)))
  )
)
