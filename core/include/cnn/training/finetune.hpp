// Teaching a trained model one person's handwriting: a few of their digits (the 28x28 inputs the
// model saw, with the labels they gave) mixed, in every batch, with replayed training digits, so
// the model learns the new hand in seconds without forgetting the old ones.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cnn/base/dataset.hpp"
#include "cnn/model/model.hpp"
#include "cnn/training/augment.hpp"

namespace cnn {

struct FineTuneOptions {
    int steps = 120;             // optimizer steps, one batch each
    int batch_size = 32;
    int examples_per_batch = 4;  // of each batch, the user's examples (augmented); the rest replay
    // Of each batch, drawn from the second replay pool (`negatives`, e.g. drawings that are not a
    // digit, label 10, for a model with an eleventh output): a fixed share, so that what the model
    // must keep rejecting is in every batch whatever the pools' sizes. 0: no second pool.
    int negatives_per_batch = 0;
    float learning_rate = 2e-3f; // Adam, fresh moments, cosine decay to zero over the steps
    bool augment_enabled = true;  // distort the user's examples afresh in every batch
    AugmentOptions augment{8.0f, 0.1f, 0.15f, 2.0f};  // milder than training: a hand varies little
    // Keep the base model's running statistics (batch norm): a few hundred mixed batches would
    // otherwise move them toward the user's examples, which the rest of MNIST then pays for.
    bool keep_statistics = true;
    // Batch norm normalises with the base model's statistics while fine-tuning, exactly as it will
    // at inference (Context::frozen_statistics), instead of with the statistics of each mixed batch,
    // a quarter of which is one person's style: the head then learns on the features it is later
    // read with. The statistics stay as they are either way when this is on.
    bool frozen_statistics = true;
    // The replayed digits' targets mix their labels with the base model's own probabilities for
    // them, with this weight ("learning without forgetting"): what the model must not forget is
    // its answers on them, margins included, not only which class wins. 0: labels only.
    float replay_distill = 0.0f;
    // The adapted model ends as base + blend * (tuned - base): a point on the straight line
    // between the two in weight space, which keeps more of the base's answers on digits the user
    // never corrected than the tuned end does, while the corrections' direction stays. 1: the
    // tuned weights as they are. Statistics are untouched either way. 0.8 was chosen on the
    // validation halves (README, "Teach it your handwriting").
    float blend = 0.8f;
    // Only the classifier head (the layers after the last flatten or global average pool) changes:
    // the features the model learnt from all of MNIST stay as they are, and so does what it
    // reads with them, while the head learns where the user's digits belong.
    bool head_only = true;
    std::uint64_t seed = 1;
};

// Throws Error naming the first option out of range.
void validate(const FineTuneOptions& o);

// Of each batch while a "not a digit" gate adapts beside its reader, drawings that are not digits.
// With none the gate forgets them: its replay holds digits only. 8 of 32 is about their share in
// the gate's own training (robust-nd: 24,000 of 86,000 images); chosen on the validation halves
// (README, "Not a digit").
constexpr int kGateNegativesPerBatch = 8;

// The settings a gate adapts with when its reader adapts with `reader` (the page's "Robust,
// honest", finetune-bench --gate): the same, with kGateNegativesPerBatch negatives per batch and
// no blend toward the base (blend 1): for a gate, the base is what vetoes the style just taught.
// Chosen on the validation halves (finetune-bench --gate, K = 5): blend 1 accepts 9 of 11 taught
// styles at >= 98%, against 6 of 11 with the reader's 0.8, and the rejection targets still hold on
// average over the styles (README, "Not a digit").
FineTuneOptions gate_fine_tune_options(FineTuneOptions reader);

// One line for a model's lineage: "steps 80, batch 32 (8 examples), lr 0.002, augment ..., seed 1".
std::string describe(const FineTuneOptions& o);

struct FineTuneResult {
    int steps = 0;                // steps run (fewer than asked if cancelled)
    bool cancelled = false;
    double seconds = 0;
    double first_loss = 0;        // loss of the first and last batch
    double last_loss = 0;
    int examples_right_before = 0;  // of the user's examples (unaugmented), read right
    int examples_right_after = 0;
};

// Called after every step with (steps done, steps); returning false cancels (the model keeps the
// weights of the steps done, blended toward the base by `blend` as a finished run's are).
using FineTuneProgress = std::function<bool(int step, int steps, double loss)>;

// Fine-tunes `model` in place on `examples` mixed with `replay` (both of the model's input shape,
// labels below its output count; replay may be empty, then every batch is the user's but for the
// negatives). Each batch holds examples_per_batch of the user's, negatives_per_batch of
// `negatives` and the rest replay. Dropout and batch statistics run in training mode.
// Deterministic for a seed, whatever the pool's threads. Throws Error for no examples, a shape or
// label that does not fit, negatives asked for and none given (or given and not asked for), or a
// diverging loss.
FineTuneResult fine_tune(Model& model, const Dataset& examples, const Dataset& replay, const Dataset& negatives,
                         const FineTuneOptions& options, ThreadPool* pool = nullptr,
                         const FineTuneProgress& progress = {});
// The same with no second pool.
FineTuneResult fine_tune(Model& model, const Dataset& examples, const Dataset& replay,
                         const FineTuneOptions& options, ThreadPool* pool = nullptr,
                         const FineTuneProgress& progress = {});

}  // namespace cnn
