// Data augmentation: random label-preserving distortions of training images, drawn fresh for every
// sample of every batch. An affine part (rotation, scale, shear, shift about the image centre) and
// an optional elastic part (Simard, Steinkraus & Platt 2003: a random displacement field smoothed
// by a Gaussian and scaled by alpha). Images are resampled bilinearly with zeros outside, so pixels
// in [0, 1] stay in [0, 1]. The RNG is passed in: the same images natively and in wasm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/base/parallel.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/base/tensor.hpp"

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
    // Writing-style shifts, applied before the affine part; all off by default.
    float redraw = 0.0f;  // probability of redrawing the digit from its skeleton with a round pen
    float pen_min = 0.08f, pen_max = 0.18f;  // redraw pen width, fraction of the drawing's size
    float marks = 0.0f;   // probability that a redrawn 0, 1 or 7 gets a slash, flag or bar
    // Probability that a redrawn digit is drawn as the page draws it instead: the page's fixed pen
    // on its pad, the digit 25-90% of the pad (so the pen is 6-20% of the digit: bold when drawn
    // small), through preprocess_drawing, which erodes bold strokes back into MNIST's range.
    float page_pen = 0.0f;
    float stray = 0.0f;   // probability of a stray dot or short stroke next to the digit
    float stroke = 0.0f;  // bolder strokes: dilation by [0, stroke] 3x3 steps (thinner: redraw)
    // Deskew (moment-based, deskew.hpp) every distorted image last, as a "mnist+deskew" model's
    // inputs are deskewed after everything else: it then learns on what it will read.
    bool deskew = false;
};

// Throws Error naming the first option out of range (negative ranges, scale >= 1, sigma <= 0).
void validate(const AugmentOptions& o);

// One line for manifests and checkpoint settings, each value in the shortest text that reads back
// exactly: "rotation 12, scale 0.1, shear 0.25, shift 2.5, elastic alpha 0 sigma 4", followed by
// the style shifts that are on (", redraw 0.3 pen 0.08-0.18, marks 0.5, stray 0.05, stroke 0.8").
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

// One random distortion of one image: the style shifts that are on (redraw with an optional
// convention mark for `label`, stray mark, stroke width; single-channel images only), then the
// affine part, elastic if elastic_alpha > 0, then deskewing if on. label < 0: unknown (no
// convention marks).
void augment_image(const float* in, float* out, const Shape& shape, const AugmentOptions& o, Rng& rng,
                   int label = -1);

// Distorts every sample of a batch in place. Each sample gets its own generator, seeded from `rng`
// in sample order, so the result depends on the seed only, never on the thread count. labels (one
// per sample, optional) let convention marks go to the digits they belong to.
void augment_batch(Tensor& x, const AugmentOptions& o, Rng& rng, ThreadPool* pool = nullptr,
                   const std::uint8_t* labels = nullptr);

}  // namespace cnn
