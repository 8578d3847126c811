#include "finetune_flags.hpp"

#include "cli_common.hpp"

namespace tools {

void add_finetune_options(CLI::App* app, cnn::FineTuneOptions& o) {
    app->add_option("--steps", o.steps, "Optimizer steps (one batch each)")->check(CLI::Range(1, 100000))->capture_default_str();
    app->add_option("--batch", o.batch_size, "Batch size")->check(CLI::Range(1, 4096))->capture_default_str();
    app->add_option("--examples-per-batch", o.examples_per_batch,
                    "How many of each batch are your examples (augmented); the rest are replayed MNIST digits")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    app->add_option("--negatives-per-batch", o.negatives_per_batch,
                    "How many of each batch come from the negatives (--negative-images): drawings that are not a "
                    "digit, for a model with an eleventh output")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    app->add_option("--lr", o.learning_rate, "Adam learning rate (cosine decay to 0 over the steps)")->capture_default_str();
    app->add_flag("--no-augment{false}", o.augment_enabled, "Use your examples as they are, undistorted");
    app->add_flag("--batch-statistics{false}", o.frozen_statistics,
                  "Normalise with each mixed batch's statistics while fine-tuning (default: with the base model's, "
                  "as at inference)");
    app->add_flag("--update-statistics{false}", o.keep_statistics,
                  "With --batch-statistics: let batch norm's running statistics follow the mixed batches (default: "
                  "keep the base model's)");
    app->add_option("--replay-distill", o.replay_distill,
                    "Replayed digits learn their labels mixed with the base model's probabilities, with this "
                    "weight (0 = labels only)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option("--blend", o.blend,
                    "End at base + B * (tuned - base): below 1 keeps more of the base model's answers on digits "
                    "you did not correct (1 = the tuned weights as they are)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_flag("--head-only,!--all-layers", o.head_only,
                  "Change only the classifier head (the layers after the last flatten), or every layer");
    app->add_option("--seed", o.seed, "Seed of the batches, augmentation and dropout")->capture_default_str();
}

cnn::Dataset load_replay(const std::string& images, const std::string& labels, int classes) {
    const cnn::Dataset all = load_dataset(images, labels, classes, cnn::PixelStorage::Bytes);
    return cnn::split_validation(all, 0.1).first;
}

}  // namespace tools
