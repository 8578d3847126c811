#include "model_input.hpp"

#include <map>

namespace tools {

CLI::Option* add_cleanup_option(CLI::App* app, Cleanup& cleanup) {
    const std::map<std::string, Cleanup> names{{"photo", Cleanup::photo}, {"plain", Cleanup::plain}};
    return app
        ->add_option("--cleanup", cleanup,
                     "How opaque images become ink: photo (even out the light, Otsu's threshold, drop "
                     "specks; for photos and scans) or plain (polarity and median background only; for "
                     "clean digital images)")
        ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
        ->default_str("photo");
}

}  // namespace tools
