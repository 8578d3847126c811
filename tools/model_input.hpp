// What an input goes through before a model sees it, shared by predict and evaluate: the
// --cleanup choice for image files, and the input preprocessing a weights file records.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cnn/image/input_preprocessing.hpp"
#include "image_io.hpp"

namespace tools {

// --cleanup photo|plain for commands that read image files.
CLI::Option* add_cleanup_option(CLI::App* app, Cleanup& cleanup);

// The weights' "preprocessing" metadata; an unknown or malformed value is an error that names the
// weights file, since guessing would feed the model inputs it was never trained on.
cnn::InputPreprocessing input_preprocessing_of(const std::string& weights_path, const std::string& metadata);

}  // namespace tools
