#pragma once
// glibc malloc settings for the agent's allocation pattern, applied once at startup.

namespace auditrelay {

// Batches allocate and free buffers of a few hundred KiB on different threads. With glibc's
// defaults, those come from mmap or are trimmed back to the kernel when freed, so every batch
// page-faults its buffers in again: 17 % of the agent's CPU in e2e_bench. Keeping them in the
// heap (a fixed mmap threshold well above a batch, and a trim threshold above the default
// in-flight budget) removes that; RSS stays bounded by pipeline.max_in_flight. A user's
// MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ environment settings win.
void tune_allocator();

}  // namespace auditrelay
