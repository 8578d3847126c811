// Exception types: every error a user can cause carries a message they can act on.
#pragma once

#include <stdexcept>
#include <string>

namespace cnn {

// Base of all errors thrown by the core.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A model spec string that does not parse or does not fit its input.
struct SpecError : Error {
    using Error::Error;
};

// A data file (IDX) that is missing, corrupt or inconsistent.
struct DataError : Error {
    using Error::Error;
};

// A weights file that is corrupt, truncated or does not match the model.
struct WeightsError : Error {
    using Error::Error;
};

// A resumable training checkpoint that is corrupt or does not match the run it should continue.
struct CheckpointError : Error {
    using Error::Error;
};

// An ONNX file that is corrupt, or a graph digit-cnn cannot express (the message names the node
// and its op).
struct OnnxError : Error {
    using Error::Error;
};

// Text from a file (a spec, a tensor name) made safe to quote in a message: control bytes become
// \xNN escapes, so that a hostile file cannot send terminal escape sequences through our errors,
// and anything longer than max_chars is cut with "...".
std::string printable(const std::string& text, std::size_t max_chars = 80);

}  // namespace cnn
