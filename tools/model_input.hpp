// How image files become ink, shared by predict and evaluate: the --cleanup choice. (What a
// weights file records about its inputs is cnn::LoadedModel's.)
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "image_io.hpp"

namespace tools {

// --cleanup photo|plain for commands that read image files.
CLI::Option* add_cleanup_option(CLI::App* app, Cleanup& cleanup);

}  // namespace tools
