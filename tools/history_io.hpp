// The per-epoch training history as files: JSON (Keras History.history style columns), CSV and an
// SVG figure of loss and accuracy.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cnn/training/trainer.hpp"

namespace tools {

// {"epoch": [1, 2], "loss": [...], "accuracy": [...], "val_loss": [...], "val_accuracy": [...],
//  "seconds": [...], "images_per_second": [...], "best_epoch": 2, "stopped_early": false, ...}
// val_* entries are null for epochs without validation data.
nlohmann::json history_json(const cnn::History& h);

// epoch,loss,accuracy,val_loss,val_accuracy,seconds,images_per_second
std::string history_csv(const cnn::History& h);

// Two panels, loss and accuracy per epoch, training and validation, best epoch marked.
std::string history_svg(const cnn::History& h, const std::string& title);

}  // namespace tools
