// `digit-cnn hershey`: a drawn-digit evaluation set that is not MNIST. The digits of Hershey's
// stroke fonts are drawn like the page's canvas drawings (a round pen on a 280x280 pad) with varied
// pen width, slant, rotation, proportions, a hand's wobble and position, then go through the same
// drawn-digit preprocessing as the page (cnn::preprocess_digit) and are written as an IDX pair.
// The set measures how a model trained on MNIST fares on digits drawn by other hands; it is made
// from a seed, so the command line alone reproduces it.
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "commands.hpp"
#include "hershey_set.hpp"
#include "text_format.hpp"

namespace fs = std::filesystem;

namespace tools {

namespace {

struct HersheyOptions {
    std::string output;
    int count = 3000;
    std::uint64_t seed = 1;
    HersheyStyle style;
};

int run_hershey(const HersheyOptions& o) {
    const DigitSet set = make_hershey_digits(o.style, o.count, o.seed);
    const std::vector<std::string> paths = write_digit_set(set, o.output, "hershey");
    std::map<std::string, int> per_font;
    for (int g : set.group) ++per_font[set.groups[std::size_t(g)]];
    nlohmann::json m;
    m["what"] = "Hershey stroke-font digits drawn as on the page's 280x280 pad, through preprocess_digit";
    m["count"] = o.count;
    m["seed"] = o.seed;
    m["canvas"] = o.style.canvas;
    m["height"] = o.style.height;
    m["pen"] = o.style.pen;
    m["fonts"] = per_font;
    m["preprocessing"] = "mnist";
    cnn::write_file_atomic((fs::path(o.output) / "hershey.json").string(), m.dump(2) + "\n");
    std::cout << "Wrote " << with_commas(std::size_t(o.count)) << " digits from " << set.groups.size()
              << " fonts:\n  " << paths[0] << "\n  " << paths[1]
              << "\nEvaluate with: digit-cnn evaluate --weights W --images " << paths[0] << " --labels "
              << paths[1] << "\n";
    return 0;
}

}  // namespace

Command add_hershey_command(CLI::App& app) {
    auto o = std::make_shared<HersheyOptions>();
    CLI::App* cmd = app.add_subcommand(
        "hershey", "Make a drawn-digit test set (IDX) from the Hershey stroke fonts, not from MNIST");
    cmd->add_option("--output,-o", o->output, "Directory for hershey-{images-idx3,labels-idx1}-ubyte")
        ->required();
    cmd->add_option("--count", o->count, "Number of digits (labels cycle 0-9)")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed: the same seed gives the same images")->capture_default_str();
    cmd->add_option("--font-dir", o->style.font_dir, "Directory of the .jhf files")->capture_default_str();
    cmd->add_option("--fonts", o->style.fonts, "Font names (file names without .jhf), comma-separated")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--height", o->style.height, "Range of digit heights, as fractions of the pad: MIN MAX")
        ->expected(2)
        ->check(CLI::Range(0.05, 1.0))
        ->capture_default_str();
    cmd->add_option("--pen", o->style.pen,
                    "Range of pen widths, as fractions of the pad (the page draws 0.08): MIN MAX")
        ->expected(2)
        ->check(CLI::Range(0.005, 0.5))
        ->capture_default_str();
    cmd->add_option("--canvas", o->style.canvas, "Side of the drawing pad in pixels")
        ->check(CLI::Range(28, 2000))
        ->capture_default_str();
    return {cmd, [o] { return run_hershey(*o); }};
}

}  // namespace tools
