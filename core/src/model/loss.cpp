#include "cnn/model/loss.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"

namespace cnn {

void softmax(const float* logits, int k, float* probs) {
    const float m = *std::max_element(logits, logits + k);
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += std::exp(double(logits[j] - m));
    for (int j = 0; j < k; ++j) probs[j] = float(std::exp(double(logits[j] - m)) / sum);
}

int argmax(const float* v, int k) { return int(std::max_element(v, v + k) - v); }

LossResult softmax_cross_entropy(const Tensor& logits, const std::uint8_t* labels, Tensor* dlogits,
                                 float label_smoothing, const float* soft_targets, float soft_weight) {
    const int n = logits.n();
    const int k = int(logits.sample_size());
    if (dlogits) dlogits->resize(n, logits.shape());
    LossResult r;
    double total = 0;
    const double w = soft_targets ? double(soft_weight) : 0.0;
    const double off = (1.0 - w) * double(label_smoothing) / k;
    const double on = (1.0 - w) * (1.0 - label_smoothing) + off;
    for (int s = 0; s < n; ++s) {
        const float* z = logits.sample(s);
        const int label = labels[s];
        if (label >= k) throw Error("label " + std::to_string(label) + " out of range for " + std::to_string(k) + " classes");
        // log softmax via log-sum-exp: never exp of a large positive number.
        const float m = *std::max_element(z, z + k);
        double sum = 0;
        for (int j = 0; j < k; ++j) sum += std::exp(double(z[j] - m));
        const double log_sum = std::log(sum) + m;
        double loss = 0;
        for (int j = 0; j < k; ++j) {
            double target = j == label ? on : off;
            if (w > 0) target += w * double(soft_targets[std::size_t(s) * std::size_t(k) + std::size_t(j)]);
            if (target > 0) loss -= target * (double(z[j]) - log_sum);
            if (dlogits)
                dlogits->sample(s)[j] = float((std::exp(double(z[j]) - log_sum) - target) / n);
        }
        total += loss;
        if (argmax(z, k) == label) ++r.correct;
    }
    r.loss = n > 0 ? total / n : 0.0;
    return r;
}

}  // namespace cnn
