// Moment-based deskewing, the classic MNIST trick: shear each image horizontally so that its ink
// has no slant, i.e. the second-order moment cov(x, y) / var(y) becomes 0. A model trained on
// deskewed images must see deskewed inputs too (see input_preprocessing.hpp).
#pragma once

#include <vector>

namespace cnn {

// Intensity-weighted moments of an image (row-major, width * height, pixel centres at integer
// coordinates, negative values and NaN count as no mass).
struct Moments {
    double mass = 0;        // sum of the pixel values
    double cx = 0, cy = 0;  // centre of mass
    double var_x = 0, var_y = 0, cov_xy = 0;
};

Moments image_moments(const float* pixels, int width, int height);

// The slant as x-shift per row going down: cov(x, y) / var(y); 0 for an empty or one-row image.
double skew(const float* pixels, int width, int height);

// Shears rows horizontally about the centre of mass so that the skew becomes 0, sampling
// linearly between pixels (zeros outside). The shear is limited to +-max_shear (1 = 45 degrees),
// since stronger slants are not handwriting but a lying digit. Images without mass are returned
// unchanged. Output has the input's size.
std::vector<float> deskew(const float* pixels, int width, int height, double max_shear = 1.0);

}  // namespace cnn
