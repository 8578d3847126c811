// cnn/training/: the training loop (this file), optimizers, learning-rate schedules,
// augmentation and fine-tuning to one person's handwriting.
//
// The training loop, like Keras fit: shuffle per epoch, mini-batches, validation, early stopping
// on val_loss with restore-best, save-best checkpoint, per-epoch history, a per-batch progress
// callback and cancellation between batches.
//
// Trainer is a resumable state machine so that a browser worker can run a few batches at a time
// and stay responsive; fit() runs it to the end.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/model/model.hpp"
#include "cnn/training/augment.hpp"
#include "cnn/training/lr_schedule.hpp"
#include "cnn/training/optimizer.hpp"

namespace cnn {

struct TrainOptions {
    int epochs = 20;
    int batch_size = 64;
    double validation_split = 0.1;  // used when no validation set is given
    int patience = 5;               // epochs without val_loss improvement; 0 disables
    bool restore_best = true;       // end with the weights of the best val_loss epoch
    std::uint64_t seed = 1;         // shuffling, dropout and augmentation
    std::string optimizer = "adam";
    float learning_rate = 1e-3f;
    float momentum = 0.9f;          // sgd only
    float label_smoothing = 0.0f;
    LrSchedule lr_schedule;         // per-batch rate from learning_rate (default: constant)
    bool augment_enabled = false;   // distort every training image afresh (never validation)
    AugmentOptions augment;         // used when augment_enabled
    // Distillation: with teachers (models of the same input and classes; read, never changed),
    // each batch's target mixes in the teachers' mean probabilities on that same (augmented)
    // batch with weight distill_weight in [0, 1] (loss.hpp). Validation stays on the labels.
    std::vector<Model*> teachers;
    float distill_weight = 0.0f;
    // Weight averaging (Polyak averaging of epochs; "stochastic weight averaging" when the learning
    // rate stays up): from this 1-based epoch on, the weights at each epoch end join a running
    // mean, and the run ends with that mean, its batch norm statistics recomputed over the training
    // data (recompute_batchnorm_statistics). 0 = off. Needs restore_best == false.
    int average_from = 0;
    std::string checkpoint_path;    // if set, the best model is saved here (atomically)
    std::string checkpoint_metadata = "{}";
};

struct EpochStats {
    int epoch = 0;  // 1-based
    double loss = 0, accuracy = 0;
    double val_loss = 0, val_accuracy = 0;
    bool has_validation = false;
    double seconds = 0;
    double images_per_second = 0;
    bool improved = false;  // best val_loss so far
};

struct Progress {
    int epoch = 0, epochs = 0;    // 1-based epoch
    int batch = 0, batches = 0;   // 1-based batch within the epoch
    double loss = 0, accuracy = 0;  // running means over the epoch so far
    double images_per_second = 0;
    double elapsed_seconds = 0;     // since the epoch started
    double eta_seconds = 0;         // for the rest of the epoch
};

// The model a weight-averaged run ends with (TrainOptions::average_from).
struct AveragedModel {
    int first_epoch = 0, last_epoch = 0;  // 1-based epochs averaged; 0 if none
    double val_loss = 0, val_accuracy = 0;
    bool has_validation = false;
};

struct History {
    std::vector<EpochStats> epochs;
    int best_epoch = 0;  // 1-based; 0 if none
    bool stopped_early = false;
    bool cancelled = false;
    AveragedModel averaged;  // filled when the run ends with averaged weights
};

// Where a run is: the loop's position, the epoch's running sums, the history and the
// early-stopping state. A Trainer keeps exactly one of these, so saving and continuing a run copy
// it whole.
struct TrainingProgress {
    int epoch = 0;           // 0-based current epoch
    int batch = 0;           // next batch within it
    bool in_epoch = false;
    std::vector<int> order;  // the epoch's shuffled sample order (empty between epochs)
    double loss_sum = 0;     // running sums of the epoch so far (0 between epochs)
    long long correct = 0, seen = 0;
    History history;
    std::vector<float> best_values;  // restore-best weights (empty if none yet)
    double best_val_loss = std::numeric_limits<double>::infinity();
    int wait = 0;  // epochs without improvement
    std::vector<float> average_values;  // running mean of the weights at epoch ends (weight averaging)
    int averaged = 0;                   // epochs in it
};

// Everything a Trainer needs to continue a run exactly where it stopped, besides the model's
// weights: Trainer::state() and restore(); checkpoint.hpp keeps both in one file.
struct TrainerState {
    // What the run depends on, as (name, value) text: options, data sizes and checksums. A run
    // continues only a state whose settings equal its own; check_resumable() names the first difference.
    std::vector<std::pair<std::string, std::string>> settings;
    TrainingProgress progress;
    Rng::State rng{};
    std::string optimizer;
    double learning_rate = 0;
    std::vector<double> optimizer_state;  // Optimizer::state()
    double epoch_seconds = 0;             // time spent in the current epoch so far
};

// The run a saved state is to continue: what check_resumable() compares the state against.
struct RunFacts {
    std::vector<std::pair<std::string, std::string>> settings;
    int samples = 0;     // training samples
    int batch_size = 1;
    std::size_t params = 0;  // the model's parameter count
    std::string optimizer;
};

// Throws CheckpointError unless `state` was saved by a run with these facts and is consistent in
// itself (positions in range, the order a permutation, counts that match): a hostile or corrupt
// file must not index out of bounds. Checks the optimizer state's length only through restore().
void check_resumable(const TrainerState& state, const RunFacts& run);

struct TrainCallbacks {
    std::function<void(const Progress&)> on_batch;
    std::function<void(const EpochStats&)> on_epoch;
};

class Trainer {
public:
    // With validation == nullptr the last options.validation_split of `train` is held out.
    // The datasets must outlive the trainer. Throws Error before any training if the options,
    // the data or the model's output (check_model_output) do not fit, or if
    // options.checkpoint_path cannot be written (check_writable).
    Trainer(Model& model, const Dataset& train, const Dataset* validation, TrainOptions options,
            ThreadPool* pool = nullptr);
    ~Trainer();

