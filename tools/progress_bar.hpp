// Training progress on the terminal: a per-batch bar on stderr (redrawn in place on a TTY, a few
// milestone lines otherwise) and a Keras-like summary line per epoch on stdout.
#pragma once

#include <cstdio>
#include <string>

#include "cnn/training/trainer.hpp"

namespace tools {

class ProgressBar {
public:
    // Redraws in place only when stderr is a terminal.
    ProgressBar();

    void on_batch(const cnn::Progress& p);
    void on_epoch(const cnn::EpochStats& s, int epochs);
    // Erases the bar so that other output starts on a clean line.
    void clear();

private:
    bool tty_ = false;
    double last_draw_ = -1.0;
    int last_quarter_ = 0;
    int epoch_ = 0;
    std::size_t drawn_ = 0;  // characters of the bar currently on screen
};

// "Epoch 3/20 - 12.4s - 3,890 img/s - loss: 0.0712 - accuracy: 0.9785 - val_loss: ... *"
std::string epoch_line(const cnn::EpochStats& s, int epochs);

}  // namespace tools
