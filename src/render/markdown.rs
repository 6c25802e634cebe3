//! The Markdown subset answers are written in (docs/plan-model.md): paragraphs, bullet
//! (`-`, `*`, `+`) and numbered (`1.`, `1)`) lists, `**bold**`, `*italic*` / `_italic_`,
//! `` `code` ``, `[links](https://...)`, and bare `http(s)://` addresses, which become links
//! too. A line break inside a paragraph stays a line break. Anything else is text: a
//! `*` that opens nothing prints as a `*`, and a backslash makes the next mark literal.
//! Links go only to `http`, `https` and `mailto` addresses; any other target prints as text.

/// A stretch of text with one look.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub code: bool,
    /// The address a link goes to.
    pub link: Option<String>,
}

/// A block of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdBlock {
    /// One paragraph; `\n` in a run is a line break.
    Paragraph(Vec<Run>),
    /// List items in order; `start` is the number of the first item of a numbered list.
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Run>>,
    },
}

/// A list marker at the start of a line: (ordered, number, rest of the line).
fn marker(line: &str) -> Option<(bool, u64, &str)> {
    let t = line.trim_start();
    for m in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(m) {
            return Some((false, 0, rest));
        }
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            let n = t[..digits].parse().unwrap_or(1);
            return Some((true, n, rest));
        }
    }
    None
}

/// Parses one answer paragraph (or several, separated by blank lines) into blocks.
pub fn parse(text: &str) -> Vec<MdBlock> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Option<(bool, u64, Vec<String>)> = None;
    let flush_para = |para: &mut Vec<&str>, blocks: &mut Vec<MdBlock>| {
        if !para.is_empty() {
            blocks.push(MdBlock::Paragraph(inline(para.join("\n").trim())));
            para.clear();
        }
    };
    let flush_list = |list: &mut Option<(bool, u64, Vec<String>)>, blocks: &mut Vec<MdBlock>| {
        if let Some((ordered, start, items)) = list.take() {
            blocks.push(MdBlock::List {
                ordered,
                start,
                items: items.iter().map(|i| inline(i.trim())).collect(),
            });
        }
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut list, &mut blocks);
            continue;
        }
        match (marker(line), &mut list) {
            (Some((ordered, _, rest)), Some((lo, _, items))) if *lo == ordered => {
                items.push(rest.to_owned());
            }
            (Some((ordered, n, rest)), _) => {
                flush_para(&mut para, &mut blocks);
                flush_list(&mut list, &mut blocks);
                list = Some((ordered, n, vec![rest.to_owned()]));
            }
            // A line that is no item continues the item before it.
            (None, Some((_, _, items))) => {
                if let Some(last) = items.last_mut() {
                    last.push('\n');
                    last.push_str(line.trim());
                }
            }
            (None, None) => para.push(line),
        }
    }
    flush_para(&mut para, &mut blocks);
    flush_list(&mut list, &mut blocks);
    blocks
}

/// Whether a link may go to this address.
fn linkable(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:"))
        && url.len() > 8
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Where a bare address ends: at white space, or before trailing punctuation that ends
/// the sentence around it.
fn bare_url_len(s: &str) -> usize {
    let end = s.find(|c: char| c.is_whitespace()).unwrap_or(s.len());
    let url = &s[..end];
    let mut len = url.len();
    while len > 0 {
        let last = url[..len].chars().next_back().unwrap_or(' ');
        let unbalanced_paren =
            last == ')' && url[..len].matches('(').count() < url[..len].matches(')').count();
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'') || unbalanced_paren {
            len -= last.len_utf8();
        } else {
            break;
        }
    }
    len
}

/// Whether `after` (the text after an opening mark) starts with something and holds a
/// closing `mark` that follows something other than white space.
fn closes(after: &str, mark: &str) -> bool {
    if after
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || mark.starts_with(c))
    {
        return false;
    }
    let single = mark.len() == 1;
    after.match_indices(mark).any(|(j, _)| {
        let doubled = single && (after[j + 1..].starts_with(mark) || after[..j].ends_with(mark));
        j > 0 && !after[..j].ends_with(char::is_whitespace) && !doubled
    })
}

