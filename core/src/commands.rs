//! A service's `exec` lines, packed: every argument of every command in
//! one string, so that a service's commands cost one allocation.
//!
//! Owns the packing and nothing else: it neither parses service files nor
//! knows what a command means.
//!
//! A list of lists of `String`s took four allocations for `exec
//! /bin/sleep 1000000` (the list, the argv, two strings), and malloc's
//! header and rounding on each: 160 bytes of init's heap for 18 of text.
//! Packed, each argument is written as a netstring-like `LEN:TEXT` (the
//! length in bytes, in decimal) and each command ends with `;`, so any
//! text, `;` and `:` included, reads back as it went in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The commands of a service, one argv each, in order. Reads as a list of
/// lists of strings; compares, hashes, prints and serialises as one.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Commands {
    packed: Box<str>,
}

impl Commands {
    pub fn new() -> Commands {
        Commands::default()
    }

    /// Adds one command at the end. Packs the whole list again: the list
    /// is built once, by the parser, a line at a time.
    pub fn push<S: AsRef<str>>(&mut self, argv: impl IntoIterator<Item = S>) {
        let mut packed = String::from(std::mem::take(&mut self.packed));
        append_command(&mut packed, argv);
        self.packed = packed.into_boxed_str();
    }

    /// How many commands there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No command: a milestone.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    pub fn clear(&mut self) {
        self.packed = Box::default();
    }

    /// The commands in order.
    pub fn iter(&self) -> CommandsIter<'_> {
        CommandsIter { rest: &self.packed }
    }

    /// Command `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Argv<'_>> {
        self.iter().nth(index)
    }

    /// The commands as separate strings, for code that wants them so.
    pub fn to_vecs(&self) -> Vec<Vec<String>> {
        self.iter()
            .map(|argv| argv.map(str::to_string).collect())
            .collect()
    }
}

/// Writes one command in the packed form.
fn append_command<S: AsRef<str>>(packed: &mut String, argv: impl IntoIterator<Item = S>) {
    for arg in argv {
        let arg = arg.as_ref();
        packed.push_str(&arg.len().to_string());
        packed.push(':');
        packed.push_str(arg);
    }
    packed.push(';');
}

impl<S: AsRef<str>, A: IntoIterator<Item = S>> FromIterator<A> for Commands {
    fn from_iter<I: IntoIterator<Item = A>>(commands: I) -> Commands {
        let mut packed = String::new();
        for argv in commands {
            append_command(&mut packed, argv);
        }
        Commands {
            packed: packed.into_boxed_str(),
        }
    }
}

impl From<Vec<Vec<String>>> for Commands {
    fn from(commands: Vec<Vec<String>>) -> Commands {
        commands.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Commands {
    type Item = Argv<'a>;
    type IntoIter = CommandsIter<'a>;

    fn into_iter(self) -> CommandsIter<'a> {
        self.iter()
    }
}

/// The commands of a [`Commands`], each an [`Argv`].
#[derive(Clone)]
pub struct CommandsIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for CommandsIter<'a> {
    type Item = Argv<'a>;

    fn next(&mut self) -> Option<Argv<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        // Skip the arguments to the `;` that ends the command: a `;` in
        // an argument is inside its length.
        let mut args = Argv { rest: self.rest };
        while args.next().is_some() {}
        let used = self.rest.len() - args.rest.len();
        let command = Argv {
            rest: self.rest.get(..used).unwrap_or_default(),
        };
        self.rest = args.rest.strip_prefix(';').unwrap_or_default();
        Some(command)
    }
}

/// One command's arguments, program first.
#[derive(Clone)]
pub struct Argv<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Argv<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (len, after) = self.rest.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let arg = after.get(..len)?;
        self.rest = after.get(len..).unwrap_or_default();
        Some(arg)
    }
}

impl<'a> Argv<'a> {
    /// The arguments as a list, for comparing and printing.
    pub fn to_vec(&self) -> Vec<&'a str> {
        self.clone().collect()
    }
}

impl fmt::Debug for Commands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|argv| argv.to_vec()))
            .finish()
    }
}

impl fmt::Debug for Argv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Argv<'_> {
    fn eq(&self, other: &[S]) -> bool {
        self.clone().eq(other.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Argv<'_> {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Argv<'_> {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

/// A list of arguments in another form (an array or a `Vec` of `&str` or
/// `String`), for comparing a [`Commands`] with a literal.
pub trait ArgList {
    fn args(&self) -> impl Iterator<Item = &str>;
}

impl<S: AsRef<str>> ArgList for [S] {
    fn args(&self) -> impl Iterator<Item = &str> {
        self.iter().map(AsRef::as_ref)
    }
}

impl<S: AsRef<str>, const N: usize> ArgList for [S; N] {
    fn args(&self) -> impl Iterator<Item = &str> {
        self.iter().map(AsRef::as_ref)
    }
}

impl<L: ArgList + ?Sized> ArgList for &L {
    fn args(&self) -> impl Iterator<Item = &str> {
        (**self).args()
    }
}

impl<S: AsRef<str>> ArgList for Vec<S> {
    fn args(&self) -> impl Iterator<Item = &str> {
        self.iter().map(AsRef::as_ref)
    }
}

impl<C: ArgList> PartialEq<[C]> for Commands {
    fn eq(&self, other: &[C]) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|(argv, expected)| argv.eq(expected.args()))
    }
}

impl<C: ArgList, const N: usize> PartialEq<[C; N]> for Commands {
    fn eq(&self, other: &[C; N]) -> bool {
        *self == other[..]
    }
}

impl<C: ArgList> PartialEq<Vec<C>> for Commands {
    fn eq(&self, other: &Vec<C>) -> bool {
        *self == other[..]
    }
}

impl Serialize for Commands {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|argv| argv.to_vec()))
    }
}

impl<'de> Deserialize<'de> for Commands {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Commands, D::Error> {
        Vec::<Vec<String>>::deserialize(deserializer).map(Commands::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_back_as_written() {
        let written = vec![
            vec!["/bin/sleep".to_string(), "1000000".to_string()],
            vec![],
            vec![String::new(), "a;b".to_string(), "3:x;".to_string()],
            vec!["é\u{10FFFD}".to_string()],
        ];
        let commands = Commands::from(written.clone());
        assert_eq!(commands.to_vecs(), written);
        assert_eq!(commands, written);
        assert_eq!(commands.len(), 4);
        assert_eq!(
            commands.get(2).map(|argv| argv.to_vec()),
            Some(vec!["", "a;b", "3:x;"])
        );
        assert!(commands.get(4).is_none());
    }

    #[test]
    fn an_empty_list_is_a_milestone() {
        let mut commands = Commands::new();
        assert!(commands.is_empty());
        assert_eq!(commands.len(), 0);
        commands.push(["true"]);
        assert!(!commands.is_empty());
        assert_eq!(commands, [["true"]]);
        commands.clear();
        assert!(commands.is_empty());
    }

    #[test]
    fn prints_and_serialises_as_a_list_of_lists() {
        let commands: Commands = [["mount", "-a"], ["echo", "x y"]].into_iter().collect();
        let lists = vec![vec!["mount", "-a"], vec!["echo", "x y"]];
        assert_eq!(format!("{commands:?}"), format!("{lists:?}"));
        let json = serde_json::to_string(&commands).unwrap_or_default();
        assert_eq!(json, serde_json::to_string(&lists).unwrap_or_default());
        let back: Commands = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, commands);
    }
}
