//! Source positions.
//!
//! Every node of the AST carries a [`Span`]: a start and an end [`Pos`], each with a 1-based line,
//! a 1-based column counted in Unicode scalar values, and a 0-based byte offset into the source
//! text the parser was given. `end` is exclusive: it is the position just after the last character.

use serde::Serialize;

/// One point in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// 0-based byte offset into the source.
    pub offset: u32,
}

/// A range of source text; `end` is exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Self {
        Span { start, end }
    }

    /// The byte range of this span in the source.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start.offset as usize..self.end.offset as usize
    }

    /// The smallest span covering both.
    pub fn cover(&self, other: &Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Bytes per block of [`LineIndex::block_chars`].
const BLOCK: usize = 1024;

/// Maps byte offsets of one source text to line/column positions. A column costs at most two
/// scans of [`BLOCK`] bytes whatever the line length (a 10 MB line with thousands of findings
/// stays linear).
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts.
    line_starts: Vec<u32>,
    /// `block_chars[k]`: how many characters start in the first `k * BLOCK` bytes.
    block_chars: Vec<u32>,
}

/// Whether `b` starts a UTF-8 character (is not a continuation byte).
fn starts_char(b: u8) -> bool {
    (b as i8) >= -0x40
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0u32];
        let mut block_chars = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut chars = 0u32;
        for (i, b) in text.bytes().enumerate() {
            if i % BLOCK == 0 {
                block_chars.push(chars);
            }
            if b == b'\n' {
                line_starts.push((i + 1) as u32);
            }
            chars += u32::from(starts_char(b));
        }
        LineIndex {
            line_starts,
            block_chars,
        }
    }

    /// How many characters start in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> u32 {
        let block = offset / BLOCK;
        let base = self.block_chars.get(block).copied().unwrap_or(0);
        let from = (block * BLOCK).min(offset);
        let rest = text.as_bytes().get(from..offset).unwrap_or(&[]);
        base + rest.iter().filter(|&&b| starts_char(b)).count() as u32
    }

    /// The position of byte `offset` in `text` (the text this index was built from).
    /// Offsets past the end clamp to the end; offsets inside a UTF-8 sequence round down.
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let mut start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        if line == 0 && text.starts_with('\u{feff}') {
            // A leading BOM is not a column.
            start = '\u{feff}'.len_utf8().min(offset);
        }
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_before(text, end) - self.chars_before(text, start) + 1;
        Pos {
            line: line as u32 + 1,
            column,
            offset: offset as u32,
        }
    }

    /// The span of the byte range `start..end`.
    pub fn span(&self, text: &str, start: usize, end: usize) -> Span {
        Span::new(self.pos(text, start), self.pos(text, end))
    }

    /// Byte offset where 1-based `line` starts, if the line exists.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.line_starts
            .get(line.checked_sub(1)? as usize)
            .map(|&o| o as usize)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_bom_is_not_a_column() {
        let text = "\u{feff}FROM a\nRUN b\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.pos(text, 3).column, 1);
        assert_eq!(idx.pos(text, 8).column, 6);
        assert_eq!(idx.pos(text, 0).column, 1);
        assert_eq!(idx.pos(text, 14).column, 5);
    }

    #[test]
    fn positions_count_characters() {
        let text = "FROM a\nRUN é x\n";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.pos(text, 0),
            Pos {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        let x = text.find('x').unwrap();
        assert_eq!(
            idx.pos(text, x),
            Pos {
                line: 2,
                column: 7,
                offset: x as u32
            }
        );
        assert_eq!(idx.pos(text, text.len()).line, 3);
    }

    #[test]
    fn columns_on_long_lines_match_a_char_count() {
        let line = "é漢x\t".repeat(1500);
        let text = format!("FROM a\nRUN {line}\nRUN b\n");
        let idx = LineIndex::new(&text);
        let start = text.find("RUN").unwrap();
        for offset in (start..text.len()).step_by(97) {
            let mut end = offset;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let p = idx.pos(&text, offset);
            let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            assert_eq!(p.column as usize, text[line_start..end].chars().count() + 1);
        }
    }
}
