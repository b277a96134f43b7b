;; The two bias passes of a layer whose bias is not fused (TF.js unfuses conv + bias + ReLU when it
;; records gradients), float32, rows of `inner` values with inner a multiple of 4:
;;   addrow: out[r, j] = x[r, j] + b[j]        (forward bias add, [.., C] + [C])
;;   colsum: out[j] += x[r, j] over all rows    (bias gradient; caller zeroes `out`)
;; Build: npx tsx libs/engine/scripts/build-simd.ts
(module
  (import "env" "memory" (memory 1))
  (func (export "addrow") (param $xs i32) (param $bs i32) (param $out i32) (param $outer i32) (param $inner i32)
    (local $rowb i32) (local $end i32) (local $j i32)
    (local.set $rowb (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $end (i32.add (local.get $xs) (i32.mul (local.get $outer) (local.get $rowb))))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $xs) (local.get $end)))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $rowb)))
        (v128.store (i32.add (local.get $out) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $xs) (local.get $j))) (v128.load (i32.add (local.get $bs) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (local.set $xs (i32.add (local.get $xs) (local.get $rowb)))
      (local.set $out (i32.add (local.get $out) (local.get $rowb)))
      (br $rloop)))
  )
  (func (export "colsum") (param $xs i32) (param $out i32) (param $outer i32) (param $inner i32)
    (local $rowb i32) (local $end i32) (local $j i32) (local $a i32)
    (local.set $rowb (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $end (i32.add (local.get $xs) (i32.mul (local.get $outer) (local.get $rowb))))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $xs) (local.get $end)))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $rowb)))
        (local.set $a (i32.add (local.get $out) (local.get $j)))
        (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a)) (v128.load (i32.add (local.get $xs) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (local.set $xs (i32.add (local.get $xs) (local.get $rowb)))
      (br $rloop)))
  )
)