/// Parses the inline marks of one paragraph or item.
pub fn inline(text: &str) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut bold = false;
    let mut italic: Option<char> = None;
    let mut buf = String::new();
    let push = |out: &mut Vec<Run>, buf: &mut String, bold: bool, italic: bool| {
        if !buf.is_empty() {
            let run = Run {
                text: std::mem::take(buf),
                bold,
                italic,
                ..Run::default()
            };
            match out.last_mut() {
                Some(last)
                    if last.bold == run.bold
                        && last.italic == run.italic
                        && !last.code
                        && last.link.is_none() =>
                {
                    last.text.push_str(&run.text)
                }
                _ => out.push(run),
            }
        }
    };
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        // A backslash makes the next mark literal.
        if c == '\\'
            && let Some(next) = rest[1..]
                .chars()
                .next()
                .filter(|n| "\\*_`[]()".contains(*n))
        {
            buf.push(next);
            i += 1 + next.len_utf8();
            continue;
        }
        if rest.starts_with("**") && (bold || closes(&rest[2..], "**")) {
            push(&mut out, &mut buf, bold, italic.is_some());
            bold = !bold;
            i += 2;
            continue;
        }
        if (c == '*' || c == '_')
            && (italic == Some(c) || (italic.is_none() && closes(&rest[1..], &c.to_string())))
        {
            // `_` inside a word (snake_case) is a letter, not a mark.
            let inside_word = c == '_'
                && text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                && rest[1..].chars().next().is_some_and(char::is_alphanumeric);
            if !inside_word {
                push(&mut out, &mut buf, bold, italic.is_some());
                italic = if italic.is_some() { None } else { Some(c) };
                i += 1;
                continue;
            }
        }
        if c == '`'
            && let Some(end) = rest[1..].find('`')
        {
            push(&mut out, &mut buf, bold, italic.is_some());
            out.push(Run {
                text: rest[1..1 + end].to_owned(),
                bold,
                italic: italic.is_some(),
                code: true,
                link: None,
            });
            i += end + 2;
            continue;
        }
        if c == '['
            && let Some(close) = rest.find("](")
            && let Some(end) = rest[close + 2..].find(')')
        {
            let label = &rest[1..close];
            let url = rest[close + 2..close + 2 + end].trim();
            if linkable(url) && !label.is_empty() && !label.contains('\n') {
                push(&mut out, &mut buf, bold, italic.is_some());
                out.push(Run {
                    text: label.to_owned(),
                    bold,
                    italic: italic.is_some(),
                    code: false,
                    link: Some(url.to_owned()),
                });
                i += close + 3 + end;
                continue;
            }
        }
        if (rest.starts_with("https://") || rest.starts_with("http://"))
            && !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        {
            let len = bare_url_len(rest);
            let url = &rest[..len];
            if linkable(url) {
                push(&mut out, &mut buf, bold, italic.is_some());
                out.push(Run {
                    text: url.to_owned(),
                    bold,
                    italic: italic.is_some(),
                    code: false,
                    link: Some(url.to_owned()),
                });
                i += len;
                continue;
            }
        }
        buf.push(c);
        i += c.len_utf8();
    }
    push(&mut out, &mut buf, bold, italic.is_some());
    out
}

/// One paragraph or one list item of an answer, as a document block holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Paragraph(Vec<Run>),
    /// A list item; `number` is its number in a numbered list.
    Item {
        ordered: bool,
        number: u64,
        runs: Vec<Run>,
    },
}

/// Splits an answer into the Markdown source of each paragraph and each list item, a
/// numbered item written with its number (`3. text`), a bullet item as `- text`.
pub fn sources(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in parse(text) {
        match b {
            MdBlock::Paragraph(runs) => out.push(source_of(&runs)),
            MdBlock::List {
                ordered,
                start,
                items,
            } => {
                for (k, runs) in items.iter().enumerate() {
                    out.push(if ordered {
                        format!("{}. {}", start + k as u64, source_of(runs))
                    } else {
                        format!("- {}", source_of(runs))
                    });
                }
            }
        }
    }
    out
}

/// Markdown that parses back into `runs`.
fn source_of(runs: &[Run]) -> String {
    let mut out = String::new();
    for r in runs {
        let mut t = if r.code {
            format!("`{}`", r.text)
        } else {
            let mut e = String::new();
            for c in r.text.chars() {
                if "\\*_`[]".contains(c) {
                    e.push('\\');
                }
                e.push(c);
            }
            e
        };
        if let Some(url) = &r.link {
            t = if *url == r.text && !r.code {
                url.clone()
            } else {
                format!("[{t}]({url})")
            };
        }
        if r.italic {
            t = format!("*{t}*");
        }
        if r.bold {
            t = format!("**{t}**");
        }
        out.push_str(&t);
    }
    out
}

/// The piece one source of [`sources`] is.
pub fn piece(source: &str) -> Piece {
    match parse(source).into_iter().next() {
        Some(MdBlock::List {
            ordered,
            start,
            mut items,
        }) if !items.is_empty() => Piece::Item {
            ordered,
            number: start,
            runs: items.swap_remove(0),
        },
        Some(MdBlock::Paragraph(runs)) => Piece::Paragraph(runs),
        _ => Piece::Paragraph(Vec::new()),
    }
}

