#include "cnn/training/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {
// The shortest text that reads back as exactly v ("0.1", not "0.10000000000000001").
std::string shortest(double v) {
    char buf[40];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        // Plain digits unless the value is huge or tiny: "1e+01" reads back as 10 but reads badly.
        const bool plain = !std::strchr(buf, 'e') || std::fabs(v) >= 1e15 || std::fabs(v) < 1e-4;
        if (std::strtod(buf, nullptr) == v && plain) break;
    }
    return buf;
}
}  // namespace

LrDecay parse_lr_decay(const std::string& name) {
    if (name == "constant") return LrDecay::Constant;
    if (name == "cosine") return LrDecay::Cosine;
    if (name == "step") return LrDecay::Step;
    throw Error("unknown learning-rate schedule '" + name + "' (known: constant, cosine, step)");
}

std::string to_string(LrDecay decay) {
    switch (decay) {
        case LrDecay::Cosine: return "cosine";
        case LrDecay::Step: return "step";
        case LrDecay::Constant: break;
    }
    return "constant";
}

void validate(const LrSchedule& s) {
    if (!(s.warmup_epochs >= 0.0 && s.warmup_epochs < 1e6))
        throw Error("warmup must be a non-negative number of epochs, got " + std::to_string(s.warmup_epochs));
    if (!(s.min_factor >= 0.0 && s.min_factor <= 1.0))
        throw Error("the cosine schedule's final factor must be in [0, 1], got " + std::to_string(s.min_factor));
    if (!(s.step_epochs > 0.0 && s.step_epochs < 1e6))
        throw Error("the step schedule's interval must be a positive number of epochs, got " +
                    std::to_string(s.step_epochs));
    if (!(s.step_factor > 0.0 && s.step_factor <= 1.0))
        throw Error("the step schedule's factor must be in (0, 1], got " + std::to_string(s.step_factor));
}

std::string describe(const LrSchedule& s, int epochs) {
    std::string out = "constant";
    if (s.decay == LrDecay::Cosine)
        out = "cosine to x" + shortest(s.min_factor) + " over " + std::to_string(epochs) + " epochs";
    if (s.decay == LrDecay::Step)
        out = "step x" + shortest(s.step_factor) + " every " + shortest(s.step_epochs) + " epochs";
    if (s.warmup_epochs > 0.0) out += ", warmup " + shortest(s.warmup_epochs) + " epochs";
    return out;
}

float scheduled_learning_rate(const LrSchedule& s, float base, double progress, int epochs) {
    if (s.warmup_epochs > 0.0 && progress < s.warmup_epochs) return float(base * progress / s.warmup_epochs);
    const double after = std::max(0.0, progress - s.warmup_epochs);
    switch (s.decay) {
        case LrDecay::Cosine: {
            const double span = double(epochs) - s.warmup_epochs;
            const double t = span > 0.0 ? std::min(1.0, after / span) : 1.0;
            const double pi = 3.14159265358979323846;
            return float(base * (s.min_factor + (1.0 - s.min_factor) * 0.5 * (1.0 + std::cos(pi * t))));
        }
        case LrDecay::Step:
            return float(base * std::pow(s.step_factor, std::floor(after / s.step_epochs)));
        case LrDecay::Constant:
            break;
    }
    return base;
}

}  // namespace cnn
