// What several subcommands share: default data paths, option helpers, file naming, warnings.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cnn/base/dataset.hpp"
#include "cnn/model/loaded_model.hpp"
#include "cnn/model/model.hpp"

namespace tools {

// Relative to the working directory, where scripts/get-mnist.sh puts them.
extern const char* const kTrainImages;
extern const char* const kTrainLabels;
extern const char* const kTestImages;
extern const char* const kTestLabels;

// --threads N (at least 1), for commands that run the model on many images.
CLI::Option* add_threads_option(CLI::App* app, int& threads);

// Loads an IDX image/label pair; a missing file gets a hint on how to obtain MNIST.
cnn::Dataset load_dataset(const std::string& images, const std::string& labels, int classes = 10,
                          cnn::PixelStorage storage = cnn::PixelStorage::Floats);

// Loads a weights file (spec + parameters), or an ONNX model (*.onnx); metadata may be null.
cnn::Model load_model(const std::string& path, std::string* metadata = nullptr);

// The same with its metadata read (cnn::LoadedModel: input preprocessing, reject rule); an error
// in the metadata names the file, since guessing would feed the model inputs it never saw.
cnn::LoadedModel open_model(const std::string& path);

// A file next to `path` named after it without its extension:
// ("weights/seed.dcnn", ".history.json") -> "weights/seed.history.json".
std::string sibling_path(const std::string& path, const std::string& suffix);

// Creates the directory that will hold `path`, if needed; throws cnn::Error on failure.
void ensure_parent_directory(const std::string& path);

bool file_exists(const std::string& path);

// "digit-cnn: warning: ..." on stderr.
void warn(const std::string& message);

}  // namespace tools
