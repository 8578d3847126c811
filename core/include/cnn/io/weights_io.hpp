// cnn/io/: every file format: weights (this file), checkpoints, model files, IDX, ONNX, and
// the plumbing they share (atomic whole-file I/O, gzip, CRC-32).
//
// The weights file: binary, little-endian, versioned, self-describing.
//
//   offset  field
//   0       magic "DCNNWTS\0" (8 bytes)
//   8       u32 format version (1)
//   12      u32 spec length S, then S bytes of model spec (canonical text)
//           u32 metadata length M, then M bytes of metadata (JSON text: preprocessing, training)
//           u32 tensor count T, then T times:
//             u32 name length, name bytes, u32 rank R, R x u32 dims, prod(dims) x f32 values
//   end-4   u32 CRC-32 of every byte before it
//
// Loading checks all of it and says exactly what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/model/model.hpp"

namespace cnn {

constexpr std::uint32_t kWeightsVersion = 1;

std::vector<std::uint8_t> encode_weights(Model& model, const std::string& metadata = "{}");
// Rebuilds the model from the file's spec and fills its parameters. metadata may be null.
Model decode_weights(const std::uint8_t* data, std::size_t size, std::string* metadata = nullptr);

void save_weights(const std::string& path, Model& model, const std::string& metadata = "{}");
Model load_weights(const std::string& path, std::string* metadata = nullptr);

}  // namespace cnn
