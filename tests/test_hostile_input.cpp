// Hostile input from anywhere: paths that are not files, huge or bomb-like files, absurd specs,
// huge drawings, out-of-range weights, terminal escapes in files, corrupt optimizer state. Each is
// refused with a clear message and no large allocation, hang or crash.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

#include "cnn/base/error.hpp"
#include "cnn/base/float_text.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/training/optimizer.hpp"
#include "test_util.hpp"

using namespace cnn;
using cnn_test::gzip;

namespace {

std::string temp(const std::string& name) { return "/tmp/cnn_test_hostile_" + name; }

template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::string spec_error(const std::string& spec) {
    return error_of([&] { parse_spec(spec); });
}

}  // namespace

TEST_CASE("paths that are not regular files are refused without blocking or allocating") {
    CHECK_THAT(error_of([] { read_file("/tmp"); }), Catch::Equals("cannot read '/tmp': it is a directory, not a file"));
    CHECK_THAT(error_of([] { load_weights("/tmp"); }), Catch::Contains("is a directory"));
    CHECK_THAT(error_of([] { read_file("/dev/zero"); }),
               Catch::Contains("'/dev/zero': not a regular file (a device, pipe or socket)"));
    // A FIFO with no writer: ifstream would block forever here.
    const std::string fifo = temp("fifo");
    std::remove(fifo.c_str());
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THAT(error_of([&] { read_idx_images(fifo); }), Catch::Contains("not a regular file"));
    std::remove(fifo.c_str());
    CHECK_THAT(error_of([] { read_file("/tmp/cnn-no-such-file"); }),
               Catch::Equals("cannot open '/tmp/cnn-no-such-file': No such file or directory"));
    // Larger than the cap: refused by its size, before reading.
    const std::vector<std::uint8_t> kb(1000, 7);
    write_file_atomic(temp("1000"), kb.data(), kb.size());
    CHECK_THAT(error_of([] { read_file(temp("1000"), 999); }),
               Catch::Contains("is 1000 bytes; files larger than 999 bytes are refused"));
    CHECK(read_file(temp("1000"), 1000) == kb);
}

TEST_CASE("gzip: bombs stop at the cap, concatenated members join, trailing junk is refused") {
    const std::vector<std::uint8_t> zeros(std::size_t(8) << 20, 0);
    const auto bomb = gzip(zeros, 9);  // 8 MB of zeros in about 8 KB
    REQUIRE(bomb.size() < 20000);
    CHECK_THAT(error_of([&] { maybe_gunzip(bomb, "bomb.gz", 1 << 20); }),
               Catch::Equals("bomb.gz: gzip data expands beyond 1048576 bytes (too large, or not a data file)"));
    CHECK(maybe_gunzip(bomb, "bomb.gz", zeros.size()).size() == zeros.size());

    const std::vector<std::uint8_t> a{1, 2, 3}, b{4, 5};
    auto two = gzip(a);
    const auto gb = gzip(b);
    two.insert(two.end(), gb.begin(), gb.end());
    CHECK(maybe_gunzip(two, "two.gz") == std::vector<std::uint8_t>{1, 2, 3, 4, 5});

    auto junk = gzip(a);
    const std::size_t at = junk.size();
    junk.push_back('x');
    junk.push_back('y');
    CHECK_THAT(error_of([&] { maybe_gunzip(junk, "junk.gz"); }),
               Catch::Equals("junk.gz: 2 unexpected bytes after the gzip data at byte " + std::to_string(at)));
    auto cut = gzip(zeros);
    cut.resize(cut.size() / 2);
    CHECK_THAT(error_of([&] { maybe_gunzip(cut, "cut.gz"); }),
               Catch::Equals("cut.gz: corrupt or truncated gzip data (unexpected end of data)"));
    auto flipped = gzip(a);
    flipped[flipped.size() - 6] ^= 1;  // the CRC-32 in the trailer
    CHECK_THAT(error_of([&] { maybe_gunzip(flipped, "crc.gz"); }),
               Catch::Equals("crc.gz: corrupt or truncated gzip data (incorrect data check)"));
    // Not gzip at all: passed through for the IDX parser to judge.
    CHECK(maybe_gunzip({0x1f}, "x") == std::vector<std::uint8_t>{0x1f});
}

