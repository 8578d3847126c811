// Photos and scans of a digit written on paper -> ink for preprocess_digit.
//
// A photo is not a canvas: the paper is grey and unevenly lit, the ink may be dark on light paper
// or light on a dark board, the camera adds noise, and there are specks of dirt. ink_from_photo
// undoes these before the MNIST steps (crop, 20x20, centre by mass), so that the network sees the
// digit and nothing else. Both front ends (CLI and page) call it, so they agree on every photo.
#pragma once

#include <cstdint>

#include "cnn/image/preprocess.hpp"

namespace cnn {

struct PhotoOptions {
    int max_side = 400;           // larger photos are area-averaged down first; a digit needs no more
    int grid = 16;                // blocks along the longer side for the background estimate
    float min_contrast = 0.12f;   // ink must stand this far above the paper (0..1) or there is none
    float keep_fraction = 0.08f;  // pieces smaller than this fraction of the digit's largest are dirt
};

// What ink_from_photo found, for display and tests.
struct PhotoInk {
    GrayImage ink;               // 1 = ink, 0 = paper; at most max_side pixels a side
    bool empty = true;           // nothing stood out from the paper: "no digit", never a guess
    bool dark_on_light = true;   // dark ink on light paper (else light ink on a dark ground)
    float threshold = 0.0f;      // Otsu level on the illumination-normalised ink
    int components_kept = 0;     // connected pieces of ink kept as the digit
    int components_dropped = 0;  // specks, frame edges and other pieces dropped
};

// Luminance in [0, 1] (1 = white) of RGBA pixels, with transparent pixels composited onto white
// paper. The result is a GrayImage whose values are brightness, not ink.
GrayImage luminance_from_rgba(const std::uint8_t* rgba, int width, int height);

// Whether the ink is darker than its surroundings: decided by which side of the local background
// level has the heavier tail (ink is the minority that departs from the paper), so that dark paper
// or a small bright digit on a large dark board are both read right.
bool is_dark_on_light(const GrayImage& luminance);

// Clean digital pictures (exported drawings, MNIST-style images): polarity from the mean
// luminance (> 0.5 = dark ink on light paper), then the median (the background, as a digit
// covers well under half of a picture) is taken as zero ink. Grey levels are kept as they are.
GrayImage ink_from_gray(const GrayImage& luminance, bool* dark_on_light = nullptr);

// Photos and scans: automatic polarity, illumination normalisation (division by, or subtraction
// of, a smooth estimate of the paper from block percentiles), Otsu's threshold to find the ink,
// removal of small or far-away connected components and of pieces cut by the photo's edge, then
// a soft threshold around the Otsu level that keeps the strokes' anti-aliased edges.
PhotoInk ink_from_photo(const GrayImage& luminance, const PhotoOptions& options = {});

// A photo's digit: ink_from_photo, then preprocess_digit as for a drawing (an empty digit when
// nothing stood out from the paper).
struct PhotoDigit {
    PhotoInk ink;
    Preprocessed digit;
};
PhotoDigit preprocess_photo(const GrayImage& luminance);

}  // namespace cnn
