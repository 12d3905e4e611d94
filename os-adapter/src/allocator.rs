//! How init's allocator hands memory back to the system.
//!
//! glibc's malloc serves every request below its mmap threshold (128 KiB
//! at first, rising as large blocks are freed) from the one brk heap. The
//! load and the boot make a few large blocks that live only a moment: the
//! directory listing, the queue of a thousand spawns as it grows, the
//! run's steps. Freed, each leaves a hole in the heap
//! below what lives on, resident for as long as init runs, and the heap's
//! peak is init's. With the threshold at 16 KiB, such a block that the
//! heap's free top cannot hold is mapped on its own instead of growing
//! the heap, and unmapped when freed: with 1,000 services init's anonymous
//! memory was 1072 kB instead of 1232 kB (docs/performance.md, Memory).
//! Smaller blocks, the bulk of what init keeps, are unchanged. A fixed
//! threshold also stops glibc from raising it.
//!
//! glibc also keeps freed blocks of up to 128 bytes in "fast bins", apart
//! and never merged with their free neighbours until a large request
//! comes. Init frees such blocks by the thousand during the load, the
//! boot and every status request, between blocks that live on: with
//! 1,000 services 80 kB of its heap were 1,850 of them. Without fast bins
//! (the per-thread cache of a few blocks a size still serves the quick
//! path) they merge as they are freed and are reused: init's anonymous
//! memory was 792 kB instead of 844 (docs/performance.md, Memory).
//!
//! The knob is glibc's: with musl this does nothing.

/// The size from which glibc maps a block on its own.
pub const MMAP_THRESHOLD: usize = 16 * 1024;

/// Sets [`MMAP_THRESHOLD`], where the C library has the knob. Call it
/// first thing, before any thread exists.
pub fn keep_large_blocks_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of malloc; init has no other
    // thread yet. It fails only for an unknown parameter.
    unsafe {
        nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as i32);
    }
}

/// Turns glibc's fast bins off (`M_MXFAST` 0), so that freed small
/// blocks merge with their free neighbours. Call it first thing, with
/// [`keep_large_blocks_apart`].
pub fn merge_freed_small_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: as above: mallopt only sets a parameter of malloc, and init
    // has no other thread yet.
    unsafe {
        nix::libc::mallopt(nix::libc::M_MXFAST, 0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// After the call, blocks a little over the threshold are mapped on
    /// their own once the heap's free top is used up, where glibc's own
    /// threshold (128 KiB and up) would grow the heap for every one.
    #[test]
    fn blocks_over_the_threshold_are_mapped_apart() {
        keep_large_blocks_apart();
        // SAFETY: mallinfo2 only reads malloc's counters.
        let before = unsafe { nix::libc::mallinfo2() }.hblks;
        let blocks: Vec<Vec<u8>> = (0..100)
            .map(|_| std::hint::black_box(Vec::with_capacity(MMAP_THRESHOLD + 4096)))
            .collect();
        let during = unsafe { nix::libc::mallinfo2() }.hblks;
        drop(blocks);
        assert!(
            during >= before + 50,
            "mapped blocks: {before} before, {during} with 100 of them"
        );
    }

    /// After the call, freed small blocks go to no fast bin: more of them
    /// than the per-thread cache holds leave the fast bins empty.
    #[test]
    fn freed_small_blocks_are_kept_in_no_fast_bin() {
        merge_freed_small_blocks();
        let blocks: Vec<Box<[u8; 24]>> = (0..100)
            .map(|_| std::hint::black_box(Box::new([0u8; 24])))
            .collect();
        drop(blocks);
        // SAFETY: mallinfo2 only reads malloc's counters.
        let fast_blocks = unsafe { nix::libc::mallinfo2() }.smblks;
        assert_eq!(fast_blocks, 0);
    }
}
