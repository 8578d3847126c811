// IDX reading: round trips (plain and gzip) and every corruption case with its message.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/idx.hpp"
#include "test_util.hpp"

using namespace cnn;
using cnn_test::gzip;

namespace {
IdxImages small_images() {
    IdxImages img;
    img.count = 3;
    img.rows = 4;
    img.cols = 5;
    for (int i = 0; i < 60; ++i) img.pixels.push_back(std::uint8_t(i * 4));
    return img;
}

std::string temp_path(const std::string& name) { return "/tmp/cnn_test_" + name; }

std::string images_error(const std::vector<std::uint8_t>& bytes) {
    std::string from_pointer = "no error", from_buffer = "no error";
    try {
        parse_idx_images(bytes.data(), bytes.size(), "x.idx");
    } catch (const DataError& e) {
        from_pointer = e.what();
    }
    try {  // the overload that takes over the buffer checks the same things
        parse_idx_images(std::vector<std::uint8_t>(bytes), "x.idx");
    } catch (const DataError& e) {
        from_buffer = e.what();
    }
    CHECK(from_buffer == from_pointer);
    return from_pointer;
}
}  // namespace

TEST_CASE("IDX images and labels round-trip, plain and gzip") {
    const IdxImages img = small_images();
    const std::vector<std::uint8_t> labels{7, 0, 9};
    write_idx_images(temp_path("img.idx"), img);
    write_idx_labels(temp_path("lbl.idx"), labels);
    const IdxImages back = read_idx_images(temp_path("img.idx"));
    CHECK(back.count == 3);
    CHECK(back.rows == 4);
    CHECK(back.cols == 5);
    CHECK(back.pixels == img.pixels);
    CHECK(read_idx_labels(temp_path("lbl.idx")) == labels);
    const IdxImages moved = parse_idx_images(encode_idx_images(img), "in memory");
    CHECK((moved.count == 3 && moved.rows == 4 && moved.cols == 5 && moved.pixels == img.pixels));

    const auto gz = gzip(encode_idx_images(img));
    write_file_atomic(temp_path("img.idx.gz"), gz.data(), gz.size());
    const auto lgz = gzip(encode_idx_labels(labels));
    write_file_atomic(temp_path("lbl.idx.gz"), lgz.data(), lgz.size());
    const Dataset d = load_idx_dataset(temp_path("img.idx.gz"), temp_path("lbl.idx.gz"));
    CHECK(d.n == 3);
    CHECK(d.shape == Shape{4, 5, 1});
    CHECK(d.labels == labels);
    CHECK(d.images[1] == Approx(4.0f / 255.0f));
    CHECK(d.images[59] == Approx(236.0f / 255.0f));
}

TEST_CASE("corrupt IDX files get precise errors") {
    const auto good = encode_idx_images(small_images());
    CHECK_THAT(images_error({}), Catch::Contains("too short for an IDX header"));
    auto bad = good;
    bad[0] = 0x89;  // e.g. a PNG
    CHECK_THAT(images_error(bad), Catch::Contains("not an IDX file"));
    bad = good;
    bad[2] = 0x0D;  // float data
    CHECK_THAT(images_error(bad), Catch::Contains("element type 13 is not supported"));
    bad = good;
    bad[3] = 1;
    CHECK_THAT(images_error(bad), Catch::Contains("has 1 dimensions; image files have 3"));
    CHECK_THAT(images_error({good.begin(), good.begin() + 10}), Catch::Contains("header truncated at byte 10 of 16"));
    CHECK_THAT(images_error({good.begin(), good.end() - 7}),
               Catch::Contains("truncated: header declares 3 images of 4x5 (60 bytes) but only 53 bytes follow"));
    bad = good;
    bad.push_back(0);
    CHECK_THAT(images_error(bad), Catch::Contains("1 unexpected bytes"));
    bad = good;
    bad[4] = bad[5] = bad[6] = bad[7] = 0;  // zero images
    CHECK_THAT(images_error(bad), Catch::Contains("empty image set"));
    bad = good;
    bad[4] = 0xFF;  // ~4 billion images declared: refused by size, no allocation
    CHECK_THAT(images_error(bad), Catch::Contains("truncated"));
    bad = good;
    bad[9] = 0x01;  // rows = 65540
    CHECK_THAT(images_error(bad), Catch::Contains("larger than 4096x4096"));

    const auto gz = gzip(good);
    const std::vector<std::uint8_t> cut(gz.begin(), gz.begin() + gz.size() / 2);
    write_file_atomic(temp_path("cut.gz"), cut.data(), cut.size());
    CHECK_THROWS_WITH(read_idx_images(temp_path("cut.gz")), Catch::Contains("corrupt or truncated gzip"));
    CHECK_THROWS_WITH(read_idx_images(temp_path("does-not-exist")), Catch::Contains("cannot open"));

    write_idx_images(temp_path("img3.idx"), small_images());
    write_idx_labels(temp_path("lbl2.idx"), {1, 2});
    CHECK_THROWS_WITH(load_idx_dataset(temp_path("img3.idx"), temp_path("lbl2.idx")),
                      Catch::Contains("has 3 images but") && Catch::Contains("has 2 labels"));
    write_idx_labels(temp_path("lbl3.idx"), {1, 2, 12});
    CHECK_THROWS_WITH(load_idx_dataset(temp_path("img3.idx"), temp_path("lbl3.idx")),
                      Catch::Contains("label 12 of sample 2 is out of range"));
    // Labels file given where images are expected.
    CHECK_THROWS_WITH(read_idx_images(temp_path("lbl3.idx")), Catch::Contains("wrong file?"));
}

TEST_CASE("the real MNIST files load with the expected shapes", "[mnist]") {
    const char* root = std::getenv("CNN_SOURCE_DIR");
    const std::string dir = std::string(root ? root : CNN_SOURCE_DIR) + "/data/mnist/";
    if (!std::ifstream(dir + "t10k-images-idx3-ubyte").good()) {
        cnn_test::missing_data("MNIST (run scripts/get-mnist.sh)");
        return;
    }
    const Dataset d = load_idx_dataset(dir + "t10k-images-idx3-ubyte", dir + "t10k-labels-idx1-ubyte");
    CHECK(d.n == 10000);
    CHECK(d.shape == Shape{28, 28, 1});
    CHECK(int(d.labels[0]) == 7);  // the famous first test digit
}
