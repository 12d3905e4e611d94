//! "Did you mean ...?" for misspelt words.
//!
//! Owns only the closeness measure and the hint text; the callers decide
//! which words are candidates.

/// ` (did you mean `NEAR`?)` when one of `candidates` is close enough to
/// `word` to be a likely typo (`exce`, `Type`, `tagret`, `respwn`).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let word: Vec<char> = word.chars().collect();
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let candidate_chars: Vec<char> = candidate.chars().collect();
            // One edit for short words, a third of the length for longer
            // ones: `x` is near nothing, `descripton` is near `description`.
            let limit = (candidate_chars.len() / 3).max(1);
            // The distance is at least the difference in length: a word
            // that cannot be near is not measured (garbage lines are long).
            if word.len().abs_diff(candidate_chars.len()) > limit {
                return None;
            }
            let distance = edit_distance(&word, &candidate_chars);
            (distance <= limit).then_some((distance, candidate))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, near)| format!(" (did you mean `{near}`?)"))
}

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment), since swapped letters are the commonest typo.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            table[i * width + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let substitution = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (table[(i - 1) * width + j] + 1)
                    .min(table[i * width + j - 1] + 1)
                    .min(table[(i - 1) * width + j - 1] + substitution);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(table[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    table[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYWORDS: [&str; 7] = [
        "description",
        "type",
        "target",
        "tty",
        "after",
        "before",
        "exec",
    ];

    fn near(word: &str) -> Option<String> {
        did_you_mean(word, KEYWORDS)
    }

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(near("exce").as_deref(), Some(" (did you mean `exec`?)"));
        assert_eq!(near("Type").as_deref(), Some(" (did you mean `type`?)"));
        assert_eq!(near("tagret").as_deref(), Some(" (did you mean `target`?)"));
        assert_eq!(
            near("descripton").as_deref(),
            Some(" (did you mean `description`?)")
        );
        assert_eq!(near("respawn"), None);
        assert_eq!(near("x"), None);
        assert_eq!(near(&"a".repeat(10_000)), None);
    }

    fn distance(a: &str, b: &str) -> usize {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        edit_distance(&chars(a), &chars(b))
    }

    #[test]
    fn swapped_letters_are_one_edit() {
        assert_eq!(distance("exce", "exec"), 1);
        assert_eq!(distance("", "tty"), 3);
        assert_eq!(distance("tty", "tty"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
