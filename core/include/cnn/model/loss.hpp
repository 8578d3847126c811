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
// soft_targets (n x k probabilities, e.g. teachers' predictions for distillation), when given,
// take the weight soft_weight in the target: q = (1 - w) * smoothed one-hot + w * soft. The loss
// is the cross-entropy against q, so it does not fall to zero when q is not one-hot.
LossResult softmax_cross_entropy(const Tensor& logits, const std::uint8_t* labels, Tensor* dlogits,
                                 float label_smoothing = 0.0f, const float* soft_targets = nullptr,
                                 float soft_weight = 0.0f);

// Numerically stable softmax of one row of k logits.
void softmax(const float* logits, int k, float* probs);

// Index of the largest of k values (first on ties).
int argmax(const float* v, int k);

}  // namespace cnn
