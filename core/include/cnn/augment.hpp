// Data augmentation: random label-preserving distortions of training images, drawn fresh for every
// sample of every batch. An affine part (rotation, scale, shear, shift about the image centre) and
// an optional elastic part (Simard, Steinkraus & Platt 2003: a random displacement field smoothed
// by a Gaussian and scaled by alpha). Images are resampled bilinearly with zeros outside, so pixels
// in [0, 1] stay in [0, 1]. The RNG is passed in: the same images natively and in wasm.
#pragma once

#include <string>
#include <vector>

#include "cnn/parallel.hpp"
#include "cnn/rng.hpp"
#include "cnn/tensor.hpp"

namespace cnn {

// Ranges of the random distortions; each is drawn uniformly from its range. A zero range turns
// that distortion off; all zero (and alpha 0) is the identity. The defaults suit MNIST digits.
struct AugmentOptions {
    float rotation = 12.0f;      // degrees, in [-rotation, rotation]
    float scale = 0.1f;          // zoom factor in [1 - scale, 1 + scale] (same on both axes)
    float shear = 0.25f;         // horizontal shear x += k * y, k in [-shear, shear]
    float shift = 2.5f;          // translation in pixels, each axis in [-shift, shift]
    float elastic_alpha = 0.0f;  // elastic displacement scale in pixels; 0 = no elastic part
    float elastic_sigma = 4.0f;  // Gaussian smoothing of the displacement field, in pixels
};

// Throws Error naming the first option out of range (negative ranges, scale >= 1, sigma <= 0).
void validate(const AugmentOptions& o);

// One line for manifests and checkpoint settings, each value in the shortest text that reads back
// exactly: "rotation 12, scale 0.1, shear 0.25, shift 2.5, elastic alpha 0 sigma 4".
std::string describe(const AugmentOptions& o);

// Maps input to output positions, in pixel-index coordinates about the image centre
// c = ((w - 1) / 2, (h - 1) / 2):  out = m * (in - c) + c + t,  m = {m00, m01, m10, m11}.
struct AffineTransform {
    float m[4] = {1.0f, 0.0f, 0.0f, 1.0f};
    float tx = 0.0f, ty = 0.0f;
    float determinant() const { return m[0] * m[3] - m[1] * m[2]; }
};

// Draws rotation, scale, shear and shift, always consuming the same number of random values
// (so that changing one range does not change the others' draws).
AffineTransform random_affine(const AugmentOptions& o, Rng& rng);

// An elastic displacement field for an h x w image: dx and dy (h*w each, row-major) filled with
// uniform noise in [-1, 1], smoothed by a Gaussian of `sigma` pixels (zero beyond the border)
// and multiplied by `alpha`.
void elastic_field(int h, int w, float alpha, float sigma, Rng& rng, std::vector<float>& dx,
                   std::vector<float>& dy);

// Resamples one image (h*w*c, NHWC) through the transform: out(p) = in(a^-1(p + d(p))) with
// bilinear interpolation, zero outside; d is the optional displacement field (dx, dy null: none).
// `in` and `out` must not overlap.
void warp_image(const float* in, float* out, const Shape& shape, const AffineTransform& a,
                const float* dx = nullptr, const float* dy = nullptr);

// One random distortion of one image (affine, then elastic if elastic_alpha > 0).
void augment_image(const float* in, float* out, const Shape& shape, const AugmentOptions& o, Rng& rng);

// Distorts every sample of a batch in place. Each sample gets its own generator, seeded from `rng`
// in sample order, so the result depends on the seed only, never on the thread count.
void augment_batch(Tensor& x, const AugmentOptions& o, Rng& rng, ThreadPool* pool = nullptr);

}  // namespace cnn
