// The metadata a trained model is saved with, in one layout for the CLI and the page:
//   what the model is: format, version, spec, preprocessing, input_shape, classes, parameters, layers;
//   how it was trained: seed and "training" (the settings, sample counts, augmentation, schedule);
//   how the run went: epochs_run, best_epoch, weights_from_epoch, stopped_early, cancelled,
//     best_val_loss, best_val_accuracy, images_per_second; for weight-averaged runs
//     averaged_epochs [first, last], averaged_val_loss, averaged_val_accuracy (weights_from_epoch null);
//   its test results: test_accuracy, test_loss, test_images (null until measured).
// Each writer adds its own context: the CLI its command line, date and data files; the page its
// options and the epoch history it charts.
#pragma once

#include <nlohmann/json.hpp>

#include "cnn/image/input_preprocessing.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/model.hpp"
#include "cnn/training/trainer.hpp"

namespace cnn {

// Everything known before training starts.
nlohmann::json training_manifest(Model& model, const TrainOptions& options, InputPreprocessing input,
                                 int train_samples, int validation_samples);

// How the run went (the model holds the best epoch's weights when restore_best).
void add_run_results(nlohmann::json& manifest, const History& history, bool restore_best);

// The model's test-set evaluation.
void add_test_results(nlohmann::json& manifest, const Evaluation& test);

}  // namespace cnn
