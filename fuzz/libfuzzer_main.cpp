// libFuzzer entry point for one target, chosen at compile time with -DCNN_FUZZ_TARGET=<name>
// (see fuzz/CMakeLists.txt). An exception escaping the target is a finding: std::terminate
// aborts, and libFuzzer saves the input.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cnn_fuzz::CNN_FUZZ_TARGET(data, size);
    return 0;
}
