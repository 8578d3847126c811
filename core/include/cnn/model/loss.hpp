// Softmax + categorical cross-entropy, fused for numerical stability.
#pragma once

#include <cstdint>

#include "cnn/base/tensor.hpp"

namespace cnn {

struct LossResult {
    double loss = 0;  // mean over the batch
    int correct = 0;  // argmax(logits) == label
};

// logits: n x k. If dlogits is non-null it is resized and set to d(mean loss)/d(logits).
// label_smoothing eps mixes the one-hot target with the uniform distribution (Keras semantics).
LossResult softmax_cross_entropy(const Tensor& logits, const std::uint8_t* labels, Tensor* dlogits,
                                 float label_smoothing = 0.0f);

// Numerically stable softmax of one row of k logits.
void softmax(const float* logits, int k, float* probs);

// Index of the largest of k values (first on ties).
int argmax(const float* v, int k);

}  // namespace cnn