TEST_CASE("absurd specs are refused before anything is allocated") {
    CHECK_THAT(spec_error("input 4096x4096x4096 | flatten | dense 1"),
               Catch::Contains("layer 1 'input 4096x4096x4096': input 4096x4096x4096 has 68719476736 values per "
                               "image (at most 16777216)"));
    CHECK_THAT(spec_error("input 4096x4096x1 | conv 4096 k1"), Catch::Contains("output 4096x4096x4096 is too large"));
    CHECK_THAT(spec_error("input 512x512x16 | conv 1 k32 same"),
               Catch::Contains("needs a working buffer of 4294967296 values per image"));
    CHECK_THAT(spec_error("input 128x128x64 | conv 512 k3 same | conv 512 k3 same"),
               Catch::Contains("layer 2 'conv 512 k3 same'") && Catch::Contains("multiply-adds per image"));
    CHECK_THAT(spec_error("input 28x28x1 | flatten | dense 4096 | dense 4096 | dense 4096 | dense 4096 | dense 4096"),
               Catch::Contains("more than 67108864 parameters"));
    std::string deep = "input 8x8x1";
    for (int i = 0; i < 70; ++i) deep += " | relu";
    CHECK_THAT(spec_error(deep), Catch::Contains("at most 64 layers"));
    CHECK_THAT(spec_error(std::string(100000, 'x')), Catch::Contains("100000 characters long; at most 4096"));
    // The seed model is nowhere near the limits.
    CHECK(spec_error(kSeedSpec) == "no error");
}

TEST_CASE("text from files is quoted without control characters") {
    CHECK(printable("conv\x1b[2J 3") == "conv\\x1b[2J 3");
    CHECK(printable(std::string(100, 'a'), 10) == "aaaaaaaaaa...");
    CHECK(printable("ünïcode") == "ünïcode");
    const std::string msg = spec_error("input 28x28x1 | conv\x1b]0;pwned\x07 3 k3");
    CHECK_THAT(msg, Catch::Contains("unknown layer type 'conv\\x1b]0;pwned\\x07'"));
    CHECK(msg.find('\x1b') == std::string::npos);
    CHECK(spec_error("conv 3 k3 \x1b[31m").find('\x1b') == std::string::npos);
    // Metadata JSON decodes "\u001b" to a raw escape character.
    const std::string meta =
        error_of([] { input_preprocessing_from_metadata("{\"preprocessing\":\"mnist\\u001b]0;x\\u0007\"}"); });
    CHECK_THAT(meta, Catch::Contains("unknown input preprocessing 'mnist\\x1b]0;x\\x07'"));
    CHECK(meta.find('\x1b') == std::string::npos);
}

TEST_CASE("dropout rates and batchnorm momenta round-trip through the spec text exactly") {
    for (const char* layer : {"dropout", "batchnorm"})
        for (const char* value : {"0.9999999", "0.1", "0.5", "0.333333343", "1e-08"}) {
            const std::string spec = std::string("input 4x4x1 | flatten | ") + layer + " " + value;
            const ParsedSpec p = parse_spec(spec);
            const std::string canonical = spec_to_string(p.input, p.layers);
            INFO(canonical);
            CHECK(spec_to_string(parse_spec(canonical).input, parse_spec(canonical).layers) == canonical);
        }
    CHECK(float_text(0.9999999f) == "0.9999999");
    CHECK(float_text(0.1f) == "0.1");
    CHECK(Model::from_spec("input 4x4x1 | flatten | dropout 0.1 | dense 2").spec() ==
          "input 4x4x1 | flatten | dropout 0.1 | dense 2");
}

