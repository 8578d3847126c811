// The fine-tuning settings as command-line options, shared by `finetune` and `finetune-bench`, and
// the MNIST training digits both replay.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cnn/base/dataset.hpp"
#include "cnn/training/finetune.hpp"

namespace tools {

// --steps, --batch, --examples-per-batch, --lr, --no-augment, --seed.
void add_finetune_options(CLI::App* app, cnn::FineTuneOptions& o);

// The part of MNIST's training file that training sees (its first 90%: the last 10% is the
// validation split), as bytes, for replay.
cnn::Dataset load_replay(const std::string& images, const std::string& labels, int classes = 10);

}  // namespace tools
