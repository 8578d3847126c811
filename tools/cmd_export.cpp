// `digit-cnn export`: a weights file as JSON (spec, metadata, named tensors) for other tools, or as
// an ONNX model (cnn/io/onnx.hpp) for ONNX Runtime and friends.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/onnx.hpp"
#include "commands.hpp"

namespace tools {

namespace {

struct ExportOptions {
    std::string weights;
    std::string format = "json";
    std::string output;
};

int run_export(const ExportOptions& o) {
    std::string metadata;
    cnn::Model model = load_model(o.weights, &metadata);
    if (o.format == "onnx") {
        if (o.output.empty() || o.output == "-")
            throw cnn::Error("export --format onnx writes a binary file: give it --output FILE.onnx");
        const std::vector<std::uint8_t> bytes = cnn::encode_onnx(model, metadata);
        ensure_parent_directory(o.output);
        cnn::write_file_atomic(o.output, bytes.data(), bytes.size());
        std::cerr << "Wrote " << o.output << " (ONNX opset " << cnn::kOnnxOpset << ", " << bytes.size()
                  << " bytes)\n";
        return 0;
    }
    nlohmann::json j;
    j["format"] = "digit-cnn weights";
    j["spec"] = model.spec();
    j["input_shape"] = {model.input_shape().h, model.input_shape().w, model.input_shape().c};
    j["layout"] = "NHWC activations; tensor values row-major in the listed shape";
    j["metadata"] = nlohmann::json::parse(metadata, nullptr, false);
    if (j["metadata"].is_discarded()) j["metadata"] = metadata;  // keep it, even if not JSON
    auto tensors = nlohmann::json::array();
    for (const auto& p : model.params()) {
        // Floats widen exactly to double, so the JSON round-trips to the same float32 values.
        std::vector<double> values(p.value, p.value + p.size);
        tensors.push_back(
            {{"name", p.name}, {"shape", p.shape}, {"trainable", p.trainable}, {"values", values}});
    }
    j["tensors"] = tensors;
    const std::string text = j.dump() + "\n";
    if (o.output.empty() || o.output == "-") {
        std::cout << text;
    } else {
        ensure_parent_directory(o.output);
        cnn::write_file_atomic(o.output, text);
        std::cerr << "Wrote " << o.output << "\n";
    }
    return 0;
}

}  // namespace

Command add_export_command(CLI::App& app) {
    auto o = std::make_shared<ExportOptions>();
    CLI::App* cmd =
        app.add_subcommand("export", "Write a weights file in another format: JSON (spec, metadata, tensors) or ONNX");
    cmd->add_option("--weights", o->weights, "Weights file")->required();
    cmd->add_option("--format", o->format, "Output format")
        ->check(CLI::IsMember({"json", "onnx"}))
        ->capture_default_str();
    cmd->add_option("--output,-o", o->output, "File to write (default: standard output; required for onnx)");
    return {cmd, [o] { return run_export(*o); }};
}

}  // namespace tools
