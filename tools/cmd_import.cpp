// `digit-cnn import`: an ONNX model (ours, or PyTorch's torch.onnx.export) as a weights file.
#include <iostream>

#include "cli_common.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"
#include "commands.hpp"

namespace tools {

namespace {

struct ImportOptions {
    std::string input;
    std::string output;
};

int run_import(const ImportOptions& o) {
    const std::vector<std::uint8_t> bytes = cnn::read_file(o.input);
    std::string metadata;
    cnn::Model model = cnn::decode_onnx(bytes.data(), bytes.size(), &metadata);
    ensure_parent_directory(o.output);
    cnn::save_weights(o.output, model, metadata);
    std::cerr << "Imported " << o.input << ": " << model.spec() << " (" << model.param_count()
              << " parameters)\nWrote " << o.output << "\n";
    return 0;
}

}  // namespace

Command add_import_command(CLI::App& app) {
    auto o = std::make_shared<ImportOptions>();
    CLI::App* cmd = app.add_subcommand(
        "import", "Convert an ONNX model (from 'export --format onnx' or PyTorch) to a weights file");
    cmd->add_option("model", o->input, "ONNX file (.onnx)")->required();
    cmd->add_option("--output,-o", o->output, "Weights file to write (atomically)")->required();
    return {cmd, [o] { return run_import(*o); }};
}

}  // namespace tools
