// The subcommands of digit-cnn. Each one registers itself (options, help) on the app and returns
// the function that runs it after parsing, so that main alone maps errors to exit codes.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace tools {

struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;  // returns the process exit code
};

// `command_line` is the whole invocation, recorded in the training manifest.
Command add_train_command(CLI::App& app, const std::string& command_line);
Command add_evaluate_command(CLI::App& app);
Command add_predict_command(CLI::App& app);
Command add_summary_command(CLI::App& app);
Command add_samples_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_import_command(CLI::App& app);
Command add_hershey_command(CLI::App& app);
Command add_robustness_command(CLI::App& app);
Command add_reject_command(CLI::App& app);
Command add_finetune_command(CLI::App& app);
Command add_finetune_bench_command(CLI::App& app);

}  // namespace tools
