// Shifts of writing style applied to an existing digit image, each ending in the page's
// preprocessing (so the result is what the network would see had someone drawn it that way).
// Used to build robustness test sets and as training augmentations.
#pragma once

#include "cnn/base/rng.hpp"
#include "cnn/image/preprocess.hpp"

namespace cnn {

// The digit (w x h ink, row-major, 1 = ink) slanted by `shear` (x += shear * height above centre; tan of
// the slant angle, positive leans right), on a canvas big enough to keep all of it, preprocessed
// again to size x size. Throws Error for |shear| > 3 or a bad image size.
Preprocessed slant_digit(const float* pixels, int w, int h, float shear, int size = 28);

// The digit with a stray mark near it, as a slip of the pen leaves: a dot or a short stroke 1.5-5
// pixels (at 28x28 scale) outside the digit's box, on a random side; then preprocessed again (the
// mark is part of the drawing, so it shrinks and moves the digit as it would on the page).
Preprocessed add_stray_mark(const float* pixels, int w, int h, Rng& rng, int size = 28);

}  // namespace cnn
