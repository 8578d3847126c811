// The input preprocessing a model was trained with, recorded in its weights file's metadata as
// "preprocessing": "mnist" or "mnist+deskew", and applied the same way to every input it sees:
// IDX images as they are read, drawings and photos after preprocess_digit.
#pragma once

#include <string>
#include <vector>

#include "cnn/base/dataset.hpp"

namespace cnn {

enum class InputPreprocessing {
    mnist,         // MNIST's own normalisation only (what IDX files already hold)
    mnist_deskew,  // then moment-based deskewing (deskew.hpp)
};

// "mnist" / "mnist+deskew".
const char* input_preprocessing_name(InputPreprocessing p);

// Parses a name; throws Error naming the known ones for anything else.
InputPreprocessing parse_input_preprocessing(const std::string& name);

// From weights metadata (JSON): its top-level "preprocessing" field; files without one (older or
// hand-made) mean "mnist". Throws Error for malformed metadata or an unknown value, because
// guessing would silently feed the model inputs it never saw.
InputPreprocessing input_preprocessing_from_metadata(const std::string& metadata);

// Applies p to one width x height image in place (after preprocess_digit, or as read from IDX).
void apply_input_preprocessing(InputPreprocessing p, float* pixels, int width, int height);
// Same for a square image given as a vector, e.g. Preprocessed::pixels, with p read from metadata.
void apply_input_preprocessing(const std::string& metadata, std::vector<float>& pixels);
// Every image of a data set.
void apply_input_preprocessing(InputPreprocessing p, Dataset& data);

}  // namespace cnn
