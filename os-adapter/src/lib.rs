//! The body that acts against the kernel: it carries out what `init-core`
//! decides. No policy lives here: no timeout values, no restart rules, no
//! ordering decisions.
//!
//! - [`loader`]: reads a configuration directory into parsed services.

pub mod loader;