TEST_CASE("huge drawings and bad preprocessing options are refused") {
    GrayImage big{20000, 10, {}};
    CHECK_THAT(error_of([&] { preprocess_digit(big); }),
               Catch::Contains("image is 20000x10; drawings larger than 16384"));
    GrayImage many{10000, 10000, {}};
    CHECK_THAT(error_of([&] { preprocess_digit(many); }), Catch::Contains("67108864 pixels in all are refused"));
    const std::uint8_t px[4] = {0, 0, 0, 255};
    CHECK_THAT(error_of([&] { ink_from_rgba(px, 65536, 65536); }), Catch::Contains("are refused"));
    CHECK_THAT(error_of([&] { ink_from_rgba(px, 0, 1); }), Catch::Contains("has no pixels"));
    GrayImage wrong{4, 4, std::vector<float>(15, 1.0f)};
    CHECK_THAT(error_of([&] { preprocess_digit(wrong); }), Catch::Contains("image is 4x4 but has 15 pixels"));
    GrayImage ok{4, 4, std::vector<float>(16, 1.0f)};
    PreprocessOptions o;
    o.size = 5000;
    CHECK_THAT(error_of([&] { preprocess_digit(ok, o); }), Catch::Contains("output size must be between 1 and 1024"));
    o = {};
    o.box = 0;
    CHECK_THAT(error_of([&] { preprocess_digit(ok, o); }), Catch::Contains("box must be between 1"));
    o = {};
    o.ink_threshold = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(error_of([&] { preprocess_digit(ok, o); }), Catch::Contains("ink threshold must be in [0, 1)"));
    // NaN and infinite pixels are background and full ink, never NaN output.
    GrayImage odd{3, 3, {0, NAN, 0, INFINITY, -INFINITY, 0, 0, 1, -1}};
    const Preprocessed p = preprocess_digit(odd);
    CHECK_FALSE(p.empty);
    for (float v : p.pixels) REQUIRE((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("out-of-range weights and inputs give an error, not NaN probabilities") {
    Model m = Model::from_spec("input 4x4x1 | flatten | dense 8 | relu | dense 8 | relu | dense 3", 1);
    std::vector<float> image(16, 1.0f), probs(3);
    m.predict(image.data(), 1, probs.data());
    CHECK(std::isfinite(probs[0]));
    // Values a weights file may legally hold (finite), large enough to overflow float.
    for (auto& p : m.params())
        for (std::size_t i = 0; i < p.size; ++i) p.value[i] = 3e30f;
    const auto bytes = encode_weights(m);
    Model loaded = decode_weights(bytes.data(), bytes.size());
    CHECK_THAT(error_of([&] { loaded.predict(image.data(), 1, probs.data()); }),
               Catch::Contains("the model computed a non-finite output") && Catch::Contains("out of range"));
    Model fine = Model::from_spec("input 4x4x1 | flatten | dense 3", 1);
    image[5] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(error_of([&] { fine.predict(image.data(), 1, probs.data()); }),
               Catch::Equals("input image 0 has a non-finite pixel value"));
}

TEST_CASE("weights files: 32-bit-safe sizes and quoted names") {
    Model m = Model::from_spec("input 2x2x1 | flatten | dense 2", 1);
    auto b = encode_weights(m);
    // Rename dense1.bias to contain an escape character; fix the CRC.
    const std::string name = "dense1.bias";
    std::size_t at = 0;
    for (std::size_t i = 0; i + name.size() <= b.size(); ++i)
        if (std::memcmp(&b[i], name.data(), name.size()) == 0) at = i;
    REQUIRE(at > 0);
    b[at + 6] = 0x1b;
    const std::uint32_t crc = crc32(b.data(), b.size() - 4);
    for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = std::uint8_t(crc >> (8 * i));
    const std::string msg = error_of([&] { decode_weights(b.data(), b.size()); });
    CHECK_THAT(msg, Catch::Contains("lacks tensor dense1.bias"));
    // A tensor of 65536 x 65536 floats (16 GB, 0 in 32-bit arithmetic) in a tiny file.
    auto c = encode_weights(m);
    at = 0;
    const std::string kernel = "dense1.kernel";
    for (std::size_t i = 0; i + kernel.size() <= c.size(); ++i)
        if (std::memcmp(&c[i], kernel.data(), kernel.size()) == 0) at = i;
    const std::size_t dims = at + kernel.size() + 4;
    const std::uint8_t big[4] = {0, 0, 1, 0};  // 65536
    std::memcpy(&c[dims], big, 4);
    std::memcpy(&c[dims + 4], big, 4);
    CHECK_THAT(error_of([&] { decode_weights(c.data(), c.size()); }),
               Catch::Contains("expected 17179869184 bytes of tensor dense1.kernel"));
}

TEST_CASE("optimizer state from a file cannot index out of bounds") {
    std::vector<float> value{1.0f, 2.0f}, grad{0.5f, -0.5f};
    std::vector<ParamRef> params{{"p", {2}, value.data(), grad.data(), 2, true}};
    const auto restore_error = [&](const std::vector<double>& s) {
        Adam adam;
        return error_of([&] {
            adam.set_state(s);
            adam.step(params);
        });
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK(restore_error({3, 1, 2, 0.1, 0.2, 1, 2, 0.1, 0.2}) == "no error");
    CHECK_THAT(restore_error({nan, 1, 2, 0, 0, 1, 2, 0, 0}), Catch::Contains("corrupt"));
    CHECK_THAT(restore_error({3, 1e300, 2, 0, 0}), Catch::Contains("corrupt"));
    CHECK_THAT(restore_error({3, -1, 2, 0, 0}), Catch::Contains("corrupt"));
    CHECK_THAT(restore_error({3, 1, 1.5, 0, 0}), Catch::Contains("corrupt"));
    CHECK_THAT(restore_error({3, 1, 2, 0, 0, 1, 2, 0, nan}), Catch::Contains("non-finite"));
    CHECK_THAT(restore_error({3, 1, 2, 0, 0, 1, 2, 0, 0, 9}), Catch::Contains("trailing"));
    // Well-formed but for another model: one value per moment instead of two.
    CHECK_THAT(restore_error({3, 1, 1, 0, 1, 1, 0}), Catch::Contains("does not match the model's parameters"));
    SGD sgd(0.1f, 0.9f);
    sgd.set_state({1, 5, 0, 0, 0, 0, 0});
    CHECK_THAT(error_of([&] { sgd.step(params); }), Catch::Contains("does not match"));
}
