// Weights file: round trip, atomic writes, and every corruption case with its message.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "cnn/base/error.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/io/weights_io.hpp"

using namespace cnn;

namespace {
const char* kSmallSpec = "input 8x8x1 | conv 4 k3 same | relu | maxpool 2 | flatten | dense 3";

std::string decode_error(const std::vector<std::uint8_t>& bytes) {
    try {
        decode_weights(bytes.data(), bytes.size());
    } catch (const WeightsError& e) {
        return e.what();
    }
    return "no error";
}

// Re-computes the trailing CRC so that a deliberate edit is judged on its own merits.
void fix_crc(std::vector<std::uint8_t>& b) {
    const std::uint32_t c = crc32(b.data(), b.size() - 4);
    for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = std::uint8_t(c >> (8 * i));
}

std::size_t find(const std::vector<std::uint8_t>& b, const std::string& s) {
    for (std::size_t i = 0; i + s.size() <= b.size(); ++i)
        if (std::memcmp(b.data() + i, s.data(), s.size()) == 0) return i;
    return std::string::npos;
}
}  // namespace

TEST_CASE("weights round-trip exactly, with spec and metadata") {
    Model m = Model::from_spec(kSmallSpec, 5);
    const auto bytes = encode_weights(m, "{\"preprocessing\":\"mnist\"}");
    std::string meta;
    Model back = decode_weights(bytes.data(), bytes.size(), &meta);
    CHECK(back.spec() == m.spec());
    CHECK(back.get_values() == m.get_values());
    CHECK(meta == "{\"preprocessing\":\"mnist\"}");

    save_weights("/tmp/cnn_test_w.dcnn", m);
    CHECK(load_weights("/tmp/cnn_test_w.dcnn").get_values() == m.get_values());
    CHECK_FALSE(std::ifstream("/tmp/cnn_test_w.dcnn.tmp").good());  // temp file renamed away
}

TEST_CASE("corrupt weights files get precise errors") {
    Model m = Model::from_spec(kSmallSpec, 5);
    const auto good = encode_weights(m);
    CHECK_THAT(decode_error({}), Catch::Contains("not a digit-cnn weights file"));
    CHECK_THAT(decode_error({0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0}), Catch::Contains("bad magic"));

    auto b = good;
    b[8] = 2;
    CHECK_THAT(decode_error(b), Catch::Contains("unsupported weights format version 2"));

    // Truncation at every interesting place names the byte and what was expected there.
    CHECK_THAT(decode_error({good.begin(), good.begin() + 10}), Catch::Contains("truncated at byte 10"));
    CHECK_THAT(decode_error({good.begin(), good.begin() + 20}), Catch::Contains("of model spec"));
    CHECK_THAT(decode_error({good.begin(), good.end() - 100}),
               Catch::Contains("truncated at byte " + std::to_string(good.size() - 100)) &&
                   Catch::Contains("of tensor dense1.kernel"));
    CHECK_THAT(decode_error({good.begin(), good.end() - 2}), Catch::Contains("of CRC-32 checksum"));

    b = good;
    b[good.size() / 2] ^= 0x40;  // one flipped bit in the data
    CHECK_THAT(decode_error(b), Catch::Contains("checksum mismatch"));
    b = good;
    b.push_back(0);
    CHECK_THAT(decode_error(b), Catch::Contains("1 unexpected bytes after the checksum"));

    // A NaN in a tensor (with a valid checksum).
    b = good;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(&b[b.size() - 8], &nan, 4);
    fix_crc(b);
    CHECK_THAT(decode_error(b), Catch::Contains("non-finite value") && Catch::Contains("dense1.bias"));

    // Wrong architecture: the spec says 5 output units but the tensors hold 3.
    std::string spec(kSmallSpec);
    const std::size_t at = find(good, "dense 3");
    REQUIRE(at != std::string::npos);
    b = good;
    b[at + 6] = '5';
    fix_crc(b);
    CHECK_THAT(decode_error(b), Catch::Contains("wrong architecture"));

    // Same parameter count, different shapes: 4 filters of 3x3 vs... rename a tensor instead.
    b = good;
    const std::size_t name_at = find(good, "conv1.bias");
    b[name_at + 6] = 'X';
    fix_crc(b);
    CHECK_THAT(decode_error(b), Catch::Contains("lacks tensor conv1.bias"));

    // Shape mismatch with the same number of values: kernel {3,3,1,4} stored as {3,3,4,1}.
    b = good;
    const std::size_t kernel_at = find(good, "conv1.kernel");
    // name, then u32 rank, then dims 3,3,1,4 (little-endian u32 each)
    const std::size_t dims = kernel_at + std::strlen("conv1.kernel") + 4;
    b[dims + 8] = 4;
    b[dims + 12] = 1;
    fix_crc(b);
    CHECK_THAT(decode_error(b), Catch::Contains("shape mismatch for conv1.kernel: file has {3, 3, 4, 1}, the model spec needs {3, 3, 1, 4}"));

    // An unusable spec.
    b = good;
    b[find(good, "relu")] = 'X';
    fix_crc(b);
    CHECK_THAT(decode_error(b), Catch::Contains("unusable model spec") && Catch::Contains("unknown layer type 'Xelu'"));

    // A huge declared string length is refused without allocating it.
    b = good;
    b[12] = b[13] = b[14] = 0xFF;
    CHECK_THAT(decode_error(b), Catch::Contains("declares a model spec of"));
}

TEST_CASE("a failed write leaves the previous file intact") {
    Model m = Model::from_spec(kSmallSpec, 5);
    save_weights("/tmp/cnn_test_keep.dcnn", m);
    // Writing into a directory that does not exist fails cleanly.
    CHECK_THROWS_WITH(save_weights("/tmp/cnn-no-such-dir/w.dcnn", m), Catch::Contains("cannot write"));
    CHECK(load_weights("/tmp/cnn_test_keep.dcnn").get_values() == m.get_values());
}