    // Runs up to max_batches batches (ending epochs and validating as they complete).
    void run(int max_batches, const TrainCallbacks& callbacks = {});
    // Stop before the next batch; restore-best still applies.
    void cancel();
    bool done() const { return done_; }
    const History& history() const { return at_.history; }

    // The run's state between batches, to continue it later (with the model's weights).
    TrainerState state() const;
    // Continues from a state made by state() of a run with the same options and data; afterwards
    // run() goes on exactly as the original would have. The model must hold the weights saved
    // with the state. Throws CheckpointError (from check_resumable()) naming the first difference or
    // inconsistency, before changing anything.
    void restore(const TrainerState& s);
    const Dataset& train_set() const { return *train_; }
    const Dataset* validation_set() const { return val_; }

private:
    void begin_epoch();
    void end_epoch(const TrainCallbacks& cb);
    void finish();
    const float* teacher_targets(int count);
    std::vector<std::pair<std::string, std::string>> settings() const;

    Model& model_;
    TrainOptions opt_;
    ThreadPool* pool_;
    Dataset train_split_, val_split_;
    const Dataset* train_;
    const Dataset* val_;
    std::unique_ptr<Optimizer> optimizer_;
    Rng rng_;
    TrainingProgress at_;
    Tensor x_;
    Tensor dlogits_;
    std::vector<float> soft_;       // the teachers' mean probabilities for the batch
    std::vector<float> soft_row_;   // one teacher's probabilities for one sample
    std::string teachers_desc_;     // the teachers' specs and parameter CRCs, taken at construction
    std::vector<std::uint8_t> y_;
    double epoch_start_ = 0;
    bool done_ = false;
    mutable std::string data_checksums_;  // of train and validation data, computed on first use
};

// Throws Error unless the model outputs one score per class: a vector of exactly `classes`
// values (e.g. a model ending in conv maps, or in 'dense 5' for 10 classes, is refused, and the
// message says what to end the spec with). Trainer's constructor calls it with the data's class
// count; front ends may call it earlier.
void check_model_output(const Model& model, int classes);

// Sets every batch norm layer's moving statistics to the mean of its batch statistics over one
// pass of `data` (in order, batches of batch_size, training mode; augmented as in training when
// `augment` is given; `rng` drives augmentation and dropout). Weights averaged over epochs need
// this: the moving statistics kept during training belong to no single one of the averaged sets.
// Other layers' parameters are left unchanged; a model without batch norm is not touched.
void recompute_batchnorm_statistics(Model& model, const Dataset& data, int batch_size, const AugmentOptions* augment,
                                    Rng& rng, ThreadPool* pool = nullptr);

// Runs a Trainer to the end.
History fit(Model& model, const Dataset& train, const Dataset* validation,
            const TrainOptions& options, ThreadPool* pool = nullptr,
            const TrainCallbacks& callbacks = {});

// Seconds on a monotonic clock.
double now_seconds();

}  // namespace cnn
