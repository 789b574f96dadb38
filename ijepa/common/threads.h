#pragma once

namespace ijepa {

// Sets LibTorch's intra-op thread count. `requested` <= 0 means "all hardware threads": LibTorch
// from Debian starts OpenMP at one thread, so binaries must set this explicitly. Returns the count
// now in effect.
int ConfigureIntraOpThreads(int requested);

}  // namespace ijepa
