//! How much of a server's text a report keeps: each text is cut at a bound, each list at
//! a length, the cut saying how much went. Applied where texts are made (the checks) and
//! again to the whole report before any output (`report/scrub.rs`).

/// The longest text a report keeps (a finding, a note, a reason); longer ones are cut and
/// say how much was left out.
pub const MAX_TEXT_BYTES: usize = 4 * 1024;
/// The longest snapshot diff a report keeps.
pub const MAX_DIFF_BYTES: usize = 64 * 1024;
/// The most texts one list keeps (a check's findings, a case's drift, the notes); the last
/// says how many more there were.
pub const MAX_LIST_ITEMS: usize = 50;

/// Cuts `text` to at most `bound` bytes (on a character boundary), saying how much went.
pub fn truncate(text: &mut String, bound: usize) {
    if text.len() <= bound {
        return;
    }
    let mut end = bound;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let left_out = text.len() - end;
    text.truncate(end);
    text.push_str(&format!(" … ({left_out} more bytes not shown)"));
}

/// Keeps at most [`MAX_LIST_ITEMS`] of `items`, the last saying how many were left out.
pub fn bound_list(items: &mut Vec<String>) {
    if items.len() <= MAX_LIST_ITEMS {
        return;
    }
    let left_out = items.len() - (MAX_LIST_ITEMS - 1);
    items.truncate(MAX_LIST_ITEMS - 1);
    items.push(format!("… and {left_out} more not shown"));
}

/// A list of texts bounded as a report keeps it: at most [`MAX_LIST_ITEMS`], each at most
/// [`MAX_TEXT_BYTES`]; for where texts are made, so that nothing larger is ever held.
pub fn bound_texts(items: &mut Vec<String>) {
    bound_list(items);
    items
        .iter_mut()
        .for_each(|item| truncate(item, MAX_TEXT_BYTES));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_on_a_character_boundary_and_says_so() {
        let mut text = "é".repeat(10);
        truncate(&mut text, 5);
        assert_eq!(text, "éé … (16 more bytes not shown)");
        let mut short = "ok".to_owned();
        truncate(&mut short, 5);
        assert_eq!(short, "ok");
    }

    #[test]
    fn a_long_list_keeps_its_bound_and_counts_the_rest() {
        let mut items: Vec<String> = (0..120).map(|i| i.to_string()).collect();
        bound_list(&mut items);
        assert_eq!(items.len(), MAX_LIST_ITEMS);
        assert_eq!(items.last().unwrap(), "… and 71 more not shown");
    }
}
