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

}  // namespace cnn
