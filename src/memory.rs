//! Giving memory back. glibc's allocator keeps what it once handed out: it raises its mmap
//! threshold after the first large free (so later 19 MiB argon2 blocks came from arenas and
//! stayed), and it makes up to eight arenas per core. dmptool sets a fixed mmap threshold
//! (large buffers are mapped and unmapped, never kept), bounds the arenas to one per core,
//! and the server trims free pages every few seconds ([`trim`]). Elsewhere (musl, other
//! systems) these are no-ops.

/// Buffers at least this large are mapped on their own and unmapped when freed.
const MMAP_THRESHOLD: i32 = 1 << 20;

/// How often the server hands free memory back to the system.
pub const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Sets the allocator's policy. Call first thing in `main`, before any thread starts.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = i32::try_from(cores.clamp(2, 64)).unwrap_or(2);
        // SAFETY: mallopt only changes allocator parameters; called before other threads.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Returns free pages of every arena to the system (blocking; a few ms at most), and the
/// kept password-hashing buffer once no login has been checked for a while.
pub fn trim() {
    crate::service::passwords::release_idle(TRIM_EVERY);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
