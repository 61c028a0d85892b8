//! Splitting a dump into statements, the way the `mysql`/`mariadb` client does.
//!
//! The splitter understands quotes (`'…'`, `"…"`, `` `…` ``), comments (`-- `, `#`,
//! `/* … */`), executable comments (`/*!NNNNN … */`, `/*M!NNNNN … */`, whose content is
//! kept) and the client's `DELIMITER` command. Comments and the markers of executable
//! comments are replaced by spaces (newlines are kept), so that a line and column in a
//! statement's text map back to the same line and column of the input.

use crate::error::SchemaWarning;

/// One statement of the input, with comments blanked out and executable comments unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawStatement {
    /// The statement text, starting at its first significant character, without delimiter.
    pub text: String,
    /// 1-based line of the first significant character in the input.
    pub line: usize,
    /// 1-based column (in characters) of the first significant character.
    pub column: usize,
}

impl RawStatement {
    /// Maps a 1-based line/column inside [`RawStatement::text`] to the input.
    pub fn map_location(&self, line: u64, column: u64) -> (usize, usize) {
        let line = usize::try_from(line).unwrap_or(1).max(1);
        let column = usize::try_from(column).unwrap_or(1).max(1);
        if line == 1 {
            (self.line, self.column.saturating_add(column - 1))
        } else {
            (self.line.saturating_add(line - 1), column)
        }
    }

    /// The first ~80 characters of the statement on one line, for error messages.
    pub fn excerpt(&self) -> String {
        excerpt(&self.text)
    }
}

/// The first ~80 characters of `text`, whitespace runs collapsed to one space.
pub(crate) fn excerpt(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for ch in word.chars() {
            if count >= 80 {
                out.push('…');
                return out;
            }
            out.push(ch);
            count += 1;
        }
    }
    out
}

/// Splits `input` into statements. Problems (unterminated quotes or comments, a
/// `DELIMITER` command without argument) are reported as warnings; whatever text
/// remains is still returned as a statement so the caller can judge it.
pub(crate) fn split_statements(input: &str) -> (Vec<RawStatement>, Vec<SchemaWarning>) {
    Splitter::new(input).run()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Single,
    Double,
    Backtick,
}

struct Splitter<'a> {
    chars: Vec<char>,
    input: &'a str,
    pos: usize,
    line: usize,
    column: usize,
    delimiter: Vec<char>,
    statements: Vec<RawStatement>,
    warnings: Vec<SchemaWarning>,
    // Current statement.
    buf: String,
    start: Option<(usize, usize)>,
    // Depth of open executable comments (MySQL does not nest them; 0 or 1).
    in_exec_comment: bool,
}

