// Evaluation: loss, accuracy, confusion matrix and per-class accuracy.
#pragma once

#include <cstdint>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/model/model.hpp"

namespace cnn {

struct Evaluation {
    int n = 0;
    int classes = 0;
    double loss = 0;
    double accuracy = 0;
    std::vector<int> confusion;    // classes x classes, [true * classes + predicted]
    std::vector<int> predictions;  // per sample
    std::vector<float> logits;     // n x classes, the model's outputs per sample

    int count(int truth, int predicted) const { return confusion[truth * classes + predicted]; }
    // Fraction of samples of class c predicted correctly (0 if there are none).
    double class_accuracy(int c) const;
    // Indices of the samples whose prediction is not their label (labels: the evaluated data's).
    std::vector<int> misclassified(const std::vector<std::uint8_t>& labels) const;
};

// Scores rows of logits (n x classes: a model's outputs, or an ensemble's log mean probabilities)
// against n labels: predictions (argmax), confusion, accuracy and mean cross-entropy of the softmax.
// Throws Error if the sizes disagree or a label is not below `classes`.
Evaluation score_logits(std::vector<float> logits, int classes, const std::vector<std::uint8_t>& labels);

// Inference-mode evaluation in chunks of `batch` samples (64, the training batch size: the layers
// keep buffers sized for the largest batch they saw, and 256 would quadruple them).
Evaluation evaluate(Model& model, const Dataset& data, ThreadPool* pool = nullptr,
                    int batch = 64);

}  // namespace cnn
