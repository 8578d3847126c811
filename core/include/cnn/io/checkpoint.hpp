// The resumable training checkpoint: a model and its trainer's state in one file, so that a run
// continued from it (Trainer::restore) reaches exactly the weights of an uninterrupted run.
// Binary, little-endian, versioned, CRC'd like the weights file:
//
//   offset  field
//   0       magic "DCNNCKPT" (8 bytes)
//   8       u32 format version (1)
//   12      u32 length W, then W bytes: the model's current weights as a weights file
//           (weights_io.hpp, with its own spec, checks and CRC)
//           u32 metadata length M, then M bytes (JSON text: e.g. the options of the run)
//           u32 settings count, then (key, value) strings       TrainerState::settings
//           u32 epoch, u32 batch, u8 in_epoch
//           u32 order count, then i32 indices                    (empty between epochs)
//           4 x u64 random generator state
//           string optimizer name, f64 learning rate, u32 count + f64 optimizer state values
//           f64 loss sum, u64 correct, u64 seen, f64 epoch seconds
//           u32 history count, then per epoch: u32 epoch, f64 loss, accuracy, val_loss,
//             val_accuracy, u8 has_validation, f64 seconds, images_per_second, u8 improved;
//             then u32 best epoch, u8 stopped early
//           u32 count + f32 best values, f64 best val_loss, u32 wait
//   end-4   u32 CRC-32 of every byte before it
//
// (Strings are u32 length + bytes.) Loading checks all of it and says exactly what is wrong;
// whether the state fits a given run is Trainer::restore's question.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/model/model.hpp"
#include "cnn/training/trainer.hpp"

namespace cnn {

constexpr std::uint32_t kCheckpointVersion = 1;

struct Checkpoint {
    Model model;
    TrainerState state;
    std::string metadata;
};

// Throws CheckpointError if the model or the state holds a non-finite value: a diverged run must
// not replace the last good checkpoint.
std::vector<std::uint8_t> encode_checkpoint(Model& model, const TrainerState& state,
                                            const std::string& metadata = "{}");
Checkpoint decode_checkpoint(const std::uint8_t* data, std::size_t size);

// Writing is atomic (temp + rename).
void save_checkpoint(const std::string& path, Model& model, const TrainerState& state,
                     const std::string& metadata = "{}");
Checkpoint load_checkpoint(const std::string& path);

}  // namespace cnn