impl<'a> Splitter<'a> {
    fn new(input: &'a str) -> Self {
        Splitter {
            chars: input.chars().collect(),
            input,
            pos: 0,
            line: 1,
            column: 1,
            delimiter: vec![';'],
            statements: Vec::new(),
            warnings: Vec::new(),
            buf: String::new(),
            start: None,
            in_exec_comment: false,
        }
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn starts_with(&self, s: &[char]) -> bool {
        !s.is_empty()
            && self
                .chars
                .get(self.pos..self.pos + s.len())
                .is_some_and(|w| w == s)
    }

    /// Consumes one character, copying it to the statement (or a blank if `blank`).
    fn take(&mut self, blank: bool) {
        let Some(ch) = self.peek(0) else { return };
        self.pos += 1;
        if ch == '\n' {
            self.line += 1;
            self.column = 1;
            if self.start.is_some() {
                self.buf.push('\n');
            }
            return;
        }
        let significant = !blank && !ch.is_whitespace();
        if self.start.is_none() {
            if significant {
                self.start = Some((self.line, self.column));
                self.buf.push(ch);
            }
        } else if blank {
            self.buf.push(' ');
        } else {
            self.buf.push(ch);
        }
        self.column += 1;
    }

    fn finish_statement(&mut self) {
        if let Some((line, column)) = self.start.take() {
            let text = std::mem::take(&mut self.buf);
            let text = text.trim_end().to_string();
            if !text.is_empty() {
                self.statements.push(RawStatement { text, line, column });
            }
        }
        self.buf.clear();
        self.in_exec_comment = false;
    }

    fn warn(&mut self, line: usize, message: String) {
        self.warnings.push(SchemaWarning { line, message });
    }

    fn run(mut self) -> (Vec<RawStatement>, Vec<SchemaWarning>) {
        while let Some(ch) = self.peek(0) {
            if self.start.is_none() && !self.in_exec_comment && self.at_delimiter_command() {
                self.delimiter_command();
                continue;
            }
            if self.starts_with(&self.delimiter.clone()) {
                for _ in 0..self.delimiter.len() {
                    self.take(true);
                }
                self.finish_statement();
                continue;
            }
            match ch {
                '\'' => self.quoted(Quote::Single),
                '"' => self.quoted(Quote::Double),
                '`' => self.quoted(Quote::Backtick),
                '#' => self.line_comment(),
                '-' if self.peek(1) == Some('-')
                    && self
                        .peek(2)
                        .is_none_or(|c| c.is_whitespace() || c.is_control()) =>
                {
                    self.line_comment()
                }
                '/' if self.peek(1) == Some('*') => self.block_comment(),
                '*' if self.in_exec_comment && self.peek(1) == Some('/') => {
                    self.take(true);
                    self.take(true);
                    self.in_exec_comment = false;
                }
                _ => self.take(false),
            }
        }
        if self.in_exec_comment {
            let line = self.start.map_or(self.line, |s| s.0);
            self.warn(
                line,
                "unterminated executable comment at end of input".into(),
            );
        }
        self.finish_statement();
        (self.statements, self.warnings)
    }

    /// Whether the input at `pos` is the client command `DELIMITER` (case-insensitive).
    fn at_delimiter_command(&self) -> bool {
        let word: Vec<char> = "delimiter".chars().collect();
        let Some(window) = self.chars.get(self.pos..self.pos + word.len()) else {
            return false;
        };
        window
            .iter()
            .zip(&word)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
            && self.peek(word.len()).is_none_or(|c| c.is_whitespace())
    }

    fn delimiter_command(&mut self) {
        let line = self.line;
        let mut rest = String::new();
        while let Some(ch) = self.peek(0) {
            if ch == '\n' {
                break;
            }
            rest.push(ch);
            self.pos += 1;
            self.column += 1;
        }
        let arg = rest.split_whitespace().nth(1).unwrap_or("");
        if arg.is_empty() {
            self.warn(line, "DELIMITER command without argument ignored".into());
        } else {
            self.delimiter = arg.chars().collect();
        }
    }

    fn quoted(&mut self, quote: Quote) {
        let line = self.line;
        let q = match quote {
            Quote::Single => '\'',
            Quote::Double => '"',
            Quote::Backtick => '`',
        };
        self.take(false);
        loop {
            match self.peek(0) {
                None => {
                    self.warn(line, format!("unterminated {q}-quoted text starting here"));
                    return;
                }
                Some('\\') if quote != Quote::Backtick => {
                    self.take(false);
                    self.take(false);
                }
                Some(c) if c == q => {
                    self.take(false);
                    if self.peek(0) == Some(q) {
                        self.take(false);
                    } else {
                        return;
                    }
                }
                Some(_) => self.take(false),
            }
        }
    }

    fn line_comment(&mut self) {
        while let Some(ch) = self.peek(0) {
            if ch == '\n' {
                return;
            }
            self.take(true);
        }
    }

    fn block_comment(&mut self) {
        let line = self.line;
        // Executable comment: `/*!` or `/*M!`, then an optional version number.
        let opener = if self.peek(2) == Some('!') {
            Some(3)
        } else if self.peek(2) == Some('M') && self.peek(3) == Some('!') {
            Some(4)
        } else {
            None
        };
        if let Some(len) = opener {
            if !self.in_exec_comment {
                let mut n = len;
                while self.peek(n).is_some_and(|c| c.is_ascii_digit()) {
                    n += 1;
                }
                // `/*M!999999\- enable the sandbox mode */` holds a client command, not SQL.
                if self.peek(n) != Some('\\') {
                    for _ in 0..n {
                        self.take(true);
                    }
                    self.in_exec_comment = true;
                    return;
                }
            }
        }
        self.take(true);
        self.take(true);
        loop {
            match self.peek(0) {
                None => {
                    self.warn(line, "unterminated comment starting here".into());
                    return;
                }
                Some('*') if self.peek(1) == Some('/') => {
                    self.take(true);
                    self.take(true);
                    return;
                }
                Some(_) => self.take(true),
            }
        }
    }
}

impl std::fmt::Debug for Splitter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Splitter")
            .field("len", &self.input.len())
            .field("pos", &self.pos)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<String> {
        split_statements(input)
            .0
            .into_iter()
            .map(|s| s.text.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn unwraps_executable_comments_and_drops_plain_ones() {
        let input = "/*M!999999\\- enable the sandbox mode */ \n-- c\n/*!40101 SET NAMES utf8mb4 */;\n/* x; */ # y;\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `d`;";
        assert_eq!(
            texts(input),
            ["SET NAMES utf8mb4", "CREATE DATABASE IF NOT EXISTS `d`"]
        );
    }

    #[test]
    fn respects_quotes_and_delimiter() {
        let input = "SELECT ';', \"a\\\";\", `x;``y`;\nDELIMITER ;;\nCREATE TRIGGER t BEGIN a; b; END;;\nDELIMITER ;\nSELECT 2;";
        assert_eq!(
            texts(input),
            [
                "SELECT ';', \"a\\\";\", `x;``y`",
                "CREATE TRIGGER t BEGIN a; b; END",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn records_lines_and_columns() {
        let (stmts, _) = split_statements("\n\n  /*!40101 SET x=1 */;\nUSE a;");
        assert_eq!((stmts[0].line, stmts[0].column), (3, 12));
        assert_eq!((stmts[1].line, stmts[1].column), (4, 1));
        assert_eq!(stmts[0].map_location(1, 5), (3, 16));
        assert_eq!(stmts[0].map_location(2, 5), (4, 5));
    }

    #[test]
    fn reports_unterminated_things() {
        for input in [
            "SELECT 'abc",
            "SELECT /* abc",
            "/*!40101 SET x",
            "DELIMITER\nSELECT 1;",
        ] {
            let (_, warnings) = split_statements(input);
            assert_eq!(warnings.len(), 1, "{input}");
        }
    }

    #[test]
    fn double_dash_needs_a_space() {
        assert_eq!(texts("SELECT 1--2;"), ["SELECT 1--2"]);
    }
}
