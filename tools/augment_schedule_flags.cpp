#include "augment_schedule_flags.hpp"

#include <cmath>
#include <cstdlib>

#include "cnn/base/error.hpp"

namespace tools {

namespace {
// "A,B" -> a, b; anything else is refused with the expected form.
void parse_pair(const std::string& text, const char* flag, const char* form, float& a, float& b) {
    const auto comma = text.find(',');
    const auto bad = [&] { return cnn::Error(std::string(flag) + " expects " + form + ", got '" + text + "'"); };
    if (comma == std::string::npos) throw bad();
    const std::string x = text.substr(0, comma), y = text.substr(comma + 1);
    char* end = nullptr;
    a = std::strtof(x.c_str(), &end);
    if (x.empty() || *end != '\0' || !std::isfinite(a)) throw bad();
    b = std::strtof(y.c_str(), &end);
    if (y.empty() || *end != '\0' || !std::isfinite(b)) throw bad();
}

// "34,4" -> alpha 34, sigma 4.
void parse_elastic(const std::string& text, float& alpha, float& sigma) {
    parse_pair(text, "--elastic", "ALPHA,SIGMA in pixels (e.g. 34,4)", alpha, sigma);
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
    cmd->add_option("--redraw", f.distortion.redraw,
                    "Augmentation: probability of redrawing a digit from its skeleton with a round pen, as "
                    "the page draws (width from --redraw-pen)")
        ->check(CLI::Range(0.0, 1.0))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--redraw-pen", f.redraw_pen, "Augmentation: redraw pen width MIN,MAX as fractions of the "
                                                 "digit's size (20 * width pixels at 28x28)")
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--marks", f.distortion.marks,
                    "Augmentation: probability that a redrawn 0, 1 or 7 gets a slash, a continental flag or a bar")
        ->check(CLI::Range(0.0, 1.0))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--page-pen", f.distortion.page_pen,
                    "Augmentation: probability that a redrawn digit is drawn as on the page instead: the "
                    "page's pen, the digit 25-90% of the pad, through the page's drawing preprocessing")
        ->check(CLI::Range(0.0, 1.0))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--stray", f.distortion.stray,
                    "Augmentation: probability of a stray dot or short stroke next to the digit")
        ->check(CLI::Range(0.0, 1.0))
        ->each(turns_on)
        ->capture_default_str();
    cmd->add_option("--stroke", f.distortion.stroke,
                    "Augmentation: bolder strokes, dilation by up to this many 3x3 steps (e.g. 0.8); thinner strokes come from --redraw")
        ->check(CLI::Range(0.0, 3.0))
        ->each(turns_on)
        ->capture_default_str();
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
                                                   "redraw", "redraw-pen", "marks", "page-pen", "stray", "stroke", "lr-schedule", "warmup", "lr-min", "lr-step", "lr-step-factor"};
    return names;
}

nlohmann::json augment_schedule_json(const AugmentScheduleFlags& f) {
    return {{"augment", f.augment},          {"rotate", f.distortion.rotation}, {"shift", f.distortion.shift},
            {"scale", f.distortion.scale},   {"shear", f.distortion.shear},     {"elastic", f.elastic},
            {"redraw", f.distortion.redraw}, {"redraw-pen", f.redraw_pen},      {"marks", f.distortion.marks},
            {"page-pen", f.distortion.page_pen}, {"stray", f.distortion.stray}, {"stroke", f.distortion.stroke},
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
    else if (flag == "redraw") f.distortion.redraw = v.get<float>();
    else if (flag == "redraw-pen") f.redraw_pen = v.get<std::string>();
    else if (flag == "marks") f.distortion.marks = v.get<float>();
    else if (flag == "page-pen") f.distortion.page_pen = v.get<float>();
    else if (flag == "stray") f.distortion.stray = v.get<float>();
    else if (flag == "stroke") f.distortion.stroke = v.get<float>();
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
    parse_pair(f.redraw_pen, "--redraw-pen", "MIN,MAX (e.g. 0.08,0.18)", t.augment.pen_min, t.augment.pen_max);
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

}  // namespace tools
