//! The body that acts in virtual time: it drives `init-core` with scripted
//! processes and a virtual clock, replays scenario files and fuzzes them.
//! No supervision policy lives here.
