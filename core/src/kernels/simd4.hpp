// Four floats in one SIMD register, with the few operations the GEMM kernel needs (private to
// core/src). wasm_simd128 under Emscripten; GCC/Clang vector extensions natively (SSE/AVX code),
// so that the native tests exercise the kernel the browser runs. Both round identically: a
// multiply-add is a rounded multiply followed by a rounded add (wasm SIMD of this Emscripten has
// no FMA; natively -ffp-contract=off keeps the compiler from fusing them).
#pragma once

#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace cnn::simd4 {

#if defined(__wasm_simd128__)

using f32x4 = v128_t;

inline f32x4 zero() { return wasm_f32x4_splat(0.0f); }
inline f32x4 load(const float* p) { return wasm_v128_load(p); }                  // unaligned
inline void store(float* p, f32x4 v) { wasm_v128_store(p, v); }                 // unaligned
inline f32x4 broadcast(const float* p) { return wasm_v128_load32_splat(p); }     // *p in all lanes
inline f32x4 mul_add(f32x4 acc, f32x4 a, f32x4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
// 0 < v ? v : 0, lane-wise (pmax maps to one maxps on x86; NaN and -0 give +0).
inline f32x4 relu(f32x4 v) { return wasm_f32x4_pmax(zero(), v); }
// Whether n floats at a and b have the same bits (memcmp is a byte loop in Emscripten's libc).
inline bool same_bits(const float* a, const float* b, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4)
        if (wasm_v128_any_true(wasm_v128_xor(load(a + i), load(b + i)))) return false;
    return std::memcmp(a + i, b + i, sizeof(float) * (n - i)) == 0;
}

#else

typedef float f32x4 __attribute__((vector_size(16)));

inline f32x4 zero() { return f32x4{0.0f, 0.0f, 0.0f, 0.0f}; }
inline f32x4 load(const float* p) {
    f32x4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, f32x4 v) { std::memcpy(p, &v, sizeof v); }
inline f32x4 broadcast(const float* p) { return f32x4{*p, *p, *p, *p}; }
inline f32x4 mul_add(f32x4 acc, f32x4 a, f32x4 b) { return acc + a * b; }
inline f32x4 relu(f32x4 v) {
    f32x4 r;
    for (int i = 0; i < 4; ++i) r[i] = 0.0f < v[i] ? v[i] : 0.0f;
    return r;
}
inline bool same_bits(const float* a, const float* b, int n) {
    return std::memcmp(a, b, sizeof(float) * n) == 0;
}

#endif

}  // namespace cnn::simd4
