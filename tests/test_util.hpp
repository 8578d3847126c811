// Helpers shared by the unit tests: random tensors, a finite-difference gradient check used by
// every layer, and small synthetic data sets.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/layers/layer.hpp"
#include "cnn/model/model.hpp"

namespace cnn_test {

// Fills t with uniform values in [lo, hi) whose magnitude is at least `min_abs` (keeps inputs
// away from the ReLU kink) and that are pairwise distinct enough to avoid max-pool ties.
void fill_random(cnn::Tensor& t, cnn::Rng& rng, float lo = -1.0f, float hi = 1.0f, float min_abs = 0.0f);

struct GradCheckResult {
    double max_input_error = 0;  // max relative error over checked input elements
    double max_param_error = 0;  // max relative error over checked parameter elements
    int checked = 0;
};

// Compares the layer's analytic gradients of L = sum(r * y) (r random) with central finite
// differences in x and in every parameter. The layer must already be built for x's shape.
// Up to `max_checks` elements of each tensor are checked. Stochastic layers get the same
// random stream for every forward. frozen_statistics: as Context::frozen_statistics.
GradCheckResult grad_check(cnn::Layer& layer, cnn::Tensor x, std::uint64_t seed = 7, int max_checks = 60,
                           float h = 1e-2f, bool check_input = true, bool frozen_statistics = false);

struct ModelGradCheckResult {
    double max_error = 0;  // max relative error over checked parameter elements
    std::string worst;     // "conv1.kernel[5]: analytic 0.0123, numeric 0.0121"
    int checked = 0;
    int skipped = 0;  // elements whose finite differences are not smooth (a kink within h)
};

// Compares a whole model's parameter gradients (Model::backward of the mean softmax
// cross-entropy on x and labels) with central finite differences, in Train mode with the random
// stream restarted for every forward, so that dropout keeps one mask. Up to `max_checks` elements
// of each trainable tensor are checked. An element whose difference quotients with h and h / 2
// disagree by more than 2% has a ReLU or max-pool kink within h: it is counted in `skipped`,
// not compared.
ModelGradCheckResult grad_check_model(cnn::Model& model, const cnn::Tensor& x, const std::vector<std::uint8_t>& labels,
                                      std::uint64_t seed = 7, int max_checks = 40, float h = 1e-2f);

// A small synthetic labelled image set: class k is a bright bar at orientation k (plus noise),
// easy enough to learn in a few epochs.
cnn::Dataset synthetic_bars(int n, int classes, std::uint64_t seed, int side = 12);

// n 28x28 byte-held digits, class k a vertical bar at column 4 + 2k (learnt in an epoch or two),
// labelled (k + label_shift) % 10: a shift makes every label wrong.
cnn::Dataset column_bars(int n, int label_shift = 0);

// REQUIREs a[i] == b[i] within an absolute margin tol for every i < n, naming the element.
void require_close(const float* a, const float* b, std::size_t n, float tol);

// data as one gzip member (zlib at the given compression level), for the gzip reader's tests.
std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& data, int level = 6);

// Path of the real MNIST file `name` in data/mnist, or "" if it is not there.
std::string mnist_path(const std::string& name);

// True when the environment says this is a CI run (CI set to anything but "", "0" or "false").
bool in_ci();

// For a test that needs data the machine may not have (MNIST, a Debian font package): outside CI
// a warning that the test is skipped; in CI (in_ci()) a failure, so that a missing download or
// package cannot pass unnoticed. The caller returns after it.
void missing_data(const std::string& what);

}  // namespace cnn_test
