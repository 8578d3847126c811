#include "augment_schedule_flags.hpp"

#include <cmath>
#include <cstdlib>

#include "cnn/error.hpp"

namespace tools {

namespace {
// "34,4" -> alpha 34, sigma 4; anything else is refused with the expected form.
void parse_elastic(const std::string& text, float& alpha, float& sigma) {
    const auto comma = text.find(',');
    const auto bad = [&] {
        return cnn::Error("--elastic expects ALPHA,SIGMA in pixels (e.g. 34,4), got '" + text + "'");
    };
    if (comma == std::string::npos) throw bad();
    const std::string a = text.substr(0, comma), s = text.substr(comma + 1);
    char* end = nullptr;
    alpha = std::strtof(a.c_str(), &end);
    if (a.empty() || *end != '\0' || !std::isfinite(alpha)) throw bad();
    sigma = std::strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(sigma)) throw bad();
}
}  // namespace

void add_augment_schedule_flags(CLI::App* cmd, AugmentScheduleFlags& f) {
    const auto turns_on = [&f](const std::string&) { f.augment = true; };
    cmd->add_flag("--augment", f.augment,
                  "Distort every training image afresh each epoch with the default ranges below; giving "
                  "any of --rotate, --shift, --scale, --shear or --elastic also turns it on");
    cmd->add_option("--rotate", f.distortion.rotation, "Augmentation: largest rotation in degrees")
        ->check(CLI::Range(0.0, 180.0))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--shift", f.distortion.shift, "Augmentation: largest shift in pixels, each axis")
        ->check(CLI::Range(0.0, 1e4))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--scale", f.distortion.scale, "Augmentation: zoom in [1 - S, 1 + S]")
        ->check(CLI::Range(0.0, 0.9))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--shear", f.distortion.shear, "Augmentation: largest horizontal shear factor")
        ->check(CLI::Range(0.0, 2.0))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--elastic", f.elastic,
                    "Augmentation: elastic distortion ALPHA,SIGMA in pixels (Simard et al.: 34,4); off by default")
        ->each(turns_on);
    cmd->add_option("--lr-schedule", f.lr_schedule, "Learning rate per batch: constant, cosine (to --lr-min) or "
                                                    "step (x --lr-step-factor every --lr-step epochs)")
        ->check(CLI::IsMember({"constant", "cosine", "step"}))
        ->capture_default_str();
    cmd->add_option("--warmup", f.warmup, "Epochs of linear learning-rate warmup before the schedule")
        ->check(CLI::Range(0.0, 1e5))
        ->capture_default_str();
    cmd->add_option("--lr-min", f.lr_min, "Cosine schedule: the final learning rate")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--lr-step", f.lr_step, "Step schedule: epochs between decays")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--lr-step-factor", f.lr_step_factor, "Step schedule: factor per decay")
        ->check(CLI::Range(1e-9, 1.0))
        ->capture_default_str();
}

const std::vector<std::string>& augment_schedule_flag_names() {
    static const std::vector<std::string> names = {"augment", "rotate", "shift", "scale", "shear", "elastic",
                                                   "lr-schedule", "warmup", "lr-min", "lr-step", "lr-step-factor"};
    return names;
}

nlohmann::json augment_schedule_json(const AugmentScheduleFlags& f) {
    return {{"augment", f.augment},          {"rotate", f.distortion.rotation}, {"shift", f.distortion.shift},
            {"scale", f.distortion.scale},   {"shear", f.distortion.shear},     {"elastic", f.elastic},
            {"lr-schedule", f.lr_schedule},  {"warmup", f.warmup},              {"lr-min", f.lr_min},
            {"lr-step", f.lr_step},          {"lr-step-factor", f.lr_step_factor}};
}

void set_augment_schedule_flag(AugmentScheduleFlags& f, const std::string& flag, const nlohmann::json& v) {
    if (flag == "augment") f.augment = v.get<bool>();
    else if (flag == "rotate") f.distortion.rotation = v.get<float>();
    else if (flag == "shift") f.distortion.shift = v.get<float>();
    else if (flag == "scale") f.distortion.scale = v.get<float>();
    else if (flag == "shear") f.distortion.shear = v.get<float>();
    else if (flag == "elastic") f.elastic = v.get<std::string>();
    else if (flag == "lr-schedule") f.lr_schedule = v.get<std::string>();
    else if (flag == "warmup") f.warmup = v.get<double>();
    else if (flag == "lr-min") f.lr_min = v.get<double>();
    else if (flag == "lr-step") f.lr_step = v.get<double>();
    else if (flag == "lr-step-factor") f.lr_step_factor = v.get<double>();
}

void apply_augment_schedule(const AugmentScheduleFlags& f, double lr, cnn::TrainOptions& t) {
    t.augment_enabled = f.augment;
    t.augment = f.distortion;
    t.augment.elastic_alpha = 0.0f;
    if (!f.elastic.empty()) parse_elastic(f.elastic, t.augment.elastic_alpha, t.augment.elastic_sigma);
    if (t.augment_enabled) cnn::validate(t.augment);
    t.lr_schedule.decay = cnn::parse_lr_decay(f.lr_schedule);
    t.lr_schedule.warmup_epochs = f.warmup;
    if (f.lr_min > lr)
        throw cnn::Error("--lr-min " + std::to_string(f.lr_min) + " is above the learning rate " + std::to_string(lr));
    t.lr_schedule.min_factor = f.lr_min / lr;
    t.lr_schedule.step_epochs = f.lr_step;
    t.lr_schedule.step_factor = f.lr_step_factor;
    cnn::validate(t.lr_schedule);
}

void describe_augment_schedule(const cnn::TrainOptions& t, nlohmann::json& training) {
    training["augmentation"] = t.augment_enabled ? nlohmann::json(cnn::describe(t.augment)) : nlohmann::json();
    training["lr_schedule"] = cnn::describe(t.lr_schedule, t.epochs);
}

}  // namespace tools
