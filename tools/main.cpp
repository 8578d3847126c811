// digit-cnn: train, evaluate and run MNIST digit classifiers from the command line.
//
// Every failure ends as one line "digit-cnn: error: <message>" on stderr and exit code 1; help
// and version requests exit 0.
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {

std::string join_command_line(int argc, char** argv) {
    std::string line;
    for (int i = 0; i < argc; ++i) {
        if (i) line += ' ';
        const std::string arg = argv[i];
        // Quote what a shell would split, so the recorded command can be pasted back.
        if (arg.empty() || arg.find_first_of(" \t'\"$\\|&;<>()*?") != std::string::npos) {
            line += '\'';
            for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
            line += '\'';
        } else {
            line += arg;
        }
    }
    return line;
}

int fail(const std::string& message) {
    std::fflush(stdout);
    std::cerr << "digit-cnn: error: " << message << std::endl;
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"digit-cnn: train, evaluate and run convolutional MNIST digit classifiers.", "digit-cnn"};
    app.set_version_flag("--version", "digit-cnn 0.1.0");
    app.require_subcommand(1);
    app.footer("Run 'digit-cnn <command> --help' for the options of a command.");

    std::vector<tools::Command> commands;
    try {
        commands.push_back(tools::add_train_command(app, join_command_line(argc, argv)));
        commands.push_back(tools::add_evaluate_command(app));
        commands.push_back(tools::add_predict_command(app));
        commands.push_back(tools::add_summary_command(app));
        commands.push_back(tools::add_samples_command(app));
        commands.push_back(tools::add_export_command(app));
        commands.push_back(tools::add_import_command(app));
        commands.push_back(tools::add_hershey_command(app));
        commands.push_back(tools::add_robustness_command(app));
        commands.push_back(tools::add_reject_command(app));
        commands.push_back(tools::add_finetune_command(app));
        commands.push_back(tools::add_finetune_bench_command(app));
        // CLI11 reports an unknown command as a missing one; name it instead.
        if (argc > 1 && argv[1][0] != '-') {
            std::string names;
            bool known = false;
            for (const auto& c : commands) {
                names += (names.empty() ? "" : ", ") + c.app->get_name();
                known = known || c.app->get_name() == argv[1];
            }
            if (!known)
                return fail(std::string("unknown command '") + argv[1] + "' (commands: " + names + ")");
        }
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string hint = "run 'digit-cnn --help' for usage";
        for (const auto* sub : app.get_subcommands())
            hint = "run 'digit-cnn " + sub->get_name() + " --help' for its options";
        return fail(std::string(e.what()) + " (" + hint + ")");
    } catch (const std::exception& e) {
        return fail(e.what());
    }

    try {
        for (auto& c : commands)
            if (c.app->parsed()) return c.run();
        return fail("no command given (run 'digit-cnn --help')");
    } catch (const std::bad_alloc&) {
        return fail("out of memory");
    } catch (const std::exception& e) {
        return fail(e.what());
    } catch (...) {
        return fail("unexpected internal error");
    }
}
