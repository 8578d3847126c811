// The `train` flags for data augmentation and the learning-rate schedule: command-line options
// that fill core's AugmentOptions and LrSchedule, their record for --resume, and the manifest text.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cnn/training/trainer.hpp"

namespace tools {

struct AugmentScheduleFlags {
    bool augment = false;
    cnn::AugmentOptions distortion;  // ranges; elastic part from `elastic`
    std::string elastic;             // "ALPHA,SIGMA" (e.g. "34,4"); empty: no elastic distortion
    std::string redraw_pen = "0.08,0.18";  // "MIN,MAX" redraw pen widths, fractions of the digit size
    std::string lr_schedule = "constant";
    double warmup = 0.0;             // epochs
    double lr_min = 0.0;             // cosine: final learning rate
    double lr_step = 10.0;           // step: epochs between decays
    double lr_step_factor = 0.1;     // step: factor per decay
};

// Adds --augment, --rotate, --shift, --scale, --shear, --elastic, --redraw, --redraw-pen, --marks,
// --stray, --stroke, --lr-schedule, --warmup,
// --lr-min, --lr-step and --lr-step-factor. Giving any distortion flag turns augmentation on.
void add_augment_schedule_flags(CLI::App* cmd, AugmentScheduleFlags& f);

// The flags' names without dashes: all of them shape a run, so a resumed run must keep them.
const std::vector<std::string>& augment_schedule_flag_names();
// Their values by flag name, and one of them back (throws nlohmann::json::exception on a wrong type).
nlohmann::json augment_schedule_json(const AugmentScheduleFlags& f);
void set_augment_schedule_flag(AugmentScheduleFlags& f, const std::string& flag, const nlohmann::json& v);

// Fills the trainer's options (lr: the base learning rate); throws cnn::Error for bad values.
void apply_augment_schedule(const AugmentScheduleFlags& f, double lr, cnn::TrainOptions& t);

}  // namespace tools
