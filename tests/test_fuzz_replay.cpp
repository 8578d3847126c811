// Replays every committed fuzz input (fuzz/corpus/<target>/ and fuzz/regressions/<target>/)
// through the fuzz targets' code: inputs that once crashed stay fixed in every build, not only in
// the clang fuzz build. A target throws for a finding (see fuzz/targets.hpp).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cnn/io/file_io.hpp"
#include "targets.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_of(const std::string& target) {
    const char* root = std::getenv("CNN_SOURCE_DIR");
    const fs::path fuzz = fs::path(root ? root : CNN_SOURCE_DIR) / "fuzz";
    std::vector<fs::path> files;
    for (const char* dir : {"corpus", "regressions"}) {
        const fs::path d = fuzz / dir / target;
        if (!fs::is_directory(d)) continue;
        for (const auto& e : fs::directory_iterator(d))
            if (e.is_regular_file()) files.push_back(e.path());
    }
    return files;
}

void replay(const std::string& target) {
    for (const auto& t : cnn_fuzz::kTargets) {
        if (target != t.name) continue;
        const auto files = inputs_of(target);
        CHECK_FALSE(files.empty());  // the seed corpus is part of the repository
        for (const auto& f : files) {
            INFO(f.string());
            const auto bytes = cnn::read_file(f.string());
            CHECK_NOTHROW(t.run(bytes.data(), bytes.size()));
        }
        return;
    }
    FAIL("no fuzz target " << target);
}

}  // namespace

TEST_CASE("fuzz inputs replay cleanly: idx") { replay("idx"); }
TEST_CASE("fuzz inputs replay cleanly: weights") { replay("weights"); }
TEST_CASE("fuzz inputs replay cleanly: spec") { replay("spec"); }
TEST_CASE("fuzz inputs replay cleanly: preprocess") { replay("preprocess"); }
TEST_CASE("fuzz inputs replay cleanly: checkpoint") { replay("checkpoint"); }
TEST_CASE("fuzz inputs replay cleanly: onnx") { replay("onnx"); }
