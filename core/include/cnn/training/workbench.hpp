// What one user of the page works on, held by core so that the bindings only marshal: the model
// being served, the MNIST data loaded for training, a training run and its manifest, and the rules
// that tie them together (a new model or new data ends the run; threads change and adapting starts
// only between runs; each step names what is missing when it is called too early).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnn/base/dataset.hpp"
#include "cnn/base/parallel.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/model/loaded_model.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/finetune.hpp"
#include "cnn/training/trainer.hpp"

namespace cnn {

// A training run's settings as the page gives them: the trainer's options plus the model to start
// from and how much of the training data to use.
struct RunSettings {
    std::string spec;           // the fresh model's spec (ignored when resuming a checkpoint)
    int train_size = 0;         // the first train_size training images (0: all), then split
    TrainOptions options;
};

class Workbench {
public:
    // The seed model, untrained; no data; one thread.
    Workbench();
    ~Workbench();

    LoadedModel& model() { return model_; }
    const LoadedModel& model() const { return model_; }
    // Serves `m` from now on; ends any training run.
    void replace_model(LoadedModel m);
    // A weights or ONNX file that reads digits (require_digit_model) replaces the model; otherwise
    // throws core's message and keeps the current one.
    void load_model(const std::uint8_t* data, std::size_t size);

    // Threads for inference, training and evaluation (below 1: 1). Throws while a run is in
    // progress. Returns the count in use.
    int set_threads(int n);
    int threads() const { return pool_ ? pool_->threads() : 1; }
    ThreadPool* pool() const { return pool_.get(); }

    // The MNIST training and test sets (any earlier run ends).
    void set_data(Dataset train, Dataset test);
    // "train" or "test"; throws if no data is loaded or the name is neither.
    const Dataset& data(const std::string& which) const;

    // Starts a run on a fresh model from settings.spec, or continues the checkpoint's run (same
    // settings, same data: the trainer checks). `trained` says where, for the manifest.
    // Throws core's message (split_first, Model::from_spec, Trainer, Trainer::restore) for settings
    // that do not fit; the model served and the previous run (its history and manifest) then stay.
    void start(const RunSettings& settings, const std::string& trained, Checkpoint* resumed = nullptr);
    bool has_run() const { return run_ != nullptr; }
    bool running() const;  // a run was started and has not ended
    // The run's trainer (throws if no run was started).
    Trainer& trainer() const;
    const Dataset& train_split() const;
    const Dataset& validation_split() const;
    // The run's model and trainer state in core's checkpoint format.
    std::vector<std::uint8_t> checkpoint();
    // The run's manifest (training/manifest.hpp) with its results so far, as JSON text.
    std::string training_metadata() const;

    // The model on the test set; after a run, its figures go into the run's manifest.
    Evaluation evaluate_test();

    // Drawings that are not a digit (label 10, as 'digit-cnn reject --write' makes them), replayed
    // at options.negatives_per_batch of each batch when a model with an eleventh output is adapted.
    // Replaces any given before; kept across models and data.
    void set_negatives(Dataset negatives);
    int negatives_count() const { return negatives_.n; }

    // Fine-tunes the model on `mine` (the user's examples, as the model saw them) mixed with the
    // training data as replay, and with the negatives when options.negatives_per_batch > 0 (throws
    // if none were given). Throws while a run is in progress.
    FineTuneResult fine_tune(const Dataset& mine, const FineTuneOptions& options,
                             const FineTuneProgress& progress = {});

private:
    struct Data {
        Dataset train, test;
    };
    // The trainer refers to the split and the options, so they live together.
    struct Run {
        Dataset train, validation;
        TrainOptions options;
        nlohmann::json manifest;
        std::unique_ptr<Trainer> trainer;
    };
    Run& run() const;

    std::unique_ptr<ThreadPool> pool_;  // declared first: the trainer may use it to the end
    LoadedModel model_;
    std::unique_ptr<Data> data_;
    Dataset negatives_;
    std::unique_ptr<Run> run_;
};

}  // namespace cnn
