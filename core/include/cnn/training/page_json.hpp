// The page's side of training in JSON, in its camelCase names: the options it sends in (checked
// here, once, so that the page and the bindings need not) and the reports it gets back.
#pragma once

#include <string>

#include "cnn/training/finetune.hpp"
#include "cnn/training/trainer.hpp"
#include "cnn/training/workbench.hpp"

namespace cnn {

// {spec, seed, epochs, batchSize, learningRate, trainSize, validationSplit, patience, augment,
// lrSchedule, labelSmoothing}; an absent field keeps the page's default (the seed spec, 1 epoch,
// Keras' batch 64, learning rate 1e-3, patience 5, 10% validation, no augmentation, constant rate).
// Throws Error naming an unknown option, or one that is null (NaN or Infinity in JavaScript) or of
// the wrong type; the ranges are checked where they are used (the trainer, split_first).
RunSettings run_settings_from_json(const std::string& json);

// {steps, batchSize, examplesPerBatch, learningRate, augment, seed}; absent: FineTuneOptions'
// defaults. Same errors as run_settings_from_json; then validate(FineTuneOptions).
FineTuneOptions fine_tune_options_from_json(const std::string& json);

// JSON text of {epoch, loss, accuracy, hasValidation, valLoss, valAccuracy, seconds,
// imagesPerSecond, improved}.
std::string epoch_json(const EpochStats& s);
// {epoch, epochs, batch, batches, loss, accuracy, imagesPerSecond, elapsedSeconds, etaSeconds}.
std::string progress_json(const Progress& p);
// {steps, cancelled, seconds, firstLoss, lastLoss, rightBefore, rightAfter, examples, settings}.
std::string fine_tune_json(const FineTuneResult& r, int examples, const FineTuneOptions& options);

}  // namespace cnn
