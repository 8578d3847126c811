// The fuzz targets: each feeds arbitrary bytes to one reader of hostile input. Expected refusals
// (cnn::Error and its kinds) are caught inside a target; anything else escapes: a crash, a
// sanitizer report, another exception (std::bad_alloc, std::length_error, ...) or a broken
// invariant (thrown as FuzzFailure). libFuzzer reports those as crashes (fuzz/libfuzzer_main.cpp)
// and tests/test_fuzz_replay.cpp as test failures, for every file in fuzz/corpus/<target>/ and
// fuzz/regressions/<target>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnn_fuzz {

struct FuzzFailure : std::logic_error {
    using std::logic_error::logic_error;
};

// Throws FuzzFailure(what) unless ok.
inline void check(bool ok, const std::string& what) {
    if (!ok) throw FuzzFailure("invariant broken: " + what);
}

// IDX images and labels, plain or gzip: maybe_gunzip, parse_idx_images, parse_idx_labels.
void idx(const std::uint8_t* data, std::size_t size);
// A weights file: decode_weights, then re-encode, decode again and run one inference.
void weights(const std::uint8_t* data, std::size_t size);
// A model spec: parse_spec, canonical round trip, Model::from_spec, forward/backward when cheap
// (with the fast conv/dense kernels compared against their reference loops).
void spec(const std::uint8_t* data, std::size_t size);
// A drawing: ink_from_rgba / raw ink through preprocess_digit, with varied options.
void preprocess(const std::uint8_t* data, std::size_t size);
// A resumable checkpoint: decode_checkpoint, then restore it into a Trainer on tiny data.
void checkpoint(const std::uint8_t* data, std::size_t size);
// An ONNX model: decode_onnx, then export -> import twice (parameters kept, second trip stable).
void onnx(const std::uint8_t* data, std::size_t size);
// A valid checkpoint of the tiny run the checkpoint target resumes, after `batches` batches
// (how fuzz/corpus/checkpoint/ was made).
std::vector<std::uint8_t> checkpoint_seed(int batches);

struct Target {
    const char* name;
    void (*run)(const std::uint8_t*, std::size_t);
};
inline constexpr Target kTargets[] = {
    {"idx", idx}, {"weights", weights}, {"spec", spec}, {"preprocess", preprocess}, {"checkpoint", checkpoint},
    {"onnx", onnx}};

}  // namespace cnn_fuzz