/// The texts of a piece's runs, each as every format shows it (the PDF adds a link's
/// address and a list marker around them; the DOCX makes them runs and numbering).
pub fn fragments(source: &str) -> Vec<String> {
    match piece(source) {
        Piece::Paragraph(runs) | Piece::Item { runs, .. } => runs
            .into_iter()
            .map(|r| r.text.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    }
}

/// A piece as plain text: "• " or "3. " before an item, a link's address after its text.
pub fn plain_piece(source: &str) -> String {
    match piece(source) {
        Piece::Paragraph(runs) => runs_text(&runs),
        Piece::Item {
            ordered: true,
            number,
            runs,
        } => format!("{number}. {}", runs_text(&runs)),
        Piece::Item { runs, .. } => format!("• {}", runs_text(&runs)),
    }
}

/// The text of runs, marks removed; a link whose text is not its address is followed by
/// the address in parentheses, so a reader of plain text still has it.
pub fn runs_text(runs: &[Run]) -> String {
    let mut out = String::new();
    for r in runs {
        out.push_str(&r.text);
        if let Some(url) = &r.link {
            let shown = url.strip_prefix("mailto:").unwrap_or(url);
            if shown != r.text {
                out.push_str(&format!(" ({shown})"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as the PDF prints it: each paragraph and item as plain text.
    fn plain(text: &str) -> String {
        sources(text)
            .iter()
            .map(|s| plain_piece(s))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn t(text: &str) -> Run {
        Run {
            text: text.into(),
            ..Run::default()
        }
    }

    #[test]
    fn bold_italic_code_and_links() {
        let runs =
            inline("Plain **bold** and *it* or _it_, `a*b`, [wiki](https://e.org/a?b=1&c=2) end");
        assert_eq!(
            runs,
            [
                t("Plain "),
                Run {
                    text: "bold".into(),
                    bold: true,
                    ..Run::default()
                },
                t(" and "),
                Run {
                    text: "it".into(),
                    italic: true,
                    ..Run::default()
                },
                t(" or "),
                Run {
                    text: "it".into(),
                    italic: true,
                    ..Run::default()
                },
                t(", "),
                Run {
                    text: "a*b".into(),
                    code: true,
                    ..Run::default()
                },
                t(", "),
                Run {
                    text: "wiki".into(),
                    link: Some("https://e.org/a?b=1&c=2".into()),
                    ..Run::default()
                },
                t(" end"),
            ]
        );
    }

    #[test]
    fn bare_addresses_link_without_their_trailing_punctuation() {
        let runs = inline("See https://example.org/x_(1). Or (https://e.org/a), done");
        let links: Vec<&str> = runs.iter().filter_map(|r| r.link.as_deref()).collect();
        assert_eq!(links, ["https://example.org/x_(1)", "https://e.org/a"]);
        assert_eq!(
            runs.iter().map(|r| r.text.as_str()).collect::<String>(),
            "See https://example.org/x_(1). Or (https://e.org/a), done"
        );
    }

    #[test]
    fn what_opens_nothing_is_text_and_unsafe_links_are_not_links() {
        assert_eq!(
            inline("2 * 3 = 6 and snake_case_name"),
            [t("2 * 3 = 6 and snake_case_name")]
        );
        assert_eq!(inline("a **b"), [t("a **b")]);
        assert_eq!(inline(r"\*not italic\*"), [t("*not italic*")]);
        assert_eq!(
            inline("[x](javascript:alert(1))"),
            [t("[x](javascript:alert(1))")]
        );
    }

    #[test]
    fn paragraphs_lists_and_line_breaks() {
        let blocks = parse(
            "Intro line\nsecond line\n\n- one\n- two\n  continued\n\n3. three\n4) four\n\nEnd.",
        );
        assert_eq!(
            blocks,
            [
                MdBlock::Paragraph(vec![t("Intro line\nsecond line")]),
                MdBlock::List {
                    ordered: false,
                    start: 0,
                    items: vec![vec![t("one")], vec![t("two\ncontinued")]]
                },
                MdBlock::List {
                    ordered: true,
                    start: 3,
                    items: vec![vec![t("three")], vec![t("four")]]
                },
                MdBlock::Paragraph(vec![t("End.")]),
            ]
        );
        assert_eq!(plain("- a\n- **b**\n\n2. c"), "• a\n• b\n2. c");
        let text = "Intro **bold** `c*d` [w](https://e.org/a_b)\n\n- one *it*\n- two\n\n7. seven\n8. eight\n\n2 * 3 and snake_case";
        let src = sources(text);
        assert_eq!(src.len(), 6, "{src:?}");
        assert_eq!(src[3], "7. seven");
        assert_eq!(
            piece(&src[4]),
            Piece::Item {
                ordered: true,
                number: 8,
                runs: vec![t("eight")]
            }
        );
        // Each source parses back to the pieces of the whole.
        assert_eq!(plain_piece(&src[0]), "Intro bold c*d w (https://e.org/a_b)");
        assert_eq!(fragments(&src[0]), ["Intro", "bold", "c*d", "w"]);
        assert_eq!(plain_piece(&src[1]), "• one it");
        assert_eq!(plain_piece(&src[5]), "2 * 3 and snake_case");
        assert_eq!(
            plain(
                "See [the wiki](https://e.org/w) and https://e.org/x.\n\n1. [a@b.org](mailto:a@b.org)"
            )
            .split('\n')
            .collect::<Vec<_>>(),
            [
                "See the wiki (https://e.org/w) and https://e.org/x.",
                "1. a@b.org"
            ]
        );
    }
}
