// The encoder's own config inside a training checkpoint: written by //ijepa/training, read by
// evaluation and tools, which need the architecture and the pretraining data section but nothing
// else of the training config.
#pragma once

#include <ATen/core/Dict.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "ijepa/checkpoint/encoder_config.pb.h"

namespace ijepa::checkpoint {

// The entry that holds EncoderConfig's text.
inline constexpr char kEncoderConfigEntry[] = "encoder_config";
// The entry where checkpoints written before kEncoderConfigEntry hold the run's PretrainConfig text.
inline constexpr char kPretrainConfigEntry[] = "config";

// Adds `config` as text under kEncoderConfigEntry.
void AddEncoderConfig(const EncoderConfig& config, c10::impl::GenericDict* dict);

// The EncoderConfig of a checkpoint dict read from `path`: its kEncoderConfigEntry, else the one
// its kPretrainConfigEntry (an older file) implies: model_name, pred_depth, pred_emb_dim and the
// drop-path rates from meta, patch_size from mask, crop_size and in_chans from data.crop_size and
// data.channels, data as it is. nullopt when the dict has neither as a string (an official file).
// A text that does not parse is an error naming `path`: "cannot parse EncoderConfig|PretrainConfig
// from PATH (embedded config): LINE:COLUMN: ...".
absl::StatusOr<std::optional<EncoderConfig>> ReadEncoderConfig(const c10::impl::GenericDict& dict,
                                                               const std::string& path);

}  // namespace ijepa::checkpoint
