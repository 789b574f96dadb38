// Uses //ijepa/masking from another workspace: samples one batch of I-JEPA masks with the default
// configuration on a 14x14 patch grid and prints their sizes.
#include <cstdio>

#include "ijepa/masking/mask.pb.h"
#include "ijepa/masking/mask_sampler.h"

int main() {
  ijepa::masking::MaskConfig config;  // Defaults are the official I-JEPA ones.
  auto sampler = ijepa::masking::CreateMaskSampler(config, /*grid_h=*/14, /*grid_w=*/14);
  if (!sampler.ok()) {
    std::fprintf(stderr, "%s\n", sampler.status().ToString().c_str());
    return 1;
  }
  const ijepa::masking::BatchMasks masks =
      (*sampler)->Sample(/*batch_size=*/8, /*seed=*/0, /*epoch=*/0, /*batch_index=*/0, /*rank=*/0);
  std::printf("context masks: %zu of %zu patches; target masks: %zu of %zu patches\n",
              masks.context.size(), masks.context[0][0].size(), masks.targets.size(),
              masks.targets[0][0].size());
  return 0;
}
