#pragma once

namespace ijepa {

// Keeps freed host memory in the process for reuse instead of returning it to the kernel.
//
// A training step allocates and frees the same large activation and gradient buffers every step.
// glibc's malloc serves blocks above its mmap threshold (dynamic, from 128 KiB) with fresh mmaps
// and returns heap memory above the trim threshold, so each step pays a page fault per 4 KiB of
// every large buffer it touches first: measured 2.1 million minor faults in four ViT-Tiny/16
// steps at batch 16 (docs/performance.md). This serves every block from the heap (no per-block
// mmap) and never trims it: after the first steps a step faults no new pages. Values are
// unchanged; the resident size stays at the run's peak.
//
// Call once, before the first large allocation; a no-op on other C libraries. Returns whether
// the C library accepted the settings.
bool KeepFreedHostMemory();

}  // namespace ijepa
