//! Reads a configuration directory (`/etc/init.d`) into services.
//!
//! Owns the file-system side of loading: listing the directory, following
//! the enable symlinks, skipping entries that are not services. It hands the
//! bytes to `init_core::parse` and decides nothing about their meaning.
//!
//! STUB: the real loader is being written.
