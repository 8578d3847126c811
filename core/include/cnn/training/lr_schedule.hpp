// Learning-rate schedules: the rate the trainer gives the optimizer before every batch, as a
// function of how far training has progressed. Optional linear warmup, then constant, cosine
// decay (Loshchilov & Hutter's SGDR without restarts; Keras CosineDecay) or step decay.
#pragma once

#include <string>

namespace cnn {

enum class LrDecay { Constant, Cosine, Step };

struct LrSchedule {
    LrDecay decay = LrDecay::Constant;
    double warmup_epochs = 0.0;  // linear ramp from near 0 up to base over this many epochs
    double min_factor = 0.0;     // cosine: the rate ends at base * min_factor (Keras' alpha)
    double step_epochs = 10.0;   // step: multiply the rate by step_factor every step_epochs epochs
    double step_factor = 0.1;
};

// "constant", "cosine" or "step"; throws Error for anything else.
LrDecay parse_lr_decay(const std::string& name);
std::string to_string(LrDecay decay);

// Throws Error naming the first setting out of range.
void validate(const LrSchedule& s);

// One line for manifests and checkpoint settings, e.g. "cosine to x0 over 20 epochs, warmup 1 epochs":
// every setting that changes the rates appears, in the shortest text that reads back exactly.
std::string describe(const LrSchedule& s, int epochs);

// The learning rate for a batch whose middle lies `progress` epochs into a run of `epochs` epochs
// (the trainer passes epoch + (batch + 0.5) / batches, so neither warmup nor cosine ever gives 0).
// Warmup counts from the start of the run; the decay spans what remains after it.
float scheduled_learning_rate(const LrSchedule& s, float base, double progress, int epochs);

}  // namespace cnn
